"""Seeded playthroughs with simple bots, and their statistics.

Game ``i`` of a run with seed ``S`` plays with engine seed ``S + i``; the bot
draws its own choices from a separate random generator seeded from the bot's
name and the same number, so a run is reproducible and the bot's picks do
not disturb the game's draws.

Bots (:func:`bot_names`): ``random`` picks any available choice;
``favour-METER`` (one per meter of the story) picks the choice whose
immediate effect on that meter is largest (the choice's own effect plus the
expected effect of its random outcomes, by their current weights), breaking
ties at random.

"Words read" counts, per game, what a player is shown: each scene's title,
rendered text, the advisors shown and the choices shown (available or
locked); after each decision the outcome text and the title and rendered
text of every event that fired; at the end the ending's title and rendered
text.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..engine import GameState, choose, new_game
from ..engine.core import outcome_weights
from ..story.conditions import Expr, StateView
from ..story.model import Choice, Story
from ..story.text import (
    Cond,
    Part,
    Template,
    _render,  # the renderer's own walk, so the pieces are exactly what render() joins
    word_count,
)

DEFAULT_MAX_TURNS = 1000
HISTOGRAM_BINS = 10

Bot = Callable[[GameState, Sequence[Choice], random.Random], Choice]


def bot_names(story: Story) -> list[str]:
    return ["random", *(f"favour-{m.id}" for m in story.meters)]


def random_bot(state: GameState, enabled: Sequence[Choice], rng: random.Random) -> Choice:
    return enabled[int(rng.random() * len(enabled))]


class FavourBot:
    """Greedy on the immediate effect of a choice on one meter; ties broken at random."""

    def __init__(self, story: Story, meter_id: str) -> None:
        self.index = story.meter_index[meter_id]
        # id(choice) -> (own delta, outcome deltas or None when no outcome moves the meter)
        self._deltas: dict[int, tuple[int, tuple[int, ...] | None]] = {}

    def deltas(self, choice: Choice) -> tuple[int, tuple[int, ...] | None]:
        got = self._deltas.get(id(choice))
        if got is None:
            i = self.index
            own = sum(d for m, d in choice.effects if m == i)
            outs = tuple(sum(d for m, d in o.effects if m == i) for o in choice.outcomes)
            got = (own, outs if any(outs) else None)
            self._deltas[id(choice)] = got
        return got

    def score(self, choice: Choice, state: GameState) -> float:
        own, outs = self.deltas(choice)
        if outs is None:
            return own
        weights = outcome_weights(choice, state)
        total = sum(weights)
        if total <= 0:
            weights, total = [1] * len(weights), len(weights)
        return own + sum(w * d for w, d in zip(weights, outs)) / total

    def __call__(self, state: GameState, enabled: Sequence[Choice], rng: random.Random) -> Choice:
        if len(enabled) == 1:
            return enabled[0]
        scores = [self.score(c, state) for c in enabled]
        top = max(scores)
        best = [c for c, s in zip(enabled, scores) if s == top]
        return best[int(rng.random() * len(best))]


def make_bot(story: Story, name: str) -> Bot:
    """The bot called ``name``; raises ValueError for an unknown name."""
    if name == "random":
        return random_bot
    if name.startswith("favour-") and name[len("favour-") :] in story.meter_index:
        return FavourBot(story, name[len("favour-") :])
    raise ValueError(name)


class Words:
    """Word counts of what a player reads: fixed texts counted once, rendered pieces cached."""

    def __init__(self, story: Story) -> None:
        self.story = story
        self._fixed: dict[str, int] = {}  # the literal pieces of every text of the story
        self._cache: dict[str, int] = {}  # pieces met while playing (meter values, names), bounded
        # per node: (fixed words, dynamic text or None, conditional advisors, choices)
        self.nodes: dict[
            str, tuple[int, Template | None, tuple[tuple[Expr, int], ...], tuple[tuple[Choice, Expr | None, int, bool], ...]]
        ] = {}
        for nid, node in story.nodes.items():
            fixed = word_count(node.title)
            text: Template | None = None
            if _static(node.text):
                fixed += word_count(node.text.all_text())  # static: no names, no passages
            else:
                text = node.text
            advisors = []
            for a in node.advisors:
                if a.cond is None:
                    fixed += word_count(a.says)
                else:
                    advisors.append((a.cond, word_count(a.says)))
            choices = tuple((c, c.cond, word_count(c.text), c.cond is None or c.locked is not None) for c in node.choices)
            self.nodes[nid] = (fixed, text, tuple(advisors), choices)
        self.outcomes = {
            (nid, c.id, o.id): word_count(o.text) for nid, n in story.nodes.items() for c in n.choices for o in c.outcomes
        }
        self.events = {e.id: (word_count(e.title), e.text) for e in story.events}
        self.endings = {eid: (word_count(e.title), e.text) for eid, e in story.endings.items()}
        templates = [n.text for n in story.nodes.values()] + [e.text for e in story.events]
        for t in templates + [e.text for e in story.endings.values()]:
            self._learn(t.parts)

    def _learn(self, parts: tuple[Part, ...]) -> None:
        for part in parts:
            if isinstance(part, str):
                self._fixed[part] = word_count(part)
            elif isinstance(part, Cond):
                self._learn(part.then)
                self._learn(part.otherwise)

    def count(self, text: str) -> int:
        got = self._fixed.get(text)
        if got is None:
            got = self._cache.get(text)
            if got is None:
                if len(self._cache) > 50_000:
                    self._cache.clear()
                got = self._cache[text] = word_count(text)
        return got

    def render(self, template: Template, state: GameState) -> int:
        return rendered_words(template, state, self.count)


def _wordish(ch: str, _memo: dict[str, bool] = {}) -> bool:  # noqa: B006 - a deliberate memo
    got = _memo.get(ch)
    if got is None:
        got = _memo[ch] = word_count(ch) > 0
    return got


def rendered_words(template: Template, state: StateView, count: Callable[[str], int] = word_count) -> int:
    """``word_count(template.render(state))``, counted piece by piece so that the pieces' counts can be cached.

    Two pieces that meet without a space or punctuation between them ("US{us}")
    make one word, so each such join takes one off the sum.
    """
    pieces: list[str] = []
    _render(template.parts, state, getattr(state, "player", ""), pieces)
    total = 0
    joined = False  # the previous piece ended inside a word
    for piece in pieces:
        if not piece:
            continue
        total += count(piece)
        if joined and _wordish(piece[0]):
            total -= 1
        joined = _wordish(piece[-1])
    return total


def _static(t: Template) -> bool:
    return all(isinstance(p, str) for p in t.parts)


@dataclass(slots=True)
class Game:
    ending: str | None  # None: stuck or unfinished
    decisions: int
    words: int
    meters: tuple[int, ...]
    stuck: bool = False


def play(story: Story, bot: Bot, seed: int, rng: random.Random, words: Words, max_turns: int = DEFAULT_MAX_TURNS) -> Game:
    """One game: the bot plays from the start until an ending (or max_turns)."""
    state = new_game(story, seed)
    plans = words.nodes
    outcome_words = words.outcomes
    event_words = words.events
    read = 0
    while state.ending is None:
        if state.turn >= max_turns:
            return Game(None, state.turn, read, state.meters)
        fixed, text, advisors, choices = plans[state.node]
        read += fixed
        if text is not None:
            read += words.render(text, state)
        for shown_if, n in advisors:
            if shown_if(state):
                read += n
        enabled = []
        for c, cond, n, always in choices:
            if cond is None or cond(state):
                enabled.append(c)
                read += n
            elif always:
                read += n
        if not enabled:
            return Game(None, state.turn, read, state.meters, stuck=True)
        state = choose(story, state, bot(state, enabled, rng).id)
        step = state.step
        assert step is not None
        if step.outcome is not None:
            read += outcome_words[(step.node, step.choice, step.outcome)]
        for eid in step.events:
            title, etext = event_words[eid]
            read += title + words.render(etext, state)
    title, etext = words.endings[state.ending]
    read += title + words.render(etext, state)
    return Game(state.ending, state.turn, read, state.meters)


def bot_rng(bot: str, seed: int) -> random.Random:
    """The bot's own generator for game seed ``seed`` (independent of the game's draws)."""
    return random.Random(f"tightrope-bot:{bot}:{seed}")


@dataclass
class Run:
    """The results of ``runs`` games of one bot."""

    bot: str
    runs: int
    seed: int
    endings: dict[str, int] = field(default_factory=dict)
    unfinished: int = 0  # stopped at max_turns
    stuck: int = 0  # reached a node with no available choice
    decisions: list[int] = field(default_factory=list)
    words: list[int] = field(default_factory=list)
    finals: list[list[int]] = field(default_factory=list)  # per meter, the final values
    seconds: float = 0.0


def run_bot(story: Story, name: str, runs: int, seed: int = 0, max_turns: int = DEFAULT_MAX_TURNS) -> Run:
    import time

    bot = make_bot(story, name)
    words = Words(story)
    result = Run(name, runs, seed, finals=[[] for _ in story.meters])
    began = time.perf_counter()
    for i in range(runs):
        game = play(story, bot, seed + i, bot_rng(name, seed + i), words, max_turns)
        if game.ending is not None:
            result.endings[game.ending] = result.endings.get(game.ending, 0) + 1
        elif game.stuck:
            result.stuck += 1
        else:
            result.unfinished += 1
        result.decisions.append(game.decisions)
        result.words.append(game.words)
        for values, v in zip(result.finals, game.meters):
            values.append(v)
    result.seconds = time.perf_counter() - began
    return result


# ----------------------------------------------------------------- statistics
def spread(values: Sequence[int]) -> dict[str, float]:
    """min, mean and max (zeros for no values)."""
    if not values:
        return {"min": 0, "mean": 0.0, "max": 0}
    return {"min": min(values), "mean": round(sum(values) / len(values), 2), "max": max(values)}


def quartiles(values: Sequence[int]) -> tuple[float, float, float]:
    """First quartile, median and third quartile (linear interpolation)."""
    ordered = sorted(values)
    if not ordered:
        return (0.0, 0.0, 0.0)

    def at(q: float) -> float:
        pos = q * (len(ordered) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(ordered) - 1)
        return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo), 2)

    return (at(0.25), at(0.5), at(0.75))


def histogram(values: Sequence[int], lo: int, hi: int, bins: int = HISTOGRAM_BINS) -> tuple[list[int], list[int]]:
    """Counts in ``bins`` equal bins over lo..hi, and the bins' lower edges."""
    span = max(hi - lo, 1)
    counts = [0] * bins
    for v in values:
        k = (v - lo) * bins // span
        counts[min(max(k, 0), bins - 1)] += 1
    edges = [lo + (span * k + bins - 1) // bins for k in range(bins)]
    return counts, edges


BARS = " ▁▂▃▄▅▆▇█"


def sparkline(counts: Sequence[int]) -> str:
    top = max(counts) if counts else 0
    if not top:
        return BARS[0] * len(counts)
    return "".join(BARS[0] if c == 0 else BARS[max(1, round(c * 8 / top))] for c in counts)


def run_dict(story: Story, run: Run) -> dict[str, object]:
    """A run's statistics as plain data (the "playthroughs" items of explore's JSON)."""
    meters: dict[str, object] = {}
    for i, m in enumerate(story.meters):
        values = run.finals[i]
        q1, median, q3 = quartiles(values)
        counts, edges = histogram(values, m.min, m.max)
        meters[m.id] = {**spread(values), "q1": q1, "median": median, "q3": q3, "histogram": {"edges": edges, "counts": counts}}
    total = run.runs or 1
    return {
        "bot": run.bot,
        "runs": run.runs,
        "seed": run.seed,
        "endings": {
            eid: {"count": run.endings.get(eid, 0), "percent": round(100.0 * run.endings.get(eid, 0) / total, 2)}
            for eid in story.endings
        },
        "unfinished": run.unfinished,
        "stuck": run.stuck,
        "decisions": spread(run.decisions),
        "words": spread(run.words),
        "meters": meters,
    }
