"""Where every id of a story folder is defined and where it is referred to.

Each file is composed with the story layer's own YAML composer
(``game.story.yamlsafe.compose``) and walked together with the format's
declarations (``game.story.spec``): the walk knows, for every mapping, which
object of the format it is (a node, a choice, a threshold...), so a field
named ``goto`` or ``sources`` is read as the format reads it. Conditions are
tokenised with the condition language's own tokenizer.

Which fields name which kind of id is the one table below, :data:`KINDS`.
Positions are 0-based lines and columns counted in characters (code
points); the server converts them to what the editor counts.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from game.story import spec
from game.story.conditions import ConditionError, tokenize
from game.story.yamlsafe import YamlProblem, YMap, YNode, YScalar, YSeq, compose, plain_value


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of id: the section that defines it and the fields that name one."""

    name: str  # the format's object name (spec.Obj.name) of a definition
    section: str
    fields: tuple[str, ...]  # fields of type id, list of ids or mapping keyed by ids
    namespace: str = "story"  # ids are unique within a namespace
    in_conditions: bool = False  # conditions and {name} in text may read it


# The one table of ids: a new kind of id is one more line here.
KINDS: tuple[Kind, ...] = (
    Kind("meter", "meters", ("effects",), in_conditions=True),
    Kind("flag", "flags", ("set",), in_conditions=True),
    Kind("node", "nodes", ("goto", "before", "start", "at"), in_conditions=True),
    Kind("event", "events", (), in_conditions=True),
    Kind("ending", "endings", ("goto", "ending")),
    Kind("source", "sources", ("sources", "source"), namespace="source"),
    Kind("character", "characters", ("who",), namespace="character"),
    Kind("scenario", "scenarios", ("scenario",), namespace="scenario"),
)

KIND = {k.name: k for k in KINDS}
# field name -> the kinds of id it may name
FIELD_KINDS: dict[str, tuple[str, ...]] = {}
for _kind in KINDS:
    for _field in _kind.fields:
        FIELD_KINDS[_field] = (*FIELD_KINDS.get(_field, ()), _kind.name)
CONDITION_KINDS = tuple(k.name for k in KINDS if k.in_conditions)
SECTION_KIND = {k.section: k.name for k in KINDS}

ID_RE = re.compile(spec.ID_PATTERN)
# template tags as the story layer reads them (game/story/text.py)
TAG_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
# objects shown in a file's outline
OUTLINE = {"story", "character", "scenario", "meter", "flag", "node", "choice", "outcome", "event", "ending", "source"}
MAX_INFO_VALUES = 2000  # a hover never walks more than this of one record
_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as YAML and the protocol count them (\\n, \\r\\n or \\r end a line)."""
    return _BREAK.split(text)


@dataclass(frozen=True, slots=True)
class Span:
    """A range in a file: 0-based lines, columns in characters, end exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int

    def contains(self, line: int, col: int) -> bool:
        """True when a cursor at (line, col) touches the range (its end included)."""
        if (line, col) < (self.line, self.col):
            return False
        return (line, col) <= (self.end_line, self.end_col)


@dataclass(frozen=True, slots=True)
class Def:
    kind: str
    id: str
    file: str
    span: Span  # the id itself
    extent: Span  # the whole entry
    info: dict[str, Any]  # the entry's plain values, for hover

    @property
    def namespace(self) -> str:
        return KIND[self.kind].namespace


@dataclass(frozen=True, slots=True)
class Ref:
    kinds: tuple[str, ...]  # what the id may name
    id: str
    file: str
    span: Span
    where: str  # the field it is in ("goto", "if", "text", ...)

    @property
    def namespace(self) -> str:
        return KIND[self.kinds[0]].namespace


@dataclass(frozen=True, slots=True)
class Site:
    """A field as written: its key, and for conditions the text of the value."""

    obj: str  # the format object it belongs to
    field: str
    key: Span
    value: Span | None = None  # for conditions: the lines of the value
    expr: str | None = None  # condition or number expression text
    want: str = ""  # "bool" or "number" for expressions


@dataclass(slots=True)
class Outline:
    name: str
    kind: str
    detail: str
    extent: Span
    selection: Span
    children: list[Outline] = field(default_factory=list)


@dataclass(slots=True)
class FileIndex:
    file: str
    text: str
    problem: str | None = None  # why the file could not be read in full (a YAML error)
    defs: list[Def] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    outline: list[Outline] = field(default_factory=list)
    has_story: bool = False
    # for a file with a YAML error: its last index without one, so that ids
    # defined below the error are still offered while the author types
    previous: FileIndex | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@functools.lru_cache(maxsize=4096)
def word_re(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")


def condition_names(text: str) -> list[tuple[str, int]]:
    """Names a condition reads, each with its 0-based offset in the text.

    Uses the condition language's tokenizer; when the text does not
    tokenize (it is being typed), the names before the mistake are kept.
    """
    try:
        tokens = tokenize(text)
    except ConditionError as exc:
        try:
            tokens = tokenize(text[: max(exc.column - 1, 0)])
        except ConditionError:
            tokens = []
    return [(t.text, t.column - 1) for t in tokens if t.kind == "name"]


def template_names(text: str) -> Iterator[tuple[str, int]]:
    """Names read by ``{name}`` and ``{if CONDITION}`` tags in story text, with offsets."""
    for m in TAG_RE.finditer(text):
        raw = m.group(1)
        if raw is None:
            continue
        inner = raw.strip()
        base = m.start(1) + len(raw) - len(raw.lstrip())
        if inner == "if" or inner.startswith("if "):
            cond = inner[2:]
            start = base + 2 + len(cond) - len(cond.lstrip())
            for name, offset in condition_names(cond.strip()):
                yield name, start + offset
        elif inner not in ("else", "end", "player") and ID_RE.match(inner):
            yield inner, base


class IndexStopped(Exception):
    """Indexing was asked to stop (a newer change is waiting for the worker)."""


STOP_EVERY = 16  # mappings walked between two looks at whether to stop


class _Walker:
    def __init__(self, index: FileIndex, stop: Callable[[], bool] | None = None) -> None:
        self.index = index
        self.stop = stop
        self.until_stop = STOP_EVERY
        self.text = index.text
        self.starts = [0]  # where each line starts; lines end as YAML and the protocol end them
        for m in _BREAK.finditer(self.text):
            self.starts.append(m.end())
        self.eof = self.point(len(self.text))
        self.outline_stack: list[list[Outline]] = [index.outline]

    # -- positions
    def point(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, offset - self.starts[line]

    def offset(self, node: YNode) -> int:
        line = node.line - 1  # (node.pos would make a Pos: this runs for every value)
        if not 0 <= line < len(self.starts):
            return len(self.text)
        return min(self.starts[line] + node.column - 1, len(self.text))

    def span(self, start: int, end: int) -> Span:
        a, b = self.point(start), self.point(end)
        return Span(a[0], a[1], b[0], b[1])

    def start_of(self, node: YNode) -> tuple[int, int]:
        return node.line - 1, node.column - 1

    def word(self, scalar: YScalar, name: str, offset: int = 0, end: tuple[int, int] | None = None) -> Span | None:
        """Where the name that starts at ``offset`` of the scalar's value is in the file.

        The scalar's text in the file holds the same words in the same order
        as its value (quotes, escapes and folding only change what is between
        them), so it is the k-th whole-word occurrence of the name after the
        scalar's start, where k counts the occurrences before it in the value;
        it is looked for only up to ``end`` (where the next value starts), and
        not found (None) rather than found somewhere else.
        """
        value = scalar.value if isinstance(scalar.value, str) else scalar.text
        if scalar.style in (None, "'", '"') and "\n" not in value[:offset]:
            start = self.offset(scalar) + (0 if scalar.style is None else 1)
            if self.text[start : start + offset] == value[:offset]:  # the file holds the value as is, up to the name
                if word_re(name).match(self.text, start + offset):
                    return self.span(start + offset, start + offset + len(name))
        pattern = word_re(name)
        k = sum(1 for _ in pattern.finditer(value, 0, offset))
        limit = len(self.text) if end is None else min(self.starts[min(end[0], len(self.starts) - 1)] + end[1], len(self.text))
        for i, m in enumerate(pattern.finditer(self.text, self.offset(scalar), max(limit, self.offset(scalar)))):
            if i == k:
                return self.span(m.start(), m.end())
        return None

    def scalar_span(self, scalar: YScalar) -> Span:
        start = self.offset(scalar)
        quote = 2 if scalar.style in ("'", '"') else 0
        line = scalar.line  # the next line, 0-based
        line_end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        end = max(min(start + len(scalar.text) + quote, line_end), start)
        first = self.starts[line - 1] if 0 < line <= len(self.starts) else -1
        if first <= start and end <= line_end:  # on the scalar's own line (as ever but in a broken file): no search
            return Span(line - 1, start - first, line - 1, end - first)
        return self.span(start, end)

    def value_span(self, key: YScalar, value: YNode) -> Span:
        """The value's first line, and the lines after it indented more than the key."""
        line, col = self.start_of(value)
        key_col = key.column - 1
        last = line
        while last + 1 < len(self.starts):
            nxt = self.line_text(last + 1)
            stripped = nxt.lstrip(" ")
            if not stripped or len(nxt) - len(stripped) <= key_col:
                break
            last += 1
        return Span(line, col, last, len(self.line_text(last)))

    def line_text(self, line: int) -> str:
        start = self.starts[line]
        end = self.starts[line + 1] - 1 if line + 1 < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    # -- the walk
    def file(self, tree: YNode | None) -> None:
        if not isinstance(tree, YMap):
            return
        self.index.has_story = "story" in tree.items
        self.obj(tree, spec.FILE, self.eof)

    def obj(self, node: YMap, typ: spec.Obj, end: tuple[int, int]) -> None:
        if self.stop is not None:
            self.until_stop -= 1
            if self.until_stop <= 0:
                self.until_stop = STOP_EVERY
                if self.stop():
                    raise IndexStopped
        entries = list(node.items.items())
        outline = self.open_outline(node, typ, end)
        for i, (key, (knode, vnode)) in enumerate(entries):
            after = self.start_of(entries[i + 1][1][0]) if i + 1 < len(entries) else end
            fld = typ.fields.get(key)
            expr = None
            if fld is not None and isinstance(fld.type, spec.Expr) and isinstance(vnode, YScalar):
                expr = vnode.value if isinstance(vnode.value, str) else vnode.text
            self.index.sites.append(
                Site(
                    typ.name,
                    key,
                    self.scalar_span(knode),
                    self.value_span(knode, vnode) if expr is not None else None,
                    expr,
                    fld.type.want if fld is not None and isinstance(fld.type, spec.Expr) else "",
                )
            )
            if fld is not None:
                self.value(vnode, fld.type, key, after)
        if outline is not None:
            self.outline_stack.pop()
        if typ.name in KIND:
            self.define(node, typ.name, end)

    def open_outline(self, node: YMap, typ: spec.Obj, end: tuple[int, int]) -> Outline | None:
        if typ.name not in OUTLINE:
            return None
        id_entry = node.items.get("id")
        if id_entry is None or not isinstance(id_entry[1], YScalar):
            return None
        idnode = id_entry[1]
        title = node.items.get("title") or node.items.get("label")
        detail = str(title[1].value) if title is not None and isinstance(title[1], YScalar) else ""
        start = self.start_of(node)
        outline = Outline(
            idnode.text,
            typ.name,
            detail,
            Span(start[0], start[1], end[0], end[1]),
            self.scalar_span(idnode),
        )
        self.outline_stack[-1].append(outline)
        self.outline_stack.append(outline.children)
        return outline

    def define(self, node: YMap, kind: str, end: tuple[int, int]) -> None:
        id_entry = node.items.get("id")
        if id_entry is None:
            return
        idnode = id_entry[1]
        if not isinstance(idnode, YScalar) or not isinstance(idnode.value, str):
            return
        span = self.word(idnode, idnode.value) or self.scalar_span(idnode)
        start = self.start_of(node)
        info: dict[str, Any] = {}
        for key, (_, value) in node.items.items():
            if isinstance(value, YScalar):
                info[key] = value.value
            elif value.size <= MAX_INFO_VALUES:
                info[key] = plain_value(value)
        self.index.defs.append(Def(kind, idnode.value, self.index.file, span, Span(start[0], start[1], end[0], end[1]), info))

    def value(self, node: YNode, typ: spec.T, name: str, end: tuple[int, int]) -> None:
        if isinstance(typ, spec.Obj):
            if isinstance(node, YMap):
                self.obj(node, typ, end)
        elif isinstance(typ, spec.List):
            if isinstance(node, YSeq):
                items = node.items
                for i, item in enumerate(items):
                    self.value(item, typ.item, name, self.start_of(items[i + 1]) if i + 1 < len(items) else end)
        elif isinstance(typ, spec.Table):
            kinds = FIELD_KINDS.get(name)
            if kinds and isinstance(node, YMap):
                for key, (knode, _) in node.items.items():
                    self.ref(knode, key, kinds, name, end)
        elif isinstance(typ, spec.Id):
            kinds = FIELD_KINDS.get(name)
            if kinds and name != "id" and isinstance(node, YScalar) and isinstance(node.value, str):
                self.ref(node, node.value, kinds, name, end)
        elif isinstance(typ, spec.Expr):
            if isinstance(node, YScalar) and isinstance(node.value, str):
                for ident, offset in condition_names(node.value):
                    self.ref(node, ident, CONDITION_KINDS, name, end, offset)
        elif isinstance(typ, spec.Str) and typ.doc == spec.TEXT:
            if isinstance(node, YScalar) and isinstance(node.value, str):
                for ident, offset in template_names(node.value):
                    self.ref(node, ident, CONDITION_KINDS, name, end, offset)

    def ref(self, scalar: YScalar, name: str, kinds: tuple[str, ...], where: str, end: tuple[int, int], offset: int = 0) -> None:
        span = self.word(scalar, name, offset, end)
        if span is not None:
            self.index.refs.append(Ref(kinds, name, self.index.file, span, where))


def index_file(file: str, text: str, stop: Callable[[], bool] | None = None) -> FileIndex:
    """Index one file's text. A file with a YAML error is indexed as far as
    its lines before the error still make a document, and says so.

    ``stop``, when given, is asked now and then while the file is walked;
    when it answers True, :class:`IndexStopped` is raised and nothing is kept.
    """
    if stop is not None and stop():
        raise IndexStopped
    index = FileIndex(file, text)
    tree = None
    try:
        tree = compose(text, file)
    except YamlProblem as exc:
        index.problem = exc.problem.message
        tree = _head(text, file, exc.problem.pos.line)
    except RecursionError:  # the composer bounds nesting; this is a last line of defence
        index.problem = "the file is nested too deeply to read"
    if stop is not None and stop():
        raise IndexStopped
    _Walker(index, stop).file(tree)
    return index


def _head(text: str, file: str, line: int, tries: int = 4) -> YNode | None:
    """The longest start of the text, cut before the error line, that composes.

    An error is often found a line or two after the mistake (an unclosed
    bracket is noticed where the next key starts), so each failed try cuts
    before the line of its own error, a few times at most.
    """
    lines = text.splitlines(keepends=True)
    cut = line - 1
    for _ in range(tries):
        if cut < 1:
            return None
        try:
            return compose("".join(lines[:cut]), file)
        except YamlProblem as exc:
            cut = min(cut - 1, exc.problem.pos.line - 1) if exc.problem.pos.line else cut - 1
        except RecursionError:
            return None
    return None


@dataclass(slots=True)
class Target:
    """What is under the cursor: an id and the kinds it may be."""

    id: str
    kinds: tuple[str, ...]
    span: Span

    @property
    def namespace(self) -> str:
        return KIND[self.kinds[0]].namespace


class FolderIndex:
    """The indexes of every file of one story folder, looked up by id."""

    def __init__(self, files: Iterable[FileIndex]) -> None:
        self.files: dict[str, FileIndex] = {f.file: f for f in files}
        self.defs: dict[tuple[str, str], list[Def]] = {}
        self.refs: dict[tuple[str, str], list[Ref]] = {}
        for f in self.files.values():
            for d in f.defs:
                self.defs.setdefault((d.namespace, d.id), []).append(d)
            for r in f.refs:
                self.refs.setdefault((r.namespace, r.id), []).append(r)

    def of_kind(self, *kinds: str) -> list[Def]:
        """Every id of these kinds (for completion: ids a broken file defined
        before its YAML error are included)."""
        seen: set[str] = set()
        out = []
        for f in self.files.values():
            defs = f.defs if f.previous is None else [*f.defs, *f.previous.defs]
            for d in defs:
                if d.kind in kinds and d.id not in seen:
                    seen.add(d.id)
                    out.append(d)
        return out

    def lookup(self, name: str, kinds: tuple[str, ...]) -> Def | None:
        for d in self.defs.get((KIND[kinds[0]].namespace, name), ()):
            if d.kind in kinds:
                return d
        return None

    def target_at(self, file: str, line: int, col: int) -> Target | None:
        index = self.files.get(file)
        if index is None:
            return None
        for d in index.defs:
            if d.span.contains(line, col):
                return Target(d.id, (d.kind,), d.span)
        for r in index.refs:
            if r.span.contains(line, col):
                found = self.lookup(r.id, r.kinds)
                return Target(r.id, (found.kind,) if found else r.kinds, r.span)
        return None

    def definition(self, target: Target) -> Def | None:
        return self.lookup(target.id, target.kinds)

    def references(self, target: Target, declarations: bool = True) -> list[tuple[str, Span]]:
        """Every place the id is written: its definitions and each reference."""
        key = (target.namespace, target.id)
        found = self.definition(target)
        kind = found.kind if found else None
        out: list[tuple[str, Span]] = []
        if declarations:
            out += [(d.file, d.span) for d in self.defs.get(key, ())]
        for r in self.refs.get(key, ()):
            if kind is None or kind in r.kinds:
                out.append((r.file, r.span))
        seen: set[tuple[str, Span]] = set()
        unique = []
        for item in out:  # an alias repeats what its anchor says
            if item not in seen:
                seen.add(item)
                unique.append(item)
        return unique

    def site_at(self, file: str, line: int, col: int) -> Site | None:
        """The field whose key or value is under the cursor (the innermost one)."""
        index = self.files.get(file)
        if index is None:
            return None
        best: Site | None = None
        for s in index.sites:
            if s.key.contains(line, col) or (s.value is not None and s.value.contains(line, col)):
                if best is None or (s.key.line, s.key.col) > (best.key.line, best.key.col):
                    best = s
        return best

    def broken_files(self) -> list[FileIndex]:
        return [f for f in self.files.values() if not f.ok]
