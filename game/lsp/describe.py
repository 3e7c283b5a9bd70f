"""Hover text: what an id is, what a field is for, what a condition means.

Story text is data, never markup: every piece of text that comes from a
story is stripped of control characters and, for editors that render
Markdown, has every character that could start markup escaped (brackets,
``<``, ``&``, ``!``, emphasis and code marks, and a heading or list mark at
the start), so a title such as ``![x](http://...)`` or ``<img ...>`` is
shown as written and never loads or runs anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from game.story import spec
from game.story.conditions import Binary, ConditionError, Lit, Name, Unary, names, parse
from game.story.conditions import Node as CondNode
from game.story.text import clean_line

from .index import Def, FolderIndex, Site

# what can start markup inside a line (links and images need brackets, HTML
# and autolinks need <, entities need &), and what can start a block
_INLINE = re.compile(r"([\\`*_\[\]<>&!~|])")
_BLOCK = re.compile(r"^([#+\->=]|\d+(?=[.)]))")
_COMPARE = {">": "is more than", ">=": "is at least", "<": "is less than", "<=": "is at most", "==": "is", "!=": "is not"}
_ARITH = {"+": "plus", "-": "minus", "*": "times"}
MAX_TEXT = 400  # characters of one story text shown in a hover


class Writer:
    """Markdown (escaped) or plain text, as the editor can show."""

    def __init__(self, markdown: bool) -> None:
        self.markdown = markdown

    def text(self, value: object) -> str:
        line = clean_line(str(value))
        if len(line) > MAX_TEXT:
            line = line[: MAX_TEXT - 1] + "…"
        if not self.markdown:
            return line
        line = _INLINE.sub(r"\\\1", line)
        m = _BLOCK.match(line)
        if m:  # escape the character that would make a heading, a list or a quote
            end = m.end()
            line = line[:end] + "\\" + line[end:] if m.group(1)[0].isdigit() else "\\" + line
        return line

    def strong(self, label: str) -> str:  # our own words only
        return f"**{label}**" if self.markdown else label

    def code(self, value: str) -> str:
        """A code span: Markdown shows what is inside as written (no links, no images)."""
        line = clean_line(value)
        if self.markdown and "`" not in line and len(line) <= MAX_TEXT:
            return f"`{line}`"
        return self.text(line)


def _title(d: Def) -> str:
    info = d.info
    return str(info.get("title") or info.get("label") or info.get("name") or info.get("term") or "")


def describe_id(d: Def, index: FolderIndex, w: Writer, ranges: Mapping[str, tuple[int, int]] | None = None) -> str:
    """What an id is: its kind, title and what matters about it."""
    info = d.info
    head = f"{w.strong(d.kind.capitalize())} {w.code(d.id)}"
    title = _title(d)
    if title:
        head += f": {w.text(title)}"
    parts = [head]
    if d.kind == "meter":
        lo, hi = _int(info.get("min"), 0), _int(info.get("max"), 100)
        if info.get("description"):
            parts.append(w.text(info["description"]))
        parts.append(f"Range {lo} to {hi}; starts at {w.text(info.get('start', '?'))}.")
        for t in info.get("thresholds") or []:
            if not isinstance(t, dict):
                continue
            side = f"below {w.text(t['below'])}" if "below" in t else f"above {w.text(t.get('above', '?'))}"
            ending = index.lookup(str(t.get("ending", "")), ("ending",))
            name = w.code(str(t.get("ending", "?")))
            if ending is not None and _title(ending):
                name += f" ({w.text(_title(ending))})"
            parts.append(f"Ends the game {side}: {name}.")
    elif d.kind == "flag":
        if info.get("description"):
            parts.append(w.text(info["description"]))
        parts.append(f"Starts {'true' if info.get('start') is True else 'false'}.")
    elif d.kind == "node":
        facts = [w.text(info[k]) for k in ("date", "place") if info.get(k)]
        if info.get("basis"):
            facts.append(f"basis: {w.text(info['basis'])}")
        if facts:
            parts.append(" · ".join(facts))
        if info.get("key") is True:
            parts.append("A key decision: classroom mode asks for a rationale here.")
        if ranges:
            spans = ", ".join(f"{w.code(m)} {lo}..{hi}" for m, (lo, hi) in ranges.items())
            parts.append(f"Meters here, as explored: {spans}.")
    elif d.kind == "event":
        for key in ("if", "chance", "before"):
            if info.get(key) is not None:
                parts.append(f"{key}: {w.text(_short(info[key]))}")
    else:
        for key in ("basis", "role", "publisher", "date", "description", "note", "url"):
            if info.get(key):
                parts.append(f"{key}: {w.text(info[key])}")
    parts.append(f"Defined in {w.text(_short_path(d.file))}, line {d.span.line + 1}.")
    return "\n\n".join(parts)


def describe_field(site: Site, w: Writer) -> str | None:
    """What a field of the format is for (from the format's own declarations)."""
    obj = next((o for o in spec.ALL_OBJECTS if o.name == site.obj), None)
    if obj is None:
        return None
    fld = obj.fields.get(site.field)
    if fld is None:
        return None
    doc = fld.doc or fld.type.doc
    where = "a top-level section" if obj is spec.FILE else f"a field of {obj.name}"
    need = "required" if fld.required else "optional"
    parts = [f"{w.strong(fld.name)}: {where}, {need}; {w.text(fld.type.label())}."]
    if doc:
        parts.append(w.text(doc))
    return "\n\n".join(parts)


def describe_condition(text: str, want: str, index: FolderIndex, w: Writer) -> str:
    """A condition or number expression in words, with the names it reads."""
    what = "Condition" if want == "bool" else "Number"
    head = f"{w.strong(what)} {w.code(text) if len(text) < 120 else ''}".rstrip()
    try:
        tree = parse(text)
    except ConditionError as exc:
        return f"{head}\n\nDoes not read as a condition yet: {w.text(exc.message)} (column {exc.column})."
    words = _words(tree, index, top=want == "bool")
    lead = "Holds when" if want == "bool" else "Worth"
    parts = [head, f"{lead} {w.text(words)}."]
    named = []
    for name in sorted(names(tree)):
        d = index.lookup(name, ("meter", "flag", "node", "event"))
        if d is None:
            if name == "turn":
                named.append(f"{w.code('turn')}: decisions made so far")
            else:
                named.append(f"{w.code(name)}: not defined in this story")
            continue
        what = _title(d) or str(d.info.get("description") or "")
        named.append(f"{w.code(name)}: {d.kind}{', ' + w.text(what) if what else ''}")
    if named:
        parts.append("\n".join(f"- {n}" for n in named) if w.markdown else "\n".join(named))
    return "\n\n".join(parts)


def _kind(name: str, index: FolderIndex) -> Def | None:
    return index.lookup(name, ("meter", "flag", "node", "event"))


def _words(node: CondNode, index: FolderIndex, top: bool = False) -> str:
    if isinstance(node, Lit):
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        return str(node.value) if isinstance(node.value, int) else f'"{node.value}"'
    if isinstance(node, Name):
        d = _kind(node.name, index)
        if d is None:
            return "the number of decisions made so far" if node.name == "turn" else node.name
        if d.kind == "flag":
            return f"{node.name} is set" if top else node.name
        if d.kind == "meter":
            label = d.info.get("label")
            return f"{label} ({node.name})" if label else node.name
        if d.kind == "node":
            return f"the number of visits to {node.name}"
        return f"the number of times {node.name} fired"
    if isinstance(node, Unary):
        if node.op == "not":
            inner = node.operand
            if isinstance(inner, Name) and (d := _kind(inner.name, index)) is not None and d.kind == "flag":
                return f"{inner.name} is not set"
            return f"not ({_words(inner, index, top=True)})"
        return f"minus {_words(node.operand, index)}"
    if node.op in ("and", "or"):
        sides = []
        for side in (node.left, node.right):
            text = _words(side, index, top=True)
            if isinstance(side, Binary) and side.op in ("and", "or") and side.op != node.op:
                text = f"({text})"
            sides.append(text)
        return f" {node.op} ".join(sides)
    if node.op in _COMPARE:
        counted = _counted(node, index)
        if counted is not None:
            return counted
        if isinstance(node.right, Lit) and isinstance(node.right.value, bool) and isinstance(node.left, Name):
            holds = node.right.value == (node.op == "==")
            return f"{node.left.name} is {'set' if holds else 'not set'}"
        return f"{_words(node.left, index)} {_COMPARE[node.op]} {_words(node.right, index)}"
    return f"{_words(node.left, index)} {_ARITH.get(node.op, node.op)} {_words(node.right, index)}"


def _counted(node: Binary, index: FolderIndex) -> str | None:
    """`a2_cairo > 0` reads as "a2_cairo has been visited"."""
    if not (isinstance(node.left, Name) and isinstance(node.right, Lit) and node.right.value in (0, 1)):
        return None
    d = _kind(node.left.name, index)
    if d is None or d.kind not in ("node", "event"):
        return None
    seen = {(">", 0), (">=", 1), ("!=", 0)}
    unseen = {("==", 0), ("<", 1), ("<=", 0)}
    key = (node.op, node.right.value)
    done = "has been visited" if d.kind == "node" else "has fired"
    if key in seen:
        return f"{node.left.name} {done}"
    if key in unseen:
        return f"{node.left.name} {done.replace('has', 'has not')}"
    return None


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _short(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _short_path(file: str) -> str:
    parts = file.replace("\\", "/").split("/")
    return "/".join(parts[-2:])
