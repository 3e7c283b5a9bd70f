"""Start a game at any scene, with the meters and flags given.

For trying a scene without playing the way to it (``tightrope play --start
NODE --set METER=N --set FLAG=true``, and a replay plan's ``start:`` and
``set:``). Every mistake is an :class:`EngineError` with one line that says
what was wrong and what would be right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..story.diagnostics import did_you_mean
from ..story.model import Story
from .core import EngineError, GameState, new_game

Value = int | bool


def parse_settings(story: Story, texts: Iterable[str]) -> dict[str, Value]:
    """``["us=40", "consulted=true"]`` as meter and flag values, checked against the story."""
    out: dict[str, Value] = {}
    for text in texts:
        name, sep, raw = text.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name or not raw:
            raise EngineError(f'expected METER=NUMBER or FLAG=true|false, not "{text}"')
        if name in out:
            raise EngineError(f'"{name}" is set twice')
        out[name] = _value(story, name, raw)
    return out


def _value(story: Story, name: str, raw: str) -> Value:
    if name in story.meter_index:
        meter = story.meter(name)
        try:
            return int(raw)
        except ValueError:
            raise EngineError(f'meter "{name}" is a whole number from {meter.min} to {meter.max}, not "{raw}"') from None
    if name in story.flag_index:
        if raw not in ("true", "false"):
            raise EngineError(f'flag "{name}" is true or false, not "{raw}"')
        return raw == "true"
    hint = did_you_mean(name, [*story.meter_index, *story.flag_index])
    raise EngineError(f'"{name}" is not a meter or flag of this story{hint}')


def check_node(story: Story, node_id: str) -> None:
    """A game can start at ``node_id``, or EngineError says why not."""
    if node_id not in story.nodes:
        if node_id in story.endings:
            raise EngineError(f'"{node_id}" is an ending; a game can start only at a node')
        raise EngineError(f'"{node_id}" is not a node of this story{did_you_mean(node_id, story.nodes)}')


def start_at(story: Story, node_id: str, values: Mapping[str, Value] | None = None, seed: int = 0, player: str = "") -> GameState:
    """A new game that stands at ``node_id`` with the given meter and flag values.

    Meters and flags not given keep their start values. The node counts as
    visited once; nothing else has happened (no decision, no event).
    """
    check_node(story, node_id)
    state = new_game(story, seed, player)
    meters, flags = list(state.meters), list(state.flags)
    for name, value in (values or {}).items():
        if name in story.meter_index:
            meter = story.meter(name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise EngineError(f'meter "{name}" is a whole number from {meter.min} to {meter.max}, not {value!r}')
            if not meter.min <= value <= meter.max:
                raise EngineError(f'meter "{name}" is {meter.min} to {meter.max}; {value} is outside that range')
            meters[story.meter_index[name]] = value
        elif name in story.flag_index:
            if not isinstance(value, bool):
                raise EngineError(f'flag "{name}" is true or false, not {value!r}')
            flags[story.flag_index[name]] = value
        else:
            hint = did_you_mean(name, [*story.meter_index, *story.flag_index])
            raise EngineError(f'"{name}" is not a meter or flag of this story{hint}')
    counts = [0] * len(story.counted)
    index = story.count_index.get(node_id)
    if index is not None:
        counts[index] = 1
    return GameState(node_id, tuple(meters), tuple(flags), tuple(counts), 0, seed, 0, None, player)
