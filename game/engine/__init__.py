"""The engine: pure, deterministic game rules over a compiled Story."""

from .core import (
    Changes,
    EngineError,
    GameState,
    Option,
    RemapError,
    Step,
    branches,
    choose,
    history,
    jump,
    near_thresholds,
    new_game,
    options,
    remap,
    replay,
    undo,
)

__all__ = [
    "Changes",
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
    "new_game",
    "options",
    "replay",
    "undo",
]
