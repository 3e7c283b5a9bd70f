"""Pure, deterministic game rules.

Given a :class:`~game.story.model.Story`, a :class:`GameState` and a choice,
:func:`choose` returns the next state; the state's ``step`` says what
happened (meter changes, flags, the outcome drawn, events fired, where it
led). There is no I/O, no clock and no global random source: every draw comes
from ``(seed, draws)`` in the state, so replaying the same choices from the
same seed gives the same game.

States are immutable and linked to the state before them (``prev``), which
makes undo free and the history a walk back along the chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..story.model import Choice, Event, Outcome, Story

_MASK = (1 << 64) - 1


def _mix(x: int) -> int:
    """SplitMix64 finaliser: a fast, well-distributed 64-bit hash."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def draw(seed: int, n: int, bound: int) -> int:
    """The n-th random number in [0, bound) of a seed."""
    return _mix((seed * 0x100000001B3) ^ _mix(n)) % bound


class EngineError(Exception):
    """A request the state cannot satisfy (unknown or unavailable choice)."""


Changes = tuple[tuple[str, int], ...]  # (meter id, change actually applied), in story order


@dataclass(frozen=True, slots=True)
class Step:
    """One decision and what it caused.

    ``changes`` is everything the decision moved; ``own`` is the part of it
    that the choice and its outcome made, and ``event_changes[i]`` the part
    that ``events[i]`` made after them (each after clamping to the meter's
    range, so the parts add up to ``changes``).
    """

    node: str
    choice: str
    outcome: str | None
    changes: Changes  # the whole decision: own + every event's
    flags: tuple[tuple[str, bool], ...]  # flags set by the decision
    events: tuple[str, ...]  # events that fired on the way
    target: str  # where the decision led (node or ending)
    rationale: str = ""
    own: Changes = ()  # what the choice and its outcome changed
    event_changes: tuple[Changes, ...] = ()  # what each event in ``events`` changed


@dataclass(frozen=True, slots=True)
class GameState:
    node: str  # current node; at an ending, the last node played
    meters: tuple[int, ...]
    flags: tuple[bool, ...]
    counts: tuple[int, ...]  # visits/firings of story.counted ids
    turn: int  # decisions made
    seed: int
    draws: int  # random numbers used so far
    ending: str | None = None
    player: str = ""
    step: Step | None = None  # the decision that led here
    prev: GameState | None = None

    def key(self) -> tuple[object, ...]:
        """What makes two states play the same from here (for exploration)."""
        return (self.node, self.ending, self.meters, self.flags, self.counts)


@dataclass(frozen=True, slots=True)
class Option:
    """A choice as the player sees it."""

    choice: Choice
    enabled: bool
    reason: str  # why it is disabled, when it is


class _View:
    """A mutable scratch state for evaluating conditions mid-transition."""

    __slots__ = ("meters", "flags", "counts", "turn")

    def __init__(self, meters: list[int], flags: list[bool], counts: tuple[int, ...], turn: int) -> None:
        self.meters = meters
        self.flags = flags
        self.counts = counts
        self.turn = turn


def new_game(story: Story, seed: int = 0, player: str = "") -> GameState:
    counts = [0] * len(story.counted)
    index = story.count_index.get(story.start)
    if index is not None:
        counts[index] = 1
    return GameState(
        node=story.start,
        meters=tuple(m.start for m in story.meters),
        flags=tuple(f.start for f in story.flags),
        counts=tuple(counts),
        turn=0,
        seed=seed,
        draws=0,
        player=player,
    )


def options(story: Story, state: GameState) -> list[Option]:
    """The choices shown at the current node (hidden ones left out)."""
    if state.ending is not None:
        return []
    out = []
    for choice in story.nodes[state.node].choices:
        if choice.cond is None or choice.cond(state):
            out.append(Option(choice, True, ""))
        elif choice.locked:
            out.append(Option(choice, False, choice.locked))
    return out


def _find(story: Story, state: GameState, choice_id: str) -> Choice:
    if state.ending is not None:
        raise EngineError(f"the game is over ({state.ending}); no more choices")
    node = story.nodes.get(state.node)
    if node is None:
        raise EngineError(f'node "{state.node}" is not in this story')
    choice = node.choice(choice_id)
    if choice is None:
        known = ", ".join(c.id for c in node.choices)
        raise EngineError(f'no choice "{choice_id}" at node "{state.node}" (choices: {known})')
    if choice.cond is not None and not choice.cond(state):
        raise EngineError(f'choice "{choice_id}" is not available now' + (f": {choice.locked}" if choice.locked else ""))
    return choice


def _apply(
    story: Story, meters: list[int], flags: list[bool], effects: Iterable[tuple[int, int]], sets: Iterable[tuple[int, bool]]
) -> None:
    for i, delta in effects:
        m = story.meters[i]
        v = meters[i] + delta
        meters[i] = m.min if v < m.min else m.max if v > m.max else v
    for i, value in sets:
        flags[i] = value


def outcome_weights(choice: Choice, state: GameState) -> list[int]:
    """Weights of a choice's outcomes in this state (negative counts as 0)."""
    return [max(0, o.weight(state)) for o in choice.outcomes]


def _drawable_weights(choice: Choice, state: GameState) -> tuple[list[int], int]:
    """The weights a draw uses and their total: all equal when every weight is 0."""
    weights = outcome_weights(choice, state)
    total = sum(weights)
    if total <= 0:
        return [1] * len(weights), len(weights)
    return weights, total


def _threshold(story: Story, meters: list[int]) -> str | None:
    for i, m in enumerate(story.meters):
        for t in m.thresholds:
            if t.crossed(meters[i]):
                return t.ending
    return None


def _route(story: Story, target: str, view: _View) -> str | None:
    """The ending a scenario gives when the story would go to ``target`` (None: it goes on)."""
    for end in story.routes.get(target, ()):
        if end.cond is None or end.cond(view):
            return end.ending
    return None


def _ending(story: Story, meters: list[int], flags: list[bool], counts: tuple[int, ...], turn: int, target: str) -> str | None:
    """The ending a transition into ``target`` reaches: a collapsed meter, an ending, or a scenario's end."""
    ending = _threshold(story, meters)
    if ending is None and target in story.endings:
        ending = target
    if ending is None and story.routes:
        ending = _route(story, target, _View(meters, flags, counts, turn))
    return ending


def _goes_on(story: Story, meters: list[int], target: str) -> bool:
    """True when a transition into ``target`` does not end the game (events may fire on the way)."""
    return target not in story.endings and target not in story.routes and _threshold(story, meters) is None


def eligible_events(story: Story, view: _View, target: str) -> list[tuple[Event, int]]:
    """Events that may fire on the way into ``target``, with their chance (%)."""
    out = []
    ci = story.count_index
    for e in story.events:
        if e.before and target not in e.before:
            continue
        if e.once and view.counts[ci[e.id]]:
            continue
        if e.cond is not None and not e.cond(view):
            continue
        chance = e.chance(view)
        if chance > 0:
            out.append((e, min(chance, 100)))
    return out


def _settle(
    story: Story,
    state: GameState,
    choice: Choice,
    outcome: Outcome | None,
    meters: list[int],
    flags: list[bool],
    target: str,
    event: Event | None,
    draws: int,
    rationale: str,
) -> GameState:
    """Finish a transition whose random parts are decided."""
    counts = state.counts
    own = _diff(story, state.meters, meters)  # the choice's and its outcome's changes
    fired: tuple[str, ...] = ()
    fired_changes: tuple[Changes, ...] = ()
    # a meter that collapses ends the game even when the choice led elsewhere
    ending = _ending(story, meters, flags, counts, state.turn + 1, target)
    if event is not None and ending is None:
        before = tuple(meters)
        _apply(story, meters, flags, event.effects, event.sets)
        counts = _bump(counts, story.count_index.get(event.id))
        fired = (event.id,)
        fired_changes = (_diff(story, before, meters),)
        if event.goto is not None:
            target = event.goto
        ending = _ending(story, meters, flags, counts, state.turn + 1, target)
    node = state.node
    if ending is None:
        node = target
        counts = _bump(counts, story.count_index.get(target))
    else:
        target = ending
    changes = _diff(story, state.meters, meters)
    flag_changes = tuple((f.id, flags[i]) for i, f in enumerate(story.flags) if flags[i] != state.flags[i])
    step = Step(
        state.node,
        choice.id,
        outcome.id if outcome else None,
        changes,
        flag_changes,
        fired,
        target,
        rationale,
        own,
        fired_changes,
    )
    return GameState(
        node, tuple(meters), tuple(flags), counts, state.turn + 1, state.seed, draws, ending, state.player, step, state
    )


def _diff(story: Story, before: Sequence[int], after: Sequence[int]) -> Changes:
    return tuple((m.id, after[i] - before[i]) for i, m in enumerate(story.meters) if after[i] != before[i])


def _bump(counts: tuple[int, ...], index: int | None) -> tuple[int, ...]:
    if index is None:
        return counts
    as_list = list(counts)
    as_list[index] += 1
    return tuple(as_list)


def choose(story: Story, state: GameState, choice_id: str, rationale: str = "") -> GameState:
    """Apply a choice; the returned state's ``step`` says what happened."""
    choice = _find(story, state, choice_id)
    meters = list(state.meters)
    flags = list(state.flags)
    draws = state.draws
    _apply(story, meters, flags, choice.effects, choice.sets)
    outcome: Outcome | None = None
    if choice.outcomes:
        weights, total = _drawable_weights(choice, state)
        roll = draw(state.seed, draws, total)
        draws += 1
        for o, w in zip(choice.outcomes, weights):
            if roll < w:
                outcome = o
                break
            roll -= w
        assert outcome is not None
        _apply(story, meters, flags, outcome.effects, outcome.sets)
        target = outcome.goto
    else:
        assert choice.goto is not None
        target = choice.goto
    event: Event | None = None
    if story.events and _goes_on(story, meters, target):
        view = _View(meters, flags, state.counts, state.turn + 1)
        for e, chance in eligible_events(story, view, target):
            roll = draw(state.seed, draws, 100)
            draws += 1
            if roll < chance:
                event = e
                break
    return _settle(story, state, choice, outcome, meters, flags, target, event, draws, rationale)


def branches(story: Story, state: GameState, choice_id: str) -> list[tuple[float, GameState]]:
    """Every way a choice can turn out, with its probability.

    Used by exhaustive exploration. The states returned carry the draw
    count of no particular roll, so they are for analysis, not for play.
    """
    choice = _find(story, state, choice_id)
    picks: list[tuple[float, Outcome | None]]
    if choice.outcomes:
        weights, total = _drawable_weights(choice, state)
        picks = [(w / total, o) for o, w in zip(choice.outcomes, weights) if w > 0]
    else:
        picks = [(1.0, None)]
    out: list[tuple[float, GameState]] = []
    for p, outcome in picks:
        meters = list(state.meters)
        flags = list(state.flags)
        _apply(story, meters, flags, choice.effects, choice.sets)
        if outcome is not None:
            _apply(story, meters, flags, outcome.effects, outcome.sets)
            target = outcome.goto
        else:
            assert choice.goto is not None
            target = choice.goto
        chances: list[tuple[Event, int]] = []
        if story.events and _goes_on(story, meters, target):
            chances = eligible_events(story, _View(meters, flags, state.counts, state.turn + 1), target)
        rest = p
        for e, chance in chances:
            pe = rest * chance / 100
            if pe > 0:
                out.append((pe, _settle(story, state, choice, outcome, list(meters), list(flags), target, e, state.draws, "")))
            rest -= pe
            if rest <= 0:
                break
        if rest > 1e-12:
            out.append((rest, _settle(story, state, choice, outcome, meters, flags, target, None, state.draws, "")))
    return out


def undo(state: GameState) -> GameState:
    """The state before the last decision (the same state at the start)."""
    return state.prev if state.prev is not None else state


def states_from_start(state: GameState) -> list[GameState]:
    """The states of a game, from the start to ``state``."""
    chain: list[GameState] = []
    s: GameState | None = state
    while s is not None:
        chain.append(s)
        s = s.prev
    chain.reverse()
    return chain


def history(state: GameState) -> list[Step]:
    """Every decision from the start, oldest first."""
    steps = []
    s: GameState | None = state
    while s is not None and s.step is not None:
        steps.append(s.step)
        s = s.prev
    steps.reverse()
    return steps


def replay(story: Story, seed: int, choices: Iterable[str | tuple[str, str]], player: str = "") -> GameState:
    """Play a list of choice ids (or (choice id, rationale) pairs) from the start."""
    state = new_game(story, seed, player)
    for item in choices:
        choice_id, rationale = (item, "") if isinstance(item, str) else item
        state = choose(story, state, choice_id, rationale)
    return state


def near_thresholds(story: Story, state: GameState) -> list[tuple[str, str]]:
    """(meter id, warning) for every meter close to a threshold."""
    out = []
    for i, m in enumerate(story.meters):
        for t in m.thresholds:
            text = t.warning_for(state.meters[i])
            if text:
                out.append((m.id, text))
    return out


class RemapError(EngineError):
    """The state cannot continue in the new story (its node is gone)."""

    def __init__(self, message: str, fallback: str) -> None:
        super().__init__(message)
        self.fallback = fallback  # the nearest sensible node to go on from


def remap(old: Story, new: Story, state: GameState) -> GameState:
    """Carry a state over to a reloaded story, matching meters, flags and counts by id.

    Meters the new story does not have are dropped, new ones take their start
    value, and values are clamped to the new ranges. Raises RemapError when
    the current node no longer exists; ``fallback`` then names the latest
    node of the history that still exists (or the new start node).
    """
    chain = states_from_start(state)
    where = state.ending if state.ending is not None else state.node
    if where not in new.nodes and where not in new.endings:
        fallback = next((c.node for c in reversed(chain) if c.node in new.nodes), new.start)
        raise RemapError(f'the current scene "{where}" is not in the reloaded story', fallback)

    def convert(c: GameState, prev: GameState | None) -> GameState:
        old_m = {m.id: c.meters[i] for i, m in enumerate(old.meters)}
        meters = tuple(max(m.min, min(m.max, old_m.get(m.id, m.start))) for m in new.meters)
        old_f = {f.id: c.flags[i] for i, f in enumerate(old.flags)}
        flags = tuple(old_f.get(f.id, f.start) for f in new.flags)
        old_c = {cid: c.counts[i] for i, cid in enumerate(old.counted)}
        counts = tuple(old_c.get(cid, 0) for cid in new.counted)
        return GameState(c.node, meters, flags, counts, c.turn, c.seed, c.draws, c.ending, c.player, c.step, prev)

    out: GameState | None = None
    for c in chain:
        out = convert(c, out)
    assert out is not None
    return out


def jump(story: Story, state: GameState, node_id: str) -> GameState:
    """Continue from another node with the same meters and flags (after a reload)."""
    if node_id not in story.nodes:
        raise EngineError(f'"{node_id}" is not a node of this story')
    counts = _bump(state.counts, story.count_index.get(node_id))
    return GameState(
        node_id,
        state.meters,
        state.flags,
        counts,
        state.turn,
        state.seed,
        state.draws,
        None,
        state.player,
        state.step,
        state.prev,
    )
