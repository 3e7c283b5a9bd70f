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

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

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
    StreamEndEvent,
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


# first characters for which YAML 1.1 may read a plain scalar as something
# other than text (bool, int, float, null, timestamp, merge, value)
_MAY_RESOLVE = frozenset(k for k in _RESOLVER.yaml_implicit_resolvers if k)


def _resolve_plain(text: str) -> object:
    if text and text[0] not in _MAY_RESOLVE:  # most words: text, without asking the resolver
        return text
    return _resolve_special(text)


@functools.lru_cache(maxsize=4096)
def _resolve_special(text: str) -> object:
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


def _tag_problem(tag: str, pos: Pos) -> YamlProblem:
    return _fail("Y003", f'YAML tags such as "{tag.replace(_TAG, "!!")}" are not allowed in a story', pos)


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
    # one frame per open mapping or list: [container, anchor, is a mapping,
    # pending key scalar (mappings), its key text]
    stack: list[list[Any]] = []
    anchors: dict[str, YNode] = {}
    open_anchors: set[str] = set()
    root: YNode | None = None
    documents = 0
    total = 0

    def attach(node: YNode, anchor: str | None) -> None:
        """Put a finished value into the open container (or make it the root)."""
        nonlocal root
        if anchor is not None and anchor not in open_anchors:
            anchors[anchor] = node
        if not stack:
            root = node
            return
        frame = stack[-1]
        container = frame[0]
        if not frame[2]:
            container.items.append(node)
            container.size += node.size
        elif frame[3] is None:
            if node.__class__ is not YScalar:
                raise _fail("Y011", "a key must be a plain word, not a list or mapping", node.pos)
            key = node.text if node.plain else str(node.value)
            if key in container.items:
                first = container.items[key][0].pos
                raise _fail("Y002", f'duplicate key "{key}" (first at line {first.line})', node.pos)
            frame[3] = node
            frame[4] = key
        else:
            container.items[frame[4]] = (frame[3], node)
            container.size += node.size
            frame[3] = None

    parser = None
    try:
        parser = loader(text)
        get_event = parser.get_event
        while True:
            event = get_event()
            cls = event.__class__
            if cls is ScalarEvent:  # the common case first; class identity, not isinstance
                if event.tag is not None and event.tag != "!":
                    raise _tag_problem(event.tag, _pos(display, event))
                total += 1
                raw = event.value
                if len(raw) > MAX_SCALAR_CHARS:
                    raise _fail(
                        "Y013",
                        f"text of {len(raw):,} characters is too long (limit {MAX_SCALAR_CHARS:,})",
                        _pos(display, event),
                    )
                style = event.style or None  # libyaml says "" for plain, PyYAML None
                plain = style is None and event.implicit[0]
                mark = event.start_mark
                scalar = YScalar(
                    _resolve_plain(raw) if plain else raw, raw, plain, Pos(display, mark.line + 1, mark.column + 1), 1, style
                )
                anchor = event.anchor
                if anchor is None and stack:  # inline attach() for the most common shapes
                    frame = stack[-1]
                    parent = frame[0]
                    if not frame[2]:
                        parent.items.append(scalar)
                        parent.size += 1
                        continue
                    if frame[3] is not None:
                        parent.items[frame[4]] = (frame[3], scalar)
                        parent.size += 1
                        frame[3] = None
                        continue
                attach(scalar, anchor)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                if event.tag is not None and event.tag != "!":
                    raise _tag_problem(event.tag, _pos(display, event))
                total += 1
                if len(stack) >= MAX_DEPTH:
                    raise _fail("Y004", f"nesting is deeper than {MAX_DEPTH} levels", _pos(display, event))
                mapping = cls is MappingStartEvent
                container: YMap | YSeq = YMap(pos=_pos(display, event)) if mapping else YSeq([], _pos(display, event))
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                stack.append([container, event.anchor, mapping, None, None])
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                frame = stack.pop()
                if frame[1] is not None:
                    open_anchors.discard(frame[1])
                attach(frame[0], frame[1])
            elif cls is AliasEvent:
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
            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _fail("Y010", "only one YAML document is allowed per file", _pos(display, event))
            elif event is None or cls is StreamEndEvent:
                break
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
    finally:
        if parser is not None:
            parser.dispose()
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
