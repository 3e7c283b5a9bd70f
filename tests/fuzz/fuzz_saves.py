"""Coverage-guided fuzzing of the save reader.

    python tests/fuzz/fuzz_saves.py -max_total_time=300

Each input is written as a save file and read with ``read_save`` for the
starter story: it must either raise SaveError with a one-line message or give
a state the story can reach (meters in range, equal to a replay of its own
history), which then saves and loads back to an equal state.
"""

from __future__ import annotations

import sys

import _support
import atheris

with atheris.instrument_imports(include=["game"]):
    from game.engine import history, replay
    from game.saves import SaveError, read_save, write_save
    from game.story import load_story

STORY = load_story(_support.STARTER)
FOLDER = _support.scratch()
FILE = FOLDER / "fuzz.json"
AGAIN = FOLDER / "again.json"


def test_one_input(data: bytes) -> None:
    FILE.write_bytes(data)
    try:
        state = read_save(FILE, STORY)
    except SaveError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"message is not one line: {exc}") from None
        return
    for i, m in enumerate(STORY.meters):
        if not m.min <= state.meters[i] <= m.max:
            raise AssertionError(f"meter {m.id} out of range after load")
    steps = [(s.choice, s.rationale) for s in history(state)]
    if replay(STORY, state.seed, steps, state.player) != state:
        raise AssertionError("loaded state is not the replay of its history")
    write_save(AGAIN, STORY, state)
    if read_save(AGAIN, STORY) != state:
        raise AssertionError("save round trip changed the state")


def main() -> None:
    atheris.Setup(_support.argv("saves"), test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    sys.exit(main())
