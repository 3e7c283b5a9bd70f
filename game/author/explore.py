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

A story with many meters and flags can have more states than the bound
(``max_states``) allows; the walk then says so, and :func:`sample` plays
seeded games with the bots to extend what it found (what they reach is
reachable; what they miss may not be unreachable).

Everything here is pure analysis over the engine; nothing prints.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from ..engine import EngineError, GameState, branches, choose, history, new_game, replay
from ..engine.core import states_from_start
from ..story.conditions import Expr, names
from ..story.model import Choice, Event, Story
from ..story.text import clean_line

DEFAULT_MAX_STATES = 200_000
DEFAULT_SEED_LIMIT = 1000
DEFAULT_SAMPLES = 5000
SAMPLE_MAX_TURNS = 1000
PATH_CANDIDATES = 6  # paths kept per ending, shortest and likeliest first
WALK = "exhaustive walk"
SAMPLED = "sampled games"


@dataclass(slots=True)
class Candidate:
    """A way to an ending: the final state (its history is the path)."""

    turns: int
    probability: float
    state: GameState
    seed: int | None  # known for sampled games; searched for walk paths
    found_by: str


@dataclass
class Reach:
    """What the exhaustive walk (and, past its bound, the sampled games) found."""

    max_states: int
    with_turn: bool  # a condition reads ``turn``, so it is part of a state's identity
    seen: set[tuple[object, ...]] = field(default_factory=set)
    states: int = 0  # distinct states the walk found
    bound_hit: bool = False  # the walk stopped at max_states: some states were left unexplored
    sampled: int = 0  # games played to extend coverage past the bound
    at: dict[str, list[GameState]] = field(default_factory=dict)  # node id -> states found there (walked or played)
    frontier: dict[str, int] = field(default_factory=dict)  # node id -> states found there but cut by the bound
    taken: set[tuple[str, str]] = field(default_factory=set)  # (node, choice) available at least once
    drawn: set[tuple[str, str, str]] = field(default_factory=set)  # (node, choice, outcome) drawn at least once
    fired: dict[str, int] = field(default_factory=dict)  # event id -> transitions in which it fired
    ended: dict[str, int] = field(default_factory=dict)  # ending id -> walk transitions that reached it
    games: dict[str, int] = field(default_factory=dict)  # ending id -> sampled games that reached it
    edges: dict[str, set[str]] = field(default_factory=dict)  # node id -> nodes and endings entered from it
    stuck: dict[str, list[GameState]] = field(default_factory=dict)  # node id -> states with no available choice
    ending_ranges: dict[str, list[list[int]]] = field(default_factory=dict)  # ending id -> [lo, hi] per meter
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)  # ending id -> shortest ways found

    @property
    def complete(self) -> bool:
        return not self.bound_hit

    def key(self, s: GameState) -> tuple[object, ...]:
        return (*s.key(), s.turn) if self.with_turn else s.key()

    def found(self, nid: str) -> bool:
        return bool(self.at.get(nid)) or bool(self.frontier.get(nid))

    def reached(self, eid: str) -> bool:
        return bool(self.ended.get(eid) or self.games.get(eid))

    def step(self, node: str, choice: str, child: GameState) -> None:
        """Record what one transition did."""
        step = child.step
        assert step is not None
        if step.outcome is not None:
            self.drawn.add((node, choice, step.outcome))
        for eid in step.events:
            self.fired[eid] = self.fired.get(eid, 0) + 1
        self.edges[node].add(step.target)
        if child.ending is not None:
            _widen(self.ending_ranges, child.ending, child.meters)


def _play_reads_turn(story: Story) -> bool:
    """Whether what can happen depends on ``turn`` (text that shows it does not count)."""
    exprs: list[Expr] = [e.cond for e in story.events if e.cond] + [e.chance for e in story.events]
    for node in story.nodes.values():
        for c in node.choices:
            exprs += [c.cond] if c.cond else []
            exprs += [o.weight for o in c.outcomes]
    return any("turn" in names(x.tree) for x in exprs)


def _new_reach(story: Story, max_states: int) -> Reach:
    r = Reach(max_states, _play_reads_turn(story))
    r.at = {nid: [] for nid in story.nodes}
    r.edges = {nid: set() for nid in story.nodes}
    return r


def explore(story: Story, max_states: int = DEFAULT_MAX_STATES) -> Reach:
    """Walk every reachable state, breadth first (up to ``max_states`` distinct ones)."""
    reach = _new_reach(story, max_states)
    start = new_game(story, 0)
    seen = reach.seen
    seen.add(reach.key(start))
    queue: deque[tuple[GameState, float]] = deque([(start, 1.0)])
    nodes = story.nodes
    key = reach.key
    while queue:
        state, prob = queue.popleft()
        node = nodes[state.node]
        reach.at[node.id].append(state)
        available = False
        for choice in node.choices:
            if choice.cond is not None and not choice.cond(state):
                continue
            available = True
            reach.taken.add((node.id, choice.id))
            for p, child in branches(story, state, choice.id):
                reach.step(node.id, choice.id, child)
                ending = child.ending
                if ending is not None:
                    reach.ended[ending] = reach.ended.get(ending, 0) + 1
                    _keep(reach.candidates.setdefault(ending, []), Candidate(child.turn, prob * p, child, None, WALK))
                    continue
                k = key(child)
                if k in seen:
                    continue
                if len(seen) >= max_states:
                    reach.bound_hit = True
                    reach.frontier[child.node] = reach.frontier.get(child.node, 0) + 1
                    continue
                seen.add(k)
                queue.append((child, prob * p))
        if not available:
            reach.stuck.setdefault(node.id, []).append(state)
    reach.states = len(seen)
    return reach


def sample(story: Story, reach: Reach, games: int, max_turns: int = SAMPLE_MAX_TURNS) -> None:
    """Play ``games`` seeded games to extend what an incomplete walk found.

    Game ``i`` uses seed ``i`` and the bots in turn (random, then each
    favour-METER bot), each with its own generator; every state met is added
    to the evidence (its available choices count as reached), and a game that
    ends gives a path to its ending with a seed known to work.
    """
    from .playthrough import bot_names, bot_rng, make_bot

    bots = [(name, make_bot(story, name)) for name in bot_names(story)]
    nodes = story.nodes
    for i in range(games):
        name, bot = bots[i % len(bots)]
        rng = bot_rng(name, i)
        state = new_game(story, i)
        while state.ending is None and state.turn < max_turns:
            node = nodes[state.node]
            k = reach.key(state)
            fresh = k not in reach.seen
            if fresh:
                reach.seen.add(k)
                reach.at[node.id].append(state)
            enabled = [c for c in node.choices if c.cond is None or c.cond(state)]
            if not enabled:
                if fresh:
                    reach.stuck.setdefault(node.id, []).append(state)
                break
            for c in enabled:
                reach.taken.add((node.id, c.id))
            choice = bot(state, enabled, rng)
            child = choose(story, state, choice.id)
            reach.step(node.id, choice.id, child)
            state = child
        if state.ending is not None:
            reach.games[state.ending] = reach.games.get(state.ending, 0) + 1
            kept = reach.candidates.setdefault(state.ending, [])
            if len(kept) < PATH_CANDIDATES or state.turn <= kept[-1].turns:
                _keep(kept, Candidate(state.turn, path_probability(story, state), state, i, SAMPLED))
    reach.sampled += games


def path_probability(story: Story, state: GameState) -> float:
    """The chance that playing this state's choices from the start ends in this state."""
    chain = states_from_start(state)
    p = 1.0
    for before, after in zip(chain, chain[1:]):
        assert after.step is not None
        want = after.key()
        p *= sum(q for q, child in branches(story, before, after.step.choice) if child.key() == want)
    return p


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


def _keep(kept: list[Candidate], item: Candidate) -> None:
    """Keep the few shortest, then likeliest, ways to an ending."""
    if len(kept) >= PATH_CANDIDATES and (item.turns, -item.probability) >= (kept[-1].turns, -kept[-1].probability):
        return
    kept.append(item)
    kept.sort(key=lambda c: (c.turns, -c.probability))
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

    def as_dict(self) -> dict[str, object]:
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
    """A soft-lock: a reached node where a game gets stuck (``stuck``: no
    choice is available) or from which no ending can be reached (``loop``)."""

    node: str
    reason: str
    kind: str = "stuck"

    def __str__(self) -> str:
        return f"node {self.node} leads nowhere: {self.reason}"


def _cond_reason(story: Story, expr: Expr, states: Sequence[GameState], where: str, what: str = "condition") -> str:
    detail = describe_names(story, states, names(expr.tree))
    return f"{what} `{clean_line(expr.source)}` never held" + (f" ({detail} {where})" if detail else f" {where}")


@dataclass
class _WayIn:
    label: str
    happened: bool
    why: str


def _ways_in(story: Story, reach: Reach, target: str) -> list[_WayIn]:
    """Every static way into a node or ending, and whether it ever happened."""
    ways: list[_WayIn] = []
    for nid, node in story.nodes.items():
        unseen = (
            "its node is never reached"
            if not reach.found(nid)
            else "its node was not explored: the walk stopped at the state bound"
            if not reach.at[nid]
            else ""
        )
        for c in node.choices:
            taken = (nid, c.id) in reach.taken
            if c.goto == target:
                why = unseen or ("never available" if not taken else "")
                ways.append(_WayIn(f"choice {c.id} at node {nid}", taken, why))
            for o in c.outcomes:
                if o.goto == target:
                    drawn = (nid, c.id, o.id) in reach.drawn
                    why = unseen or ("the choice is never available" if not taken else "never drawn" if not drawn else "")
                    ways.append(_WayIn(f"outcome {o.id} of choice {c.id} at node {nid}", drawn, why))
    for e in story.events:
        if e.goto == target:
            ok = reach.fired.get(e.id, 0) > 0
            ways.append(_WayIn(f"event {e.id}", ok, "" if ok else "never fires"))
    return ways


def _threshold_reasons(story: Story, reach: Reach, ending: str) -> list[str]:
    out = []
    for i, m in enumerate(story.meters):
        at_nodes = [s.meters[i] for states in reach.at.values() for s in states]
        lo, hi = (min(at_nodes), max(at_nodes)) if at_nodes else (m.start, m.start)
        for t in m.thresholds:
            if t.ending != ending:
                continue
            if t.below is not None:
                why = f"threshold {m.id} below {t.below} never crossed ({m.id} never fell below {lo} in a scene"
            else:
                assert t.above is not None
                why = f"threshold {m.id} above {t.above} never crossed ({m.id} never rose above {hi} in a scene"
            out.append(why + ")")
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
        return f"chance `{clean_line(event.chance.source)}` was never above 0" + (f" ({detail})" if detail else "")
    if not reach.complete:
        return "it could fire in some states found, but the walk stopped at the state bound before trying it"
    return "it was eligible, but an event listed before it always fired first (events are tried in order)"


def unreached(story: Story, reach: Reach) -> list[Unreached]:
    """Everything never reached, each with the reason."""
    out: list[Unreached] = []
    for nid, node in story.nodes.items():
        states = reach.at[nid]
        if not reach.found(nid):
            out.append(Unreached("node", nid, None, None, _entry_reason(story, reach, nid, ending=False)))
            continue
        for c in node.choices:
            if (nid, c.id) not in reach.taken:
                if not states:
                    reason = "its node was found, but the walk stopped at the state bound before exploring it"
                else:
                    assert c.cond is not None
                    reason = _cond_reason(story, c.cond, states, f"at {nid}")
                out.append(Unreached("choice", c.id, nid, None, reason))
                continue
            if c.outcomes:
                _outcome_reasons(story, reach, nid, c, states, out)
    for e in story.events:
        if not reach.fired.get(e.id):
            out.append(Unreached("event", e.id, None, None, _event_reason(story, reach, e)))
    for eid in story.endings:
        if not reach.reached(eid):
            out.append(Unreached("ending", eid, None, None, _entry_reason(story, reach, eid, ending=True)))
    return out


def _outcome_reasons(story: Story, reach: Reach, nid: str, c: Choice, states: list[GameState], out: list[Unreached]) -> None:
    where = [s for s in states if c.cond is None or c.cond(s)]
    for o in c.outcomes:
        if (nid, c.id, o.id) in reach.drawn:
            continue
        if any(o.weight(s) > 0 for s in where):
            reason = "its weight was above 0 in some states found, but the walk stopped at the state bound before drawing it"
        else:
            detail = describe_names(story, where, names(o.weight.tree))
            reason = f"weight `{clean_line(o.weight.source)}` was never above 0" + (
                f" ({detail} at {nid})" if detail else f" at {nid}"
            )
        out.append(Unreached("outcome", o.id, nid, c.id, reason))


def leads_nowhere(story: Story, reach: Reach) -> list[Nowhere]:
    """Reached nodes where the game gets stuck or from which no ending can be reached."""
    out: list[Nowhere] = []
    for nid, states in reach.stuck.items():
        example = ", ".join(f"{m.id}={states[0].meters[i]}" for i, m in enumerate(story.meters))
        total = len(reach.at[nid])
        out.append(
            Nowhere(nid, f"no choice is available in {len(states):,} of its {total:,} states found (for example with {example})")
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
            out.append(Nowhere(nid, "no ending can be reached from it (the story loops without a way out)", "loop"))
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
        "nodes": Tally(sum(1 for nid in story.nodes if reach.found(nid)), len(story.nodes)),
        "choices": Tally(len(reach.taken), sum(len(n.choices) for n in story.nodes.values())),
        "outcomes": Tally(sum(1 for o in outcomes if o in reach.drawn), len(outcomes)),
        "events": Tally(sum(1 for e in story.events if reach.fired.get(e.id)), len(story.events)),
        "endings": Tally(sum(1 for e in story.endings if reach.reached(e)), len(story.endings)),
    }


# ----------------------------------------------------------------- paths
@dataclass(frozen=True, slots=True)
class Path:
    ending: str
    choices: tuple[str, ...]
    probability: float  # that playing these choices reaches this ending
    seed: int | None  # a seed for which replay of the choices reaches the ending
    seed_limit: int
    found_by: str  # WALK or SAMPLED

    def as_dict(self) -> dict[str, object]:
        return {
            "choices": list(self.choices),
            "decisions": len(self.choices),
            "probability": self.probability,
            "seed": self.seed,
            "seed_limit": self.seed_limit,
            "found_by": self.found_by,
        }


def find_seed(story: Story, choices: Sequence[str], ending: str, limit: int) -> int | None:
    """The first seed in 0..limit-1 for which replaying the choices reaches the ending."""
    for seed in range(limit):
        if _reaches(story, seed, choices, ending):
            return seed
    return None


def _reaches(story: Story, seed: int, choices: Sequence[str], ending: str) -> bool:
    try:
        return replay(story, seed, choices).ending == ending
    except EngineError:
        return False


def shortest_paths(story: Story, reach: Reach, seed_limit: int = DEFAULT_SEED_LIMIT) -> dict[str, Path]:
    """For each reached ending, the shortest (then likeliest) choice path that a seed makes reach it."""
    out: dict[str, Path] = {}
    for eid in story.endings:
        best: Path | None = None
        for cand in reach.candidates.get(eid, ()):
            choices = tuple(step.choice for step in history(cand.state))
            known = cand.seed is not None and _reaches(story, cand.seed, choices, eid)
            seed = cand.seed if known else find_seed(story, choices, eid, seed_limit)
            path = Path(eid, choices, cand.probability, seed, seed_limit, cand.found_by)
            if seed is not None:
                best = path
                break
            best = best or path
        if best is not None:
            out[eid] = best
    return out


def decisions(n: int) -> str:
    return f"{n} decision" if n == 1 else f"{n} decisions"


def _where_from(story_path: str) -> str:
    """What the snippet's story: line means: the plan reads it relative to itself."""
    if PurePath(story_path).is_absolute():
        return "an absolute path: right wherever the plan is saved"
    return "as given to explore: right for a plan saved in the folder explore ran in (story: is relative to the plan file)"


def plan_snippet(story_path: str, path: Path) -> str:
    """A ready-to-use testplan for ``tightrope replay`` that reaches the ending."""
    steps = [*path.choices[:-1], f"{{choice: {path.choices[-1]}, ending: {path.ending}}}"]
    lines = [
        f"# {path.ending}: {decisions(len(path.choices))}",
        f"story: {story_path}  # {_where_from(story_path)}",
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


def analyse(
    story: Story, max_states: int = DEFAULT_MAX_STATES, seed_limit: int = DEFAULT_SEED_LIMIT, samples: int = DEFAULT_SAMPLES
) -> Analysis:
    """The exhaustive walk; if it hits its bound, ``samples`` games extend it; then everything derived."""
    reach = explore(story, max_states)
    if reach.bound_hit and samples:
        sample(story, reach, samples)
    return Analysis(
        reach,
        coverage(story, reach),
        unreached(story, reach),
        leads_nowhere(story, reach),
        meter_ranges(story, reach),
        shortest_paths(story, reach, seed_limit),
    )
