"""Exhaustive exploration of a story's states, for authors.

:func:`explore` walks every state the game can be in, breadth first from the
start, using :func:`game.engine.branches` (every random outcome and event)
and :meth:`GameState.key` to merge states that play the same from there on.
From the walk it derives

* coverage: which nodes, choices, outcomes, events and endings occur, and
  for each one that never does, *why* (:func:`unreached`);
* meter ranges: the lowest and highest value of each meter at each node;
* nodes that lead nowhere (states with no available choice, or nodes from
  which no ending can be reached);
* the shortest choice path to each ending, with a seed for which
  :func:`game.engine.replay` of that path reaches it (:func:`shortest_paths`).

Everything here is pure analysis over the engine; nothing prints.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine import EngineError, GameState, branches, history, new_game, replay
from ..story.conditions import names
from ..story.loader import reads_of
from ..story.model import Choice, Event, Story

DEFAULT_MAX_STATES = 200_000
DEFAULT_SEED_LIMIT = 1000
PATH_CANDIDATES = 6  # paths kept per ending, shortest and likeliest first


@dataclass(slots=True)
class Reach:
    """What an exhaustive walk of the states found."""

    states: int  # distinct non-ending states walked
    max_states: int
    bound_hit: bool  # some states were left unexplored
    at: dict[str, list[GameState]]  # node id -> the states walked there
    taken: set[tuple[str, str]]  # (node, choice) available at least once
    drawn: set[tuple[str, str, str]]  # (node, choice, outcome) drawn at least once
    fired: dict[str, int]  # event id -> transitions in which it fired
    ended: dict[str, int]  # ending id -> transitions that reached it
    edges: dict[str, set[str]]  # node id -> nodes and endings entered from it
    stuck: dict[str, list[GameState]]  # node id -> states with no available choice
    ending_ranges: dict[str, list[list[int]]]  # ending id -> [lo, hi] per meter
    candidates: dict[str, list[tuple[int, float, GameState]]]  # ending -> (decisions, probability, state)

    @property
    def complete(self) -> bool:
        return not self.bound_hit


def explore(story: Story, max_states: int = DEFAULT_MAX_STATES) -> Reach:
    """Walk every reachable state (up to ``max_states`` distinct ones)."""
    with_turn = "turn" in reads_of(story)

    def key(s: GameState) -> tuple[object, ...]:
        return (*s.key(), s.turn) if with_turn else s.key()

    start = new_game(story, 0)
    seen = {key(start)}
    queue: deque[tuple[GameState, float]] = deque([(start, 1.0)])
    at: dict[str, list[GameState]] = {nid: [] for nid in story.nodes}
    taken: set[tuple[str, str]] = set()
    drawn: set[tuple[str, str, str]] = set()
    fired: dict[str, int] = {}
    ended: dict[str, int] = {}
    edges: dict[str, set[str]] = {nid: set() for nid in story.nodes}
    stuck: dict[str, list[GameState]] = {}
    ending_ranges: dict[str, list[list[int]]] = {}
    candidates: dict[str, list[tuple[int, float, GameState]]] = {}
    bound_hit = False
    nodes = story.nodes
    while queue:
        state, prob = queue.popleft()
        node = nodes[state.node]
        at[node.id].append(state)
        out = edges[node.id]
        available = False
        for choice in node.choices:
            if choice.cond is not None and not choice.cond(state):
                continue
            available = True
            taken.add((node.id, choice.id))
            for p, child in branches(story, state, choice.id):
                step = child.step
                assert step is not None
                if step.outcome is not None:
                    drawn.add((node.id, choice.id, step.outcome))
                for eid in step.events:
                    fired[eid] = fired.get(eid, 0) + 1
                out.add(step.target)
                ending = child.ending
                if ending is not None:
                    ended[ending] = ended.get(ending, 0) + 1
                    _widen(ending_ranges, ending, child.meters)
                    _keep_candidate(candidates.setdefault(ending, []), (child.turn, prob * p, child))
                    continue
                k = key(child)
                if k in seen:
                    continue
                if len(seen) >= max_states:
                    bound_hit = True
                    continue
                seen.add(k)
                queue.append((child, prob * p))
        if not available:
            stuck.setdefault(node.id, []).append(state)
    return Reach(
        len(seen),
        max_states,
        bound_hit,
        at,
        taken,
        drawn,
        fired,
        ended,
        edges,
        stuck,
        ending_ranges,
        candidates,
    )


def _widen(ranges: dict[str, list[list[int]]], where: str, meters: Sequence[int]) -> None:
    got = ranges.get(where)
    if got is None:
        ranges[where] = [[v, v] for v in meters]
        return
    for r, v in zip(got, meters):
        if v < r[0]:
            r[0] = v
        elif v > r[1]:
            r[1] = v


def _keep_candidate(kept: list[tuple[int, float, GameState]], item: tuple[int, float, GameState]) -> None:
    """Keep the few shortest, then likeliest, paths to an ending."""
    if len(kept) >= PATH_CANDIDATES and (item[0], -item[1]) >= (kept[-1][0], -kept[-1][1]):
        return
    kept.append(item)
    kept.sort(key=lambda c: (c[0], -c[1]))
    del kept[PATH_CANDIDATES:]


# ----------------------------------------------------------------- ranges
def meter_ranges(story: Story, reach: Reach) -> dict[str, dict[str, list[int]]]:
    """Lowest and highest value of each meter at each reached node and ending."""
    out: dict[str, dict[str, list[int]]] = {}
    for nid, states in reach.at.items():
        if states:
            out[nid] = {
                m.id: [min(s.meters[i] for s in states), max(s.meters[i] for s in states)] for i, m in enumerate(story.meters)
            }
    for eid, ranges in reach.ending_ranges.items():
        out[eid] = {m.id: list(ranges[i]) for i, m in enumerate(story.meters)}
    return out


def _span(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}..{hi}"


def describe_names(story: Story, states: Sequence[GameState], read: Iterable[str]) -> str:
    """'us ranged 20..64, revisions_tabled was always false' over some states."""
    parts = []
    for name in sorted(read):
        if name in story.meter_index:
            i = story.meter_index[name]
            values = [s.meters[i] for s in states]
            lo, hi = min(values), max(values)
            parts.append(f"{name} was always {lo}" if lo == hi else f"{name} ranged {lo}..{hi}")
        elif name in story.flag_index:
            i = story.flag_index[name]
            seen = {s.flags[i] for s in states}
            parts.append(f"{name} was always {str(seen.pop()).lower()}" if len(seen) == 1 else f"{name} was true and false")
        elif name in story.count_index:
            i = story.count_index[name]
            what = "visits of" if name in story.nodes else "firings of"
            values = [s.counts[i] for s in states]
            parts.append(f"{what} {name} ranged {_span(min(values), max(values))}")
        elif name == "turn":
            values = [s.turn for s in states]
            parts.append(f"turn ranged {_span(min(values), max(values))}")
    return ", ".join(parts)


# ----------------------------------------------------------------- reasons
@dataclass(frozen=True, slots=True)
class Unreached:
    kind: str  # node, choice, outcome, event, ending
    id: str
    node: str | None  # for choices and outcomes
    choice: str | None  # for outcomes
    reason: str

    def label(self) -> str:
        if self.kind == "choice":
            return f"choice {self.id} at node {self.node}"
        if self.kind == "outcome":
            return f"outcome {self.id} of choice {self.choice} at node {self.node}"
        return f"{self.kind} {self.id}"

    def __str__(self) -> str:
        return f"{self.label()}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "node": self.node,
            "choice": self.choice,
            "reason": self.reason,
            "message": str(self),
        }


@dataclass(frozen=True, slots=True)
class Nowhere:
    node: str
    reason: str

    def __str__(self) -> str:
        return f"node {self.node} leads nowhere: {self.reason}"


def _cond_reason(story: Story, expr: Any, states: Sequence[GameState], where: str, what: str = "condition") -> str:
    detail = describe_names(story, states, names(expr.tree))
    return f"{what} `{expr.source}` never held" + (f" ({detail} {where})" if detail else f" {where}")


@dataclass
class _WayIn:
    label: str
    happened: bool
    why: str


def _ways_in(story: Story, reach: Reach, target: str) -> list[_WayIn]:
    """Every static way into a node or ending, and whether it ever happened."""
    ways: list[_WayIn] = []
    for nid, node in story.nodes.items():
        reached = bool(reach.at[nid])
        for c in node.choices:
            taken = (nid, c.id) in reach.taken
            if c.goto == target:
                why = "its node is never reached" if not reached else "never available" if not taken else ""
                ways.append(_WayIn(f"choice {c.id} at node {nid}", taken, why))
            for o in c.outcomes:
                if o.goto == target:
                    drawn = (nid, c.id, o.id) in reach.drawn
                    why = (
                        "its node is never reached"
                        if not reached
                        else "the choice is never available"
                        if not taken
                        else "never drawn"
                        if not drawn
                        else ""
                    )
                    ways.append(_WayIn(f"outcome {o.id} of choice {c.id} at node {nid}", drawn, why))
    for e in story.events:
        if e.goto == target:
            ok = reach.fired.get(e.id, 0) > 0
            ways.append(_WayIn(f"event {e.id}", ok, "" if ok else "never fires"))
    return ways


def _threshold_reasons(story: Story, reach: Reach, ending: str) -> list[str]:
    out = []
    for i, m in enumerate(story.meters):
        values = [s.meters[i] for states in reach.at.values() for s in states]
        values += [v for r in reach.ending_ranges.values() for v in r[i]]
        lo, hi = (min(values), max(values)) if values else (m.start, m.start)
        for t in m.thresholds:
            if t.ending != ending:
                continue
            if t.below is not None:
                out.append(f"threshold {m.id} below {t.below} never crossed ({m.id} never fell below {lo})")
            else:
                out.append(f"threshold {m.id} above {t.above} never crossed ({m.id} never rose above {hi})")
    return out


def _entry_reason(story: Story, reach: Reach, target: str, ending: bool) -> str:
    ways = _ways_in(story, reach, target)
    thresholds = _threshold_reasons(story, reach, target) if ending else []
    if not ways and not thresholds:
        what = "choice, outcome, event or threshold" if ending else "choice, outcome or event"
        return f"nothing leads to it: no {what} names it"
    parts = [f"{w.label} ({w.why})" for w in ways if not w.happened]
    taken = [w.label for w in ways if w.happened]
    if taken:  # a way in happened, but a threshold ending or an event always came first
        parts.append(f"{', '.join(taken[:3])} (taken, but an event or a threshold ending always intervened)")
    parts += thresholds
    shown = parts[:4]
    more = f"; and {len(parts) - 4} more" if len(parts) > 4 else ""
    return "the ways in never happen: " + "; ".join(shown) + more


def _event_reason(story: Story, reach: Reach, event: Event) -> str:
    if event.before:
        entered = sorted(n for n in event.before if reach.at.get(n))
        if not entered:
            into = sorted(event.before)
            never = "it is never reached" if len(into) == 1 else "none of them is ever reached"
            return f"it fires only on the way into {', '.join(into)}, and {never}"
        where = f"on the way into {', '.join(entered)}"
        states = [s for n in entered for s in reach.at[n] if s.prev is not None]
    else:
        where = "on the way into any node"
        states = [s for ss in reach.at.values() for s in ss if s.prev is not None]
    if not states:
        return f"no decision ever leads {where}"
    if event.cond is not None:
        held = [s for s in states if event.cond(s)]
        if not held:
            return _cond_reason(story, event.cond, states, where)
    else:
        held = states
    if not any(event.chance(s) > 0 for s in held):
        detail = describe_names(story, held, names(event.chance.tree))
        return f"chance `{event.chance.source}` was never above 0" + (f" ({detail})" if detail else "")
    return "it was eligible, but an event listed before it always fired first (events are tried in order)"


def unreached(story: Story, reach: Reach) -> list[Unreached]:
    """Everything never reached, each with the reason."""
    out: list[Unreached] = []
    for nid, node in story.nodes.items():
        states = reach.at[nid]
        if not states:
            out.append(Unreached("node", nid, None, None, _entry_reason(story, reach, nid, ending=False)))
            continue
        for c in node.choices:
            if (nid, c.id) not in reach.taken:
                assert c.cond is not None
                out.append(Unreached("choice", c.id, nid, None, _cond_reason(story, c.cond, states, f"at {nid}")))
                continue
            if c.outcomes:
                _outcome_reasons(story, reach, nid, c, states, out)
    for e in story.events:
        if not reach.fired.get(e.id):
            out.append(Unreached("event", e.id, None, None, _event_reason(story, reach, e)))
    for eid in story.endings:
        if not reach.ended.get(eid):
            out.append(Unreached("ending", eid, None, None, _entry_reason(story, reach, eid, ending=True)))
    return out


def _outcome_reasons(story: Story, reach: Reach, nid: str, c: Choice, states: list[GameState], out: list[Unreached]) -> None:
    where = [s for s in states if c.cond is None or c.cond(s)]
    for o in c.outcomes:
        if (nid, c.id, o.id) in reach.drawn:
            continue
        detail = describe_names(story, where, names(o.weight.tree))
        reason = f"weight `{o.weight.source}` was never above 0" + (f" ({detail} at {nid})" if detail else f" at {nid}")
        out.append(Unreached("outcome", o.id, nid, c.id, reason))


def leads_nowhere(story: Story, reach: Reach) -> list[Nowhere]:
    """Reached nodes where the game gets stuck or from which no ending can be reached."""
    out: list[Nowhere] = []
    for nid, states in reach.stuck.items():
        example = ", ".join(f"{m.id}={states[0].meters[i]}" for i, m in enumerate(story.meters))
        total = len(reach.at[nid])
        out.append(
            Nowhere(nid, f"no choice is available in {len(states):,} of its {total:,} states (for example with {example})")
        )
    if reach.bound_hit:
        return out  # a partial walk cannot tell which nodes never reach an ending
    back: dict[str, set[str]] = {}
    for nid, targets in reach.edges.items():
        for t in targets:
            back.setdefault(t, set()).add(nid)
    good = set(reach.ended)
    todo = list(good)
    while todo:
        for prev in back.get(todo.pop(), ()):
            if prev not in good:
                good.add(prev)
                todo.append(prev)
    stuck = set(reach.stuck)
    for nid, states in reach.at.items():
        if states and nid not in good and nid not in stuck:
            out.append(Nowhere(nid, "no ending can be reached from it (the story loops without a way out)"))
    return out


# ----------------------------------------------------------------- coverage
@dataclass(frozen=True, slots=True)
class Tally:
    reached: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 if not self.total else round(100.0 * self.reached / self.total, 1)

    @property
    def full(self) -> bool:
        return self.reached == self.total


def coverage(story: Story, reach: Reach) -> dict[str, Tally]:
    outcomes = [(nid, c.id, o.id) for nid, n in story.nodes.items() for c in n.choices for o in c.outcomes]
    return {
        "nodes": Tally(sum(1 for states in reach.at.values() if states), len(story.nodes)),
        "choices": Tally(len(reach.taken), sum(len(n.choices) for n in story.nodes.values())),
        "outcomes": Tally(sum(1 for o in outcomes if o in reach.drawn), len(outcomes)),
        "events": Tally(sum(1 for e in story.events if reach.fired.get(e.id)), len(story.events)),
        "endings": Tally(sum(1 for e in story.endings if reach.ended.get(e)), len(story.endings)),
    }


# ----------------------------------------------------------------- paths
@dataclass(frozen=True, slots=True)
class Path:
    ending: str
    choices: tuple[str, ...]
    probability: float  # of this path's draws, playing these choices
    seed: int | None  # a seed for which replay of the choices reaches the ending
    seed_limit: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "choices": list(self.choices),
            "decisions": len(self.choices),
            "probability": self.probability,
            "seed": self.seed,
            "seed_limit": self.seed_limit,
        }


def find_seed(story: Story, choices: Sequence[str], ending: str, limit: int) -> int | None:
    """The first seed in 0..limit-1 for which replaying the choices reaches the ending."""
    for seed in range(limit):
        try:
            state = replay(story, seed, choices)
        except EngineError:
            continue
        if state.ending == ending:
            return seed
    return None


def shortest_paths(story: Story, reach: Reach, seed_limit: int = DEFAULT_SEED_LIMIT) -> dict[str, Path]:
    """For each reached ending, the shortest (then likeliest) choice path that a seed makes reach it."""
    out: dict[str, Path] = {}
    for eid in story.endings:
        cands = reach.candidates.get(eid)
        if not cands:
            continue
        best: Path | None = None
        for _turns, prob, state in cands:
            choices = tuple(step.choice for step in history(state))
            seed = find_seed(story, choices, eid, seed_limit)
            if seed is not None:
                best = Path(eid, choices, prob, seed, seed_limit)
                break
            if best is None:
                best = Path(eid, choices, prob, None, seed_limit)
        assert best is not None
        out[eid] = best
    return out


def plan_snippet(story_path: str, path: Path) -> str:
    """A ready-to-use testplan for ``tightrope replay`` that reaches the ending."""
    steps = [*path.choices[:-1], f"{{choice: {path.choices[-1]}, ending: {path.ending}}}"]
    lines = [
        f"# {path.ending}: {len(path.choices)} decisions",
        f"story: {story_path}  # relative to the plan file",
        f"seed: {path.seed if path.seed is not None else 0}",
        f"steps: [{', '.join(steps)}]",
    ]
    return "\n".join(lines)


@dataclass
class Analysis:
    """Everything explore reports from the exhaustive walk."""

    reach: Reach
    coverage: dict[str, Tally]
    unreached: list[Unreached]
    nowhere: list[Nowhere]
    ranges: dict[str, dict[str, list[int]]]
    paths: dict[str, Path]


def analyse(story: Story, max_states: int = DEFAULT_MAX_STATES, seed_limit: int = DEFAULT_SEED_LIMIT) -> Analysis:
    reach = explore(story, max_states)
    return Analysis(
        reach,
        coverage(story, reach),
        unreached(story, reach),
        leads_nowhere(story, reach),
        meter_ranges(story, reach),
        shortest_paths(story, reach, seed_limit),
    )
