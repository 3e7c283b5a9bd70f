"""Read a story folder, check it, and compile it into an immutable Story.

``check_story`` never raises for problems in the story: it returns every
problem found (errors and warnings) with stable codes and positions.
``load_story`` raises :class:`StoryError` when there are errors.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import spec
from .conditions import ConditionError, Expr, Symbol, compile_expr, names
from .dates import parse_span, runs_backwards
from .diagnostics import Pos, Problem, StoryError, did_you_mean, suggestion_budget
from .model import (
    Advisor,
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
from .spec import Located, Rec
from .text import Template, TemplateError, clean_line, compile_template, word_count
from .yamlsafe import YamlProblem, YScalar, compose, decode, read_bytes

MAX_FILES = 1000
MAX_ENTRIES = 20_000  # files and folders looked at under a story folder
MAX_DEPTH = 16  # folder nesting
MAX_TOTAL_BYTES = 64 * 1024 * 1024
RESERVED = {"turn", "player", "and", "or", "not", "true", "false", "if", "else", "end"}
EXTENSIONS = (".yaml", ".yml")


@dataclass
class CheckResult:
    story: Story | None
    problems: list[Problem] = field(default_factory=list)
    fatal: bool = False  # the check could not run (exit code 2)
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return 2
        return 1 if self.errors else 0


# stories kept by keep_loaded(), by the folder path as given
_KEPT: dict[Path, Story] = {}


def load_story(root: str | Path) -> Story:
    """Load and compile a story; raise StoryError listing every error.

    A story kept by :func:`keep_loaded` for the same path is returned as it
    is while its files hold the same bytes.
    """
    kept = _KEPT.get(Path(root))
    if kept is not None and content_hash(Path(root)) == kept.hash:
        return kept
    result = check_story(root)
    if result.story is None or result.errors:
        raise StoryError(result.errors or result.problems)
    return result.story


def keep_loaded(root: str | Path) -> Story:
    """Load a story and keep it for the life of this process and of the processes forked from it.

    Later ``load_story`` calls for the same path reuse it as long as its
    files hold the same bytes: their content hash is compared, which costs
    reading the files, about a hundredth of a load. ``tightrope serve``'s warm
    process keeps the story it serves, so that no forked game loads it again.
    """
    story = load_story(root)
    _KEPT[Path(root)] = story
    return story


def content_hash(root: Path) -> str | None:
    """The hash a load of root would give its story (Story.hash), or None if its files cannot be read."""
    digest = hashlib.sha256()
    problems: list[Problem] = []
    try:
        for path, display in story_files(root, problems):
            _hash_file(digest, root, path, read_bytes(path, display))
    except (YamlProblem, OSError):
        return None
    return digest.hexdigest()


def _hash_file(digest: Any, root: Path, path: Path, data: bytes) -> None:
    digest.update(os.fsencode(path.relative_to(root)) + b"\0" + data + b"\0")


def _yaml_paths(root: Path, problems: list[Problem]) -> list[Path]:
    """Every *.yaml/*.yml name under root, hidden names skipped, symlinked
    folders not entered; iterative and bounded in depth and entries, so a
    hostile folder tree cannot exhaust the stack or take forever."""
    found: list[Path] = []
    todo: list[tuple[Path, int]] = [(root, 0)]
    entries = 0
    while todo:
        folder, depth = todo.pop()
        try:
            with os.scandir(folder) as it:
                listing = list(it)
        except OSError as exc:
            problems.append(Problem("Y100", f"cannot read folder: {exc.strerror}", Pos(_display(root, folder))))
            continue
        for entry in listing:
            entries += 1
            if entries > MAX_ENTRIES:
                problems.append(Problem("Y015", f"the story folder holds more than {MAX_ENTRIES:,} entries", Pos(str(root))))
                return sorted(found)
            if entry.name.startswith("."):
                continue
            path = folder / entry.name
            if entry.name.endswith(EXTENSIONS):
                found.append(path)
            elif entry.is_dir(follow_symlinks=False):
                if depth + 1 > MAX_DEPTH:
                    problems.append(
                        Problem("Y015", f"folders nest more than {MAX_DEPTH} levels deep; not read", Pos(_display(root, path)))
                    )
                    continue
                todo.append((path, depth + 1))
    return sorted(found)


def story_files(root: Path, problems: list[Problem]) -> list[tuple[Path, str]]:
    """The YAML files of a story folder, sorted, each with its display name."""
    out: list[tuple[Path, str]] = []
    real_root = root.resolve()
    for path in _yaml_paths(root, problems):
        display = _display(root, path)
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            problems.append(Problem("Y012", "broken or looping link", Pos(display)))
            continue
        if real != real_root and real_root not in real.parents:
            problems.append(Problem("Y012", "link points outside the story folder; it is not read", Pos(display)))
            continue
        if path.is_dir():
            problems.append(Problem("Y014", "expected a YAML file here, found a folder", Pos(display)))
            continue
        if not path.is_file():
            problems.append(Problem("Y014", "not a regular file", Pos(display)))
            continue
        out.append((path, display))
        if len(out) > MAX_FILES:
            problems.append(Problem("Y015", f"a story may have at most {MAX_FILES} files", Pos(_display(root, root))))
            break
    return out


def _display(root: Path, path: Path) -> str:
    try:
        return str(root / path.relative_to(root)) if root != Path(".") else str(path)
    except ValueError:
        return str(path)


class _Symbols(Mapping[str, Symbol]):
    """Names conditions may read. Node and event ids count visits; the first
    reference to one adds it to the state's counted ids."""

    def __init__(
        self, meters: dict[str, int], flags: dict[str, int], countable: set[str], always_counted: Sequence[str] = ()
    ) -> None:
        self.fixed: dict[str, Symbol] = {"turn": Symbol("number", lambda s: s.turn)}
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

    def __iter__(self) -> Iterator[str]:
        yield from self.fixed
        yield from self.countable

    def __len__(self) -> int:
        return len(self.fixed) + len(self.countable)


def _meter_getter(i: int) -> Callable[[Any], Any]:
    return lambda s: s.meters[i]


def _flag_getter(i: int) -> Callable[[Any], Any]:
    return lambda s: s.flags[i]


def _count_getter(i: int) -> Callable[[Any], Any]:
    return lambda s: s.counts[i]


class _Builder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        # what positions inside text need, kept as read and indexed only when
        # a problem needs them (most loads have none)
        self.file_data: dict[str, bytes] = {}
        self.file_lines: dict[str, list[str]] = {}
        self.scalar_index: dict[str, dict[tuple[int, int], YScalar]] = {}
        self.compiled: dict[tuple[str, str], Expr] = {}  # condition text and type -> compiled (errors are not kept)
        self.meter_index: dict[str, int] = {}
        self.flag_index: dict[str, int] = {}
        self.node_ids: set[str] = set()
        self.ending_ids: set[str] = set()
        self._targets: set[str] | None = None
        self.source_index: dict[str, Rec] = {}
        self.symbols = _Symbols({}, {}, set())
        self.broken_ids: set[str] = set()

    # -- reporting
    def error(self, code: str, message: str, pos: Pos) -> None:
        self.problems.append(Problem(code, message, pos))

    def warn(self, code: str, message: str, pos: Pos) -> None:
        self.problems.append(Problem(code, message, pos, "warning"))

    # -- positions inside scalars
    def offset_pos(self, loc: Located, offset: int) -> Pos:
        """Position of character ``offset`` of a scalar's value."""
        node = loc.node
        pos = loc.pos
        if node is None:
            return pos
        value = str(node.value)
        if node.style in ("|", ">"):
            line = pos.line + 1 + value.count("\n", 0, offset)
            lines = self.lines(pos.file)
            indent = 0
            if 0 < line <= len(lines):
                text_line = lines[line - 1]
                indent = len(text_line) - len(text_line.lstrip(" "))
            col = indent + offset - (value.rfind("\n", 0, offset) + 1) + 1
            return Pos(pos.file, line, col)
        if "\n" in value[:offset]:
            return Pos(pos.file, pos.line + value.count("\n", 0, offset), pos.column)
        quote = 1 if node.style in ("'", '"') else 0
        return Pos(pos.file, pos.line, pos.column + quote + offset)

    # -- conditions and text
    def expr(self, loc: Located | None, want: str) -> Expr | None:
        if loc is None:
            return None
        key = (loc.value, want)
        cached = self.compiled.get(key)
        if cached is not None:  # the same text compiles to the same closure: stories repeat "us >= 50"
            return cached
        try:
            expr = compile_expr(loc.value, self.symbols, want, self.suggest)  # type: ignore[arg-type]
            self.compiled[key] = expr
            return expr
        except ConditionError as exc:
            self.error(exc.code, exc.message, self.offset_pos(loc, exc.column - 1))
            return None

    def lines(self, file: str) -> list[str]:
        if file not in self.file_lines:
            self.file_lines[file] = self.file_data.get(file, b"").decode("utf-8", "replace").splitlines()
        return self.file_lines[file]

    def scalar_at(self, pos: Pos) -> YScalar | None:
        """The text scalar that starts at pos, for positions inside it. Only a
        problem needs it, so the file is composed again then rather than
        keeping every tree of every load in memory."""
        index = self.scalar_index.get(pos.file)
        if index is None:
            index = {}
            try:
                _collect_scalars(compose(self.file_data[pos.file].decode("utf-8"), pos.file), index)
            except (KeyError, UnicodeDecodeError, YamlProblem):
                pass
            self.scalar_index[pos.file] = index
        return index.get((pos.line, pos.column))

    def template(self, rec: Rec, name: str) -> Template:
        text = rec.get(name, "")
        try:
            return compile_template(text, self.symbols, self.suggest)
        except TemplateError as exc:
            loc = Located(text, rec.at(name), self.scalar_at(rec.at(name)))
            self.error(exc.code, exc.message, self.offset_pos(loc, exc.offset))
            return Template(text, (text,))

    def suggest(self, name: str) -> str:
        return did_you_mean(name, list(self.symbols))

    def effects(self, rec: Rec) -> Effects:
        out: list[tuple[int, int]] = []
        for mid, loc in (rec.get("effects") or {}).items():
            if mid not in self.meter_index:
                self.error("R002", f'unknown meter "{mid}" in effects{did_you_mean(mid, self.meter_index)}', loc.pos)
                continue
            out.append((self.meter_index[mid], loc.value))
        return tuple(out)

    def sets(self, rec: Rec) -> Sets:
        out: list[tuple[int, bool]] = []
        for fid, loc in (rec.get("set") or {}).items():
            if fid not in self.flag_index:
                self.error("R003", f'unknown flag "{fid}" in set{did_you_mean(fid, self.flag_index)}', loc.pos)
                continue
            out.append((self.flag_index[fid], loc.value))
        return tuple(out)

    def targets(self) -> set[str]:
        """Node and ending ids, for messages about a wrong goto (built once)."""
        if self._targets is None:
            self._targets = self.node_ids | self.ending_ids
        return self._targets

    def target(self, rec: Rec, name: str, nodes_only: bool = False) -> str | None:
        target = rec.get(name)
        if target is None:
            return None
        if target in self.node_ids or (not nodes_only and target in self.ending_ids):
            return str(target)
        if target not in self.broken_ids:
            pool = self.node_ids if nodes_only else self.targets()
            kind = "node" if nodes_only else "node or ending"
            self.error("R001", f'"{target}" is not a {kind} of this story{did_you_mean(target, pool)}', rec.at(name))
        return str(target)

    def source_ids(self, rec: Rec) -> tuple[str, ...]:
        ids = tuple(rec.get("sources") or ())
        for sid in ids:
            if sid not in self.source_index:
                self.error("R004", f'unknown source "{sid}"{did_you_mean(sid, self.source_index)}', rec.at("sources"))
        return ids


def _collect_scalars(node: Any, out: dict[tuple[int, int], YScalar]) -> None:
    from .yamlsafe import YMap, YSeq

    if isinstance(node, YScalar):
        if isinstance(node.value, str):
            out[(node.pos.line, node.pos.column)] = node
    elif isinstance(node, YSeq):
        for item in node.items:
            _collect_scalars(item, out)
    elif isinstance(node, YMap):
        for _, value in node.items.values():
            _collect_scalars(value, out)


def check_story(root: str | Path) -> CheckResult:
    # a load makes millions of small objects and no reference cycles: the
    # cyclic collector running mid-load only costs time (half of it for a
    # story of 10,000 nodes), so it waits until the load is done
    enabled = gc.isenabled()
    gc.disable()
    try:
        with suggestion_budget():  # "did you mean" stays linear in the story's size
            return _check_story(Path(root))
    finally:
        if enabled:
            gc.enable()


def _check_story(root: Path) -> CheckResult:
    if not root.exists():
        return CheckResult(None, [Problem("F001", "no such story folder", Pos(str(root)))], fatal=True)
    if not root.is_dir():
        return CheckResult(None, [Problem("F001", "expected a story folder, found a file", Pos(str(root)))], fatal=True)
    b = _Builder(root)
    files = story_files(root, b.problems)
    if not files and not b.problems:
        return CheckResult(None, [Problem("F002", "the folder holds no .yaml story files", Pos(str(root)))], fatal=True)
    ctx = spec.Ctx()
    recs: list[Rec] = []
    digest = hashlib.sha256()
    total = 0
    fatal = False
    for path, display in files:
        try:
            data = read_bytes(path, display)
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                b.error("Y007", f"the story folder holds more than {MAX_TOTAL_BYTES:,} bytes of YAML", Pos(display))
                break
            _hash_file(digest, root, path, data)
            tree = compose(decode(data, display), display)
        except YamlProblem as exc:
            b.problems.append(exc.problem)
            if exc.problem.code == "Y100":
                fatal = True
            continue
        except OSError as exc:
            b.error("Y100", f"cannot read file: {exc.strerror}", Pos(display))
            fatal = True
            continue
        if tree is None:
            b.warn("Y016", "file is empty", Pos(display))
            continue
        b.file_data[display] = data
        if "yaml-language-server: $schema=" not in data[:400].decode("utf-8", "replace"):
            b.warn("W006", "file has no yaml-language-server schema modeline on its first line", Pos(display, 1, 1))
        rec = spec.FILE.validate(tree, ctx)
        if rec is not spec.INVALID:
            recs.append(rec)
    b.problems.extend(ctx.problems)
    b.broken_ids = ctx.broken_ids
    if fatal:
        return CheckResult(None, b.problems, fatal=True)
    story = _build(b, recs, digest.hexdigest(), [d for _, d in files])
    if story is None:
        return CheckResult(None, b.problems)
    if not [p for p in b.problems if p.severity == "error"]:
        _warnings(b, story)
    b.problems.sort(key=lambda p: (p.severity != "error", p.pos.file, p.pos.line, p.pos.column))
    return CheckResult(story if not [p for p in b.problems if p.severity == "error"] else None, b.problems, stats=story.stats())


def _build(b: _Builder, recs: list[Rec], digest: str, files: list[str]) -> Story | None:
    sections: dict[str, list[Rec]] = {
        k: [] for k in ("characters", "scenarios", "meters", "flags", "nodes", "events", "endings", "glossary", "sources")
    }
    metas: list[Rec] = []
    for rec in recs:
        if "story" in rec.values:
            metas.append(rec.values["story"])
        for key in sections:
            sections[key].extend(rec.get(key) or [])
    if not metas:
        if any(p.code.startswith("Y") and p.severity == "error" for p in b.problems):
            return None  # a file that failed to parse may hold the story section
        b.error(
            "S020",
            'no file has a "story:" section with the story\'s id, title and start node',
            Pos(files[0] if files else str(b.root)),
        )
        return None
    for extra in metas[1:]:
        b.error("S021", f'a second "story:" section (the first is at {metas[0].pos})', extra.pos)
    m = metas[0]

    # one namespace for every id a condition can name
    seen: dict[str, Pos] = {}
    for key in ("meters", "flags", "nodes", "events", "endings"):
        for rec in sections[key]:
            rid = rec.values["id"]
            if rid in RESERVED:
                b.error("S011", f'"{rid}" is a reserved word and cannot be an id', rec.at("id"))
            if rid in seen:
                b.error("S010", f'duplicate id "{rid}" (first defined at {seen[rid]})', rec.at("id"))
            else:
                seen[rid] = rec.at("id")
    src_seen: dict[str, Pos] = {}
    for rec in sections["sources"]:
        sid = rec.values["id"]
        if sid in src_seen:
            b.error("S010", f'duplicate source id "{sid}" (first defined at {src_seen[sid]})', rec.at("id"))
        src_seen[sid] = rec.at("id")

    def unique(key: str) -> list[Rec]:
        done: set[str] = set()
        out = []
        for rec in sections[key]:
            if rec.values["id"] not in done:
                done.add(rec.values["id"])
                out.append(rec)
        return out

    meter_recs, flag_recs = unique("meters"), unique("flags")
    node_recs, event_recs, ending_recs = unique("nodes"), unique("events"), unique("endings")
    b.meter_index = {r.values["id"]: i for i, r in enumerate(meter_recs)}
    b.flag_index = {r.values["id"]: i for i, r in enumerate(flag_recs)}
    b.node_ids = {r.values["id"] for r in node_recs}
    b.ending_ids = {r.values["id"] for r in ending_recs}
    b.source_index = {r.values["id"]: r for r in sections["sources"]}
    event_ids = [r.values["id"] for r in event_recs]
    # events are always counted ("once" needs it); nodes only when read
    b.symbols = _Symbols(b.meter_index, b.flag_index, b.node_ids | set(event_ids), event_ids)

    meters = []
    for r in meter_recs:
        lo, hi = r.get("min", 0), r.get("max", 100)
        if lo >= hi:
            b.error("S005", f"min ({lo}) must be below max ({hi})", r.at("min") if "min" in r.values else r.pos)
        if not lo <= r.values["start"] <= hi:
            b.error("S005", f"start ({r.values['start']}) is outside min..max ({lo}..{hi})", r.at("start"))
        ths = []
        for t in r.get("thresholds") or []:
            ending = t.values["ending"]
            if ending not in b.ending_ids:
                b.error("R001", f'"{ending}" is not an ending of this story{did_you_mean(ending, b.ending_ids)}', t.at("ending"))
            ths.append(_threshold(b, t, ending))
        meters.append(
            Meter(r.values["id"], r.values["label"], r.values["description"], r.values["start"], lo, hi, tuple(ths), r.pos)
        )
    flags = [Flag(r.values["id"], r.values["description"], r.get("start", False), r.pos) for r in flag_recs]

    start = m.values["start"]
    if start not in b.node_ids and start not in b.broken_ids:
        hint = " (it is an ending; the story must start at a node)" if start in b.ending_ids else did_you_mean(start, b.node_ids)
        b.error("R005", f'start node "{start}" is not a node of this story{hint}', m.at("start"))
    meta = Meta(
        m.values["id"],
        m.values["title"],
        m.values["version"],
        start,
        m.values["facts_as_of"],
        m.values["content_note"],
        m.get("premise", ""),
        tuple(m.get("authors") or ()),
        m.get("license", ""),
    )

    characters = _characters(b, sections["characters"])
    words = 0
    nodes: dict[str, Node] = {}
    for r in node_recs:
        choices: list[Choice] = []
        seen_choice: dict[str, Pos] = {}
        for c in r.values["choices"]:
            cid = c.values["id"]
            if cid in seen_choice:
                b.error(
                    "S010",
                    f'duplicate choice id "{cid}" in node "{r.values["id"]}" (first at line {seen_choice[cid].line})',
                    c.at("id"),
                )
                continue
            seen_choice[cid] = c.at("id")
            outcomes = []
            seen_out: set[str] = set()
            for o in c.get("outcomes") or []:
                if o.values["id"] in seen_out:
                    b.error("S010", f'duplicate outcome id "{o.values["id"]}" in choice "{cid}"', o.at("id"))
                seen_out.add(o.values["id"])
                weight = b.expr(o.values["weight"], "number")
                outcomes.append(
                    Outcome(
                        o.values["id"],
                        weight or _ZERO,
                        o.get("text", ""),
                        b.effects(o),
                        b.sets(o),
                        b.target(o, "goto") or "",
                        o.pos,
                    )
                )
                words += word_count(o.get("text", ""))
            if "locked" in c.values and "if" not in c.values:
                b.error("S012", 'a choice with "locked" needs an "if" condition', c.at("locked"))
            choices.append(
                Choice(
                    cid,
                    c.values["text"],
                    b.expr(c.get("if"), "bool"),
                    c.get("locked"),
                    b.effects(c),
                    b.sets(c),
                    b.target(c, "goto"),
                    tuple(outcomes),
                    c.get("note", ""),
                    c.pos,
                )
            )
            words += word_count(c.values["text"])
        advisors = tuple(_advisor(b, a, characters) for a in r.get("advisors") or [])
        words += sum(word_count(a.says) for a in advisors)
        text = b.template(r, "text")
        words += word_count(text.all_text())
        nodes[r.values["id"]] = Node(
            r.values["id"],
            r.values["title"],
            r.get("date", ""),
            r.get("place", ""),
            r.values["basis"],
            b.source_ids(r),
            text,
            advisors,
            r.get("key", False),
            tuple(choices),
            r.pos,
        )
    events = []
    for r in event_recs:
        before = frozenset(r.get("before") or ())
        for nid in before:
            if nid not in b.node_ids:
                b.error("R001", f'"{nid}" in before is not a node of this story{did_you_mean(nid, b.node_ids)}', r.at("before"))
        text = b.template(r, "text")
        words += word_count(text.all_text())
        events.append(
            Event(
                r.values["id"],
                r.values["title"],
                r.values["basis"],
                b.source_ids(r),
                text,
                b.expr(r.get("if"), "bool"),
                b.expr(r.values["chance"], "number") or _ZERO,
                before,
                r.get("once", True),
                b.effects(r),
                b.sets(r),
                b.target(r, "goto"),
                r.pos,
            )
        )
    endings: dict[str, Ending] = {}
    scenario_endings: dict[str, Ending] = {}
    scenario_ids = {r.values["id"] for r in sections["scenarios"]}
    for r in ending_recs:
        text = b.template(r, "text")
        words += word_count(text.all_text()) + word_count(r.values["debrief"])
        scenario = r.get("scenario")
        if scenario is not None and scenario not in scenario_ids:
            b.error(
                "R007", f'"{scenario}" is not a scenario of this story{did_you_mean(scenario, scenario_ids)}', r.at("scenario")
            )
        ending = Ending(
            r.values["id"],
            r.values["title"],
            r.values["basis"],
            b.source_ids(r),
            text,
            r.values["debrief"],
            tuple(r.values["questions"]),
            r.pos,
            scenario,
        )
        (scenario_endings if scenario is not None else endings)[ending.id] = ending
    glossary = []
    for r in sections["glossary"]:
        sid = r.get("source")
        if sid is not None and sid not in b.source_index:
            b.error("R004", f'unknown source "{sid}"{did_you_mean(sid, b.source_index)}', r.at("source"))
        glossary.append(Term(r.values["term"], r.values["definition"], sid))
    sources = {
        r.values["id"]: Source(
            r.values["id"], r.values["title"], r.get("publisher", ""), r.get("date", ""), r.get("url", ""), r.get("note", "")
        )
        for r in sections["sources"]
    }
    scenarios = _scenarios(b, sections["scenarios"], scenario_endings)
    return Story(
        meta=meta,
        meters=tuple(meters),
        flags=tuple(flags),
        nodes=MappingProxyType(nodes),
        events=tuple(events),
        endings=MappingProxyType(endings),
        glossary=tuple(glossary),
        sources=MappingProxyType(sources),
        counted=tuple(b.symbols.order),
        root=b.root,
        files=tuple(files),
        hash=digest,
        words=words,
        meter_index=MappingProxyType(dict(b.meter_index)),
        flag_index=MappingProxyType(dict(b.flag_index)),
        count_index=MappingProxyType({cid: i for i, cid in enumerate(b.symbols.order)}),
        characters=MappingProxyType(characters),
        scenarios=MappingProxyType(scenarios),
        scenario_endings=MappingProxyType(scenario_endings),
    )


def _threshold(b: _Builder, t: Rec, ending: str) -> Threshold:
    levels = sorted((w.values["within"], w.values["text"]) for w in t.get("warnings") or [])
    if levels:
        for name in ("warning", "warn_within"):
            if name in t.values:
                b.error("S004", f'threshold has both "warnings" and "{name}": give the levels in "warnings" only', t.at(name))
        seen: set[int] = set()
        for w in t.get("warnings") or []:
            if w.values["within"] in seen:
                b.error("S010", f"two warnings at within: {w.values['within']}", w.at("within"))
            seen.add(w.values["within"])
        return Threshold(t.get("below"), t.get("above"), ending, levels[-1][1], levels[-1][0], t.pos, tuple(levels))
    return Threshold(t.get("below"), t.get("above"), ending, t.get("warning", ""), t.get("warn_within", 15), t.pos)


def _characters(b: _Builder, recs: list[Rec]) -> dict[str, Character]:
    out: dict[str, Character] = {}
    for r in recs:
        cid = r.values["id"]
        if cid in out:
            b.error("S010", f'duplicate character id "{cid}" (first defined at {out[cid].pos})', r.at("id"))
            continue
        out[cid] = Character(cid, r.values["name"], r.values["role"], r.values["description"], r.at("id"))
    return out


def _advisor(b: _Builder, a: Rec, characters: Mapping[str, Character]) -> Advisor:
    who = a.get("who")
    role = a.get("role")
    if who is not None:
        character = characters.get(who)
        if character is None:
            b.error("R006", f'"{who}" is not a character of this story{did_you_mean(who, characters)}', a.at("who"))
        elif role is None:
            role = character.role
    return Advisor(role or "", a.values["says"], b.expr(a.get("if"), "bool"), a.pos, who)


def _scenarios(b: _Builder, recs: list[Rec], scenario_endings: Mapping[str, Ending]) -> dict[str, Scenario]:
    out: dict[str, Scenario] = {}
    for r in recs:
        sid = r.values["id"]
        if sid in out:
            b.error("S010", f'duplicate scenario id "{sid}" (first defined at {out[sid].pos})', r.at("id"))
            continue
        start = r.values["start"]
        if start not in b.node_ids and start not in b.broken_ids:
            b.error(
                "R007",
                f'scenario "{sid}" starts at "{start}", which is not a node{did_you_mean(start, b.node_ids)}',
                r.at("start"),
            )
        ends: list[ScenarioEnd] = []
        for e in r.values["ends"]:
            at, ending = e.values["at"], e.values["ending"]
            if at not in b.node_ids and at not in b.broken_ids:
                hint = " (it is an ending)" if at in b.ending_ids else did_you_mean(at, b.node_ids)
                b.error("R007", f'"{at}" in at: is not a node of this story{hint}', e.at("at"))
            found = scenario_endings.get(ending)
            if found is None and ending not in b.broken_ids:
                if ending in b.ending_ids:
                    b.error(
                        "S013",
                        f'"{ending}" is an ending of the full story; give scenario "{sid}" endings of its own '
                        f"(an ending with scenario: {sid})",
                        e.at("ending"),
                    )
                else:
                    mine = [k for k, v in scenario_endings.items() if v.scenario == sid]
                    b.error(
                        "R007", f'"{ending}" is not an ending of scenario "{sid}"{did_you_mean(ending, mine)}', e.at("ending")
                    )
            elif found is not None and found.scenario != sid:
                b.error(
                    "S013",
                    f'the ending "{ending}" belongs to scenario "{found.scenario}", not "{sid}"',
                    e.at("ending"),
                )
            ends.append(ScenarioEnd(at, ending, b.expr(e.get("if"), "bool"), e.pos))
        by_node: dict[str, list[ScenarioEnd]] = {}
        for end in ends:
            by_node.setdefault(end.at, []).append(end)
        for at, group in by_node.items():
            for end in group[:-1]:
                if end.cond is None:
                    b.error(
                        "S013",
                        f'an end at "{at}" without if: comes before another end at the same node, which is never used',
                        end.pos,
                    )
            if group[-1].cond is not None:
                b.error(
                    "S013",
                    f'the last end at "{at}" has an if:; the last one must have none, so the scenario always ends there',
                    group[-1].pos,
                )
        out[sid] = Scenario(sid, r.values["title"], r.values["description"], start, tuple(ends), r.pos)
    return out


_ZERO = compile_expr("0", {}, "number")


def _exprs(nodes: Mapping[str, Node], events: list[Event]) -> Iterator[Expr]:
    for node in nodes.values():
        for a in node.advisors:
            if a.cond:
                yield a.cond
        for c in node.choices:
            if c.cond:
                yield c.cond
            for o in c.outcomes:
                yield o.weight
    for e in events:
        if e.cond:
            yield e.cond
        yield e.chance


def _read_names(nodes: Mapping[str, Node], events: list[Event], endings: Mapping[str, Ending] | None = None) -> set[str]:
    found: set[str] = set()
    for expr in _exprs(nodes, events):
        found |= names(expr.tree)
    for node in nodes.values():
        found |= node.text.names
    for e in events:
        found |= e.text.names
    for ending in (endings or {}).values():
        found |= ending.text.names
    return found


def _warnings(b: _Builder, story: Story) -> None:
    # unreachable nodes and endings, by the static graph of gotos
    graph: dict[str, set[str]] = {nid: set() for nid in story.nodes}
    # an event may send the story to its goto from any node, so its targets
    # are reachable once any node is; they join the walk once, instead of
    # being copied into every node's edges (nodes x events: gigabytes)
    event_targets_all = {e.goto for e in story.events if e.goto}
    event_targets: set[str] | None = set(event_targets_all)
    threshold_endings = {t.ending for m in story.meters for t in m.thresholds}
    for nid, node in story.nodes.items():
        for c in node.choices:
            graph[nid].update(c.targets)
    seen = {story.start}
    todo = [story.start]
    while todo:
        here = todo.pop()
        after: Iterable[str] = graph.get(here, ())
        if event_targets is not None and here in graph:
            after = [*after, *event_targets]
            event_targets = None
        for nxt in after:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    seen |= threshold_endings
    for nid, node in story.nodes.items():
        if nid not in seen:
            b.warn("W001", f'node "{nid}" cannot be reached from the start: no choice or event leads to it', node.pos)
    for eid, ending in story.endings.items():
        if eid not in seen:
            b.warn("W001", f'ending "{eid}" cannot be reached: no choice, event or threshold leads to it', ending.pos)
    every_ending = {**story.endings, **story.scenario_endings}
    read = _read_names(story.nodes, list(story.events), every_ending)
    for sc in story.scenarios.values():
        for end in sc.ends:
            if end.cond is not None:
                read |= names(end.cond.tree)
    set_flags = {
        i for n in story.nodes.values() for c in n.choices for i, _ in c.sets + tuple(x for o in c.outcomes for x in o.sets)
    }
    set_flags |= {i for e in story.events for i, _ in e.sets}
    for i, flag in enumerate(story.flags):
        if flag.id not in read:
            b.warn("W002", f'flag "{flag.id}" is never read by a condition or text', flag.pos)
        elif i not in set_flags:
            b.warn("W002", f'flag "{flag.id}" is never set by a choice or event', flag.pos)
    moved = {
        i for n in story.nodes.values() for c in n.choices for i, _ in c.effects + tuple(x for o in c.outcomes for x in o.effects)
    }
    moved |= {i for e in story.events for i, _ in e.effects}
    for i, meter in enumerate(story.meters):
        if i not in moved:
            b.warn("W003", f'meter "{meter.id}" is never changed by a choice or event', meter.pos)
    for nid, node in story.nodes.items():
        if node.basis != "hypothetical" and not node.sources:
            b.warn("W005", f'node "{nid}" is marked {node.basis} but cites no sources', node.pos)
    for ending in story.endings.values():
        if ending.basis != "hypothetical" and not ending.sources:
            b.warn("W005", f'ending "{ending.id}" is marked {ending.basis} but cites no sources', ending.pos)
    _scenario_warnings(b, story, graph, event_targets_all)
    _time_warnings(b, story)
    spoken = {a.who for n in story.nodes.values() for a in n.advisors if a.who}
    for cid, character in story.characters.items():
        if cid not in spoken:
            b.warn("W008", f'character "{cid}" never speaks: no advisor names them with who:', character.pos)
    cited = {s for n in story.nodes.values() for s in n.sources} | {s for e in story.events for s in e.sources}
    cited |= {s for e in every_ending.values() for s in e.sources} | {t.source for t in story.glossary if t.source}
    for sid in story.sources:
        if sid not in cited:
            b.warn("W004", f'source "{sid}" is never cited', b.source_index[sid].pos)


def _scenario_warnings(b: _Builder, story: Story, graph: Mapping[str, set[str]], event_targets: set[str]) -> None:
    """Each scenario's ends are reached from its start, and each scenario ending is named by an end."""
    named = {e.ending for sc in story.scenarios.values() for e in sc.ends}
    for eid, ending in story.scenario_endings.items():
        if eid not in named:
            b.warn(
                "W001", f'ending "{eid}" of scenario "{ending.scenario}" cannot be reached: none of its ends names it', ending.pos
            )
    for sc in story.scenarios.values():
        stops = {e.at for e in sc.ends}
        seen = {sc.start}
        todo = [sc.start]
        extra: set[str] | None = set(event_targets)
        while todo:
            here = todo.pop()
            if here in stops:
                continue
            after: Iterable[str] = graph.get(here, ())
            if extra is not None and here in graph:
                after = [*after, *extra]
                extra = None
            for nxt in after:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        for end in sc.ends:
            if end.at not in seen:
                b.warn("W001", f'scenario "{sc.id}" never reaches "{end.at}" from its start "{sc.start}"', end.pos)


def _time_warnings(b: _Builder, story: Story) -> None:
    """W007: a choice, outcome or event that leads to a scene dated earlier than the one it leaves."""
    spans = {nid: parse_span(n.date) for nid, n in story.nodes.items() if n.date}

    def check(source: str, target: str, what: str, pos: Pos) -> None:
        a, z = spans.get(source), spans.get(target)
        if a is not None and z is not None and runs_backwards(a, z):
            src, dst = story.nodes[source], story.nodes[target]
            b.warn(
                "W007",
                f'time runs backwards: {what} leads from "{source}" ({clean_line(src.date)}, {src.pos}) '
                f'to "{target}" ({clean_line(dst.date)}, {dst.pos})',
                pos,
            )

    into: dict[str, list[str]] = {}
    for nid, node in story.nodes.items():
        for c in node.choices:
            if c.goto is not None:
                check(nid, c.goto, f'choice "{c.id}"', c.pos)
                into.setdefault(c.goto, []).append(nid)
            for o in c.outcomes:
                check(nid, o.goto, f'outcome "{o.id}" of choice "{c.id}"', o.pos)
                into.setdefault(o.goto, []).append(nid)
    for e in story.events:
        if e.goto is None or e.goto not in spans:
            continue
        # the event fires on the way out of a scene that leads into one of its
        # "before" nodes (any scene, without "before"); the latest such scene counts
        sources = {src for t in e.before for src in into.get(t, ())} if e.before else {n for v in into.values() for n in v}
        dated = {src: span for src in sources if (span := spans.get(src)) is not None}
        if dated:
            latest = max(dated, key=lambda n: dated[n][0])
            check(latest, e.goto, f'event "{e.id}"', e.pos)


def reads_of(story: Story) -> set[str]:
    """Every name any condition or text of the story reads."""
    return _read_names(story.nodes, list(story.events), story.endings)
