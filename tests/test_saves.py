from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game import saves
from game.engine import GameState, choose, new_game, options, replay
from game.saves import SaveError, atomic_write, check_name, read_envelope, read_save, slot_path, write_save
from game.story import Story, load_story


def test_round_trip(starter: Story, tmp_path: Path) -> None:
    s = replay(starter, 9, [("revise", "because"), "address"], "Zara")
    path = write_save(slot_path(tmp_path, "one"), starter, s)
    data = json.loads(path.read_text())
    for key in (
        "format_version",
        "story",
        "player",
        "seed",
        "node",
        "meters",
        "flags",
        "history",
        "ending",
        "created",
        "updated",
    ):
        assert key in data
    assert data["story"] == {"id": "starter", "version": "0.1.0", "hash": starter.hash, "scenario": None}
    assert (data["game"], data["slot"], data["undone"]) == ("", "named", [])
    assert data["history"][0]["rationale"] == "because"
    assert data["ending"] is None
    assert read_save(path, starter) == s


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**40), picks=st.lists(st.integers(0, 5), max_size=6), name=st.text(max_size=20))
def test_save_then_load_gives_equal_state(starter: Story, tmp_path: Path, seed: int, picks: list[int], name: str) -> None:
    s = new_game(starter, seed, name)
    for pick in picks:
        enabled = [o for o in options(starter, s) if o.enabled]
        if not enabled:
            break
        s = choose(starter, s, enabled[pick % len(enabled)].choice.id, f"r{pick}")
    path = write_save(slot_path(tmp_path, "prop"), starter, s)
    assert read_save(path, starter) == s


def test_backup_keeps_previous_save(starter: Story, tmp_path: Path) -> None:
    path = slot_path(tmp_path, "b")
    first = replay(starter, 1, ["commit"])
    second = replay(starter, 1, ["commit", "address"])
    write_save(path, starter, first)
    write_save(path, starter, second)
    assert read_save(path, starter) == second
    assert read_save(path.with_name("b.json.bak"), starter) == first
    created = json.loads(path.read_text())["created"]
    assert created == json.loads(path.with_name("b.json.bak").read_text())["created"]


def test_failure_halfway_leaves_previous_save(starter: Story, tmp_path: Path) -> None:
    path = slot_path(tmp_path, "h")
    good = replay(starter, 1, ["commit"])
    write_save(path, starter, good)
    before = path.read_bytes()

    def boom() -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(SaveError, match="No space left"):
        atomic_write(path, saves.dumps(starter, replay(starter, 1, ["commit", "address"])), before_rename=boom)
    assert path.read_bytes() == before
    assert read_save(path, starter) == good
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_write_failure_in_data_leaves_previous_save(starter: Story, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = slot_path(tmp_path, "w")
    good = replay(starter, 1, ["commit"])
    write_save(path, starter, good)
    import os

    def fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(SaveError):
        write_save(path, starter, replay(starter, 1, ["commit", "address"]))
    monkeypatch.undo()
    assert read_save(path, starter) == good


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(format_version=99), "newer than this Tightrope"),
        (lambda d: d["meters"].update(us=500), "outside 0..100"),
        (lambda d: d["meters"].update(us="high"), "whole numbers"),
        (lambda d: d.update(node="nowhere"), "not in this version"),
        (lambda d: d["history"][0].update(choice="fly"), "cannot be replayed"),
        (lambda d: d.update(seed=-1), "seed"),
        (lambda d: d["story"].update(id="other"), "belongs to the story"),
        (lambda d: d["meters"].update(us=51), "may have been edited"),
        (lambda d: d.pop("history"), 'no "history"'),
        (lambda d: d.update(flags=[]), "flags"),
    ],
)
def test_strict_reading(starter: Story, tmp_path: Path, mutate: object, message: str) -> None:
    path = write_save(slot_path(tmp_path, "x"), starter, replay(starter, 1, ["commit"]))
    data = json.loads(path.read_text())
    mutate(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    with pytest.raises(SaveError, match=message):
        read_save(path, starter)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "raw, message",
    [
        (b'{"format_version": 2,', "not valid JSON"),
        (b'{"format_version": NaN}', "NaN is not allowed"),
        (b'{"format_version": 2, "format_version": 2}', "duplicate key"),
        (b"\x80\x04\x95pickle", "not UTF-8"),
        (b"[" * 100 + b"]" * 100, "nested too deeply"),
        (b"", "empty"),
        (b"[]", "expected a JSON object"),
    ],
)
def test_malformed_files(tmp_path: Path, raw: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    with pytest.raises(SaveError, match=message) as info:
        read_envelope(path)
    assert "\n" not in str(info.value)


def test_json_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "a": 1,\n  "b": ]\n}')
    with pytest.raises(SaveError, match=r"bad.json:3:8: not valid JSON"):
        read_envelope(path)


def test_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as fh:
        fh.truncate(saves.MAX_SAVE_BYTES + 1)
    with pytest.raises(SaveError, match="limit"):
        read_envelope(path)


def test_migration_from_format_1(starter: Story, tmp_path: Path) -> None:
    s = replay(starter, 4, [("commit", "first"), "address"], "Old")
    data = saves.to_dict(starter, s)
    old = {k: v for k, v in data.items() if k not in ("story", "history", "start_meters")}
    old.update(format_version=1, story_id="starter", story_version="0.1.0", story_hash=starter.hash)
    old["decisions"] = [{k: v for k, v in e.items() if k not in ("turn", "meters", "flags")} for e in data["history"]]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    assert read_save(path, starter) == s


def test_save_from_older_story_version_replays(starter: Story, starter_copy: Path, tmp_path: Path) -> None:
    s = replay(starter, 4, ["commit", "address"])
    path = write_save(slot_path(tmp_path, "v"), starter, s)
    text = (
        (starter_copy / "nodes.yaml")
        .read_text()
        .replace("effects: {domestic: 4}\n        goto: decision", "effects: {domestic: 6}\n        goto: decision")
    )
    (starter_copy / "nodes.yaml").write_text(text)
    newer = load_story(starter_copy)
    loaded = read_save(path, newer)
    assert loaded.node == "decision" and loaded.meters[2] == s.meters[2] + 2
    gone = (starter_copy / "nodes.yaml").read_text().replace("id: address", "id: speak")
    (starter_copy / "nodes.yaml").write_text(gone)
    with pytest.raises(SaveError, match=r"decision 2 cannot be replayed.*story version 0.1.0"):
        read_save(path, load_story(starter_copy))


@pytest.mark.parametrize(
    "name", ["..", "../x", "a/b", "a\\b", "x\x00y", "n" * 300, "CON", "lpt1.json", "", " lead", "trail.", "é"]
)
def test_unsafe_names(name: str) -> None:
    with pytest.raises(SaveError):
        check_name(name)


@pytest.mark.parametrize("name", ["autosave", "Ayesha K-2025-11-20", "slot_1.v2"])
def test_safe_names(name: str, tmp_path: Path) -> None:
    assert slot_path(tmp_path, name).parent == tmp_path.resolve()


def test_slug() -> None:
    assert saves.slug("Ayesha K. / ../etc") == "Ayesha-K-etc"
    assert saves.slug("   ") == "player"


def test_list_and_delete(starter: Story, tmp_path: Path) -> None:
    write_save(slot_path(tmp_path, "a"), starter, replay(starter, 1, ["commit"], "A"))
    (tmp_path / "broken.json").write_text("{")
    infos = {i.name: i for i in saves.list_saves(tmp_path)}
    assert infos["a"].player == "A" and infos["a"].turn == 1 and not infos["a"].error
    assert "not valid JSON" in infos["broken"].error
    saves.delete_save(tmp_path, "a")
    assert not (tmp_path / "a.json").exists()
    with pytest.raises(SaveError, match="no save"):
        saves.delete_save(tmp_path, "a")


def test_state_equality_includes_history(starter: Story) -> None:
    a = replay(starter, 1, ["commit", "address"])
    b = replay(starter, 1, ["commit", "quiet"])
    assert isinstance(a, GameState) and a != b


def test_save_from_an_older_version_whose_meter_range_narrowed_migrates(
    starter: Story, starter_copy: Path, tmp_path: Path
) -> None:
    """docs/design/decisions.md 7: an older save migrates by replay; its old meter values are not checked against new ranges."""
    s = replay(starter, 4, ["commit"])  # US relations 50 + 8
    assert s.meters[0] == 58
    path = write_save(slot_path(tmp_path, "v"), starter, s)
    text = (starter_copy / "story.yaml").read_text()
    (starter_copy / "story.yaml").write_text(text.replace("    start: 50\n", "    start: 50\n    max: 55\n", 1))
    newer = load_story(starter_copy)
    assert newer.meter("us").max == 55 and newer.hash != starter.hash
    loaded = read_save(path, newer)
    assert loaded.node == s.node and loaded.meters[0] == 55  # the replay clamps to the new range
    # with the same story, a value outside the range is still an edited save
    data = json.loads(path.read_text())
    data["meters"]["us"] = 500
    path.write_text(json.dumps(data))
    with pytest.raises(SaveError, match="outside 0..100"):
        read_save(path, starter)


def event_game(starter: Story) -> GameState:
    """Seed 6: "address" raises domestic stability by 4, then the photo event lowers it by 6."""
    s = replay(starter, 6, ["commit", "address"])
    assert s.step is not None and s.step.events == ("photo",)
    return s


def test_history_entries_keep_the_choice_and_each_event_apart(starter: Story, tmp_path: Path) -> None:
    s = event_game(starter)
    step = s.step
    assert step is not None
    assert step.own == (("domestic", 4),) and step.event_changes == ((("domestic", -6),),)
    assert step.changes == (("domestic", -2),)  # the whole decision
    path = write_save(slot_path(tmp_path, "e"), starter, s)
    entry = json.loads(path.read_text())["history"][1]
    assert entry["changes"] == {"domestic": -2}
    assert entry["choice_changes"] == {"domestic": 4}
    assert entry["events"] == ["photo"] and entry["event_changes"] == [{"domestic": -6}]
    env = read_envelope(path)
    assert env.splits_changes and env.history[1].event_changes == ({"domestic": -6},)


def format_2(starter: Story, state: GameState) -> dict[str, object]:
    """A save as format 2 wrote it: each decision's total changes only."""
    data = saves.to_dict(starter, state)
    data["format_version"] = 2
    for entry in data["history"]:  # type: ignore[attr-defined]
        del entry["choice_changes"], entry["event_changes"]
    return data


def test_migration_from_format_2_recomputes_the_split(starter: Story, tmp_path: Path) -> None:
    s = event_game(starter)
    path = tmp_path / "two.json"
    path.write_text(json.dumps(format_2(starter, s)))
    env = read_envelope(path)
    assert env.migrated_from == 2 and not env.splits_changes
    assert env.history[1].choice_changes is None and env.history[1].changes == {"domestic": -2}
    loaded = read_save(path, starter)  # the replay knows the parts again
    assert loaded == s and loaded.step is not None and loaded.step.own == (("domestic", 4),)
    write_save(path, starter, loaded)
    assert json.loads(path.read_text())["history"][1]["event_changes"] == [{"domestic": -6}]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda e: e.update(event_changes=[]), "one entry per event"),
        (lambda e: e.update(event_changes=[{"domestic": "x"}]), "event_changes"),
        (lambda e: e.update(choice_changes=[1]), "choice_changes"),
    ],
)
def test_split_changes_are_checked(starter: Story, tmp_path: Path, mutate: object, message: str) -> None:
    path = write_save(slot_path(tmp_path, "x"), starter, event_game(starter))
    data = json.loads(path.read_text())
    mutate(data["history"][1])  # type: ignore[operator]
    path.write_text(json.dumps(data))
    with pytest.raises(SaveError, match=message):
        read_envelope(path)
