"""What may be typed at the cursor, worked out from the text around it.

While an author types, the file is usually not valid YAML, so completion
cannot wait for a parse: it reads the cursor's line and the keys above it,
by indentation, to find where in the format the cursor is (``nodes`` →
an item → ``choices`` → an item → ``goto``), then asks the format's
declarations (``game.story.spec``) what belongs there and the folder's index
which ids exist.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from game.story import spec
from game.story.conditions import KEYWORDS

from .index import CONDITION_KINDS, FIELD_KINDS, FolderIndex

_LINE = re.compile(r"^( *)((?:-[ \t]+)*)(.*)$")
_KEY = re.compile(r"""([A-Za-z_][A-Za-z0-9_]*|"[^"\n]*"|'[^'\n]*')[ \t]*:(?:[ \t]+(.*)|$)""")
_BLOCK = re.compile(r":[ \t]*[|>][-+0-9]*[ \t]*(#.*)?$")
_WORD = re.compile(r"[A-Za-z0-9_]*$")
MAX_LINES_UP = 5000  # how far up the keys of the cursor's place are looked for


@dataclass(frozen=True, slots=True)
class Candidate:
    label: str
    kind: str  # an id kind ("node", ...), "field", "value", "keyword" or "name"
    detail: str = ""
    documentation: str = ""
    insert: str | None = None  # what to insert, when it is not the label


@dataclass(frozen=True, slots=True)
class Completion:
    candidates: list[Candidate]
    start: int  # column where the word being replaced starts (on the cursor's line)


@dataclass(frozen=True, slots=True)
class _Line:
    indent: int
    dashed: bool
    key: str | None
    key_col: int
    value: str | None  # the text after "key:" (None when the line has no key)


def _split(text: str) -> _Line:
    m = _LINE.match(text)
    assert m is not None  # the pattern matches any line
    indent, dashes, rest = len(m.group(1)), m.group(2), m.group(3)
    km = _KEY.match(rest)
    key = None
    value = None
    if km:
        key = km.group(1).strip("\"'")
        value = km.group(2) if km.group(2) is not None else ""
    return _Line(indent, bool(dashes), key, indent + len(dashes), value)


def _blank(text: str) -> bool:
    s = text.strip()
    return not s or s.startswith("#")


def _path(lines: Sequence[str], line: int, threshold: int, in_item: bool = False) -> list[str]:
    """Keys (and "-" for list items) from the top of the file down to the
    mapping or list that a line starting at column ``threshold`` is in
    (``in_item``: that line starts a list item).

    A list's items may start at the column of the key that holds the list
    (``nodes:`` then ``- id: a`` at the same column): so, looking up from a
    list item, a key at the item's own column is the list's key.
    """
    path: list[str] = []
    for n in range(line - 1, max(line - MAX_LINES_UP, 0) - 1, -1):
        if threshold <= 0 and not in_item:
            break
        text = lines[n]
        if _blank(text):
            continue
        here = _split(text)
        if here.key is not None and (here.key_col < threshold or (in_item and not here.dashed and here.key_col == threshold)):
            path.append(here.key)
            threshold, in_item = here.key_col, False
            if here.dashed:
                path.append("-")
                threshold, in_item = here.indent, True
        elif here.dashed and here.indent < threshold:
            path.append("-")
            threshold, in_item = here.indent, True
    path.reverse()
    return path


def _resolve(path: list[str]) -> tuple[spec.T | None, str | None]:
    """The type the path leads to, and the name of the last field on the way."""
    typ: spec.T = spec.FILE
    name: str | None = None
    for step in path:
        if step == "-":
            if not isinstance(typ, spec.List):
                return None, None
            typ = typ.item
        elif isinstance(typ, spec.Obj):
            fld = typ.fields.get(step)
            if fld is None:
                return None, None
            typ, name = fld.type, step
        else:
            return None, None
    return typ, name


def _block_owner(lines: Sequence[str], line: int) -> int | None:
    """The line of the key whose block text (``|`` or ``>``) holds the cursor's line."""
    text = lines[line]
    indent = len(text) - len(text.lstrip(" "))
    for n in range(line - 1, max(line - MAX_LINES_UP, 0) - 1, -1):
        above = lines[n]
        if not above.strip():
            continue
        if len(above) - len(above.lstrip(" ")) < indent:  # the first line less indented: the key it may belong to
            return n if _BLOCK.search(above.rstrip()) else None
    return None


class Completer:
    def __init__(self, index: FolderIndex) -> None:
        self.index = index

    def complete(self, lines: Sequence[str], line: int, col: int) -> Completion:
        text = lines[line] if line < len(lines) else ""
        prefix = text[:col]
        start = col - len(_WORD.search(prefix).group())  # type: ignore[union-attr]
        return Completion(self._candidates(lines, line, prefix), start)

    def _candidates(self, lines: Sequence[str], line: int, prefix: str) -> list[Candidate]:
        owner = _block_owner(lines, line)
        if owner is not None:  # inside block text: only {names} in story text
            here = _split(lines[owner])
            path = _path(lines, owner, here.indent if here.dashed else here.key_col, here.dashed)
            if here.dashed:
                path.append("-")
            typ, _ = _resolve([*path, here.key] if here.key else path)
            return self._in_text(prefix) if _is_text(typ) else []
        here = _split(prefix)
        path = _path(lines, line, here.indent if here.dashed else here.key_col, here.dashed)
        if here.dashed:
            path.append("-")
        container, name = _resolve(path)
        if here.key is not None and here.value is not None:  # "key: value..."
            if isinstance(container, spec.Obj):
                fld = container.fields.get(here.key)
                if fld is not None:
                    return self._value(fld.type, here.key, here.value)
            if isinstance(container, spec.Table) and isinstance(container.value, spec.Bool):
                return [Candidate(v, "value") for v in ("true", "false")]
            return []
        rest = prefix[here.key_col :]
        if not re.fullmatch(r"[A-Za-z0-9_]*", rest):
            return []
        if isinstance(container, spec.Obj):
            present = _present_keys(lines, line, here.key_col, here.dashed)
            return [
                Candidate(f.name, "field", f.type.label(), f.doc or f.type.doc, f"{f.name}: ")
                for f in container.fields.values()
                if f.name not in present
            ]
        if isinstance(container, spec.Table) and name:
            return self._ids(FIELD_KINDS.get(name, ()), suffix=": ")
        if isinstance(container, spec.Id) and name and here.dashed:
            return self._ids(FIELD_KINDS.get(name, ()))
        return []

    def _value(self, typ: spec.T, name: str, value: str) -> list[Candidate]:
        stripped = value.lstrip()
        if isinstance(typ, spec.Id):
            if re.fullmatch(r"""["']?[A-Za-z0-9_]*""", stripped):
                return self._ids(FIELD_KINDS.get(name, ()))
            return []
        if isinstance(typ, spec.List) and isinstance(typ.item, spec.Id):
            if stripped.startswith("[") and re.search(r"[\[,][ \t]*[A-Za-z0-9_]*$", stripped):
                return self._ids(FIELD_KINDS.get(name, ()))
            return []
        if isinstance(typ, spec.Table):
            if not stripped.startswith("{"):
                return []
            last_open = max(stripped.rfind("{"), stripped.rfind(","))
            if ":" not in stripped[last_open:]:
                return self._ids(FIELD_KINDS.get(name, ()), suffix=": ")
            if isinstance(typ.value, spec.Bool):
                return [Candidate(v, "value") for v in ("true", "false")]
            return []
        if isinstance(typ, spec.Expr):
            return self._condition()
        if isinstance(typ, spec.Enum):
            return [Candidate(v, "value", "", typ.doc) for v in typ.values]
        if isinstance(typ, spec.Bool):
            return [Candidate(v, "value") for v in ("true", "false")]
        if _is_text(typ):
            return self._in_text(value)
        return []

    def _ids(self, kinds: Sequence[str], suffix: str = "") -> list[Candidate]:
        out = []
        order = {kind: i for i, kind in enumerate(kinds)}
        for d in sorted(self.index.of_kind(*kinds), key=lambda d: order[d.kind]):
            title = d.info.get("title") or d.info.get("label") or d.info.get("name") or ""
            doc = d.info.get("description") or ""
            out.append(
                Candidate(d.id, d.kind, f"{d.kind}: {title}" if title else d.kind, str(doc), d.id + suffix if suffix else None)
            )
        return out

    def _condition(self) -> list[Candidate]:
        names = self._ids(CONDITION_KINDS)
        names.append(Candidate("turn", "name", "decisions made so far"))
        names += [Candidate(k, "keyword") for k in sorted(KEYWORDS)]
        return names

    def _in_text(self, prefix: str) -> list[Candidate]:
        """In story text, after an unclosed "{": names, player, if/else/end."""
        at = prefix.rfind("{")
        if at < 0 or prefix.rfind("}") > at or prefix[at - 1 : at] == "{":
            return []
        inner = prefix[at + 1 :]
        if inner.startswith("if "):
            return self._condition()
        if not re.fullmatch(r"[A-Za-z0-9_]*", inner):
            return []
        names = self._ids(CONDITION_KINDS)
        names.append(Candidate("player", "name", "the player's name"))
        names += [Candidate(k, "keyword") for k in ("if", "else", "end")]
        return names


def _is_text(typ: spec.T | None) -> bool:
    return isinstance(typ, spec.Str) and typ.doc == spec.TEXT


def _present_keys(lines: Sequence[str], line: int, col: int, new_item: bool) -> set[str]:
    """Keys already written in the mapping the cursor's line belongs to."""
    found: set[str] = set()
    for step in (1,) if new_item else (-1, 1):
        n = line + step
        while 0 <= n < len(lines) and abs(n - line) < MAX_LINES_UP:
            text = lines[n]
            n += step
            if _blank(text):
                continue
            here = _split(text)
            if here.key_col < col or (step > 0 and here.dashed and here.indent < col):
                break  # the parent, or (below) the next item of the list
            if here.key is not None and here.key_col == col:
                found.add(here.key)
                if step < 0 and here.dashed:
                    break  # the first key of the item: the mapping starts here
    return found
