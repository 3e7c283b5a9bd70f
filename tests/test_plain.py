from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from game.cli import main
from game.story import Story

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


def test_end_of_input_before_an_ending_is_one_line_and_exit_3(tmp_path: Path) -> None:
    proc = run(["play", "--plain", "--story", str(STARTER), "--seed", "2", "--saves", str(tmp_path)], "1\n", tmp_path)
    assert proc.returncode == 3
    assert proc.stderr == "tightrope: the input ended before the game reached an ending (turn 1)\n"
    finished = run(["play", "--plain", "--story", str(STARTER), "--seed", "2", "--saves", str(tmp_path)], "1\n1\n1\n", tmp_path)
    assert finished.returncode == 0 and finished.stderr == ""  # a script can tell "finished" from "input ran out"
    quit = run(["play", "--plain", "--story", str(STARTER), "--seed", "2", "--saves", str(tmp_path)], "q\n", tmp_path)
    assert quit.returncode == 0
    rationale = run(
        ["play", "--plain", "--story", str(STARTER), "--classroom", "--name", "Bo", "--saves", str(tmp_path)], "1\n", tmp_path
    )
    assert rationale.returncode == 3  # the input ran out while a rationale was asked for


def test_exit_status_3_is_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["play", "--help"])
    assert "3 when the input ends before the game reaches an ending" in " ".join(capsys.readouterr().out.split())


def test_the_help_names_the_sessions_rationale_limits() -> None:
    from game.cli import MIN_RATIONALE_HELP
    from game.session import DEFAULT_MIN_RATIONALE, MAX_MIN_RATIONALE

    assert f"default {DEFAULT_MIN_RATIONALE}, at most {MAX_MIN_RATIONALE})" in MIN_RATIONALE_HELP


def test_commands(tmp_path: Path) -> None:
    script = "h\nm\n9\nzz\n1\nu\ns mine\ns ../evil\n3\n1\n"
    proc = run(
        ["play", "--plain", "--story", str(STARTER), "--seed", "3", "--saves", str(tmp_path), "--name", "Bo"], script, tmp_path
    )
    out = proc.stdout
    assert proc.returncode == 3  # the input ends before an ending
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
    taken = out.index("You chose: Address the nation")
    choice = out.index("Your decision changed: Domestic stability up 4 to 53.")
    title = out.index("-- A photograph --", choice)
    event = out.index("This event changed: Domestic stability down 6 to 47.")
    assert taken < choice < title < event  # the choice taken, its changes, then the event with its own
    assert "down 2" not in out[choice:event]  # no merged total
    assert out[choice:].splitlines()[0] != out[event:].splitlines()[0]


# ------------------------------------------------------------------ words, commands, the review
def flat(text: str) -> str:
    """Text with every run of whitespace as one space (plain mode wraps at 78 columns)."""
    return " ".join(text.split())


def plain(args: list[str], stdin: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run(["play", "--plain", "--story", str(STARTER), "--saves", str(tmp_path), *args], stdin, tmp_path)


def test_words_not_symbols_and_the_seed(tmp_path: Path) -> None:
    proc = plain(["--seed", "6"], "1\n1\n1\n", tmp_path)
    out = proc.stdout
    assert "▲" not in out and "▼" not in out
    assert "Seed: 6 (the same seed and the same choices give the same game)." in out.splitlines()[:12]
    assert "(effects: US relations up, Domestic stability down)" in flat(out)
    assert "Seed: 6 (play this game again with --seed 6)." in out


def test_effect_hints_that_depend_on_chance_say_so(starter: Story) -> None:
    from dataclasses import replace

    from game.present import hint_words

    revise = starter.nodes["the_cable"].choice("revise")
    assert revise is not None and len(revise.outcomes) == 2
    gulf = starter.meter_index["gulf"]
    one, two = revise.outcomes
    # the choice itself: Gulf ties +6; one outcome adds nothing, the other -10: up or down by chance
    either = replace(revise, outcomes=(replace(one, effects=()), replace(two, effects=((gulf, -10),))))
    assert "Gulf ties up or down by chance" in hint_words(starter, either)


def test_r_repeats_the_scene_and_c_the_choices(tmp_path: Path) -> None:
    out = plain(["--seed", "1"], "r\nc\n", tmp_path).stdout
    assert out.count("== The cable from Washington ==") == 2  # the scene, then r
    assert out.count("1. Tell Washington Pakistan is ready in principle.") == 3  # the scene, r, c
    after_c = out[out.rindex("> c") :]
    assert "Choices:" in after_c and "== The cable" not in after_c


def test_glossary_sources_and_cast_commands(tmp_path: Path) -> None:
    out = flat(plain(["--seed", "1"], "g isf\ng stabil\ng zzz\ng\nsources\nsources all\ncast\nh\n", tmp_path).stdout)
    assert "ISF: International Stabilization Force, authorised for Gaza by Resolution 2803. (Source: " in out
    assert 'No glossary term matches "zzz".' in out
    assert "Glossary terms: ISF." in out
    assert "This story has no recurring characters." in out
    for command in ("r repeat the scene", "c repeat the choices", "g TERM look a term up", "sources the sources", "cast the"):
        assert command in out  # the help lists it


def test_the_speaker_is_named_and_the_cast_is_invented(tmp_path: Path) -> None:
    cast = STARTER.parent / "cast"
    out = flat(run(["play", "--plain", "--story", str(cast), "--saves", str(tmp_path)], "cast\n", tmp_path).stdout)
    assert "Sana Mirza, Director, UN desk, Foreign Office: Put the reservations in writing first." in out
    assert "Lt Gen Tariq Hayat, Corps commander, speaking for the planners: Give us rules we can follow." in out
    assert "Ministry of Finance: Tell the partners first." in out
    assert "Sana Mirza, Director, UN desk, Foreign Office (invented): A careful drafter" in out


def test_a_scenario_is_played_and_a_wrong_one_is_one_line(tmp_path: Path) -> None:
    cast = STARTER.parent / "cast"
    args = ["play", "--plain", "--story", str(cast), "--saves", str(tmp_path)]
    proc = run([*args, "--scenario", "short"], "1\n1\n", tmp_path)
    assert proc.returncode == 0 and "Scenario: The first week only" in proc.stdout
    assert "== Ending: A week ahead ==" in proc.stdout
    wrong = run([*args, "--scenario", "shrot"], "", tmp_path)
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert wrong.stderr == 'tightrope: --scenario: unknown scenario "shrot" (did you mean "short"?) (scenarios: short)\n'


def test_the_ending_reviews_every_decision(tmp_path: Path) -> None:
    proc = plain(["--seed", "6"], "1\n1\n1\n", tmp_path)
    out = flat(proc.stdout)
    review = out[out.index("Your decisions") :]
    assert "1. The cable from Washington: you chose: Tell Washington Pakistan is ready in principle." in review
    assert "Author's note: Committing early buys goodwill and spends leverage." in review
    assert "Your decision changed: US relations up 8 to 58, Domestic stability down 6 to 49." in review
    assert "Event, A photograph: Domestic stability down 6 to 47." in review
    assert out.index("Debrief") < out.index("Your decisions") < out.index("Endings found: 1 of 3.")
