"""Presentation helpers shared by every front end (no Textual, no I/O).

They turn engine results into plain strings: effect hints on choices, the
summary of what a decision changed, meter lines. Every string that comes
from a story passes through :func:`~game.story.text.clean`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine.core import GameState, Step, near_thresholds
from .story.model import Choice, Node, Story
from .story.text import clean, clean_line

UP, DOWN, MIXED = "▲", "▼", "?"


@dataclass(frozen=True, slots=True)
class Hint:
    meter: str  # meter id
    label: str
    sign: str  # UP, DOWN or MIXED


def effect_hints(story: Story, choice: Choice) -> list[Hint]:
    """The shape of a choice's effects: which meters rise or fall, not by how much.

    With random outcomes, a meter whose direction depends on the draw is
    marked MIXED.
    """
    signs: dict[int, set[int]] = {}
    base = dict(choice.effects)
    if choice.outcomes:
        for o in choice.outcomes:
            merged = dict(base)
            for i, d in o.effects:
                merged[i] = merged.get(i, 0) + d
            for i in set(base) | {i for i, _ in o.effects}:
                d = merged.get(i, 0)
                signs.setdefault(i, set()).add((d > 0) - (d < 0))
    else:
        for i, d in base.items():
            signs.setdefault(i, set()).add((d > 0) - (d < 0))
    out = []
    for i, meter in enumerate(story.meters):
        s = signs.get(i)
        if not s or s == {0}:
            continue
        sign = UP if s == {1} else DOWN if s == {-1} else MIXED
        out.append(Hint(meter.id, clean_line(meter.label), sign))
    return out


def hint_text(story: Story, choice: Choice) -> str:
    return ", ".join(f"{h.label} {h.sign}" for h in effect_hints(story, choice))


def signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def change_lines(story: Story, state: GameState) -> list[str]:
    """'US relations +8 (58)' for every meter the last decision moved."""
    step = state.step
    if step is None:
        return []
    out = []
    for mid, delta in step.changes:
        meter = story.meter(mid)
        out.append(f"{clean_line(meter.label)} {signed(delta)} ({state.meters[story.meter_index[mid]]})")
    return out


def outcome_text(story: Story, step: Step) -> str:
    if step.outcome is None:
        return ""
    node = story.nodes.get(step.node)
    choice = node.choice(step.choice) if node else None
    if choice is None:
        return ""
    for o in choice.outcomes:
        if o.id == step.outcome:
            return clean(o.text)
    return ""


def choice_text(story: Story, node_id: str, choice_id: str) -> str:
    node = story.nodes.get(node_id)
    choice = node.choice(choice_id) if node else None
    return clean_line(choice.text) if choice else choice_id


def node_title(story: Story, node_id: str) -> str:
    node = story.nodes.get(node_id)
    if node is not None:
        return clean_line(node.title)
    ending = story.endings.get(node_id)
    return clean_line(ending.title) if ending else node_id


def scene_heading(node: Node) -> str:
    """'20 November 2025 · Islamabad · Hypothetical'."""
    bits = [clean_line(b) for b in (node.date, node.place) if b]
    bits.append(BASIS_LABEL[node.basis])
    return " · ".join(bits)


def warnings(story: Story, state: GameState) -> list[str]:
    return [clean_line(w) for _, w in near_thresholds(story, state)]


BASIS_LABEL = {
    "reported": "Reported fact",
    "hypothetical": "Hypothetical",
    "mixed": "Reported facts, invented scene",
}
