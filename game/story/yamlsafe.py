"""Bounded, position-keeping YAML reading for untrusted story packs.

PyYAML's safe *parser* produces a flat stream of events; we compose the
document tree ourselves from those events so that we can

* keep the file, line and column of every value;
* refuse duplicate keys, explicit tags (``!!python/object`` and friends),
  several documents in one file, and nesting deeper than ``MAX_DEPTH``;
* account for alias expansion *before* anything walks the tree: an alias
  adds the size of its target without copying it, so a few hundred bytes
  that would expand to millions of values are refused in microseconds;
* refuse aliases that refer to themselves.

Plain scalars are resolved with YAML 1.1 rules, but the original text is kept
so the validator can say "YAML reads `no` as false; put it in quotes" where a
string was meant.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from .diagnostics import Pos, Problem

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 1_000_000
MAX_SCALAR_CHARS = 200_000


@dataclass(slots=True)
class YScalar:
    value: object  # str, int, float, bool or None
    text: str
    plain: bool
    pos: Pos
    size: int = 1
    style: str | None = None  # None plain, "'" '"' quoted, "|" ">" block


@dataclass(slots=True)
class YSeq:
    items: list[YNode]
    pos: Pos
    size: int = 1


@dataclass(slots=True)
class YMap:
    # key text -> (key scalar, value)
    items: dict[str, tuple[YScalar, YNode]] = field(default_factory=dict)
    pos: Pos = Pos("")
    size: int = 1


YNode = Union[YScalar, YSeq, YMap]


class YamlProblem(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


# libyaml's parser when PyYAML was built with it (about 30 times faster than
# the pure-Python one, which matters for big stories); the same event stream
_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()
_TAG = "tag:yaml.org,2002:"


def _resolve_plain(text: str) -> object:
    tag = _RESOLVER.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    node = ScalarNode(tag, text)
    if tag == _TAG + "bool":
        return _CONSTRUCTOR.construct_yaml_bool(node)
    if tag == _TAG + "int":
        return _CONSTRUCTOR.construct_yaml_int(node)
    if tag == _TAG + "float":
        return _CONSTRUCTOR.construct_yaml_float(node)
    if tag == _TAG + "null":
        return None
    return text  # strings, and timestamps kept as the text the author wrote


def _pos(file: str, event: Event) -> Pos:
    mark = event.start_mark
    if mark is None:
        return Pos(file)
    return Pos(file, mark.line + 1, mark.column + 1)


def _fail(code: str, message: str, pos: Pos) -> YamlProblem:
    return YamlProblem(Problem(code, message, pos))


def _index_to_pos(file: str, text: str, index: int) -> Pos:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return Pos(file, line, col)


def read_bytes(path: Path, display: str) -> bytes:
    """Read a story file's bytes, refusing files over the size bound unread."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise _fail("Y100", f"cannot read file: {exc.strerror}", Pos(display)) from None
    if size > MAX_FILE_BYTES:
        raise _fail(
            "Y007",
            f"file is {size:,} bytes; a story file may be at most {MAX_FILE_BYTES:,}",
            Pos(display),
        )
    try:
        data = Path(path).read_bytes()  # only regular files get here (see loader.story_files)
    except OSError as exc:
        raise _fail("Y100", f"cannot read file: {exc.strerror}", Pos(display)) from None
    if len(data) > MAX_FILE_BYTES:  # it grew after the stat
        raise _fail("Y007", f"file is more than {MAX_FILE_BYTES:,} bytes", Pos(display))
    return data


def decode(data: bytes, display: str) -> str:
    """Story file bytes as UTF-8 text; binary files and bad UTF-8 are refused."""
    if b"\x00" in data:
        at = data.index(b"\x00")
        line = data.count(b"\n", 0, at) + 1
        raise _fail("Y009", "file contains NUL bytes: it looks binary, not YAML", Pos(display, line, 1))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail("Y008", "file is not valid UTF-8 text", Pos(display, line, col)) from None


def read_text(path: Path, display: str) -> str:
    """Read a story file as UTF-8 text, within the size bound."""
    return decode(read_bytes(path, display), display)


def compose(text: str, display: str, loader: type | None = None) -> YNode | None:
    """Compose one YAML document into a tree of positioned values.

    Returns None for an empty document. Raises YamlProblem on the first
    problem (YAML errors stop the file: nothing after them is trustworthy).
    ``loader`` picks PyYAML's parser (default: libyaml's when available).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    loader = loader or _LOADER
    stack: list[tuple[YMap | YSeq, str | None, YScalar | None]] = []
    # for maps: pending key awaiting its value
    anchors: dict[str, YNode] = {}
    open_anchors: set[str] = set()
    root: YNode | None = None
    documents = 0
    total = 0

    def attach(node: YNode, anchor: str | None) -> None:
        nonlocal root
        if anchor is not None and anchor not in open_anchors:
            anchors[anchor] = node
        if not stack:
            root = node
            return
        parent, _, pending = stack[-1]
        if isinstance(parent, YSeq):
            parent.items.append(node)
            parent.size += node.size
            return
        if pending is None:
            if not isinstance(node, YScalar):
                raise _fail("Y011", "a key must be a plain word, not a list or mapping", node.pos)
            key = node.text if node.plain else str(node.value)
            if key in parent.items:
                first = parent.items[key][0].pos
                raise _fail(
                    "Y002",
                    f'duplicate key "{key}" (first at line {first.line})',
                    node.pos,
                )
            stack[-1] = (parent, stack[-1][1], node)
            return
        parent.items[pending.text if pending.plain else str(pending.value)] = (pending, node)
        parent.size += node.size
        stack[-1] = (parent, stack[-1][1], None)

    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _fail("Y010", "only one YAML document is allowed per file", _pos(display, event))
                continue
            tag = getattr(event, "tag", None)
            if tag is not None and tag != "!":
                raise _fail(
                    "Y003", f'YAML tags such as "{tag.replace(_TAG, "!!")}" are not allowed in a story', _pos(display, event)
                )
            if isinstance(event, ScalarEvent):
                total += 1
                if len(event.value) > MAX_SCALAR_CHARS:
                    raise _fail(
                        "Y013",
                        f"text of {len(event.value):,} characters is too long (limit {MAX_SCALAR_CHARS:,})",
                        _pos(display, event),
                    )
                style = event.style or None  # libyaml says "" for plain, PyYAML None
                plain = style is None and event.implicit[0]
                value = _resolve_plain(event.value) if plain else event.value
                attach(YScalar(value, event.value, plain, _pos(display, event), 1, style), event.anchor)
            elif isinstance(event, (MappingStartEvent, SequenceStartEvent)):
                total += 1
                if len(stack) >= MAX_DEPTH:
                    raise _fail("Y004", f"nesting is deeper than {MAX_DEPTH} levels", _pos(display, event))
                container: YMap | YSeq = (
                    YMap(pos=_pos(display, event)) if isinstance(event, MappingStartEvent) else YSeq([], _pos(display, event))
                )
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                stack.append((container, event.anchor, None))
            elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                container, anchor, _ = stack.pop()
                if anchor is not None:
                    open_anchors.discard(anchor)
                attach(container, anchor)
            elif isinstance(event, AliasEvent):
                name = event.anchor
                if name in open_anchors:
                    raise _fail("Y006", f'alias "*{name}" refers to the value that contains it', _pos(display, event))
                if name not in anchors:
                    raise _fail("Y001", f'unknown alias "*{name}"', _pos(display, event))
                target = anchors[name]
                total += target.size
                if total > MAX_VALUES:
                    raise _fail("Y005", f"aliases expand this file past {MAX_VALUES:,} values", _pos(display, event))
                attach(target, None)
            if total > MAX_VALUES:
                raise _fail("Y005", f"file has more than {MAX_VALUES:,} values", Pos(display))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Pos(display, mark.line + 1, mark.column + 1) if mark else Pos(display)
        message = (exc.problem or exc.context or "invalid YAML").strip()
        if "maximum nesting depth" in message:  # libyaml's own bound (1000) met while looking ahead
            raise _fail("Y004", f"nesting is deeper than {MAX_DEPTH} levels", pos) from None
        raise _fail("Y001", f"invalid YAML: {message}", pos) from None
    except yaml.reader.ReaderError as exc:
        index = int(exc.position)
        if loader is not yaml.SafeLoader:  # libyaml counts bytes of the UTF-8 text
            index = len(text.encode("utf-8")[:index].decode("utf-8", "ignore"))
        raise _fail("Y001", f"invalid YAML: {exc.reason}", _index_to_pos(display, text, index)) from None
    except UnicodeEncodeError as exc:  # a lone surrogate: only from text not read from a file
        raise _fail("Y008", "text is not valid Unicode", _index_to_pos(display, text, exc.start)) from None
    except yaml.YAMLError as exc:  # any other parser complaint
        raise _fail("Y001", f"invalid YAML: {exc}".splitlines()[0], Pos(display)) from None
    if root is not None and root.size > MAX_VALUES:
        raise _fail("Y005", f"file has more than {MAX_VALUES:,} values", Pos(display))
    return root


def load_file(path: Path, display: str) -> YNode | None:
    return compose(read_text(path, display), display)


def plain_value(node: YNode) -> object:
    """Convert a positioned tree to plain Python values (bounded by MAX_VALUES)."""
    if isinstance(node, YScalar):
        return node.value
    if isinstance(node, YSeq):
        return [plain_value(item) for item in node.items]
    return {key: plain_value(value) for key, (_, value) in node.items.items()}
