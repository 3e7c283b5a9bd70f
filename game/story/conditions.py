"""The condition language: a tiny, safe expression language of our own.

Grammar (lowest precedence first)::

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)?
    sum        := product (("+" | "-") product)*
    product    := unary ("*" unary)*
    unary      := "-" unary | atom
    atom       := NUMBER | STRING | "true" | "false" | NAME | "(" expr ")"

Names are declared by the story (meters are numbers, flags are booleans,
node and event ids count visits and firings, ``turn`` counts decisions).
There are no calls, attributes, subscripts, powers or division, and the
text is never given to Python's ``eval``: it is tokenised, parsed into a
small tree, type-checked against the story's declarations and compiled into
closures, all once, at load time.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, Union

from .codes import code_of, message

Type = Literal["number", "bool", "text"]


class StateView(Protocol):
    """What a condition reads from a game state (the engine's GameState, or its scratch view)."""

    @property
    def meters(self) -> Sequence[int]: ...
    @property
    def flags(self) -> Sequence[bool]: ...
    @property
    def counts(self) -> Sequence[int]: ...
    @property
    def turn(self) -> int: ...


# a compiled expression's value: a number, true/false or text, as check()
# proved; mypy cannot follow that proof, so closures return Any
Getter = Callable[[StateView], Any]

MAX_LENGTH = 2000
MAX_DEPTH = 32
MAX_NUMBER = 1_000_000_000
MAX_TOKENS = 400


class ConditionError(Exception):
    """A problem in a condition; ``column`` is 1-based within the expression.

    Built from a registry key (``C004.eq``, see :mod:`.codes`); ``unknown`` is
    the unknown name of a C002, so the loader can tell a misspelling from a
    reference to something that failed to load.
    """

    def __init__(self, key: str, column: int, **fields: object) -> None:
        self.code = code_of(key)
        self.message = message(key, **fields)
        self.column = column
        unknown = fields.get("unknown")
        self.unknown = unknown if isinstance(unknown, str) else None
        super().__init__(f"column {column}: {self.message}")


@dataclass(frozen=True, slots=True)
class Token:
    """A token of a condition, with the column (from 1) where it starts."""

    kind: str  # num, str, name, op, end
    text: str
    column: int
    value: object = None


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+)
  | (?P<str>"[^"\\\n]*"|'[^'\\\n]*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|\(|\))
    """,
    re.VERBOSE,
)

# characters the language does not have: the registry key, and its fields
_HINTS: dict[str, tuple[str, dict[str, object]]] = {
    "=": ("C004.eq", {}),
    "**": ("C005.power", {}),
    "/": ("C005.division", {}),
    "%": ("C005.percent", {}),
    ".": ("C005.attribute", {}),
    "[": ("C005.subscript", {}),
    "]": ("C005.subscript", {}),
    ",": ("C005.comma", {}),
    "&&": ("C004.word", {"word": "and", "op": "&&"}),
    "||": ("C004.word", {"word": "or", "op": "||"}),
    "!": ("C004.word", {"word": "not", "op": "!"}),
    "&": ("C004.word", {"word": "and", "op": "&"}),
    "|": ("C004.word", {"word": "or", "op": "|"}),
}

KEYWORDS = {"and", "or", "not", "true", "false"}


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ConditionError("C007.length", 1, length=len(text), limit=MAX_LENGTH)
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        m = _TOKEN_RE.match(text, i)
        col = i + 1
        if m is None:
            two = text[i : i + 2]
            if two in _HINTS:
                key, fields = _HINTS[two]
                raise ConditionError(key, col, **fields)
            ch = text[i]
            if ch in _HINTS:
                key, fields = _HINTS[ch]
                raise ConditionError(key, col, **fields)
            if ch in "\"'":
                raise ConditionError("C001.quote", col)
            raise ConditionError("C001.character", col, char=ch)
        kind = m.lastgroup or ""
        tok = m.group()
        i = m.end()
        if kind == "ws":
            continue
        if kind == "op" and tok == "*" and text.startswith("**", i - 1):
            raise ConditionError("C005.power", col)
        if kind == "num":
            if len(tok) > 10 or int(tok) > MAX_NUMBER:
                raise ConditionError("C008", col, limit=MAX_NUMBER)
            if i < n and text[i] == ".":
                raise ConditionError("C001.whole", i + 1)
            tokens.append(Token("num", tok, col, int(tok)))
        elif kind == "str":
            tokens.append(Token("str", tok, col, tok[1:-1]))
        elif kind == "name":
            if i < n and text[i] == "(":
                raise ConditionError("C005.call", col, call=tok)
            if i < n and text[i] == ".":
                raise ConditionError("C005.attribute", i + 1)
            if i < n and text[i] == "[":
                raise ConditionError("C005.subscript", i + 1)
            tokens.append(Token("op" if tok in KEYWORDS else "name", tok, col))
        else:
            tokens.append(Token("op", tok, col))
        if len(tokens) > MAX_TOKENS:
            raise ConditionError("C007.tokens", col, limit=MAX_TOKENS)
    tokens.append(Token("end", "", n + 1))
    return tokens


# ----------------------------------------------------------------- syntax tree
@dataclass(frozen=True, slots=True)
class Lit:
    """A number, text or true/false written in a condition."""

    value: object
    column: int


@dataclass(frozen=True, slots=True)
class Name:
    """A meter, flag or count read by a condition."""

    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Unary:
    """``not`` or a minus sign applied to one operand."""

    op: str
    operand: Node
    column: int


@dataclass(frozen=True, slots=True)
class Binary:
    """An operator between two operands (comparison, arithmetic, and, or)."""

    op: str
    left: Node
    right: Node
    column: int


Node = Union[Lit, Name, Unary, Binary]

_COMPARE = {"==", "!=", "<", "<=", ">", ">="}


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, text: str) -> bool:
        tok = self.tokens[self.i]
        return tok.kind == "op" and tok.text == text

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ConditionError("C001.empty", 1)
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "end":
            raise ConditionError("C001", tok.column, token=tok.text)
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.at("or"):
            tok = self.take()
            node = Binary("or", node, self.and_expr(), tok.column)
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.at("and"):
            tok = self.take()
            node = Binary("and", node, self.not_expr(), tok.column)
        return node

    def not_expr(self) -> Node:
        if self.at("not"):
            tok = self.take()
            self.enter(tok)
            node = Unary("not", self.not_expr(), tok.column)
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        node = self.sum()
        tok = self.peek()
        if tok.kind == "op" and tok.text in _COMPARE:
            self.take()
            node = Binary(tok.text, node, self.sum(), tok.column)
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text in _COMPARE:
                raise ConditionError("C001.chain", nxt.column)
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.at("+") or self.at("-"):
            tok = self.take()
            node = Binary(tok.text, node, self.product(), tok.column)
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("*"):
            tok = self.take()
            node = Binary("*", node, self.unary(), tok.column)
        return node

    def unary(self) -> Node:
        if self.at("-"):
            tok = self.take()
            self.enter(tok)
            node = Unary("-", self.unary(), tok.column)
            self.depth -= 1
            return node
        return self.atom()

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError("C006", tok.column, limit=MAX_DEPTH)

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "num" or tok.kind == "str":
            return Lit(tok.value, tok.column)
        if tok.kind == "name":
            return Name(tok.text, tok.column)
        if tok.kind == "op" and tok.text in ("true", "false"):
            return Lit(tok.text == "true", tok.column)
        if tok.kind == "op" and tok.text == "(":
            self.enter(tok)
            node = self.or_expr()
            self.depth -= 1
            close = self.take()
            if not (close.kind == "op" and close.text == ")"):
                raise ConditionError("C001.paren", close.column)
            return node
        if tok.kind == "end":
            raise ConditionError("C001.early", tok.column)
        raise ConditionError("C001", tok.column, token=tok.text)


def parse(text: str) -> Node:
    """Parse condition text into a tree. Raises only ConditionError."""
    if not isinstance(text, str):
        raise ConditionError("C001.text", 1)
    return _Parser(tokenize(text)).parse()


# ----------------------------------------------------------------- types
@dataclass(frozen=True, slots=True)
class Symbol:
    """A name the story declares: its type and how to read it from a state."""

    type: Type
    getter: Getter


def _type_name(t: Type) -> str:
    return {"number": "a number", "bool": "true/false", "text": "text"}[t]


def check(node: Node, symbols: Mapping[str, Symbol], suggest: Callable[[str], str] | None = None) -> Type:
    """Type-check a tree against declared symbols; return its type."""
    if isinstance(node, Lit):
        if isinstance(node.value, bool):
            return "bool"
        return "number" if isinstance(node.value, int) else "text"
    if isinstance(node, Name):
        sym = symbols.get(node.name)
        if sym is None:
            hint = suggest(node.name) if suggest else ""
            raise ConditionError("C002", node.column, unknown=node.name, hint=hint)
        return sym.type
    if isinstance(node, Unary):
        inner = check(node.operand, symbols, suggest)
        want: Type = "bool" if node.op == "not" else "number"
        if inner != want:
            raise ConditionError("C003.unary", node.column, op=node.op, want=_type_name(want), got=_type_name(inner))
        return want
    left = check(node.left, symbols, suggest)
    right = check(node.right, symbols, suggest)
    if node.op in ("and", "or"):
        for side, t in ((node.left, left), (node.right, right)):
            if t != "bool":
                raise ConditionError("C003.logic", _column(side), op=node.op, got=_type_name(t))
        return "bool"
    if node.op in ("==", "!="):
        if left != right:
            raise ConditionError("C003.equal", node.column, left=_type_name(left), right=_type_name(right))
        return "bool"
    if node.op in _COMPARE:
        if left != "number" or right != "number":
            bad = left if left != "number" else right
            raise ConditionError("C003.order", node.column, op=node.op, got=_type_name(bad))
        return "bool"
    if left != "number" or right != "number":
        bad = left if left != "number" else right
        raise ConditionError("C003.arith", node.column, op=node.op, got=_type_name(bad))
    return "number"


def _column(node: Node) -> int:
    return node.column


def names(node: Node) -> set[str]:
    """Every name the expression reads."""
    if isinstance(node, Name):
        return {node.name}
    if isinstance(node, Lit):
        return set()
    if isinstance(node, Unary):
        return names(node.operand)
    return names(node.left) | names(node.right)


# ----------------------------------------------------------------- compile
_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}


def _clamp(value: int) -> int:
    # arithmetic is bounded so that no expression can build a huge integer
    if value > MAX_NUMBER:
        return MAX_NUMBER
    if value < -MAX_NUMBER:
        return -MAX_NUMBER
    return value


def compile_node(node: Node, symbols: Mapping[str, Symbol]) -> Getter:
    """Compile a checked tree into a closure taking a state view."""
    if isinstance(node, Lit):
        value = node.value
        return lambda s: value
    if isinstance(node, Name):
        return symbols[node.name].getter
    if isinstance(node, Unary):
        inner = compile_node(node.operand, symbols)
        if node.op == "not":
            return lambda s: not inner(s)
        return lambda s: -inner(s)
    left = compile_node(node.left, symbols)
    right = compile_node(node.right, symbols)
    if node.op == "and":
        return lambda s: left(s) and right(s)
    if node.op == "or":
        return lambda s: left(s) or right(s)
    fn = _BINOPS[node.op]
    if node.op in ("+", "-", "*"):
        return lambda s: _clamp(fn(left(s), right(s)))
    # fold constant right-hand sides, the common case (`us >= 40`)
    if isinstance(node.right, Lit):
        const = node.right.value
        return lambda s: fn(left(s), const)
    return lambda s: fn(left(s), right(s))


@dataclass(frozen=True, slots=True)
class Expr:
    """A parsed, checked and compiled expression."""

    source: str
    type: Type
    tree: Node
    evaluate: Getter

    def __call__(self, state: StateView) -> Any:
        return self.evaluate(state)


def compile_expr(
    text: str,
    symbols: Mapping[str, Symbol],
    want: Type = "bool",
    suggest: Callable[[str], str] | None = None,
) -> Expr:
    """Parse, check and compile; the result must have type ``want``."""
    tree = parse(text)
    got = check(tree, symbols, suggest)
    if got != want:
        raise ConditionError("C003.result", 1, want=_type_name(want), got=_type_name(got))
    return Expr(text, got, tree, compile_node(tree, symbols))
