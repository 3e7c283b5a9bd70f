"""Crash safety of saves: SIGKILL at random moments while saving, hundreds of times.

A child process (forked, so it starts in a millisecond with the story
already loaded) writes two alternating states to one slot as fast as it
can; the parent kills it with SIGKILL after a random delay of up to 20 ms
(or six saves' time on a slow disk),
then checks the save folder: the slot must always load with read_save, to
one of the two states, and so must its .bak. A kill that lands after the
temporary file was created but before the rename leaves that temporary file
behind; the test counts those to show that kills really hit writes in
progress. The same harness, given a naive writer that overwrites the slot in
place, finds a torn save: so it can fail.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from game.engine import GameState, new_game
from game.engine.core import choose
from game.saves import SaveError, dumps, read_save, write_save
from game.story import Story

KILLS = 300
Writer = Callable[[Path, Story, GameState], object]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def _child(writer: Writer, slot: Path, story: Story, states: tuple[GameState, GameState]) -> None:
    """Save the two states in turn until killed. Never returns."""
    try:
        k = 0
        while True:
            writer(slot, story, states[k % 2])
            k += 1
    except BaseException:  # any failure shows in the exit status, never inside pytest
        os._exit(3)


def write_time(writer: Writer, slot: Path, story: Story, state: GameState) -> float:
    """How long one save takes here (fsync makes it depend on the disk)."""
    times = []
    for _ in range(5):
        began = time.perf_counter()
        writer(slot, story, state)
        times.append(time.perf_counter() - began)
    return sorted(times)[2]


def kill_loop(writer: Writer, slot: Path, story: Story, old: GameState, new: GameState, kills: int, seed: int) -> Counter[str]:
    """Kill a writing child `kills` times; tally what the save folder holds after each kill."""
    rng = random.Random(seed)
    tally: Counter[str] = Counter()
    # kill within a few saves' time, so kills land before, during and after
    # saves whether the disk is fast or slow
    longest = max(0.02, 6 * write_time(writer, slot, story, new))
    for _ in range(kills):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            _child(writer, slot, story, (old, new))
        time.sleep(rng.uniform(0, longest))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, f"the writer stopped by itself: {status}"
        try:
            state = read_save(slot, story)
        except SaveError:
            tally["torn"] += 1
            continue
        tally["new" if state == new else "old" if state == old else "other"] += 1
        backup = slot.with_name(slot.name + ".bak")
        if backup.exists():
            try:
                tally["backup ok" if read_save(backup, story) in (old, new) else "backup other"] += 1
            except SaveError:
                tally["backup torn"] += 1
        temps = [p for p in slot.parent.iterdir() if p.name.endswith(".tmp")]
        if temps:
            tally["killed mid-write"] += 1
            for p in temps:  # clear them so that the next kill's leftovers are its own
                p.unlink()
    return tally


def _states(story: Story) -> tuple[GameState, GameState]:
    old = new_game(story, 2803, "Student")
    new = choose(story, choose(story, old, "revise", "Written revisions first."), "address")
    return old, new


def test_sigkill_while_saving_never_loses_the_save(tmp_path: Path, starter: Story) -> None:
    old, new = _states(starter)
    slot = tmp_path / "saves" / "slot.json"
    write_save(slot, starter, old)
    write_save(slot, starter, new)
    tally = kill_loop(write_save, slot, starter, old, new, KILLS, seed=2803)
    print(f"\n{KILLS} kills: {dict(tally)}")
    assert tally["torn"] == tally["other"] == tally["backup torn"] == tally["backup other"] == 0, tally
    assert tally["new"] + tally["old"] == KILLS and tally["backup ok"] == KILLS
    # both states were seen in the slot, and some kills landed mid-write
    assert tally["new"] > 0 and tally["old"] > 0, tally
    assert tally["killed mid-write"] > 0, tally
    assert sorted(p.name for p in slot.parent.iterdir()) == ["slot.json", "slot.json.bak"]


def _naive_write(path: Path, story: Story, state: GameState) -> None:
    with open(path, "w", encoding="utf-8") as fh:  # truncates in place: not crash safe
        for line in dumps(story, state).splitlines(keepends=True):
            fh.write(line)
            fh.flush()


def test_the_kill_loop_catches_a_writer_that_is_not_atomic(tmp_path: Path, starter: Story) -> None:
    old, new = _states(starter)
    slot = tmp_path / "saves" / "slot.json"
    write_save(slot, starter, old)
    for seed in range(20):  # a torn save shows up within a few dozen kills
        if kill_loop(_naive_write, slot, starter, old, new, 30, seed)["torn"]:
            return
    pytest.fail("600 kills of a naive writer left no torn save: the harness would not notice a real bug")
