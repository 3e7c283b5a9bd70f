"""The compiled, immutable story.

A :class:`Story` is built once by the loader and never changes. Meters and
flags are addressed by index in the engine's hot loop; ids stay the stable
names used by saves, transcripts and reports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from .conditions import Expr
from .diagnostics import Pos, did_you_mean
from .text import Template

Basis = Literal["reported", "hypothetical", "mixed"]


@dataclass(frozen=True, slots=True)
class Meta:
    """The story section: the story's identity and what the title screen shows."""

    id: str
    title: str
    version: str
    start: str
    facts_as_of: str
    content_note: str
    premise: str = ""
    authors: tuple[str, ...] = ()
    license: str = ""
    player_default: str = "Player"  # what {player} shows when the player gave no name


@dataclass(frozen=True, slots=True)
class Threshold:
    """A value of a meter that ends the game, with the warnings shown as the meter nears it."""

    below: int | None
    above: int | None
    ending: str
    warning: str  # the outermost warning ("" when there is none)
    warn_within: int  # how close the outermost warning starts
    pos: Pos
    # every warning as (within, text), the closest first: a warning that
    # escalates as the meter nears the threshold has several
    levels: tuple[tuple[int, str], ...] = ()

    def crossed(self, value: int) -> bool:
        if self.below is not None:
            return value < self.below
        assert self.above is not None
        return value > self.above

    def distance(self, value: int) -> int:
        """How many points the value still has before it crosses (0: it has crossed)."""
        if self.below is not None:
            return max(0, value - self.below + 1)
        assert self.above is not None
        return max(0, self.above + 1 - value)

    def near(self, value: int) -> bool:
        return 0 < self.distance(value) <= self.warn_within

    def warning_for(self, value: int) -> str:
        """The warning to show at this value: the closest level it is within ("" when none)."""
        d = self.distance(value)
        if d == 0:
            return ""
        for within, text in self.levels or ((self.warn_within, self.warning),):
            if d <= within:
                return text
        return ""


@dataclass(frozen=True, slots=True)
class Meter:
    """A number that choices move, kept between ``min`` and ``max``."""

    id: str
    label: str
    description: str
    start: int
    min: int
    max: int
    thresholds: tuple[Threshold, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Flag:
    """A declared true/false fact about the game so far."""

    id: str
    description: str
    start: bool
    pos: Pos


# an effect is (meter index, delta); a flag change is (flag index, value)
Effects = tuple[tuple[int, int], ...]
Sets = tuple[tuple[int, bool], ...]


@dataclass(frozen=True, slots=True)
class Character:
    """A recurring invented person (the cast list marks them as invented)."""

    id: str
    name: str
    role: str
    description: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Advisor:
    """One voice on a decision, shown when ``cond`` holds (always, without one)."""

    role: str  # the role shown: the advisor's own, else the character's
    says: str
    cond: Expr | None
    pos: Pos
    who: str | None = None  # a character id


@dataclass(frozen=True, slots=True)
class Outcome:
    """One possible result of a choice, drawn at random by ``weight``."""

    id: str
    weight: Expr
    text: str
    effects: Effects
    sets: Sets
    goto: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a node: it goes to ``goto``, or to one of its ``outcomes``."""

    id: str
    text: str
    cond: Expr | None
    locked: str | None
    effects: Effects
    sets: Sets
    goto: str | None
    outcomes: tuple[Outcome, ...]
    note: str
    pos: Pos

    @property
    def targets(self) -> tuple[str, ...]:
        if self.goto is not None:
            return (self.goto,)
        return tuple(o.goto for o in self.outcomes)


@dataclass(frozen=True, slots=True)
class Node:
    """A scene with a decision."""

    id: str
    title: str
    date: str
    place: str
    basis: Basis
    sources: tuple[str, ...]
    text: Template
    advisors: tuple[Advisor, ...]
    key: bool
    choices: tuple[Choice, ...]
    pos: Pos

    def choice(self, choice_id: str) -> Choice | None:
        for c in self.choices:
            if c.id == choice_id:
                return c
        return None


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happens between scenes when ``cond`` holds, with ``chance`` in 100."""

    id: str
    title: str
    basis: Basis
    sources: tuple[str, ...]
    text: Template
    cond: Expr | None
    chance: Expr
    before: frozenset[str]
    once: bool
    effects: Effects
    sets: Sets
    goto: str | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Ending:
    """An ending, with its debrief and the questions for discussion."""

    id: str
    title: str
    basis: Basis
    sources: tuple[str, ...]
    text: Template
    debrief: str
    questions: tuple[str, ...]
    pos: Pos
    scenario: str | None = None  # reached only in this scenario


@dataclass(frozen=True, slots=True)
class ScenarioEnd:
    """When the story would go to ``at``, the scenario ends with ``ending`` (if ``cond`` holds)."""

    at: str
    ending: str
    cond: Expr | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Scenario:
    """A shorter game: a start node and the ends that close it."""

    id: str
    title: str
    description: str
    start: str
    ends: tuple[ScenarioEnd, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Term:
    """A glossary entry."""

    term: str
    definition: str
    source: str | None


@dataclass(frozen=True, slots=True)
class Source:
    """A published source that reported facts cite."""

    id: str
    title: str
    publisher: str
    date: str
    url: str
    note: str
    pos: Pos = Pos("")


@dataclass(frozen=True)
class Story:
    """A compiled story: immutable, and shared by every game played from it."""

    meta: Meta
    meters: tuple[Meter, ...]
    flags: tuple[Flag, ...]
    nodes: MappingProxyType[str, Node]
    events: tuple[Event, ...]
    endings: MappingProxyType[str, Ending]
    glossary: tuple[Term, ...]
    sources: MappingProxyType[str, Source]
    # ids whose visits (nodes) or firings (events) are counted in the state,
    # in the order of the state's ``counts`` tuple: only those that a
    # condition or text reads, so the state stays small
    counted: tuple[str, ...]
    root: Path
    files: tuple[str, ...]
    hash: str
    words: int
    meter_index: MappingProxyType[str, int] = field(default_factory=lambda: MappingProxyType({}))
    flag_index: MappingProxyType[str, int] = field(default_factory=lambda: MappingProxyType({}))
    count_index: MappingProxyType[str, int] = field(default_factory=lambda: MappingProxyType({}))
    characters: MappingProxyType[str, Character] = field(default_factory=lambda: MappingProxyType({}))
    scenarios: MappingProxyType[str, Scenario] = field(default_factory=lambda: MappingProxyType({}))
    # every scenario's endings (ids not in ``endings`` unless that scenario is selected)
    scenario_endings: MappingProxyType[str, Ending] = field(default_factory=lambda: MappingProxyType({}))
    # the scenario being played (None: the full story) and where it ends:
    # a node id -> the ends at that node, tried in order
    scenario: Scenario | None = None
    routes: MappingProxyType[str, tuple[ScenarioEnd, ...]] = field(default_factory=lambda: MappingProxyType({}))
    full: Story | None = field(default=None, repr=False, compare=False)  # the full story, in a scenario

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def start(self) -> str:
        return self.meta.start

    def meter(self, meter_id: str) -> Meter:
        return self.meters[self.meter_index[meter_id]]

    def with_scenario(self, scenario_id: str | None) -> Story:
        """The story as played in one of its scenarios (``None``: the full story).

        A scenario starts at its own node and ends where its ``ends`` say,
        with endings of its own; everything else is the same compiled story,
        shared, so deriving it costs nothing. Raises KeyError for an unknown id.
        """
        full = self.full or self
        if scenario_id is None:
            return full
        sc = full.scenarios[scenario_id]
        routes: dict[str, list[ScenarioEnd]] = {}
        for end in sc.ends:
            routes.setdefault(end.at, []).append(end)
        nodes, events, targets = _scope(full, sc.start, set(routes))
        endings = {eid: e for eid, e in full.endings.items() if eid in targets}
        endings.update({eid: e for eid, e in full.scenario_endings.items() if e.scenario == sc.id})
        derived = replace(
            full,
            meta=replace(full.meta, start=sc.start),
            nodes=MappingProxyType({nid: full.nodes[nid] for nid in full.nodes if nid in nodes}),
            events=tuple(e for e in full.events if e.id in events),
            endings=MappingProxyType(endings),
            scenario=sc,
            routes=MappingProxyType({k: tuple(v) for k, v in routes.items()}),
            hash=hashlib.sha256(f"{full.hash}:{sc.id}".encode()).hexdigest(),
            full=full,
        )
        return derived

    def scenario_named(self, name: str | None) -> Story:
        """``with_scenario`` for a name a person typed: raises ValueError with a one-line message."""
        full = self.full or self
        if name is None or name in full.scenarios:
            return self.with_scenario(name)
        if not full.scenarios:
            raise ValueError(f'unknown scenario "{name}": this story has no scenarios')
        known = ", ".join(full.scenarios)
        raise ValueError(f'unknown scenario "{name}"{did_you_mean(name, full.scenarios)} (scenarios: {known})')

    def stats(self) -> dict[str, int]:
        return {
            "nodes": len(self.nodes),
            "choices": sum(len(n.choices) for n in self.nodes.values()),
            "endings": len(self.endings),
            "meters": len(self.meters),
            "flags": len(self.flags),
            "events": len(self.events),
            "key_decisions": sum(1 for n in self.nodes.values() if n.key),
            "glossary": len(self.glossary),
            "characters": len(self.characters),
            "scenarios": len(self.scenarios),
            "sources": len(self.sources),
            "words": self.words,
            "files": len(self.files),
        }


def _scope(story: Story, start: str, stops: set[str]) -> tuple[set[str], set[str], set[str]]:
    """What a game from ``start`` can reach when reaching a node of ``stops`` ends it.

    Returns (nodes, event ids, endings and other targets): a walk along
    choices and outcomes, joined by the events that can fire on the way into
    a node reached (or anywhere, without ``before``), and their gotos. Every
    ending a meter's threshold names is reachable from anywhere.
    """
    targets = {t.ending for m in story.meters for t in m.thresholds}
    nodes: set[str] = set()
    fired: set[str] = set()
    todo = [start]
    while todo:
        while todo:
            here = todo.pop()
            if here in nodes or here in stops:
                continue
            node = story.nodes.get(here)
            if node is None:
                targets.add(here)
                continue
            nodes.add(here)
            for c in node.choices:
                todo.extend(c.targets)
        for e in story.events:
            if e.id not in fired and (not e.before or e.before & nodes):
                fired.add(e.id)
                if e.goto is not None:
                    todo.append(e.goto)
    return nodes, fired, targets
