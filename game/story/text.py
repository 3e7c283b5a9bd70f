"""Story text: interpolation, conditional passages, and display safety.

Story text is data, never markup. The template syntax is deliberately small:

* ``{meter_id}`` is replaced by the meter's value, ``{flag_id}`` by true or
  false, ``{node_id}`` and ``{event_id}`` by how many times the node was
  visited (the current visit included) or the event fired, ``{turn}`` by the
  decisions made; ``{player}`` by the player's name, or the story's
  ``player_default`` when the player gave none;
* ``{if CONDITION}`` ... ``{else}`` ... ``{end}`` shows a passage only when
  the condition holds (they nest);
* ``{{`` and ``}}`` write literal braces.

:func:`clean` strips terminal control characters from any text before it is
displayed; front ends must also never hand story text to a markup parser.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Union

from .codes import code_of, message
from .conditions import ConditionError, Expr, Getter, StateView, Symbol, compile_expr, names
from .diagnostics import one_line
from .drafts import quick

DEFAULT_PLAYER = "Player"  # what {player} shows when neither the player nor the story gives a name

# C0 and C1 controls except newline and tab; DEL; bidi *override* or
# isolate controls that can reorder what the terminal shows; and lone
# surrogates (a player name from a command line that is not UTF-8), which
# cannot be written to a UTF-8 terminal at all.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_ANSI_RE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")


def clean(text: str) -> str:
    """Remove escape sequences and control characters; keep newlines and tabs."""
    if not text:
        return text
    text = _ANSI_RE.sub("", text)
    return _CONTROL_RE.sub("", text)


def clean_line(text: str) -> str:
    """Like :func:`clean`, for single-line fields: newlines become spaces."""
    return " ".join(clean(text).split())


_WORD_RE = re.compile(r"[\w’'-]+")
_WORD_CHAR = re.compile(r"[\w’'-]")
# for counting in UTF-8 bytes: an ASCII word character (a letter, a digit, _, '
# or -) becomes "a", any other ASCII character a space, and every byte of a
# non-ASCII character "a" (those that are not word characters are made spaces first)
_WORD_BYTES = bytes(97 if i > 127 or chr(i).isalnum() or chr(i) in "_'-" else 32 for i in range(256))
_ASCII_BYTES = bytes(range(128))


def word_count(text: str) -> int:
    """The words of a text: its runs of letters, digits, _, ', ’ and - (after NFC normalisation)."""
    text = unicodedata.normalize("NFC", text)
    if len(text) < 200:
        return len(_WORD_RE.findall(text))
    # a long text (a whole story's): the same count from its bytes, with no
    # string made for each word
    data = text.encode("utf-8", "surrogatepass")
    if not text.isascii():
        for ch in set(data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")):
            if not _WORD_CHAR.match(ch):
                data = data.replace(ch.encode("utf-8", "surrogatepass"), b" ")
    marked = data.translate(_WORD_BYTES)
    return marked.count(b" a") + marked.startswith(b"a")


class TemplateError(Exception):
    """A problem in a template, at character ``offset`` of its text.

    ``unknown`` is the name of a T003 (or of a C002 inside ``{if}``), so the
    loader can tell a misspelling from a reference to something that failed
    to load.
    """

    def __init__(self, code: str, message: str, offset: int, unknown: str | None = None) -> None:
        self.code = code
        self.message = one_line(message)  # it may quote an author's text across lines
        self.offset = offset
        self.unknown = unknown
        super().__init__(message)

    @classmethod
    def of(cls, key: str, offset: int, **fields: object) -> TemplateError:
        """The registry's message ``key`` (see :mod:`.codes`)."""
        unknown = fields.get("name")
        return cls(code_of(key), message(key, **fields), offset, unknown if isinstance(unknown, str) else None)


@dataclass(frozen=True, slots=True)
class Var:
    """``{name}`` in a text: what the getter reads, shown."""

    name: str
    getter: Getter  # for {player}: the story's default name


@dataclass(frozen=True, slots=True)
class Cond:
    """``{if ...}`` ... ``{else}`` ... ``{end}``: the passages shown when the condition holds or not."""

    expr: Expr
    then: tuple[Part, ...]
    otherwise: tuple[Part, ...]


Part = Union[str, Var, Cond]


@dataclass(frozen=True, slots=True)
class Template:
    """A story text compiled: its source and its parts (text, names, conditional passages)."""

    source: str
    parts: tuple[Part, ...]

    def render(self, state: StateView, player: str = "") -> str:
        out: list[str] = []
        _render(self.parts, state, player, out)
        return "".join(out)

    def all_text(self) -> str:
        """Every passage, whatever the conditions (for word counts)."""
        out: list[str] = []
        _all(self.parts, out)
        return "".join(out)

    @property
    def names(self) -> set[str]:
        found: set[str] = set()
        self.add_names(found)
        return found

    def add_names(self, found: set[str]) -> None:
        """Add the names it reads to ``found`` (what ``names`` gives, with no set made)."""
        _names(self.parts, found)


_Var, _Template = quick(Var), quick(Template)  # one per text of a big story (see .drafts)


def _render(parts: tuple[Part, ...], state: StateView, player: str, out: list[str]) -> None:
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Var):
            out.append((player or part.getter(state)) if part.name == "player" else str(part.getter(state)))
        else:
            _render(part.then if part.expr(state) else part.otherwise, state, player, out)


def _all(parts: tuple[Part, ...], out: list[str]) -> None:
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Cond):
            _all(part.then, out)
            out.append(" ")
            _all(part.otherwise, out)


def _names(parts: tuple[Part, ...], found: set[str]) -> None:
    for part in parts:
        if part.__class__ is str:
            continue
        if isinstance(part, Var):
            found.add(part.name)
        elif isinstance(part, Cond):
            found |= names(part.expr.tree)
            _names(part.then, found)
            _names(part.otherwise, found)


def _tags(source: str) -> Iterator[tuple[int, int, str, str | None]]:
    """The braces of a text, in order, as (start, end, token, inner): ``{{``
    and ``}}`` (escaped braces), ``{...}`` with no brace inside (a tag, and
    its inside), or a lone ``{`` or ``}``. What the regular expression
    ``\\{\\{|\\}\\}|\\{([^{}]*)\\}|[{}]`` finds, found with str.find (a
    third of its time on a scene's text)."""
    find = source.find
    opening, closing = find("{"), find("}")
    while opening >= 0 or closing >= 0:
        at = opening if closing < 0 or 0 <= opening < closing else closing
        brace = source[at]
        if source.startswith(brace, at + 1):  # {{ or }}
            end = at + 2
            yield at, end, brace * 2, None
        elif brace == "{":
            if closing < at:
                closing = find("}", at + 1)
            nxt = find("{", at + 1)
            if closing >= 0 and (nxt < 0 or closing < nxt):
                end = closing + 1
                yield at, end, source[at:end], source[at + 1 : closing]
            else:
                end = at + 1
                yield at, end, "{", None
        else:
            end = at + 1
            yield at, end, "}", None
        if opening < end:
            opening = find("{", end)
        if closing < end:
            closing = find("}", end)


_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
MAX_NESTING = 8


def compile_template(
    source: str,
    symbols: Mapping[str, Symbol],
    suggest: Callable[[str], str] | None = None,
    *,
    player_default: str = DEFAULT_PLAYER,
    compiled: dict[tuple[str, str], Expr] | None = None,
) -> Template:
    """Compile text; raises TemplateError (with a character offset) on problems.

    ``player_default`` is what ``{player}`` shows when the game has no name;
    ``compiled`` keeps conditions compiled with the same symbols, by (text,
    type), for reuse (a condition that does not compile is not kept).
    """
    if "{" not in source and "}" not in source:  # most text: nothing to fill in
        return _Template(source, (source,) if source else ())
    simple = _simple(source, symbols, player_default) if "{if" not in source else None
    if simple is not None:
        return simple
    # stack of (then-parts, else-parts or None, expr, offset)
    root: list[Part] = []
    stack: list[tuple[list[Part], list[Part] | None, Expr, int]] = []
    current = root
    pos = 0
    for start, pos_end, tok, tag in _tags(source):
        if start > pos:
            current.append(source[pos:start])
        pos = pos_end
        if tok == "{{":
            current.append("{")
            continue
        if tok == "}}":
            current.append("}")
            continue
        if tok in ("{", "}"):
            raise TemplateError.of("T001", start, brace=tok)
        inner = (tag or "").strip()
        if inner.startswith("if ") or inner == "if":
            cond_text = inner[2:].strip()
            try:
                found = compiled.get((cond_text, "bool")) if compiled is not None else None
                expr = found if found is not None else compile_expr(cond_text, symbols, "bool", suggest)
                if compiled is not None:
                    compiled[(cond_text, "bool")] = expr
            except ConditionError as exc:
                # offset of the condition inside the text
                at = start + tok.index(cond_text) if cond_text else start
                raise TemplateError(exc.code, f"in {{if}}: {exc.message}", at + exc.column - 1, exc.unknown) from None
            if len(stack) >= MAX_NESTING:
                raise TemplateError.of("T002.nest", start, limit=MAX_NESTING)
            branch: list[Part] = []
            stack.append((branch, None, expr, start))
            current = branch
        elif inner == "else":
            if not stack or stack[-1][1] is not None:
                raise TemplateError.of("T002.stray_else", start)
            top = stack[-1]
            other: list[Part] = []
            stack[-1] = (top[0], other, top[2], top[3])
            current = other
        elif inner == "end":
            if not stack:
                raise TemplateError.of("T002.stray_end", start)
            done = stack.pop()
            if stack:
                outer = stack[-1]
                current = outer[1] if outer[1] is not None else outer[0]
            else:
                current = root
            current.append(Cond(done[2], tuple(done[0]), tuple(done[1] or ())))
        else:
            sym = symbols.get(inner) if inner != "player" else Symbol("text", _constant(player_default))
            if sym is None or not _NAME_RE.fullmatch(inner):
                hint = suggest(inner) if suggest else ""
                raise TemplateError.of("T003", start, name=inner, hint=hint)
            current.append(_Var(inner, _shown(sym)))
    if pos < len(source):
        current.append(source[pos:])
    if stack:
        raise TemplateError.of("T002.open", stack[-1][3])
    return _Template(source, tuple(root))


# a tag that can only be a {name} (the control words aside)
_SIMPLE_TAG = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_CONTROL_WORDS = frozenset(("if", "else", "end"))


def _simple(source: str, symbols: Mapping[str, Symbol], player_default: str) -> Template | None:
    """The template of a text whose every brace belongs to a ``{name}`` of a
    known name (a scene that shows a meter, say): the same parts the parser
    in :func:`compile_template` makes, without it. None for any other text
    (escaped or lone braces, conditions, unknown names): the parser reads it
    and says what is wrong."""
    pieces = _SIMPLE_TAG.split(source)  # text, name, text, name, ..., text
    tags = len(pieces) // 2
    if source.count("{") != tags or source.count("}") != tags:
        return None
    parts: list[Part] = []
    for i, piece in enumerate(pieces):
        if not i % 2:
            if piece:
                parts.append(piece)
            continue
        if piece in _CONTROL_WORDS:
            return None
        sym = symbols.get(piece) if piece != "player" else Symbol("text", _constant(player_default))
        if sym is None:
            return None
        parts.append(_Var(piece, _shown(sym)))
    return _Template(source, tuple(parts))


def _constant(text: str) -> Getter:
    return lambda s: text


def _shown(sym: Symbol) -> Getter:
    """How a name shows in text: numbers as digits, a flag as true or false."""
    if sym.type != "bool":
        return sym.getter
    getter = sym.getter
    return lambda s: "true" if getter(s) else "false"
