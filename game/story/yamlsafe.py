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

The checker reads files through :func:`compose_tree`, which gives the same
answers faster: libyaml's own composer builds the tree (PyYAML's node
classes, each with libyaml's start mark) for any file that cannot hold an
anchor, an alias or a tag and cannot be too big, and the validator that
walks it checks keys and nesting as it goes (see :class:`Unchecked`). Every
other file, and every file in which the walk meets a problem, is composed by
:func:`compose` above, whose answer stands.
"""

from __future__ import annotations

import functools
import io
import operator
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

import yaml
from yaml.constructor import SafeConstructor
from yaml.error import Mark
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
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from .codes import problem
from .diagnostics import Pos, Problem

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 1_000_000
MAX_SCALAR_CHARS = 200_000


class YScalar:
    """A scalar: its value (str, int, float, bool or None, by YAML 1.1 rules
    for plain scalars), the text as written, and where it starts.

    Stories hold hundreds of thousands of scalars, so the position is kept
    as two numbers and made into a :class:`Pos` only when asked for.
    """

    __slots__ = ("value", "text", "plain", "style", "file", "line", "column")
    size = 1  # values it stands for, counting alias expansion

    def __init__(
        self, value: object, text: str, plain: bool, file: str, line: int, column: int, style: str | None = None
    ) -> None:
        self.value = value
        self.text = text
        self.plain = plain
        self.style = style  # None plain, "'" '"' quoted, "|" ">" block
        self.file = file
        self.line = line
        self.column = column

    @property
    def pos(self) -> Pos:
        return Pos(self.file, self.line, self.column)

    def __repr__(self) -> str:
        return f"YScalar({self.value!r}, {self.pos})"


class YSeq:
    __slots__ = ("items", "file", "line", "column", "size", "flow")

    def __init__(self, items: list[YNode], file: str, line: int, column: int, flow: bool = False) -> None:
        self.items = items
        self.file = file
        self.line = line
        self.column = column
        self.size = 1
        self.flow = flow  # written [a, b] rather than as "- " lines

    @property
    def pos(self) -> Pos:
        return Pos(self.file, self.line, self.column)


class YMap:
    __slots__ = ("items", "file", "line", "column", "size", "flow")

    def __init__(self, file: str, line: int, column: int, flow: bool = False) -> None:
        # key text -> (key scalar, value)
        self.items: dict[str, tuple[YScalar, YNode]] = {}
        self.file = file
        self.line = line
        self.column = column
        self.size = 1
        self.flow = flow  # written {a: 1} rather than as "key: value" lines

    @property
    def pos(self) -> Pos:
        return Pos(self.file, self.line, self.column)


YNode = Union[YScalar, YSeq, YMap]


class YamlProblem(Exception):
    """The problem that stopped a file; ``alias`` names an unknown alias (the
    loader looks for its anchor in the other files)."""

    def __init__(self, problem: Problem, alias: str | None = None) -> None:
        self.problem = problem
        self.alias = alias
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
# a plain scalar that starts with a letter is text unless it is one of YAML
# 1.1's bool and null words (yes, No, OFF, null, ...): those are looked up in
# a table instead of asking the resolver (node ids such as n1234 would fill its cache)
MAY_RESOLVE = _MAY_RESOLVE  # first characters of plain text YAML 1.1 may read as something else
_LETTER_STARTS = frozenset(c for c in _MAY_RESOLVE if c.isalpha())
LETTER_STARTS = _LETTER_STARTS  # of those, the letters: plain text starting with one is text unless a BARE_WORDS word


@functools.lru_cache(maxsize=4096)
def _resolve_special(text: str) -> object:
    tag = _RESOLVER.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    node = ScalarNode(tag, text)
    if tag == _TAG + "bool":
        return _CONSTRUCTOR.construct_yaml_bool(node)
    if tag == _TAG + "int":
        try:
            return _CONSTRUCTOR.construct_yaml_int(node)
        except ValueError:  # more digits than Python converts (4,300): kept as the text written
            return text
    if tag == _TAG + "float":
        return _CONSTRUCTOR.construct_yaml_float(node)
    if tag == _TAG + "null":
        return None
    return text  # strings, and timestamps kept as the text the author wrote


def _words() -> dict[str, object]:
    """YAML 1.1's bool and null words, as the resolver reads them."""
    base = ["yes", "no", "true", "false", "on", "off", "null", "y", "n"]
    variants = {v for w in base for v in (w, w.capitalize(), w.upper())}
    out = {}
    for word in sorted(variants):
        value = _resolve_special(word)
        if value != word:
            out[word] = value
    return out


_WORDS = _words()
BARE_WORDS = _WORDS  # YAML 1.1's bool and null words, and what it reads each as


def _pos(file: str, event: Event) -> Pos:
    mark = event.start_mark
    if mark is None:
        return Pos(file)
    return Pos(file, mark.line + 1, mark.column + 1)


def _fail(key: str, pos: Pos, /, **fields: object) -> YamlProblem:
    """The registry's problem ``key`` (see :mod:`.codes`), to raise."""
    return YamlProblem(problem(key, pos, **fields))


def _tag_problem(tag: str, pos: Pos) -> YamlProblem:
    return _fail("Y003", pos, tag=tag.replace(_TAG, "!!"))


def _index_to_pos(file: str, text: str, index: int) -> Pos:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return Pos(file, line, col)


def read_bytes(path: Path, display: str) -> bytes:
    """Read a story file's bytes, refusing files over the size bound unread."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise _fail("Y100", Pos(display), reason=exc.strerror) from None
    if size > MAX_FILE_BYTES:
        raise _fail("Y007", Pos(display), size=size, limit=MAX_FILE_BYTES)
    try:
        data = Path(path).read_bytes()  # only regular files get here (see loader.story_files)
    except OSError as exc:
        raise _fail("Y100", Pos(display), reason=exc.strerror) from None
    if len(data) > MAX_FILE_BYTES:  # it grew after the stat
        raise _fail("Y007.grew", Pos(display), limit=MAX_FILE_BYTES)
    return data


def decode(data: bytes, display: str) -> str:
    """Story file bytes as UTF-8 text; binary files and bad UTF-8 are refused."""
    if b"\x00" in data:
        at = data.index(b"\x00")
        line = data.count(b"\n", 0, at) + 1
        raise _fail("Y009", Pos(display, line, 1))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail("Y008", Pos(display, line, col)) from None


def read_text(path: Path, display: str) -> str:
    """Read a story file as UTF-8 text, within the size bound."""
    return decode(read_bytes(path, display), display)


def compose(text: str, display: str, loader: type | None = None) -> YNode | None:
    """Compose one YAML document into a tree of positioned values.

    Returns None for an empty document. Raises YamlProblem on the first
    problem (YAML errors stop the file: nothing after them is trustworthy).
    ``loader`` picks PyYAML's parser (default: libyaml's when available).

    This loop runs once per YAML event of every story file, so it is written
    for speed: the open container lives in local variables (a stack keeps the
    ones around it), classes are compared by identity, and plain words skip
    the YAML 1.1 resolver.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    loader = loader or _LOADER
    # the open container: a mapping or a list (None at the top), its anchor,
    # and for a mapping the key scalar waiting for its value and its text
    container: Any = None
    is_map = False
    anchor: str | None = None
    key: YScalar | None = None
    key_text = ""
    stack: list[tuple[Any, bool, str | None, YScalar | None, str]] = []
    anchors: dict[str, YNode] = {}
    open_anchors: set[str] = set()
    root: YNode | None = None
    documents = 0
    total = 0
    may_resolve = _MAY_RESOLVE
    letters = _LETTER_STARTS
    words = _WORDS
    resolve = _resolve_special

    def named(node: YNode, name: str) -> None:
        if name not in open_anchors:
            anchors[name] = node

    def put(node: YNode) -> None:
        """Put a finished value into the open container (or make it the root)."""
        nonlocal root, key, key_text
        if is_map:
            if key is None:
                if node.__class__ is not YScalar:
                    raise _fail("Y011", node.pos)
                assert isinstance(node, YScalar)
                text = node.text if node.plain else str(node.value)
                if text in container.items:
                    raise _fail("Y002", node.pos, key=text, line=container.items[text][0].line)
                key, key_text = node, text
            else:
                container.items[key_text] = (key, node)
                container.size += node.size
                key = None
        elif container is not None:
            container.items.append(node)
            container.size += node.size
        else:
            root = node

    parser = None
    try:
        parser = loader(text)
        get_event = parser.get_event
        while True:
            event = get_event()
            cls = event.__class__
            if cls is ScalarEvent:  # the common case first
                tag = event.tag
                if tag is not None and tag != "!":
                    raise _tag_problem(tag, _pos(display, event))
                total += 1
                if total > MAX_VALUES:
                    raise _fail("Y005", Pos(display), limit=MAX_VALUES)
                raw = event.value
                if len(raw) > MAX_SCALAR_CHARS:
                    raise _fail("Y013", _pos(display, event), length=len(raw), limit=MAX_SCALAR_CHARS)
                mark = event.start_mark
                style = event.style
                # plain and untagged: resolved (a number, a bool ...); the non-specific tag "!"
                # makes text, as YAML says (libyaml and PyYAML disagree on its "implicit" for "!" alone)
                if not style and event.implicit[0] and tag is None:  # libyaml says "" for plain, PyYAML None
                    # most plain words are text: the resolver is asked only
                    # when the first character may start a number, a bool, ...
                    if not raw or raw[0] in may_resolve:
                        value = words.get(raw, raw) if raw and raw[0] in letters else resolve(raw)
                    else:
                        value = raw
                    scalar = YScalar(
                        value,
                        raw,
                        True,
                        display,
                        mark.line + 1,
                        mark.column + 1,
                    )
                else:
                    scalar = YScalar(raw, raw, False, display, mark.line + 1, mark.column + 1, style or None)
                if event.anchor is not None:
                    named(scalar, event.anchor)
                # put() inline for the common shapes: a mapping's value, a list's item
                if is_map and key is not None:
                    container.items[key_text] = (key, scalar)
                    container.size += 1
                    key = None
                elif not is_map and container is not None:
                    container.items.append(scalar)
                    container.size += 1
                else:
                    put(scalar)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                tag = event.tag
                if tag is not None and tag != "!":
                    raise _tag_problem(tag, _pos(display, event))
                total += 1
                if total > MAX_VALUES:
                    raise _fail("Y005", Pos(display), limit=MAX_VALUES)
                if len(stack) >= MAX_DEPTH:
                    raise _fail("Y004", _pos(display, event), limit=MAX_DEPTH)
                mark = event.start_mark
                stack.append((container, is_map, anchor, key, key_text))
                is_map = cls is MappingStartEvent
                if is_map:
                    container = YMap(display, mark.line + 1, mark.column + 1, bool(event.flow_style))
                else:
                    container = YSeq([], display, mark.line + 1, mark.column + 1, bool(event.flow_style))
                anchor = event.anchor
                if anchor is not None:
                    open_anchors.add(anchor)
                key = None
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                done, name = container, anchor
                container, is_map, anchor, key, key_text = stack.pop()
                if name is not None:
                    open_anchors.discard(name)
                    named(done, name)
                put(done)
            elif cls is AliasEvent:
                name = event.anchor
                if name in open_anchors:
                    raise _fail("Y006", _pos(display, event), name=name)
                if name not in anchors:
                    raise YamlProblem(problem("Y001.alias", _pos(display, event), name=name), alias=name)
                target = anchors[name]
                total += target.size
                if total > MAX_VALUES:
                    raise _fail("Y005.aliases", _pos(display, event), limit=MAX_VALUES)
                put(target)
            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _fail("Y010", _pos(display, event))
            elif event is None or cls is StreamEndEvent:
                break
    except yaml.MarkedYAMLError as exc:
        raise YamlProblem(_syntax_problem(exc, text, display)) from None
    except yaml.reader.ReaderError as exc:
        index = int(exc.position)
        if loader is not yaml.SafeLoader:  # libyaml counts bytes of the UTF-8 text
            index = len(text.encode("utf-8")[:index].decode("utf-8", "ignore"))
        raise _fail("Y001", _index_to_pos(display, text, index), detail=exc.reason) from None
    except UnicodeEncodeError as exc:  # a lone surrogate: only from text not read from a file
        raise _fail("Y008.unicode", _index_to_pos(display, text, exc.start)) from None
    except yaml.YAMLError as exc:  # any other parser complaint
        raise _fail("Y001", Pos(display), detail=(str(exc).splitlines() or ["unreadable"])[0]) from None
    finally:
        if parser is not None:
            parser.dispose()
    if root is not None and root.size > MAX_VALUES:
        raise _fail("Y005", Pos(display), limit=MAX_VALUES)
    return root


# what libyaml says it was reading when it met the end of a bracket or quote
# that was never closed: the name of what was opened
_OPENED = {
    "while parsing a flow mapping": '"{"',
    "while parsing a flow sequence": '"["',
    "while parsing a flow node": "bracket",
    "while scanning a quoted scalar": "quote",
}
# a value that starts with [ or { on a "key: value" or "- value" line
_FLOW_START = re.compile(r"^\s*(?:-\s+)*(?:[^\s#\[{][^#]*?:\s+)?(?:-\s+)*([\[{])")


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, display: str) -> Problem:
    """The one line for a YAML syntax error: a tab, an unclosed bracket or
    quote (pointing at where it was opened), text that starts with a bracket."""
    mark = exc.problem_mark or exc.context_mark
    pos = Pos(display, mark.line + 1, mark.column + 1) if mark else Pos(display)
    detail = (exc.problem or exc.context or "invalid YAML").strip()
    context = (exc.context or "").strip()
    if "maximum nesting depth" in detail:  # libyaml's own bound (1000) met while looking ahead
        return problem("Y004", pos, limit=MAX_DEPTH)
    lines = text.splitlines()
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    tab = line[mark.column : mark.column + 1] == "\t" if mark is not None else False
    if "tab character" in detail or ("cannot start any token" in detail and tab):
        return problem("Y017", pos)
    opened = exc.context_mark
    what = _OPENED.get(context)
    if what is not None and opened is not None and mark is not None and (opened.line, opened.column) != (mark.line, mark.column):
        if what == "quote":
            quote = lines[opened.line][opened.column : opened.column + 1] if opened.line < len(lines) else '"'
            what = f"quote ({quote})"
        start = Pos(display, opened.line + 1, opened.column + 1)
        return problem("Y001.opened", start, what=what, line=pos.line, column=pos.column, detail=detail)
    flow = _FLOW_START.match(line)
    if flow is not None and mark is not None and flow.start(1) < mark.column:
        bracket = flow.group(1)
        at = Pos(display, pos.line, flow.start(1) + 1)  # the bracket that started it
        return problem("Y001.bracket", at, detail=detail, bracket=bracket, what="list" if bracket == "[" else "mapping")
    return problem("Y001", pos, detail=detail)


def load_file(path: Path, display: str) -> YNode | None:
    return compose(read_text(path, display), display)


def plain_value(node: YNode) -> object:
    """Convert a positioned tree to plain Python values (bounded by MAX_VALUES)."""
    if isinstance(node, YScalar):
        return node.value
    if isinstance(node, YSeq):
        return [plain_value(item) for item in node.items]
    return {key: plain_value(value) for key, (_, value) in node.items.items()}


# --------------------------------------------------------------------------
# The checker's fast path
# --------------------------------------------------------------------------
# compose_tree() gives the checker a tree of PyYAML's node classes (the
# validator reads nothing else): ScalarNode (value: the text as written;
# style: "" plain, "'" '"' quoted, "|" ">" block), SequenceNode and
# MappingNode (value: the items, or the (key, value) pairs, in order), each
# with the mark where it starts (name: the file's display name, line and
# column from 0).
Tree = Node
# values the fast path lets libyaml's composer build at most: each takes
# about 350 bytes until the file's records are made
FAST_MAX_VALUES = 300_000
# how deep the validator's own reading goes (file, section, object, list,
# object, list, object, table, value): a subtree it does not read may nest
# this much less than MAX_DEPTH before compose() must be asked
_SPEC_DEPTH = 10
# an anchor (&a) or a tag (!t, !!str) can only start where a value does: at
# the start of the text, after white space or after an indicator
_PROPERTY = re.compile(r"[\s\[\]{},:?-][&!]")
# every value starts at one of these characters, or right after one (a key
# before its ":"), or is the document: at most 5 values each, plus 2
_INDICATORS = b":-?,[{"


class Unchecked(Exception):
    """A tree from libyaml's composer holds something only :func:`compose`
    may judge: a key that repeats or is not text, nesting that may be too
    deep, text that may be too long. The validator raises it where it meets
    one; the loader then drops what it found in the file and lets
    :func:`compose` say what is wrong, exactly as without the fast path."""


class _Source:
    """What libyaml reads: a file's UTF-8 bytes (read as they are, not
    encoded again), and a name that every mark carries."""

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        self.read = io.BytesIO(data).read


def _nesting_bounded(parser_class: type) -> bool:
    """Whether this libyaml refuses deep nesting itself (the builds after
    0.2.5 stop at 1,000 levels). Its composer recurses in C once a level, so
    without that bound a file of brackets could overflow the C stack."""
    parser = parser_class("[" * 2000)
    try:
        while parser.get_event() is not None:
            pass
    except yaml.YAMLError as exc:
        return "nesting" in str(exc)
    finally:
        parser.dispose()
    return False


_FAST: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class _CComposer(CParser):
        """libyaml's composer with PyYAML's resolver left out: it is asked
        three times for every value (a path before and after, and the tag),
        and the validator resolves the plain values it reads itself.

        The three hooks are built-in callables that take the arguments the
        composer gives, make nothing new and return at once: a Python
        function here would run three times per value, over two million
        times for a big story (7% of composing it). ``"".format(...)`` is the
        empty string whatever it is given (the tag, never read: a file that
        may hold one is not composed here); ``operator.is_`` and ``tuple``
        stand for the path hooks, whose answers are dropped. Built-in
        functions do not bind to the instance, so they are called as they are.
        """

        resolve = "".format
        descend_resolver = operator.is_
        ascend_resolver = tuple

    if _nesting_bounded(CParser):
        _FAST = _CComposer


def _fast(text: str, data: bytes) -> bool:
    """Whether libyaml's composer may build this file's tree: it holds no
    anchor or tag (the validator does not look for them) and not so many
    values that the tree would be big (its indicators are counted in its
    bytes, in one pass: the same count, as they are all ASCII)."""
    if _FAST is None:
        return False
    if ("&" in text or "!" in text) and (text[:1] in ("&", "!") or _PROPERTY.search(text)):
        return False
    return 5 * (len(data) - len(data.translate(None, _INDICATORS))) + 2 <= FAST_MAX_VALUES


def compose_tree(text: str, display: str, data: bytes | None = None) -> tuple[Tree | None, bool]:
    """One YAML document as the checker's tree, and whether it is checked.

    ``data`` is the text's UTF-8 bytes, when the caller has them (a file as
    read): libyaml reads them as they are. Checked means composed by
    :func:`compose` (every bound and refusal applied, then copied into node
    classes). Otherwise libyaml composed it, and its keys, nesting and text
    lengths are for the validator to check (see :class:`Unchecked`); it can
    hold no anchor, alias or tag and fewer than ``FAST_MAX_VALUES`` values.
    Raises YamlProblem as :func:`compose` does.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
        data = None  # libyaml would skip the mark itself; the text without it is read
    if _FAST is not None:
        try:
            data = text.encode("utf-8") if data is None else data
        except UnicodeError:  # a lone surrogate (only in text not read from a file): compose() says where
            data = None
        if data is not None and _fast(text, data):
            parser = _FAST(_Source(data, display))
            try:
                return parser.get_single_node(), False
            except (yaml.YAMLError, UnicodeError):
                pass  # compose() finds the problem and says where
            finally:
                parser.dispose()
    return as_tree(compose(text, display)), True


def as_tree(node: YNode | None) -> Tree | None:
    """:func:`compose`'s values as node classes (sharing what aliases share)."""
    made: dict[int, Tree] = {}

    def copy(y: YNode) -> Tree:
        found = made.get(id(y))
        if found is not None:
            return found
        mark = Mark(y.file, 0, y.line - 1, y.column - 1, None, None)  # type: ignore[arg-type]
        out: Tree
        if isinstance(y, YScalar):
            out = ScalarNode("", y.text, mark, None, "" if y.plain else (y.style or "'"))
        elif isinstance(y, YSeq):
            out = SequenceNode("", [copy(item) for item in y.items], mark, None, y.flow)
        else:
            out = MappingNode("", [(copy(k), copy(v)) for k, v in y.items.values()], mark, None, y.flow)
        made[id(y)] = out
        return out

    return None if node is None else copy(node)


def mapping(node: MappingNode) -> dict[str, tuple[ScalarNode, Tree]]:
    """A mapping's (key, value) pairs by the key's text, in order.

    Raises Unchecked for a key that is a list or a mapping, or that repeats.
    """
    pairs = node.value
    try:
        items = {pair[0].value: pair for pair in pairs}
    except TypeError:  # a list's or a mapping's value is a list
        raise Unchecked from None
    if len(items) != len(pairs):
        raise Unchecked
    return items


def check_unread(node: Tree) -> None:
    """Check a subtree of a fast tree that the validator does not read (the
    value of an unknown field, a list where text was expected) for what
    :func:`compose` refuses; raise Unchecked if it may hold any."""
    todo = [(node, 1)]
    while todo:
        here, depth = todo.pop()
        if here.__class__ is ScalarNode:
            if len(here.value) > MAX_SCALAR_CHARS:
                raise Unchecked
            continue
        if depth > MAX_DEPTH - _SPEC_DEPTH:
            raise Unchecked
        if here.__class__ is MappingNode:
            for key, value in mapping(here).values():
                todo += ((key, depth + 1), (value, depth + 1))
        else:
            todo += ((item, depth + 1) for item in here.value)


def scalar_value(node: ScalarNode) -> object:
    """A scalar's value: plain ones by YAML 1.1 rules (bool, int, float,
    None), as :func:`compose` reads them; others as written."""
    raw: str = node.value
    if node.style or (raw and raw[0] not in _MAY_RESOLVE):
        return raw
    if len(raw) > MAX_SCALAR_CHARS:  # compose() refuses it before reading it
        raise Unchecked
    return _WORDS.get(raw, raw) if raw and raw[0] in _LETTER_STARTS else _resolve_special(raw)


def may_resolve(text: str) -> bool:
    """Whether plain text could be read as something else than text."""
    return not text or text[0] in _MAY_RESOLVE


def mark_pos(mark: Mark) -> Pos:
    return Pos(mark.name, mark.line + 1, mark.column + 1)


def node_pos(node: Tree) -> Pos:
    mark = node.start_mark
    return Pos(mark.name, mark.line + 1, mark.column + 1)


def position_in(node: ScalarNode, offset: int, lines: Sequence[str]) -> Pos:
    """The position of character ``offset`` of a scalar's value.

    Exact for plain and quoted scalars on one line and for block scalars
    (``|``, ``>``; ``lines`` are the file's lines, to find their indentation);
    in a folded or multi-line quoted scalar, the line is found and the column
    is the scalar's.
    """
    value: str = node.value
    mark = node.start_mark
    first, column = mark.line + 1, mark.column + 1
    if node.style in ("|", ">"):
        line = first + 1 + value.count("\n", 0, offset)
        indent = 0
        if 0 < line <= len(lines):
            text_line = lines[line - 1]
            indent = len(text_line) - len(text_line.lstrip(" "))
        col = indent + offset - (value.rfind("\n", 0, offset) + 1) + 1
        return Pos(mark.name, line, col)
    if "\n" in value[:offset]:
        return Pos(mark.name, first + value.count("\n", 0, offset), column)
    quote = 1 if node.style in ("'", '"') else 0
    return Pos(mark.name, first, column + quote + offset)
