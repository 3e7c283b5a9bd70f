"""The compiled, immutable story.

A :class:`Story` is built once by the loader and never changes. Meters and
flags are addressed by index in the engine's hot loop; ids stay the stable
names used by saves, transcripts and reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from .conditions import Expr
from .diagnostics import Pos
from .text import Template

Basis = Literal["reported", "hypothetical", "mixed"]


@dataclass(frozen=True, slots=True)
class Meta:
    id: str
    title: str
    version: str
    start: str
    facts_as_of: str
    content_note: str
    premise: str = ""
    authors: tuple[str, ...] = ()
    license: str = ""


@dataclass(frozen=True, slots=True)
class Threshold:
    below: int | None
    above: int | None
    ending: str
    warning: str
    warn_within: int
    pos: Pos

    def crossed(self, value: int) -> bool:
        if self.below is not None:
            return value < self.below
        assert self.above is not None
        return value > self.above

    def near(self, value: int) -> bool:
        if self.below is not None:
            return value < self.below + self.warn_within
        assert self.above is not None
        return value > self.above - self.warn_within


@dataclass(frozen=True, slots=True)
class Meter:
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
    id: str
    description: str
    start: bool
    pos: Pos


# an effect is (meter index, delta); a flag change is (flag index, value)
Effects = tuple[tuple[int, int], ...]
Sets = tuple[tuple[int, bool], ...]


@dataclass(frozen=True, slots=True)
class Advisor:
    role: str
    says: str
    cond: Expr | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Outcome:
    id: str
    weight: Expr
    text: str
    effects: Effects
    sets: Sets
    goto: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Choice:
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
    id: str
    title: str
    basis: Basis
    sources: tuple[str, ...]
    text: Template
    debrief: str
    questions: tuple[str, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    definition: str
    source: str | None


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    publisher: str
    date: str
    url: str
    note: str


@dataclass(frozen=True)
class Story:
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

    def is_ending(self, target: str) -> bool:
        return target in self.endings

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
            "sources": len(self.sources),
            "words": self.words,
            "files": len(self.files),
        }
