"""Author-facing problems: a stable code, a one-line message and a position.

Every problem the story layer can report is a :class:`Problem`. Codes are
stable (documented in ``docs/story-format.md``); messages are one line.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import re
from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Pos:
    """A position in an author's file: 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem. ``follow_on`` counts the errors that follow from this one
    (references to an object or a file that could not be read): they are not
    reported one by one, and the problem's line says how many there were."""

    code: str
    message: str
    pos: Pos
    severity: Severity = "error"
    follow_on: int = 0

    def __post_init__(self) -> None:
        # messages quote author text; keep them on one line and printable
        object.__setattr__(self, "message", one_line(self.message))

    def __str__(self) -> str:
        # file names come from the story folder too: keep them printable
        return f"{one_line(str(self.pos), 4096)}: {self.severity} {self.code}: {self.message}{self.follows()}"

    def follows(self) -> str:
        """' (and 27 errors that follow from it)', or ''."""
        n = self.follow_on
        if not n:
            return ""
        return f" (and {n:,} error{'s' if n != 1 else ''} that follow{'s' if n == 1 else ''} from it)"

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.pos.file,
            "line": self.pos.line,
            "column": self.pos.column,
            "follow_on": self.follow_on,
        }


class StoryError(Exception):
    """Raised when a story cannot be used.

    ``problems`` are the errors as ``tightrope check`` shows them: root causes
    first, and the errors that only follow from an object or a file that
    could not be read folded into the line of their cause.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0] if problems else None
        super().__init__(str(first) if first else "story could not be loaded")

    def lines(self) -> list[str]:
        """One line per problem, exactly as ``tightrope check`` prints them (for a front end's dialog)."""
        return [str(p) for p in self.problems] or [str(self)]

    def summary(self, root: object) -> str:
        """One line for a front end: the first problem, and where to see the rest."""
        first = self.problems[0] if self.problems else "no usable story"
        more = f" and {len(self.problems) - 1} more" if len(self.problems) > 1 else ""
        return f"the story cannot be loaded: {first} (run tightrope check {root} to see it{more})"


# and lone surrogates (file names that are not UTF-8), which no terminal can be sent
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def one_line(text: str, limit: int = 300) -> str:
    """Escape control characters (newlines included) and shorten long text."""
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1] if m.group() != "\n" else "\\n", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and the word for that many: "1 error", "2 errors", "1,000 earlier copies"."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


# Each suggestion compares the word with every candidate, so a story with
# thousands of wrong ids and thousands of real ones would take minutes. A
# load sets a budget of comparisons (see suggestion_budget); once it is
# spent, problems come without suggestions. Outside a load there is no limit.
_BUDGET: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("suggestion_budget", default=None)
SUGGESTION_BUDGET = 500_000


@contextlib.contextmanager
def suggestion_budget(comparisons: int = SUGGESTION_BUDGET) -> Iterator[None]:
    token = _BUDGET.set([comparisons])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def suggestions_left() -> int | None:
    """The comparisons left in the load's budget (None outside a load)."""
    budget = _BUDGET.get()
    return None if budget is None else budget[0]


def restore_suggestions(left: int | None) -> None:
    """Give back what was spent since :func:`suggestions_left` said ``left``
    (the loader reads a file again and forgets what it found the first time)."""
    budget = _BUDGET.get()
    if budget is not None and left is not None:
        budget[0] = left


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean "x"?)' suffix when a close candidate exists, else ''."""
    budget = _BUDGET.get()
    if budget is not None:
        size = len(candidates) if isinstance(candidates, Sized) else None
        if size is not None and budget[0] < size:  # spent: do not even copy the candidates
            return ""
        pool = list(candidates)
        if budget[0] < len(pool):
            return ""
        budget[0] -= len(pool)
    else:
        pool = list(candidates)
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
