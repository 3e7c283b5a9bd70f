"""Coverage-guided fuzzing of the condition language and story text templates.

    python tests/fuzz/fuzz_conditions.py -max_total_time=300

Any text must either compile or raise ConditionError (TemplateError for
templates); whatever compiles must evaluate, on a range of states, to a value
of its declared type (true/false or a whole number within the clamp).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import _support
import atheris

with atheris.instrument_imports(include=["game"]):
    from game.story.conditions import MAX_NUMBER, ConditionError, Symbol, compile_expr
    from game.story.text import TemplateError, compile_template


@dataclass
class State:
    meters: tuple[int, ...]
    flags: tuple[bool, ...]
    counts: tuple[int, ...]
    turn: int


SYMBOLS = {
    "us": Symbol("number", lambda s: s.meters[0]),
    "gulf": Symbol("number", lambda s: s.meters[1]),
    "domestic": Symbol("number", lambda s: s.meters[2]),
    "revisions_tabled": Symbol("bool", lambda s: s.flags[0]),
    "deployed": Symbol("bool", lambda s: s.flags[1]),
    "the_cable": Symbol("number", lambda s: s.counts[0]),
    "turn": Symbol("number", lambda s: s.turn),
}
STATES = [
    State((0, 0, 0), (False, False), (0,), 0),
    State((50, 50, 55), (True, False), (1,), 3),
    State((100, 100, 100), (True, True), (7,), 40),
    State((-1_000_000, 1_000_000, 9), (False, True), (1_000_000,), 10_000),
]


def check_value(value: object, want: str, text: str) -> None:
    if want == "bool":
        if not isinstance(value, bool):
            raise AssertionError(f"{text!r} gave {value!r}, not true/false")
    elif isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_NUMBER:
        raise AssertionError(f"{text!r} gave {value!r}, not a bounded whole number")


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    want = "bool" if fdp.ConsumeBool() else "number"
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    try:
        expr = compile_expr(text, SYMBOLS, want)  # type: ignore[arg-type]
    except ConditionError as exc:
        if not exc.code.startswith("C") or exc.column < 1:
            raise AssertionError(f"bad error {exc.code} at column {exc.column}") from None
    else:
        for state in STATES:
            check_value(expr(state), want, text)
    try:
        template = compile_template(text, SYMBOLS)
    except TemplateError as exc:
        if not 0 <= exc.offset <= len(text):
            raise AssertionError(f"template error offset {exc.offset} outside the text") from None
    else:
        for state in STATES:
            if not isinstance(template.render(state, "Fuzz"), str):
                raise AssertionError("render gave no text")


def main() -> None:
    atheris.Setup(_support.argv("conditions"), test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    sys.exit(main())
