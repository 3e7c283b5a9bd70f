"""Slots and their locks (game/saves.py, game/session.py): one game a slot, one session a slot."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from game.saves import SaveError, SlotBusy, SlotLock, holder, lock_path, read_envelope
from game.session import NewGame, Session, Settings

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "tests" / "stories" / "starter"
TODAY = date.today().isoformat()
REASON_A = "We answer quickly to keep a seat where the rules are written."


def session(saves: Path, **kw: object) -> Session:
    return Session.open(Settings(story_path=STARTER, saves_root=saves, **kw))  # type: ignore[arg-type]


def test_a_second_session_under_one_name_gets_its_own_slot_and_is_told(tmp_path: Path) -> None:
    first, second = session(tmp_path, per_player=True), session(tmp_path, per_player=True)
    first.start(NewGame("Ali Khan", 1, True, True))
    assert first.take_notice() == ""
    second.start(NewGame("Ali Khan", 1, True, True))
    assert second.game_slot() == f"Ali-Khan-{TODAY}-2"
    assert "Ali Khan's game (open since" in second.take_notice()
    first.choose("commit", REASON_A)
    assert first.autosave() == []
    playing = second.state
    with pytest.raises(SlotBusy, match="in use: Ali Khan's game"):
        second.load(first.saves_dir / f"{first.game_slot()}.json")
    assert second.state is playing and second.game_slot() == f"Ali-Khan-{TODAY}-2"  # nothing changed
    first.close()
    second.load(first.saves_dir / f"{first.game_slot()}.json")  # free now: played on in place
    assert second.game_slot() == f"Ali-Khan-{TODAY}" and second.state is not None and second.state.turn == 1
    assert not (second.saves_dir / f"Ali-Khan-{TODAY}-2.json").exists()  # the slot it let go was never written
    second.close()


def test_locks_end_with_their_holder_and_name_it(tmp_path: Path) -> None:
    save = tmp_path / "x.json"
    lock = SlotLock.acquire(save, "Sara")
    who = holder(save)
    assert who is not None and who.player == "Sara" and who.pid == os.getpid()
    with pytest.raises(SlotBusy) as busy:
        SlotLock.acquire(save, "Other")
    assert busy.value.holder == who and "Sara's game" in str(busy.value) and busy.value.kind == "busy"
    lock.release()
    lock.release()  # twice is fine
    assert holder(save) is None and not lock_path(save).exists()
    # a lock file left by a process that died is no lock at all
    lock_path(save).write_text(json.dumps({"pid": 2**22 + 12345, "player": "Gone", "since": "", "host": ""}))
    assert holder(save) is None
    SlotLock.acquire(save, "Sara").release()


def test_a_named_save_never_replaces_another_game_of_its_own_slot(tmp_path: Path) -> None:
    a, b = session(tmp_path), session(tmp_path)
    a.start(NewGame("Amina", 1, True, False))
    a.choose("commit")
    a.autosave()
    a.close()
    b.start(NewGame("Bilal", 2, True, False))
    with pytest.raises(SaveError, match="is Amina's game; save under another name"):
        b.save(a.game_slot())
    assert read_envelope(tmp_path / f"{a.game_slot()}.json").player == "Amina"
    b.close()


def test_a_players_folder_is_found_whatever_the_case_typed(tmp_path: Path) -> None:
    first = session(tmp_path, per_player=True)
    first.start(NewGame("Ayesha K", 1, True, False))
    first.choose("commit")
    first.autosave()
    first.close()
    again = session(tmp_path, per_player=True, name="ayesha  k")
    assert again.saves_dir == tmp_path / "Ayesha-K"
    latest = again.latest()
    assert latest is not None and latest.player == "Ayesha K"


def test_a_game_saved_into_its_own_slot_by_name_stays_that_games_own(tmp_path: Path) -> None:
    played = session(tmp_path, classroom=True, name="Amina", min_rationale=0)
    played.begin()
    played.choose("commit")
    played.autosave()
    played.close()
    slot = played.game_slot()
    plain = Session.open(Settings(story_path=STARTER, saves_root=tmp_path, load=slot), keep_autosave=False)
    plain.begin()  # plain mode, not in classroom mode: loaded, not held
    plain.choose("address")
    plain.save(slot)  # s NAME, with the game's own name
    data = read_envelope(tmp_path / f"{slot}.json")
    assert (data.slot, data.game, len(data.history)) == ("game", read_envelope(tmp_path / f"{slot}.json.bak").game, 2)
