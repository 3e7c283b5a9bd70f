"""Coverage-guided fuzzing of the story loader (YAML reading, validation, compilation).

    python tests/fuzz/fuzz_loader.py -max_total_time=300

Each input is written as the only file of a story folder and checked with
``check_story``. Anything but a CheckResult is a crash: an exception, a
problem that is not one printable line, or an exit code out of range. When
the input is a loadable story, a few seeded random playthroughs run through
the engine and each state goes through a save round trip, so mutated stories
also fuzz the engine and the save code.
"""

from __future__ import annotations

import json
import sys

import _support
import atheris

with atheris.instrument_imports(include=["game"]):
    from game.engine import new_game, options
    from game.engine.core import choose
    from game.saves import dumps, parse_envelope, state_from_envelope
    from game.story import check_story
    from game.story.diagnostics import Problem

FOLDER = _support.scratch()
FILE = FOLDER / "story.yaml"


def check_problem(p: Problem) -> None:
    line = str(p)
    if "\n" in line or "\r" in line or any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in line):
        raise AssertionError(f"problem is not one printable line: {line!r}")


def play(story: object) -> None:
    for seed in range(3):
        state = new_game(story, seed, "Fuzz")  # type: ignore[arg-type]
        for turn in range(60):
            if state.ending is not None:
                break
            enabled = [o for o in options(story, state) if o.enabled]  # type: ignore[arg-type]
            if not enabled:
                break
            pick = enabled[(seed * 7 + turn) % len(enabled)]
            state = choose(story, state, pick.choice.id)  # type: ignore[arg-type]
            for i, m in enumerate(story.meters):  # type: ignore[attr-defined]
                if not m.min <= state.meters[i] <= m.max:
                    raise AssertionError(f"meter {m.id} out of range: {state.meters[i]}")
        data = json.loads(dumps(story, state))  # type: ignore[arg-type]
        again = state_from_envelope(parse_envelope(data, "fuzz"), story, "fuzz")  # type: ignore[arg-type]
        if again != state:
            raise AssertionError("save round trip changed the state")


def test_one_input(data: bytes) -> None:
    FILE.write_bytes(data)
    result = check_story(FOLDER)
    if result.exit_code not in (0, 1, 2):
        raise AssertionError(f"exit code {result.exit_code}")
    for p in result.problems:
        check_problem(p)
    if result.story is not None and not result.errors:
        play(result.story)


def main() -> None:
    atheris.Setup(_support.argv("loader"), test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    sys.exit(main())
