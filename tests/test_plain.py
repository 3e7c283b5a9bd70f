from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from game.cli import main

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "tests" / "stories" / "starter"


def tightrope() -> list[str]:
    exe = Path(sys.executable).with_name("tightrope")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "game"]


def run(args: list[str], stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TIGHTROPE_SAVES"}
    return subprocess.run([*tightrope(), *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=60)


def test_piped_game_reaches_an_ending_and_saves(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    args = ["play", "--plain", "--story", str(STARTER), "--seed", "1", "--autosave", "t", "--saves", str(saves)]
    first = run(args, "1\n1\n2\n", tmp_path)
    assert first.returncode == 0, first.stderr
    assert "== Ending: The cheque-book role ==" in first.stdout
    assert "Debrief" in first.stdout and "Discussion questions" in first.stdout
    data = json.loads((saves / "t.json").read_text())
    assert data["ending"] == "aid_only"
    assert [h["choice"] for h in data["history"]] == ["commit", "address", "stay_out"]
    second = run(args, "1\n1\n2\n", tmp_path)
    assert second.stdout == first.stdout  # byte-identical
    assert "\x1b" not in first.stdout  # no colour codes into a pipe


def test_end_of_input_exits_cleanly(tmp_path: Path) -> None:
    proc = run(["play", "--plain", "--story", str(STARTER), "--seed", "2", "--saves", str(tmp_path)], "1\n", tmp_path)
    assert proc.returncode == 0
    assert proc.stderr == ""


def test_commands(tmp_path: Path) -> None:
    script = "h\nm\n9\nzz\n1\nu\ns mine\ns ../evil\n3\n1\n"
    proc = run(
        ["play", "--plain", "--story", str(STARTER), "--seed", "3", "--saves", str(tmp_path), "--name", "Bo"], script, tmp_path
    )
    out = proc.stdout
    assert proc.returncode == 0
    assert "Commands:" in out and "(from 0 to 100)" in out
    assert "Choose a number from 1 to 3" in out and "Type a choice number" in out
    assert "Undone." in out and "Saved to mine.json." in out
    assert 'Could not save: "../evil" is not a safe save name' in out
    assert not (tmp_path.parent / "evil.json").exists()
    saved = json.loads((tmp_path / "mine.json").read_text())
    assert saved["player"] == "Bo" and saved["history"] == []


def test_disabled_choice_explains(tmp_path: Path) -> None:
    proc = run(["play", "--plain", "--story", str(STARTER), "--seed", "3", "--saves", str(tmp_path)], "3\n2\n1\nq\n", tmp_path)
    assert "1. Send a medical and engineering contingent. (unavailable: Needs either" in proc.stdout
    assert "That choice is unavailable" in proc.stdout and "Goodbye." in proc.stdout


def test_load_and_continue(tmp_path: Path) -> None:
    run(["play", "--plain", "--story", str(STARTER), "--seed", "5", "--saves", str(tmp_path), "--autosave", "a"], "1\n", tmp_path)
    proc = run(["play", "--plain", "--story", str(STARTER), "--saves", str(tmp_path), "--load", "a"], "1\n2\n", tmp_path)
    assert proc.returncode == 0 and "== Ending:" in proc.stdout
    assert "Content note" not in proc.stdout  # a loaded game does not start over


def test_broken_save_is_a_message_and_untouched(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format_version": 2, "story": ')
    proc = run(["play", "--plain", "--story", str(STARTER), "--saves", str(tmp_path), "--load", "bad"], "", tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("tightrope: ") and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert bad.read_text() == '{"format_version": 2, "story": '


def test_broken_story_is_a_message(tmp_path: Path) -> None:
    proc = run(["play", "--plain", "--story", str(ROOT / "tests/stories/broken/unknown_target")], "", tmp_path)
    assert proc.returncode == 2
    assert "R001" in proc.stderr and "Traceback" not in proc.stderr


def test_classroom_asks_for_rationale_at_key_decisions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("2\ntoo short\nWe should table revisions with our partners first.\n1\n2\n"))
    code = main(
        [
            "play",
            "--plain",
            "--classroom",
            "--name",
            "Ayesha K",
            "--seed",
            "7",
            "--story",
            str(STARTER),
            "--saves",
            str(tmp_path),
            "--min-rationale",
            "20",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "Please write a little more (9 of 20 characters)." in out
    files = list(tmp_path.glob("Ayesha-K-*.json"))
    assert len(files) == 1
    data = json.loads(files[0].read_text())
    assert data["history"][0]["rationale"] == "We should table revisions with our partners first."
    assert data["ending"] is not None


def test_classroom_needs_a_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", "--plain", "--classroom", "--story", str(STARTER), "--saves", str(tmp_path)]) == 2
    assert "needs --name" in capsys.readouterr().err


@pytest.mark.parametrize("plain", [True, False])
@pytest.mark.parametrize("value", ["10001", "-1"])
def test_min_rationale_is_capped_the_same_in_both_front_ends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, plain: bool, value: str
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("1\n"))
    args = ["play", "--classroom", "--name", "Bo", "--story", str(STARTER), "--saves", str(tmp_path), "--min-rationale", value]
    assert main(args + (["--plain"] if plain else [])) == 2
    err = capsys.readouterr().err
    assert err == f"tightrope: --min-rationale must be from 0 to 10000 characters, not {value}\n"


def test_a_misspelt_command_is_not_played(tmp_path: Path) -> None:
    proc = run(["chek", str(STARTER)], "", tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == 'tightrope: unknown command "chek" (did you mean "check"?)\n'
    proc = run(["xyzzy"], "", tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith('tightrope: unknown command "xyzzy" (commands: play, check, ')


def test_options_without_a_command_play(tmp_path: Path) -> None:
    proc = run(["--plain", "--story", str(STARTER), "--seed", "3", "--saves", str(tmp_path)], "q\n", tmp_path)
    assert proc.returncode == 0 and "Choices:" in proc.stdout and "Goodbye." in proc.stdout


def test_the_choice_and_the_event_each_show_their_own_changes(tmp_path: Path) -> None:
    # seed 6: "address" raises domestic stability by 4, then the photo event lowers it by 6
    proc = run(["play", "--plain", "--story", str(STARTER), "--seed", "6", "--saves", str(tmp_path)], "1\n1\n", tmp_path)
    out = proc.stdout
    choice = out.index("Changes: Domestic stability +4 (53)")
    event = out.index("Changes: Domestic stability -6 (47)")
    title = out.index(" --", choice)  # the event's heading: -- TITLE -- (basis)
    assert choice < title < event
    assert "-2" not in out[choice:event]  # no merged total
