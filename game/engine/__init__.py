"""The engine: pure, deterministic game rules over a compiled Story."""

from .core import (
    EngineError,
    GameState,
    Option,
    RemapError,
    Step,
    branches,
    choose,
    history,
    jump,
    meter_values,
    near_thresholds,
    new_game,
    options,
    remap,
    replay,
    undo,
)

__all__ = [
    "RemapError",
    "jump",
    "near_thresholds",
    "remap",
    "EngineError",
    "GameState",
    "Option",
    "Step",
    "branches",
    "choose",
    "history",
    "meter_values",
    "new_game",
    "options",
    "replay",
    "undo",
]
