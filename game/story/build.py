"""Compile validated records into a Story, one section at a time.

:func:`build_story` takes the records the spec validated (one per file) and
calls one small builder per section (story, meters, flags, characters,
nodes, events, endings, scenarios, glossary, sources), each of which
resolves references, compiles conditions and text, and reports what does not
fit. A reference to an object that could not be read (or to an id defined in
a file that could not be parsed) is not reported as unknown: it is counted
as a follow-on error of the problem that explains it (see :class:`spec.Ctx`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from yaml.nodes import ScalarNode

from .codes import CODES, problem
from .conditions import ConditionError, Expr, Getter, StateView, Symbol, Type, compile_expr, names
from .diagnostics import Pos, Problem, did_you_mean
from .drafts import quick
from .model import (
    Advisor,
    Basis,
    Character,
    Choice,
    Effects,
    Ending,
    Event,
    Flag,
    Meta,
    Meter,
    Node,
    Outcome,
    Scenario,
    ScenarioEnd,
    Sets,
    Source,
    Story,
    Term,
    Threshold,
)
from .spec import Ctx, Entries, Located, Rec
from .text import DEFAULT_PLAYER, Template, TemplateError, compile_template, word_count
from .yamlsafe import mark_pos, position_in

SECTIONS = ("characters", "scenarios", "meters", "flags", "nodes", "events", "endings", "glossary", "sources")
# ids a condition can name share one namespace
NAMESPACE = ("meters", "flags", "nodes", "events", "endings")


# the records a big story makes by the ten thousand, made through drafts (see .drafts)
_Pos, _Node, _Choice, _Outcome, _Advisor = quick(Pos), quick(Node), quick(Choice), quick(Outcome), quick(Advisor)


class Symbols(Mapping[str, Symbol]):
    """Names conditions may read. Node and event ids count visits; the first
    reference to one adds it to the state's counted ids."""

    def __init__(
        self, meters: Mapping[str, int], flags: Mapping[str, int], countable: set[str], always_counted: Sequence[str] = ()
    ) -> None:
        self.fixed: dict[str, Symbol] = {"turn": Symbol("number", _turn)}
        for mid, i in meters.items():
            self.fixed[mid] = Symbol("number", _meter_getter(i))
        for fid, i in flags.items():
            self.fixed[fid] = Symbol("bool", _flag_getter(i))
        self.countable = countable
        self.counted: dict[str, Symbol] = {}
        self.order: list[str] = []
        for name in always_counted:
            self[name]

    def __getitem__(self, name: str) -> Symbol:
        sym = self.fixed.get(name) or self.counted.get(name)
        if sym is not None:
            return sym
        if name in self.countable:
            index = len(self.order)
            self.order.append(name)
            sym = Symbol("number", _count_getter(index))
            self.counted[name] = sym
            return sym
        raise KeyError(name)

    def get(self, name: str, default: Symbol | None = None) -> Symbol | None:  # type: ignore[override]
        # Mapping.get goes through __getitem__ and a KeyError: templates ask for every {name}
        sym = self.fixed.get(name)
        if sym is not None:
            return sym
        try:
            return self[name]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        yield from self.fixed
        yield from self.countable

    def __len__(self) -> int:
        return len(self.fixed) + len(self.countable)


def _turn(s: StateView) -> int:
    return s.turn


def _meter_getter(i: int) -> Getter:
    return lambda s: s.meters[i]


def _flag_getter(i: int) -> Getter:
    return lambda s: s.flags[i]


def _count_getter(i: int) -> Getter:
    return lambda s: s.counts[i]


class Builder:
    """What the section builders share: problems, the ids known so far, the
    compiled expressions, and the file text for positions inside scalars."""

    def __init__(self, root: Path, ctx: Ctx, file_data: Mapping[str, bytes]) -> None:
        self.root = root
        self.ctx = ctx
        self.file_data = file_data
        self.file_lines: dict[str, list[str]] = {}
        ctx.lines = self.lines
        self.compiled: dict[tuple[str, str], Expr] = {}  # condition text and type -> compiled (errors are not kept)
        self.meter_index: dict[str, int] = {}
        self.flag_index: dict[str, int] = {}
        self.node_ids: set[str] = set()
        self.ending_ids: set[str] = set()
        self._targets: set[str] | None = None
        self.source_index: dict[str, Rec] = {}
        self.symbols = Symbols({}, {}, set())
        self.player_default = DEFAULT_PLAYER
        self.texts: list[str] = []  # the story's words: scene, event and ending text, choices, advisors, debriefs
        self.unread: list[str] = []  # files that could not be parsed

    # -- reporting
    def report(self, key: str, pos: Pos, /, **fields: object) -> None:
        self.ctx.problems.append(problem(key, pos, **fields))

    def refer(self, key: str, pos: Pos, unknown: str, /, **fields: object) -> None:
        """Report a reference to an unknown id, unless the id belongs to an
        object that could not be read: then it is a follow-on error."""
        root = self.ctx.broken.get(unknown)
        if root is not None:
            self.ctx.fold(root)
        else:
            self.report(key, pos, **fields)

    def lines(self, file: str) -> list[str]:
        if file not in self.file_lines:
            self.file_lines[file] = self.file_data.get(file, b"").decode("utf-8", "replace").splitlines()
        return self.file_lines[file]

    def offset_pos(self, node: ScalarNode, offset: int) -> Pos:
        """Position of character ``offset`` of a scalar's value."""
        return position_in(node, offset, self.lines(node.start_mark.name))

    # -- conditions and text
    def expr(self, loc: Located | None, want: Type) -> Expr | None:
        if loc is None:
            return None
        text = loc.value
        key = (text, want)
        cached = self.compiled.get(key)
        if cached is not None:  # the same text compiles to the same closure: stories repeat "us >= 50"
            return cached
        try:
            expr = compile_expr(text, self.symbols, want, self.suggest)
        except ConditionError as exc:
            root = self.ctx.broken.get(exc.unknown) if exc.unknown else None
            if root is not None:
                self.ctx.fold(root)
            else:
                self.ctx.problems.append(problem_at(exc.code, exc.message, self.offset_pos(loc.node, exc.column - 1)))
            return None
        self.compiled[key] = expr
        return expr

    def template(self, rec: Rec, name: str) -> Template:
        text = rec.text(name)
        try:
            template = compile_template(
                text, self.symbols, self.suggest, player_default=self.player_default, compiled=self.compiled
            )
        except TemplateError as exc:
            root = self.ctx.broken.get(exc.unknown) if exc.unknown else None
            node = rec.node(name)
            if root is not None:
                self.ctx.fold(root)
            else:
                pos = self.offset_pos(node, exc.offset) if node is not None else rec.at(name)
                self.ctx.problems.append(problem_at(exc.code, exc.message, pos))
            template = Template(text, (text,))
        self.texts.append(template.all_text())
        return template

    def suggest(self, name: str) -> str:
        return did_you_mean(name, list(self.symbols))

    def effects(self, rec: Rec) -> Effects:
        """Meter changes: (meter index, delta); an unknown meter is an R002."""
        return cast(Effects, self._changes(rec.table("effects"), self.meter_index, "R002"))

    def sets(self, rec: Rec) -> Sets:
        """Flag changes: (flag index, value); an unknown flag is an R003."""
        return cast(Sets, self._changes(rec.table("set"), self.flag_index, "R003"))

    def _changes(self, table: Entries, index: Mapping[str, int], key: str) -> tuple[tuple[int, object], ...]:
        out: list[tuple[int, object]] = []
        for name, (value, mark) in table.items():
            i = index.get(name)
            if i is None:
                self.refer(key, mark_pos(mark), name, id=name, hint=did_you_mean(name, index))
                continue
            out.append((i, value))
        return tuple(out)

    def targets(self) -> set[str]:
        """Node and ending ids, for messages about a wrong goto (built once)."""
        if self._targets is None:
            self._targets = self.node_ids | self.ending_ids
        return self._targets

    def target(self, rec: Rec, name: str) -> str | None:
        """A goto: the id of a node or an ending."""
        target = rec.opt_text(name)
        if target is None:
            return None
        if target not in self.node_ids and target not in self.ending_ids:
            self.refer("R001", rec.at(name), target, id=target, hint=did_you_mean(target, self.targets()))
        return target

    def source_ids(self, rec: Rec) -> tuple[str, ...]:
        ids = tuple(rec.texts("sources"))
        for sid in ids:
            if sid not in self.source_index:
                self.refer("R004", rec.at("sources"), sid, id=sid, hint=did_you_mean(sid, self.source_index))
        return ids

    def constant(self, expr: Expr | None) -> int | None:
        """The value of an expression that reads nothing (``20``, ``"5 * 4"``), else None."""
        if expr is None or names(expr.tree):
            return None
        value = expr.evaluate(cast(StateView, None))  # reads no name, so no state is touched
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def problem_at(code: str, message: str, pos: Pos) -> Problem:
    """A problem whose message the condition or text language built (from the registry)."""
    return Problem(code, message, pos, CODES[code].severity)


# ---------------------------------------------------------------- sections
@dataclass
class Sections:
    """Every file's records, gathered by section (in file order)."""

    metas: list[Rec] = field(default_factory=list)
    lists: dict[str, list[Rec]] = field(default_factory=lambda: {k: [] for k in SECTIONS})

    def __getitem__(self, key: str) -> list[Rec]:
        return self.lists[key]


def collect(recs: Sequence[Rec]) -> Sections:
    out = Sections()
    for rec in recs:
        meta = rec.values.get("story")
        if isinstance(meta, Rec):
            out.metas.append(meta)
        for key in SECTIONS:
            out.lists[key].extend(rec.recs(key))
    return out


def unique_ids(b: Builder, sections: Sections) -> dict[str, list[Rec]]:
    """Report duplicate ids (one namespace for what conditions name; sources
    apart) and return each section's records with the first of each id."""
    seen: dict[str, Pos] = {}
    out: dict[str, list[Rec]] = {}
    for key in NAMESPACE:
        kept = out[key] = []
        for rec in sections[key]:
            rid = rec.id
            if rid in seen:
                b.report("S010", rec.at("id"), id=rid, first=seen[rid])
                continue
            seen[rid] = rec.at("id")
            kept.append(rec)
    src_seen: dict[str, Pos] = {}
    for rec in sections["sources"]:
        sid = rec.id
        if sid in src_seen:
            b.report("S010.kind", rec.at("id"), kind="source", id=sid, first=src_seen[sid])
            continue
        src_seen[sid] = rec.at("id")
    return out


def build_meta(b: Builder, sections: Sections, files: Sequence[str]) -> Meta | None:
    """The story: section, exactly one; its start must be a node."""
    if not sections.metas:
        if b.ctx.story_lost is not None:
            b.ctx.fold(b.ctx.story_lost)
        else:
            b.report("S020", Pos(files[0] if files else str(b.root)))
        return None
    first = sections.metas[0]
    for extra in sections.metas[1:]:
        b.report("S021", extra.pos, first=first.pos)
    start = first.text("start")
    if start not in b.node_ids:
        if start in b.ending_ids:
            b.report("R005.ending", first.at("start"), id=start)
        else:
            b.refer("R005", first.at("start"), start, id=start, hint=did_you_mean(start, b.node_ids))
    return Meta(
        first.text("id"),
        first.text("title"),
        first.text("version"),
        start,
        first.text("facts_as_of"),
        first.text("content_note"),
        first.text("premise"),
        tuple(first.texts("authors")),
        first.text("license"),
        first.text("player_default", DEFAULT_PLAYER),
    )


def build_meters(b: Builder, recs: Sequence[Rec]) -> tuple[Meter, ...]:
    meters = []
    for r in recs:
        lo, hi, start = r.number("min", 0), r.number("max", 100), r.number("start")
        if lo >= hi:
            b.report("S005.range", r.at("min") if "min" in r.values else r.pos, lo=lo, hi=hi)
        elif not lo <= start <= hi:
            b.report("S005.start", r.at("start"), start=start, lo=lo, hi=hi)
        thresholds = tuple(_threshold(b, r.id, t, lo, hi, start) for t in r.recs("thresholds"))
        meters.append(Meter(r.id, r.text("label"), r.text("description"), start, lo, hi, thresholds, r.pos))
    return tuple(meters)


def _threshold(b: Builder, meter: str, t: Rec, lo: int, hi: int, start: int) -> Threshold:
    ending = t.text("ending")
    if ending not in b.ending_ids:
        b.refer("R001.ending", t.at("ending"), ending, id=ending, hint=did_you_mean(ending, b.ending_ids))
    below, above = t.opt_number("below"), t.opt_number("above")
    levels = sorted((w.number("within"), w.text("text")) for w in t.recs("warnings"))
    if levels:  # a warning that escalates: the outermost level is the warning
        for name in ("warning", "warn_within"):
            if name in t.values:
                b.report("S004.warnings", t.at(name), name=name)
        seen: set[int] = set()
        for w in t.recs("warnings"):
            if w.number("within") in seen:
                b.report("S010.within", w.at("within"), within=w.number("within"))
            seen.add(w.number("within"))
        th = Threshold(below, above, ending, levels[-1][1], levels[-1][0], t.pos, tuple(levels))
    else:
        th = Threshold(below, above, ending, t.text("warning"), t.number("warn_within", 15), t.pos)
    side, value = ("below", below) if below is not None else ("above", above)
    assert value is not None
    where = t.at(side)
    if lo < hi:  # a meter whose range does not fit is reported already
        fields = {"side": side, "value": value, "meter": meter, "lo": lo, "hi": hi}
        if not (th.crossed(lo) or th.crossed(hi)):  # strict: below 0 with min 0 is never crossed
            b.report("S008.never", where, **fields)
        elif th.crossed(lo) and th.crossed(hi):
            b.report("S008.always", where, **fields)
        elif lo <= start <= hi and th.crossed(start):
            b.report("S008.start", where, start=start, **fields)
    return th


def build_flags(b: Builder, recs: Sequence[Rec]) -> tuple[Flag, ...]:
    return tuple(Flag(r.id, r.text("description"), r.flag("start"), r.pos) for r in recs)


def build_characters(b: Builder, recs: Sequence[Rec]) -> dict[str, Character]:
    out: dict[str, Character] = {}
    for r in recs:
        cid = r.id
        if cid in out:
            b.report("S010.kind", r.at("id"), kind="character", id=cid, first=out[cid].pos)
            continue
        out[cid] = Character(cid, r.text("name"), r.text("role"), r.text("description"), r.at("id"))
    return out


def build_nodes(b: Builder, recs: Sequence[Rec], characters: Mapping[str, Character]) -> dict[str, Node]:
    # the hot loop of a big story: each record's values are read from its
    # dict directly (the spec has checked their types)
    nodes: dict[str, Node] = {}
    for r in recs:
        v: dict[str, Any] = r.values
        choices: list[Choice] = []
        seen: set[str] = set()
        for c in v["choices"]:
            cid = c.values["id"]
            if cid in seen:
                line = next(x.at("id").line for x in v["choices"] if x.values["id"] == cid)
                b.report("S010.choice", c.at("id"), id=cid, node=v["id"], line=line)
                continue
            seen.add(cid)
            choices.append(build_choice(b, c))
        advisors = tuple([build_advisor(b, a, characters) for a in v.get("advisors", ())])
        b.texts.extend([a.says for a in advisors])
        nodes[v["id"]] = _Node(
            v["id"],
            v["title"],
            v.get("date", ""),
            v.get("place", ""),
            v["basis"],
            b.source_ids(r) if "sources" in v else (),
            b.template(r, "text"),
            advisors,
            v.get("key", False),
            tuple(choices),
            _rec_pos(r),
        )
    return nodes


def _goto(b: Builder, rec: Rec, v: Mapping[str, Any]) -> str | None:
    """A goto (R001 when it names nothing), read straight from the record's values."""
    goto: str | None = v.get("goto")
    if goto is None or goto in b.node_ids or goto in b.ending_ids:
        return goto
    return b.target(rec, "goto")


def _rec_pos(rec: Rec) -> Pos:
    mark = rec.mark  # Rec.pos, without the property and the call
    return _Pos(mark.name, mark.line + 1, mark.column + 1)


def build_choice(b: Builder, c: Rec) -> Choice:
    v: dict[str, Any] = c.values
    outcomes = []
    if "outcomes" in v:
        seen: set[str] = set()
        for o in v["outcomes"]:
            oid = o.values["id"]
            if oid in seen:
                b.report("S010.outcome", o.at("id"), id=oid, choice=v["id"])
            seen.add(oid)
            outcomes.append(build_outcome(b, o))
    if "locked" in v and "if" not in v:
        b.report("S012", c.at("locked"))
    text = v["text"]
    b.texts.append(text)
    return _Choice(
        v["id"],
        text,
        b.expr(v["if"], "bool") if "if" in v else None,
        v.get("locked"),
        b._changes(v["effects"], b.meter_index, "R002") if "effects" in v else (),  # type: ignore[arg-type]
        b._changes(v["set"], b.flag_index, "R003") if "set" in v else (),  # type: ignore[arg-type]
        _goto(b, c, v),
        tuple(outcomes),
        v.get("note", ""),
        _rec_pos(c),
    )


def build_outcome(b: Builder, o: Rec) -> Outcome:
    v: dict[str, Any] = o.values
    weight = b.expr(v.get("weight"), "number")
    constant = b.constant(weight)
    if constant is not None and constant < 0:
        b.report("S008.weight", o.at("weight"), value=constant)
    text = v.get("text", "")
    b.texts.append(text)
    return _Outcome(
        v["id"],
        weight or ZERO,
        text,
        b._changes(v["effects"], b.meter_index, "R002") if "effects" in v else (),  # type: ignore[arg-type]
        b._changes(v["set"], b.flag_index, "R003") if "set" in v else (),  # type: ignore[arg-type]
        _goto(b, o, v) or "",
        _rec_pos(o),
    )


def build_advisor(b: Builder, a: Rec, characters: Mapping[str, Character]) -> Advisor:
    v: dict[str, Any] = a.values
    who: str | None = v.get("who")
    role: str | None = v.get("role")
    if who is not None:
        character = characters.get(who)
        if character is None:
            b.refer("R006", a.at("who"), who, id=who, hint=did_you_mean(who, characters))
        elif role is None:
            role = character.role
    return _Advisor(role or "", v.get("says", ""), b.expr(v.get("if"), "bool"), _rec_pos(a), who)


def build_events(b: Builder, recs: Sequence[Rec]) -> tuple[Event, ...]:
    events = []
    for r in recs:
        before = frozenset(r.texts("before"))
        for nid in sorted(before):
            if nid in b.ending_ids:
                b.report("R001.before_ending", r.at("before"), id=nid)
            elif nid not in b.node_ids:
                b.refer("R001.before", r.at("before"), nid, id=nid, hint=did_you_mean(nid, b.node_ids))
        chance = b.expr(r.expr("chance"), "number")
        constant = b.constant(chance)
        if constant is not None and not 0 <= constant <= 100:
            b.report("S008.chance", r.at("chance"), value=constant)
        events.append(
            Event(
                r.id,
                r.text("title"),
                cast(Basis, r.text("basis")),
                b.source_ids(r),
                b.template(r, "text"),
                b.expr(r.expr("if"), "bool"),
                chance or ZERO,
                before,
                r.flag("once", True),
                b.effects(r),
                b.sets(r),
                b.target(r, "goto"),
                r.pos,
            )
        )
    return tuple(events)


def build_endings(b: Builder, recs: Sequence[Rec], scenario_ids: set[str]) -> tuple[dict[str, Ending], dict[str, Ending]]:
    """The story's endings, and the endings that belong to a scenario."""
    endings: dict[str, Ending] = {}
    scenario_endings: dict[str, Ending] = {}
    for r in recs:
        scenario = r.opt_text("scenario")
        if scenario is not None and scenario not in scenario_ids:
            b.refer("R007.scenario", r.at("scenario"), scenario, id=scenario, hint=did_you_mean(scenario, scenario_ids))
        b.texts.append(r.text("debrief"))
        ending = Ending(
            r.id,
            r.text("title"),
            cast(Basis, r.text("basis")),
            b.source_ids(r),
            b.template(r, "text"),
            r.text("debrief"),
            tuple(r.texts("questions")),
            r.pos,
            scenario,
        )
        (scenario_endings if scenario is not None else endings)[ending.id] = ending
    return endings, scenario_endings


def build_scenarios(b: Builder, recs: Sequence[Rec], scenario_endings: Mapping[str, Ending]) -> dict[str, Scenario]:
    out: dict[str, Scenario] = {}
    for r in recs:
        sid = r.id
        if sid in out:
            b.report("S010.kind", r.at("id"), kind="scenario", id=sid, first=out[sid].pos)
            continue
        start = r.text("start")
        if start not in b.node_ids:
            b.refer("R007.start", r.at("start"), start, scenario=sid, id=start, hint=did_you_mean(start, b.node_ids))
        end_recs = r.recs("ends")
        ends = [_scenario_end(b, sid, e, scenario_endings) for e in end_recs]
        # whether each end has an if: as written (one that could not be compiled, naming a flag
        # of a file that did not load, say, is still conditional: no error follows from it)
        by_node: dict[str, list[tuple[ScenarioEnd, bool]]] = {}
        for end, e in zip(ends, end_recs, strict=True):
            by_node.setdefault(end.at, []).append((end, e.expr("if") is not None))
        for at, group in by_node.items():
            for end, conditional in group[:-1]:
                if not conditional:
                    b.report("S013.unused", end.pos, at=at)
            last, conditional = group[-1]
            if conditional:
                b.report("S013.last", last.pos, at=at)
        out[sid] = Scenario(sid, r.text("title"), r.text("description"), start, tuple(ends), r.pos)
    return out


def _scenario_end(b: Builder, sid: str, e: Rec, scenario_endings: Mapping[str, Ending]) -> ScenarioEnd:
    at, ending = e.text("at"), e.text("ending")
    if at not in b.node_ids:
        if at in b.ending_ids:
            b.report("R007.at", e.at("at"), id=at, hint=" (it is an ending)")
        else:
            b.refer("R007.at", e.at("at"), at, id=at, hint=did_you_mean(at, b.node_ids))
    found = scenario_endings.get(ending)
    if found is None:
        if ending in b.ending_ids:
            b.report("S013.full", e.at("ending"), ending=ending, scenario=sid)
        else:
            mine = [k for k, v in scenario_endings.items() if v.scenario == sid]
            b.refer("R007.ending", e.at("ending"), ending, id=ending, scenario=sid, hint=did_you_mean(ending, mine))
    elif found.scenario != sid:
        b.report("S013.other", e.at("ending"), ending=ending, owner=found.scenario, scenario=sid)
    return ScenarioEnd(at, ending, b.expr(e.expr("if"), "bool"), e.pos)


def build_glossary(b: Builder, recs: Sequence[Rec]) -> tuple[Term, ...]:
    glossary = []
    for r in recs:
        sid = r.opt_text("source")
        if sid is not None and sid not in b.source_index:
            b.refer("R004", r.at("source"), sid, id=sid, hint=did_you_mean(sid, b.source_index))
        glossary.append(Term(r.text("term"), r.text("definition"), sid))
    return tuple(glossary)


def build_sources(b: Builder, recs: Sequence[Rec]) -> dict[str, Source]:
    return {
        r.id: Source(r.id, r.text("title"), r.text("publisher"), r.text("date"), r.text("url"), r.text("note"), r.pos)
        for r in recs
    }


ZERO = compile_expr("0", {}, "number")


# ---------------------------------------------------------------- the story
def build_story(b: Builder, recs: Sequence[Rec], digest: str, files: Sequence[str]) -> Story | None:
    """Every section, in the order references need them."""
    sections = collect(recs)
    if not sections.metas and b.unread:
        return None  # a file that could not be read may hold the story section
    kept = unique_ids(b, sections)
    b.meter_index = {r.id: i for i, r in enumerate(kept["meters"])}
    b.flag_index = {r.id: i for i, r in enumerate(kept["flags"])}
    b.node_ids = {r.id for r in kept["nodes"]}
    b.ending_ids = {r.id for r in kept["endings"]}
    b.source_index = {r.id: r for r in sections["sources"]}
    event_ids = [r.id for r in kept["events"]]
    # events are always counted ("once" needs it); nodes only when read
    b.symbols = Symbols(b.meter_index, b.flag_index, b.node_ids | set(event_ids), event_ids)
    meta = build_meta(b, sections, files)
    if meta is None:
        return None
    b.player_default = meta.player_default
    meters = build_meters(b, kept["meters"])
    flags = build_flags(b, kept["flags"])
    characters = build_characters(b, sections["characters"])
    nodes = build_nodes(b, kept["nodes"], characters)
    events = build_events(b, kept["events"])
    scenario_ids = {r.id for r in sections["scenarios"]}
    endings, scenario_endings = build_endings(b, kept["endings"], scenario_ids)
    glossary = build_glossary(b, sections["glossary"])
    sources = build_sources(b, sections["sources"])
    scenarios = build_scenarios(b, sections["scenarios"], scenario_endings)
    return Story(
        meta=meta,
        meters=meters,
        flags=flags,
        nodes=MappingProxyType(nodes),
        events=events,
        endings=MappingProxyType(endings),
        glossary=glossary,
        sources=MappingProxyType(sources),
        counted=tuple(b.symbols.order),
        root=b.root,
        files=tuple(files),
        hash=digest,
        words=count_words(b.texts),
        meter_index=MappingProxyType(dict(b.meter_index)),
        flag_index=MappingProxyType(dict(b.flag_index)),
        count_index=MappingProxyType({cid: i for i, cid in enumerate(b.symbols.order)}),
        characters=MappingProxyType(characters),
        scenarios=MappingProxyType(scenarios),
        scenario_endings=MappingProxyType(scenario_endings),
    )


def count_words(texts: Sequence[str], chunk: int = 1000) -> int:
    """The words of many texts, counted a thousand texts at a time (a newline
    joins no two words): a big story's whole text joined, encoded and
    translated at once would be three copies of it at the check's busiest
    moment for memory."""
    return sum(word_count("\n".join(texts[at : at + chunk])) for at in range(0, len(texts), chunk))


# an id defined in a file that could not be parsed (``id: a1_cable``, ``{id: x``)
_DEFINED_ID = re.compile(r"(?:^|[\s{,\[-])id\s*:\s*[\"']?([a-z][a-z0-9_]{0,63})\b", re.M)


def ids_defined_in(text: str) -> list[str]:
    """The ids a file that could not be parsed seems to define (for folding
    the references to them into the file's problem)."""
    return _DEFINED_ID.findall(text)
