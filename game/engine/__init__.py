"""The engine: pure, deterministic game rules over a compiled Story."""

from .core import (
    EngineError,
    GameState,
    Option,
    Step,
    branches,
    choose,
    history,
    meter_values,
    new_game,
    options,
    replay,
    undo,
)

__all__ = [
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
