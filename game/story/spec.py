"""The story format, declared once.

The same declarations validate an author's YAML (with positions, stable
codes and "did you mean" hints) and generate the JSON Schema (draft-07) that
editors use through the yaml-language-server modeline. ``docs/story-format.md``
documents every field listed here, and a test keeps them in step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any, Final, Union, cast

from yaml.error import Mark
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .codes import problem
from .diagnostics import Pos, Problem, did_you_mean
from .drafts import quick
from .yamlsafe import (
    BARE_WORDS,
    LETTER_STARTS,
    MAX_SCALAR_CHARS,
    MAY_RESOLVE,
    Tree,
    Unchecked,
    check_unread,
    mapping,
    mark_pos,
    may_resolve,
    node_pos,
    position_in,
    scalar_value,
)

ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
_ID_RE = re.compile(ID_PATTERN)
# words of the condition and text languages: no id may be one of them
RESERVED = ("turn", "player", "if", "else", "end", "and", "or", "not", "true", "false")
_RESERVED = frozenset(RESERVED)
# text that is not a template: braces only as {{ and }} (the JSON Schema's pattern says the same)
NO_BRACES = r"^(?:[^{}]|\{\{|\}\})*$"
_BRACE_RE = re.compile(r"\{\{|\}\}|[{}]")

INVALID: Final = object()  # what a validator returns for a value it reported

# a JSON Schema document, as built here and printed by ``tightrope schema``:
# JSON of any shape, the one place here that needs Any
Schema = dict[str, Any]
# what an expression or a table's value holds
Scalar = Union[str, int, bool]
# a table's entries: id -> (value, where its key starts)
Entries = dict[str, tuple[Scalar, Mark]]


class Rec:
    """A validated object: its values, where it starts and where each field's value starts.

    ``values`` holds what the field types return (text, numbers, lists of
    Recs, :class:`Located` expressions and tables); the typed accessors say
    which, so the loader reads them without guessing. ``where`` holds each
    field's start mark, or for a template its scalar (for positions inside
    its text); positions are made only when asked for.
    """

    __slots__ = ("kind", "values", "mark", "where")

    def __init__(
        self, kind: str, values: dict[str, object], mark: Mark, where: dict[str, Mark | ScalarNode] | None = None
    ) -> None:
        self.kind = kind
        self.values = values
        self.mark = mark
        self.where = where if where is not None else {}

    def __repr__(self) -> str:
        return f"Rec({self.kind!r}, {self.values!r}, {self.pos})"

    @property
    def pos(self) -> Pos:
        return mark_pos(self.mark)

    def get(self, name: str, default: object = None) -> object:
        return self.values.get(name, default)

    def at(self, name: str) -> Pos:
        found = self.where.get(name)
        if found is None:
            return self.pos
        return node_pos(found) if found.__class__ is ScalarNode else mark_pos(cast(Mark, found))

    def node(self, name: str) -> ScalarNode | None:
        """The scalar a template field was read from (for positions inside its text)."""
        found = self.where.get(name)
        return found if isinstance(found, ScalarNode) else None

    # typed accessors: the field's type in the spec decides what it holds (no
    # cast(): it is a function call, and these run some 400,000 times in a big story)
    def text(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)  # type: ignore[return-value]

    def opt_text(self, name: str) -> str | None:
        return self.values.get(name)  # type: ignore[return-value]

    def number(self, name: str, default: int = 0) -> int:
        return self.values.get(name, default)  # type: ignore[return-value]

    def opt_number(self, name: str) -> int | None:
        return self.values.get(name)  # type: ignore[return-value]

    def flag(self, name: str, default: bool = False) -> bool:
        return self.values.get(name, default)  # type: ignore[return-value]

    def recs(self, name: str) -> list[Rec]:
        return self.values.get(name) or []  # type: ignore[return-value]

    def texts(self, name: str) -> list[str]:
        return self.values.get(name) or []  # type: ignore[return-value]

    def expr(self, name: str) -> Located | None:
        return self.values.get(name)  # type: ignore[return-value]

    def table(self, name: str) -> Entries:
        return self.values.get(name) or {}  # type: ignore[return-value]

    @property
    def id(self) -> str:
        return self.values["id"]  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Located:
    """An expression's text with the scalar it came from (for positions inside it)."""

    value: str
    node: ScalarNode

    @property
    def pos(self) -> Pos:
        return node_pos(self.node)


_Located = quick(Located)  # one per condition of a big story (see .drafts)


class Ctx:
    """What validation collects: problems, and the objects that could not be read.

    ``broken`` maps the id of every object of a story section that could not
    be read (or was lost with a whole section) to the index in ``problems`` of
    the problem that explains it: references to it are follow-on errors,
    folded into that problem's line. ``follow_on`` counts them per problem.

    ``checked`` says whether the tree being read was checked when it was
    composed (see :func:`.yamlsafe.compose_tree`); when it was not, the
    validators check what they read, and whatever they do not read, for
    what the YAML reader refuses, and raise :class:`.yamlsafe.Unchecked`.
    """

    def __init__(self, lines: Callable[[str], Sequence[str]] | None = None) -> None:
        self.problems: list[Problem] = []
        self.broken: dict[str, int] = {}
        self.follow_on: dict[int, int] = {}
        self.lines = lines or (lambda file: ())
        self.field = ""  # the field being read, for messages ("a choice's text")
        self.story_lost: int | None = None  # the problem that made a story: section unreadable
        self.lost_log: list[tuple[str, int]] | None = None  # when a list: every (id, problem) lost() was told
        self.checked = True

    def error(self, key: str, node: Tree, /, **fields: object) -> object:
        """Report the problem ``key`` at ``node``."""
        if not self.checked:
            check_unread(node)
        self.problems.append(problem(key, node_pos(node), **fields))
        return INVALID

    def error_at(self, key: str, pos: Pos, /, **fields: object) -> object:
        self.problems.append(problem(key, pos, **fields))
        return INVALID

    def unread(self, node: Tree) -> None:
        """A value the validator does not read (an unknown field's)."""
        if not self.checked:
            check_unread(node)

    def fold(self, root: int, n: int = 1) -> None:
        """Count ``n`` errors that follow from problem ``root`` instead of reporting them."""
        self.follow_on[root] = self.follow_on.get(root, 0) + n

    def lost(self, node: Tree, since: int) -> None:
        """The objects in ``node`` could not be read: the first problem after ``since`` explains them."""
        if since >= len(self.problems):
            return
        for rid in _ids_in(node):
            self.broken.setdefault(rid, since)
            if self.lost_log is not None:
                self.lost_log.append((rid, since))

    def rollback(self, since: int) -> None:
        """Forget every problem from index ``since`` on (a file read again)."""
        del self.problems[since:]
        self.broken = {k: v for k, v in self.broken.items() if v < since}
        self.follow_on = {k: v for k, v in self.follow_on.items() if k < since}
        if self.story_lost is not None and self.story_lost >= since:
            self.story_lost = None
        if self.lost_log is not None:
            self.lost_log = [(rid, at) for rid, at in self.lost_log if at < since]


def _ids_in(node: Tree) -> list[str]:
    """The ids of the objects in a section's value (a list of mappings, or one)."""
    items = node.value if node.__class__ is SequenceNode else [node]
    out = []
    for item in items:
        if item.__class__ is MappingNode:
            for key, value in item.value:
                if key.value == "id":
                    if value.__class__ is ScalarNode and value.value:
                        out.append(value.value)
                    break
    return out


def _describe(node: Tree) -> str:
    if node.__class__ is MappingNode:
        return "a mapping"
    if node.__class__ is SequenceNode:
        return "a list"
    v = scalar_value(cast(ScalarNode, node))
    if v is None:
        return "nothing (empty)"
    if isinstance(v, bool):
        return f"true/false ({node.value})"
    if isinstance(v, (int, float)):
        return f"a number ({node.value})"
    return "text"


def _yaml11_note(node: Tree) -> str:
    if node.__class__ is not ScalarNode:
        if node.flow_style:  # type: ignore[attr-defined]  # text: [bold] Hello
            bracket, what = ("[", "list") if node.__class__ is SequenceNode else ("{", "mapping")
            return f'; YAML reads a value that starts with "{bracket}" as a {what}: put the whole text in quotes'
        return ""
    value = scalar_value(node)
    if not node.style and not isinstance(value, str):
        if isinstance(value, bool):
            return f'; YAML reads the bare word "{node.value}" as {str(value).lower()}: put it in quotes'
        if value is None:
            return "; the value is empty"
        return f'; YAML reads "{node.value}" as the number {value}: put it in quotes'
    return ""


def _is_text(node: ScalarNode) -> bool:
    """Whether a scalar's value is text (YAML 1.1 reads some plain words as true, a number...)."""
    return bool(node.style) or not may_resolve(node.value) or scalar_value(node).__class__ is str


class T:
    """A type in the story format."""

    doc = ""
    keeps_node = False  # Rec.where keeps the scalar, not only its mark (for positions inside it)

    def validate(self, node: Tree, ctx: Ctx) -> object:  # pragma: no cover - abstract
        raise NotImplementedError

    def schema(self, defs: Schema) -> Schema:  # pragma: no cover - abstract
        raise NotImplementedError

    def label(self) -> str:
        return "a value"


class Str(T):
    """Text. Unless it is a template (the text of nodes, events and endings),
    braces are reported (T004): ``{{`` and ``}}`` write literal braces, and
    any other brace would be shown as written, which is never what an author
    who wrote ``{trust}`` meant."""

    def __init__(
        self,
        doc: str = "",
        pattern: str | None = None,
        min_len: int = 1,
        max_len: int = 100_000,
        what: str = "text",
        template: bool = False,
        braces: bool = True,
    ) -> None:
        self.doc = doc
        self.pattern = pattern
        self.regex = re.compile(pattern) if pattern else None
        self.min_len = min_len
        self.max_len = max_len
        self.what = what
        self.template = template
        self.keeps_node = template
        self.reserved = False  # whether the reserved words are refused (S011): ids objects are defined with
        # braces are checked in free text (not in templates, ids or patterns)
        self.braces = braces and not template and pattern is None

    def label(self) -> str:
        return self.what

    def validate(self, node: Tree, ctx: Ctx) -> object:
        # _is_text() inline: this runs for every text and id of a story, and
        # plain text that starts with a letter is text unless it is a bare word
        value = node.value
        if node.__class__ is not ScalarNode or not (
            node.style
            or (value and (value[0] not in MAY_RESOLVE or (value[0] in LETTER_STARTS and value not in BARE_WORDS)))
            or scalar_value(node).__class__ is str
        ):
            return ctx.error("S001", node, expected=self.what, found=_describe(node), note=_yaml11_note(node))
        if len(value) > self.max_len:
            return ctx.error("S006.long", node, what=self.what, length=len(value), limit=self.max_len)
        # blank text: isspace() makes no copy (strip() copies every text that ends in a newline)
        if self.min_len and (not value or value.isspace() or (self.min_len > 1 and len(value.strip()) < self.min_len)):
            return ctx.error("S006.empty", node, what=self.what)
        if self.regex is not None and not self.regex.match(value):
            return ctx.error("S007", node, text=value[:60], what=self.what)
        if self.braces and ("{" in value or "}" in value):
            return self._braces(value, node, ctx)
        if self.reserved and value in _RESERVED:
            return ctx.error("S011", node, id=value, words=", ".join(RESERVED))
        return value

    def _braces(self, value: str, node: ScalarNode, ctx: Ctx) -> object:
        """``{{`` and ``}}`` are literal braces; any other brace is a T004."""
        out: list[str] = []
        at = 0
        for m in _BRACE_RE.finditer(value):
            if len(m.group()) == 1:
                end = value.find("}", m.start())
                shown = value[m.start() : end + 1 if end >= 0 else m.start() + 20]
                pos = position_in(node, m.start(), ctx.lines(node.start_mark.name))
                return ctx.error_at("T004", pos, field=ctx.field or "this field", text=shown[:40])
            out.append(value[at : m.start()] + m.group()[0])
            at = m.end()
        return "".join(out) + value[at:]

    def schema(self, defs: Schema) -> Schema:
        out: Schema = {"type": "string"}
        if self.pattern:
            out["pattern"] = self.pattern
        elif self.braces:
            out["pattern"] = NO_BRACES
        if self.min_len:
            out["minLength"] = self.min_len
        if self.doc:
            out["description"] = self.doc
        return out


class Id(Str):
    """An id that names something defined elsewhere (a goto, a meter in effects...)."""

    def __init__(self, doc: str = "") -> None:
        super().__init__(doc, ID_PATTERN, what="id (lower-case letters, digits and _, starting with a letter)")

    def label(self) -> str:
        return "id"


class NewId(Id):
    """The id an object is defined with: reserved words are refused (S011,
    checked by Str.validate: one call for every id of a story, not two)."""

    def __init__(self, doc: str = "") -> None:
        super().__init__(doc)
        self.reserved = True

    def schema(self, defs: Schema) -> Schema:
        out = super().schema(defs)
        out["not"] = {"enum": list(RESERVED)}
        return out


class Int(T):
    def __init__(self, doc: str = "", lo: int = -1_000_000, hi: int = 1_000_000) -> None:
        self.doc = doc
        self.lo = lo
        self.hi = hi

    def label(self) -> str:
        return "a whole number"

    def validate(self, node: Tree, ctx: Ctx) -> object:
        value = scalar_value(node) if node.__class__ is ScalarNode and not node.style else None
        if value.__class__ is not int:
            return ctx.error("S001", node, expected="a whole number", found=_describe(node), note="")
        if not self.lo <= value <= self.hi:
            return ctx.error("S008", node, value=value, lo=self.lo, hi=self.hi)
        return value

    def schema(self, defs: Schema) -> Schema:
        out: Schema = {"type": "integer", "minimum": self.lo, "maximum": self.hi}
        if self.doc:
            out["description"] = self.doc
        return out


class Bool(T):
    def __init__(self, doc: str = "") -> None:
        self.doc = doc

    def label(self) -> str:
        return "true or false"

    def validate(self, node: Tree, ctx: Ctx) -> object:
        value = scalar_value(node) if node.__class__ is ScalarNode and not node.style else None
        if not isinstance(value, bool):
            return ctx.error("S001", node, expected="true or false", found=_describe(node), note="")
        if node.value not in ("true", "false"):
            return ctx.error("S001.bool", node, text=node.value)
        return value

    def schema(self, defs: Schema) -> Schema:
        out: Schema = {"type": "boolean"}
        if self.doc:
            out["description"] = self.doc
        return out


class Expr(T):
    """A condition (true/false) or a number expression, written as text.

    Number expressions may also be written as a plain whole number, and
    conditions as a plain true/false.
    """

    keeps_node = True

    def __init__(self, want: str, doc: str = "") -> None:
        self.want = want
        self.doc = doc

    def label(self) -> str:
        return "a condition" if self.want == "bool" else "a number or number expression"

    def validate(self, node: Tree, ctx: Ctx) -> object:
        if node.__class__ is ScalarNode:
            scalar = node
            if len(scalar.value) > MAX_SCALAR_CHARS and not ctx.checked:
                raise Unchecked
            value = scalar_value(scalar)
            if isinstance(value, str) and value.strip():
                return _Located(value, scalar)
            if self.want == "number" and isinstance(value, int) and not isinstance(value, bool):
                return _Located(str(value), scalar)
            if self.want == "bool" and isinstance(value, bool) and scalar.value in ("true", "false"):
                return _Located(scalar.value, scalar)
        return ctx.error("S001", node, expected=self.label(), found=_describe(node), note="")

    def schema(self, defs: Schema) -> Schema:
        types: list[str] = ["string", "integer"] if self.want == "number" else ["string", "boolean"]
        out: Schema = {"type": types}
        if self.doc:
            out["description"] = self.doc
        return out


class Enum(T):
    def __init__(self, values: list[str], doc: str = "") -> None:
        self.values = values
        self.doc = doc

    def label(self) -> str:
        return "one of " + ", ".join(self.values)

    def validate(self, node: Tree, ctx: Ctx) -> object:
        if node.__class__ is ScalarNode and node.value in self.values and _is_text(node):
            return node.value
        got = node.value if node.__class__ is ScalarNode else _describe(node)
        if not ctx.checked:
            check_unread(node)  # before the suggestion reads it
        return ctx.error("S007.enum", node, expected=self.label(), found=got, hint=did_you_mean(got, self.values))

    def schema(self, defs: Schema) -> Schema:
        out: Schema = {"type": "string", "enum": list(self.values)}
        if self.doc:
            out["description"] = self.doc
        return out


class List(T):
    """A list. ``too_few`` is the registry key of the message when it has fewer than ``min_items``."""

    def __init__(self, item: T, doc: str = "", min_items: int = 0, max_items: int = 100_000, too_few: str = "S009.few") -> None:
        self.item = item
        self.too_few = too_few
        self.doc = doc
        self.min_items = min_items
        self.max_items = max_items

    def label(self) -> str:
        return "a list"

    def validate(self, node: Tree, ctx: Ctx) -> object:
        if node.__class__ is not SequenceNode:
            return ctx.error("S001", node, expected="a list", found=_describe(node), note="")
        items = node.value
        if len(items) < self.min_items:
            return ctx.error(self.too_few, node, least=self.min_items, s="s" if self.min_items > 1 else "")
        if len(items) > self.max_items:
            return ctx.error("S009.many", node, count=len(items), limit=self.max_items)
        check = self.item.validate
        out = []
        for item in items:
            value = check(item, ctx)
            if value is not INVALID:
                out.append(value)
        return out

    def schema(self, defs: Schema) -> Schema:
        out: Schema = {"type": "array", "items": self.item.schema(defs)}
        if self.min_items:
            out["minItems"] = self.min_items
        if self.doc:
            out["description"] = self.doc
        return out


class Section(List):
    """A top-level section of a story file (a list of objects with ids): an
    object that cannot be read is noted, so references to it are folded into
    the problem that explains it rather than reported as unknown."""

    def validate(self, node: Tree, ctx: Ctx) -> object:
        since = len(ctx.problems)
        if node.__class__ is not SequenceNode or len(node.value) > self.max_items:
            out = super().validate(node, ctx)
            ctx.lost(node, since)
            return out
        check = self.item.validate
        values = []
        for item in node.value:
            since = len(ctx.problems)
            value = check(item, ctx)
            if value is INVALID:
                ctx.lost(item, since)
            else:
                values.append(value)
        return values


class Table(T):
    """A mapping from ids to values (effects, flag changes)."""

    def __init__(self, value: T, doc: str = "") -> None:
        self.value = value
        self.doc = doc

    def label(self) -> str:
        return "a mapping of ids to values"

    def validate(self, node: Tree, ctx: Ctx) -> object:
        if node.__class__ is not MappingNode:
            return ctx.error("S001", node, expected="a mapping of ids to values", found=_describe(node), note="")
        out: Entries = {}
        check = self.value.validate
        match = _ID_RE.match
        pairs = node.value
        for knode, vnode in pairs:
            key = knode.value
            if key.__class__ is not str:  # a key that is a list or a mapping (only in a tree libyaml composed)
                raise Unchecked
            if not match(key):
                ctx.unread(vnode)
                if key == "<<":
                    ctx.error("Y018", knode)
                else:
                    ctx.error("S007", knode, text=key[:60], what="id")
                continue
            value = check(vnode, ctx)
            if value is not INVALID:
                out[key] = (value, knode.start_mark)  # type: ignore[assignment]  # the value type's (no cast(): a call per entry)
        if len(out) != len(pairs) and not ctx.checked:
            mapping(node)  # a key that repeats (only the bounded composer says so) raises Unchecked
        return out

    def schema(self, defs: Schema) -> Schema:
        out: Schema = {
            "type": "object",
            "propertyNames": {"pattern": ID_PATTERN},
            "additionalProperties": self.value.schema(defs),
        }
        if self.doc:
            out["description"] = self.doc
        return out


@dataclass
class Field:
    """A field of an object in the story format: its type, whether it is required, its documentation."""

    name: str
    type: T
    required: bool = False
    doc: str = ""
    # whether Rec.at() gives this field's own position (else the object's):
    # None for what the type says (see _where_mode)
    located: bool | None = None


def _where_mode(field: Field) -> int:
    """What Rec.where keeps of a field: 2 its scalar (positions inside a
    template or an expression), 1 its start, 0 nothing. Free text, lists of
    objects, objects and tables keep nothing: their problems are found while
    they are read, or have positions of their own (each object, each table
    entry), and a big story has some 150,000 of them."""
    if field.type.keeps_node:
        return 2
    if field.located is not None:
        return int(field.located)
    t = field.type
    if isinstance(t, (Obj, Table)) or (isinstance(t, List) and isinstance(t.item, Obj)):
        return 0
    if t.__class__ is Str and t.pattern is None:  # free text
        return 0
    return 1


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def _names(group: Sequence[str]) -> str:
    return " or ".join(f'"{g}"' for g in group)


class Obj(T):
    def __init__(
        self,
        name: str,
        doc: str,
        fields: list[Field],
        one_of: list[tuple[str, ...]] | None = None,
        any_of: list[tuple[str, ...]] | None = None,
        what: str | None = None,
    ) -> None:
        self.name = name
        self.doc = doc
        self.fields = {f.name: f for f in fields}
        # groups of fields of which exactly one must be present
        self.one_of = one_of or []
        # groups of fields of which at least one must be present
        self.any_of = any_of or []
        self.what = what or name.replace("_", " ")  # for messages: "a choice", "a story file"
        self.a_what = _a(self.what)
        self.required = [f.name for f in fields if f.required]
        # "a choice's text", for each field
        self.field_names = {f.name: f"{self.a_what}'s {f.name}" for f in fields}
        # for each field: its validator, its name in messages, what Rec.where keeps (_where_mode),
        # and the field's name itself: records keep it, not the key's text from the file (one
        # string for every field of every object, a fifth of a big story's memory until it is built)
        self._read = {f.name: (f.type.validate, self.field_names[f.name], _where_mode(f), f.name) for f in fields}
        self._required = frozenset(self.required)
        self._groups = bool(self.one_of or self.any_of)
        # the fields objects are written with, in order -> whether they have
        # every required field and meet every group (a story repeats a few shapes)
        self._shapes: dict[tuple[str, ...], bool] = {}

    def _groups_met(self, keys: Set[str]) -> bool:
        return all(sum(g in keys for g in group) == 1 for group in self.one_of) and all(
            any(g in keys for g in group) for group in self.any_of
        )

    def label(self) -> str:
        return f"{self.a_what} (a mapping)"

    def validate(self, node: Tree, ctx: Ctx) -> object:
        if node.__class__ is not MappingNode:
            return ctx.error("S001", node, expected=self.label(), found=_describe(node), note="")
        values: dict[str, object] = {}
        where: dict[str, Mark | ScalarNode] = {}
        read = self._read
        pairs = node.value
        ok = True
        meant: dict[str, int] | None = None  # a missing field -> the unknown field that was probably meant (its problem)
        for knode, vnode in pairs:
            try:
                check, ctx.field, keep, name = read[knode.value]
            except KeyError:
                meant = {} if meant is None else meant
                ok = self._unknown(knode.value, knode, vnode, ctx, meant) and ok
                continue
            except TypeError:  # a key that is a list or a mapping (only in a tree libyaml composed)
                raise Unchecked from None
            value = check(vnode, ctx)
            if value is INVALID:
                ok = False
                continue
            values[name] = value
            if keep:
                where[name] = vnode if keep == 2 else vnode.start_mark
        # every pair made a value: its keys are the values' (none repeats)
        if len(values) == len(pairs):
            shape = tuple(values)
            whole = self._shapes.get(shape)
            if whole is None:
                whole = self._required <= values.keys() and (not self._groups or self._groups_met(values.keys()))
                if len(self._shapes) < 256:
                    self._shapes[shape] = whole
            if not whole:
                ok = self._missing(node, values, ctx, meant or {}) and ok
        else:
            keys = mapping(node)
            if not self._required <= keys.keys() or (self._groups and not self._groups_met(keys.keys())):
                ok = self._missing(node, keys, ctx, meant or {}) and ok
        if not ok:
            return INVALID
        return Rec(self.name, values, node.start_mark, where)

    def _missing(self, node: Tree, items: Mapping[str, object], ctx: Ctx, meant: dict[str, int]) -> bool:
        """Report missing fields and groups not met; True when there is none."""
        ok = True
        for name in self.required:
            if name not in items:
                ok = False
                if name in meant:
                    ctx.fold(meant[name])
                else:
                    ctx.error("S003", node, obj=self.a_what, field=name)
        for group in self.one_of:
            present = [g for g in group if g in items]
            if len(present) == 1:
                continue
            ok = False
            guessed = [meant[g] for g in group if g in meant]
            if not present and guessed:
                ctx.fold(guessed[0])
            else:
                ctx.error("S004.both" if present else "S004.none", node, obj=self.a_what, names=_names(group))
        for group in self.any_of:
            if not any(g in items for g in group):
                ok = False
                guessed = [meant[g] for g in group if g in meant]
                if guessed:
                    ctx.fold(guessed[0])
                else:
                    ctx.error("S003.any", node, obj=self.a_what, names=_names(group))
        return ok

    def _unknown(self, key: str, knode: ScalarNode, vnode: Tree, ctx: Ctx, meant: dict[str, int]) -> bool:
        """Report an unknown field; True when the object can still be read without it."""
        ctx.unread(vnode)
        if key == "<<":
            ctx.error("Y018", knode)
            return True
        if not ctx.checked:
            check_unread(knode)  # before the suggestion reads it
        since = len(ctx.problems)
        hint = did_you_mean(key, self.fields)
        ctx.error("S002", knode, key=key, obj=self.a_what, hint=hint)
        if hint:
            meant[hint.split('"')[1]] = since
        if isinstance(self, File):  # a misspelt section: the objects in it are lost
            ctx.lost(vnode, since)
        # the object is still read without the field (so references to it
        # resolve); a required field it stood for is reported as missing
        return True

    def schema(self, defs: Schema) -> Schema:
        if self.name not in defs:
            defs[self.name] = {}  # placeholder against recursion
            props = {}
            for f in self.fields.values():
                prop = f.type.schema(defs)
                if f.doc:
                    prop = {**prop, "description": f.doc}
                props[f.name] = prop
            body: Schema = {
                "type": "object",
                "description": self.doc,
                "additionalProperties": False,
                "properties": props,
            }
            required = [f.name for f in self.fields.values() if f.required]
            if required:
                body["required"] = required
            # each group is its own constraint: one oneOf per group (an object
            # with two groups needs both to hold, so they are combined with allOf)
            groups = [{"oneOf": [{"required": [g]} for g in group]} for group in self.one_of]
            groups += [{"anyOf": [{"required": [g]} for g in group]} for group in self.any_of]
            if len(groups) == 1:
                body.update(groups[0])
            elif groups:
                body["allOf"] = groups
            defs[self.name] = body
        return {"$ref": f"#/definitions/{self.name}"}


class File(Obj):
    """A story file: a mapping of sections. A section that cannot be read is
    reported and left out; the others are still read (one wrong value in the
    story: section must not make every node of the file unknown)."""

    def validate(self, node: Tree, ctx: Ctx) -> object:
        if node.__class__ is not MappingNode:
            return ctx.error("S001", node, expected="sections such as nodes: and endings:", found=_describe(node), note="")
        values: dict[str, object] = {}
        for key, (knode, vnode) in mapping(node).items():
            spec = self.fields.get(key)
            if spec is None:
                self._unknown(key, knode, vnode, ctx, {})
                continue
            since = len(ctx.problems)
            ctx.field = self.field_names[key]
            value = spec.type.validate(vnode, ctx)
            if value is INVALID:
                if key == "story":
                    ctx.story_lost = since
                continue
            values[key] = value
        return Rec(self.name, values, node.start_mark)


# --------------------------------------------------------------------------
# The story format v1
# --------------------------------------------------------------------------
TEXT = (
    "Story text, a template: plain text, never markup. {meter_id} shows a meter's value, {flag_id} true or false, "
    "{node_id} and {event_id} how many times the node was visited or the event fired, {turn} the decisions made, "
    "{player} the player's name; {if CONDITION}...{else}...{end} shows a passage only when the condition holds; "
    "{{ and }} write literal braces."
)
BASIS = Enum(
    ["reported", "hypothetical", "mixed"],
    "Whether this rests on reported fact (cite sources), is invented (hypothetical), or mixes both.",
)
SOURCE_IDS = List(Id(), "Ids of entries in the story's source list.")
EFFECTS = Table(Int(lo=-100, hi=100), "Meter changes: meter id to a whole number added to the meter (negative to lower it).")
SETS = Table(Bool(), "Flag changes: flag id to true or false.")

META = Obj(
    "story",
    "Story metadata: exactly one file of the folder has this section.",
    [
        Field("id", NewId(), True, "Stable id of the story; saves refer to it."),
        Field("title", Str(), True, "Title shown on the title screen."),
        Field(
            "version",
            Str(what='version text such as "1.0.0"', braces=False),
            True,
            'Version of the story, as text ("1.2.0"); quote it.',
        ),
        Field("start", Id(), True, "Id of the first node."),
        Field(
            "facts_as_of",
            Str(pattern=r"^\d{4}-\d{2}-\d{2}$", what="date (YYYY-MM-DD)"),
            True,
            "The date up to which the story's facts are reported; later events are hypothetical.",
        ),
        Field("content_note", Str(), True, "Shown before the story starts."),
        Field("premise", Str(), False, "One paragraph shown on the title screen."),
        Field("authors", List(Str()), False, "Who wrote the story."),
        Field("license", Str(), False, "Licence of the story text, for example CC BY 4.0."),
        Field(
            "player_default",
            Str(max_len=100),
            False,
            'What {player} shows when the player gave no name (default "Player").',
        ),
    ],
)

WARNING_LEVEL = Obj(
    "warning_level",
    "One step of a warning that escalates as the meter nears its threshold.",
    [
        Field("within", Int(lo=1, hi=1000), True, "Shown while the meter is at most this many points from crossing."),
        Field("text", Str(), True, "The warning at this distance."),
    ],
)

THRESHOLD = Obj(
    "threshold",
    "Ends the game when the meter falls below or rises above a value.",
    [
        Field("below", Int(), False, "The game ends when the meter is below this value."),
        Field("above", Int(), False, "The game ends when the meter is above this value."),
        Field("ending", Id(), True, "Id of the ending reached."),
        Field("warning", Str(), False, "Shown while the meter is within warn_within points of the threshold.", located=True),
        Field("warn_within", Int(lo=0, hi=1000), False, "How close counts as a warning (default 15)."),
        Field(
            "warnings",
            List(WARNING_LEVEL, min_items=1),
            False,
            "Instead of warning: texts that escalate as the meter nears the threshold; the closest level it is within shows.",
        ),
    ],
    one_of=[("below", "above")],
)

METER = Obj(
    "meter",
    "A number that choices move, kept between min and max.",
    [
        Field("id", NewId(), True, "Stable id, used in effects, conditions and {id} in text."),
        Field("label", Str(), True, "Name shown to the player."),
        Field("description", Str(), True, "What the meter means, for students."),
        Field("start", Int(), True, "Value at the start."),
        Field("min", Int(), False, "Lowest value (default 0)."),
        Field("max", Int(), False, "Highest value (default 100)."),
        Field("thresholds", List(THRESHOLD), False, "Values that end the game."),
    ],
)

FLAG = Obj(
    "flag",
    "A declared true/false fact about the game so far.",
    [
        Field("id", NewId(), True, "Stable id, used in set and in conditions."),
        Field("description", Str(), True, "What the flag records."),
        Field("start", Bool(), False, "Value at the start (default false)."),
    ],
)

CHARACTER = Obj(
    "character",
    "A recurring invented person whom advisors can name with who:. The cast list marks every character as invented.",
    [
        Field("id", NewId(), True, "Stable id, used in advisors' who:."),
        Field("name", Str(), True, "The character's name."),
        Field("role", Str(), True, 'Their office or place, for example "Director, UN desk, Foreign Office".'),
        Field("description", Str(max_len=300), True, "One line for the cast list."),
    ],
)

ADVISOR = Obj(
    "advisor",
    "One voice on the decision: who speaks (a character, an office or a group) and what they say.",
    [
        Field("who", Id(), False, "Id of a character from the characters: section; their name and role are shown."),
        Field(
            "role",
            Str(),
            False,
            'Who speaks when no character does: an office or a group, for example "Foreign Office". '
            "With who:, it replaces the character's role for this scene.",
        ),
        Field("says", Str(), True, "What they say, in their own best terms."),
        Field("if", Expr("bool"), False, "Only shown when this condition holds."),
    ],
    any_of=[("who", "role")],
)

OUTCOME = Obj(
    "outcome",
    "One possible result of a choice; one is drawn at random by weight.",
    [
        Field("id", NewId(), True, "Stable id, unique within the choice."),
        Field(
            "weight", Expr("number"), True, "Relative chance: a whole number or a number expression (values below 0 count as 0)."
        ),
        Field("text", Str(), False, "Shown after the choice when this outcome is drawn."),
        Field("effects", EFFECTS),
        Field("set", SETS),
        Field("goto", Id(), True, "Id of the next node or ending."),
    ],
)

CHOICE = Obj(
    "choice",
    "One option the player can take.",
    [
        Field("id", NewId(), True, "Stable id, unique within the node."),
        Field("text", Str(), True, "One line, starting with a verb."),
        Field("if", Expr("bool"), False, "Only available when this condition holds."),
        Field(
            "locked",
            Str(),
            False,
            "When the condition does not hold, show the choice disabled with this reason (otherwise it is hidden).",
            located=True,  # S012 points at it
        ),
        Field("effects", EFFECTS),
        Field("set", SETS),
        Field("goto", Id(), False, "Id of the next node or ending."),
        Field("outcomes", List(OUTCOME, min_items=1), False, "Weighted random results, instead of goto."),
        Field("note", Str(), False, "Author's note on why the choice matters; shown in the debrief."),
    ],
    one_of=[("goto", "outcomes")],
)

NODE = Obj(
    "node",
    "A scene with a decision.",
    [
        Field("id", NewId(), True, "Stable id, unique in the story."),
        Field("title", Str(), True, "Scene title."),
        Field("date", Str(), False, "Date shown with the scene, as text."),
        Field("place", Str(), False, "Place shown with the scene."),
        Field("basis", BASIS, True),
        Field("sources", SOURCE_IDS),
        Field("text", Str(doc=TEXT, template=True), True, TEXT),
        Field("advisors", List(ADVISOR), False, "Voices on this decision."),
        Field("key", Bool(), False, "A key decision: classroom mode asks for a written rationale here."),
        Field(
            "choices",
            List(CHOICE, min_items=1, too_few="S009.choices"),
            True,
            "The options; at least one.",
        ),
    ],
)

EVENT = Obj(
    "event",
    "An interlude that may fire between two nodes.",
    [
        Field("id", NewId(), True, "Stable id; in conditions it counts how often the event fired."),
        Field("title", Str(), True, "Title of the interlude."),
        Field("basis", BASIS, True),
        Field("sources", SOURCE_IDS),
        Field("text", Str(doc=TEXT, template=True), True, TEXT),
        Field("if", Expr("bool"), False, "The event can fire only when this holds."),
        Field("chance", Expr("number"), True, "Percent chance (0-100) when eligible: a whole number or a number expression."),
        Field("before", List(Id()), False, "Fire only on the way into one of these nodes."),
        Field("once", Bool(), False, "Fire at most once (default true)."),
        Field("effects", EFFECTS),
        Field("set", SETS),
        Field("goto", Id(), False, "Send the story to this node or ending instead."),
    ],
)

ENDING = Obj(
    "ending",
    "An end of the story, with its debrief.",
    [
        Field("id", NewId(), True, "Stable id, unique in the story."),
        Field("title", Str(), True, "Title of the ending."),
        Field("basis", BASIS, True),
        Field("sources", SOURCE_IDS),
        Field("text", Str(doc=TEXT, template=True), True, "What happened: a template, like a node's text."),
        Field("debrief", Str(), True, "What was real, what was invented, and what the ending teaches."),
        Field("questions", List(Str(), min_items=1), True, "Discussion questions."),
        Field(
            "scenario",
            Id(),
            False,
            "Id of the scenario this ending belongs to: only that scenario reaches it (through its ends:), never the full story.",
        ),
    ],
)

SCENARIO_END = Obj(
    "scenario_end",
    "Where a scenario stops: when the story would go to the node at:, the scenario ends instead.",
    [
        Field("at", Id(), True, "Id of a node; reaching it ends the scenario."),
        Field("ending", Id(), True, "Id of the ending reached (an ending with scenario: set to this scenario)."),
        Field(
            "if",
            Expr("bool"),
            False,
            "Only when this holds; entries for the same node are tried in order, and the last one has no if.",
        ),
    ],
)

SCENARIO = Obj(
    "scenario",
    "A shorter game inside the story: its own start node, and nodes where it ends with endings of its own.",
    [
        Field("id", NewId(), True, "Stable id, as given to --scenario."),
        Field("title", Str(), True, "Title shown where the player chooses what to play."),
        Field("description", Str(), True, "One or two sentences: what it covers and how long it takes."),
        Field("start", Id(), True, "Id of the node the scenario starts at."),
        Field("ends", List(SCENARIO_END, min_items=1), True, "Where the scenario stops, and which ending it gives."),
    ],
)

TERM = Obj(
    "term",
    "A glossary entry.",
    [
        Field("term", Str(), True, "The word or phrase."),
        Field("definition", Str(), True, "A plain explanation."),
        Field("source", Id(), False, "Id of a source for the definition."),
    ],
)

SOURCE = Obj(
    "source",
    "An entry in the source list.",
    [
        Field("id", NewId(), True, "Stable id, used in sources lists."),
        Field("title", Str(), True, "Title of the document or report."),
        Field("publisher", Str(), False, "Who published it."),
        Field("date", Str(), False, "Publication date, as text."),
        Field("url", Str(braces=False), False, "Where to find it."),
        Field("note", Str(), False, "What it supports."),
    ],
)

FILE = File(
    "story_file",
    "One YAML file of a Tightrope story folder. Any file may hold any of these sections.",
    [
        Field("story", META),
        Field("characters", Section(CHARACTER)),
        Field("scenarios", Section(SCENARIO)),
        Field("meters", Section(METER)),
        Field("flags", Section(FLAG)),
        Field("nodes", Section(NODE)),
        Field("events", Section(EVENT)),
        Field("endings", Section(ENDING)),
        Field("glossary", List(TERM)),
        Field("sources", Section(SOURCE)),
    ],
)

SCHEMA_ID = "https://tightrope.invalid/schema/story-v1.json"


def json_schema() -> Schema:
    """The JSON Schema (draft-07) of one story file."""
    defs: Schema = {}
    root = FILE.schema(defs)
    body = defs.pop(FILE.name)
    assert root["$ref"].endswith(FILE.name)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "Tightrope story file (format v1)",
        **body,
        "definitions": dict(sorted(defs.items())),
    }


ALL_OBJECTS = [
    FILE,
    META,
    CHARACTER,
    SCENARIO,
    SCENARIO_END,
    METER,
    THRESHOLD,
    WARNING_LEVEL,
    FLAG,
    NODE,
    ADVISOR,
    CHOICE,
    OUTCOME,
    EVENT,
    ENDING,
    TERM,
    SOURCE,
]
