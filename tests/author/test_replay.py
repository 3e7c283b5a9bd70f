from __future__ import annotations

import operator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.author.replay import Check, PlanError, read_plan

from .conftest import DATA, ROOT, run_installed

PLANS = sorted((ROOT / "tests" / "plans").rglob("*.yaml"))


def write_plan(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text.replace("STARTER", str(ROOT / "tests" / "stories" / "starter")), encoding="utf-8")
    return path


def test_there_are_plans_for_the_starter_and_the_shipped_story() -> None:
    assert len([p for p in PLANS if p.parent.name == "starter"]) >= 3
    assert len([p for p in PLANS if p.parent.name == "story"]) >= 5


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_plans_pass(cli, plan: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("replay", plan)
    assert r.code == 0, r.out + r.err
    assert r.out.startswith(f"PASS {plan}")


def test_the_installed_command_runs_every_plan_folder() -> None:
    folders = sorted({str(p.parent) for p in PLANS})
    proc = run_installed("replay", *folders)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"replay: {len(PLANS)} plan(s) passed, 0 failed, 0 could not be read" in proc.stdout


def test_a_wrong_plan_fails_naming_the_step(cli) -> None:  # type: ignore[no-untyped-def]
    plan = DATA / "wrong_plan.yaml"
    r = cli("replay", plan)
    assert r.code == 1
    assert f"FAIL {plan} (deliberately wrong)" in r.out
    assert f"{plan}:9: step 2 (choice address): expected node the_cable, reached node decision" in r.out
    assert "replay: 0 plan(s) passed, 1 failed, 0 could not be read" in r.out


def test_every_kind_of_expectation_can_fail(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = write_plan(
        tmp_path,
        """story: STARTER
seed: 0
steps:
  - choice: revise
    outcome: accepted
    meters: {us: ">= 60", gulf: [10, 20], domestic: 55}
    flags: {revisions_tabled: false}
    events: [photo]
""",
    )
    r = cli("replay", plan)
    assert r.code == 1
    lines = [line.strip() for line in r.out.splitlines() if "step 1 (choice revise)" in line]
    assert f"{plan}:5: step 1 (choice revise): expected outcome accepted, drew outcome ignored" in lines
    assert f"{plan}:6: step 1 (choice revise): expected meter us >= 60, it is 47 (at the_street)" in lines
    assert f"{plan}:6: step 1 (choice revise): expected meter gulf in 10..20, it is 54 (at the_street)" in lines
    assert f"{plan}:7: step 1 (choice revise): expected flag revisions_tabled false, it is true" in lines
    assert f"{plan}:8: step 1 (choice revise): expected events [photo], fired [none]" in lines
    assert len(lines) == 5  # domestic 55 holds


def test_unavailable_choice_and_ended_game(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = write_plan(tmp_path, "story: STARTER\nseed: 0\nsteps: [revise, address, deploy]\n")
    r = cli("replay", plan)
    assert r.code == 1
    assert f"{plan}:3: step 3 (choice deploy): cannot be taken at node decision" in r.out
    assert "not available now" in r.out
    plan = write_plan(tmp_path, "story: STARTER\nsteps: [wait, address, stay_out, address]\n", "ended.yaml")
    r = cli("replay", plan)
    assert r.code == 1 and "step 4 (choice address): the game already ended at ending aid_only" in r.out
    plan = write_plan(tmp_path, "story: STARTER\nsteps: [wait, nope]\n", "unknown.yaml")
    r = cli("replay", plan)
    assert r.code == 1 and 'step 2 (choice nope): cannot be taken at node the_street: no choice "nope"' in r.out


BAD_PLANS = [
    ("steps: [commit]\n", 'the plan needs "story"'),
    ("story: STARTER\n", 'the plan needs "steps"'),
    ("story: STARTER\nsteps: []\n", "steps must be a list of choice ids (at least one)"),
    ("story: STARTER\nstep: [commit]\n", 'unknown key "step" in the plan (did you mean "steps"?)'),
    ("story: STARTER\nseed: one\nsteps: [commit]\n", "seed must be a whole number, found 'one'"),
    ("story: STARTER\nsteps:\n  - {choice: commit, nodes: x}\n", 'unknown key "nodes" in step 1 (did you mean "node"?)'),
    ("story: STARTER\nsteps:\n  - {events: []}\n", 'step 1 has events but no "choice": nothing is played'),
    (
        "story: STARTER\nsteps:\n  - {choice: commit, meters: {us: about 5}}\n",
        'meter us: expected a number, a comparison such as ">= 40"',
    ),
    (
        "story: STARTER\nsteps:\n  - {choice: commit, meters: {us: [9, 1]}}\n",
        "a range is a list of two whole numbers [low, high]",
    ),
    (
        "story: STARTER\nsteps:\n  - {choice: commit, meters: {usa: 5}}\n",
        '"usa" is not a meter of this story (did you mean "us"?)',
    ),
    ("story: STARTER\nsteps:\n  - {choice: commit, node: the_streets}\n", '"the_streets" is not a node of this story'),
    ("story: STARTER\nsteps:\n  - {choice: commit, ending: nope}\n", '"nope" is not an ending of this story'),
    ("story: STARTER\nsteps:\n  - {choice: commit, flags: {tabled: yes}}\n", '"tabled" is not a flag of this story'),
    (
        "story: STARTER\nsteps:\n  - {choice: commit, flags: {revisions_tabled: maybe}}\n",
        "flag revisions_tabled must be true or false",
    ),
    ("story: STARTER\nsteps:\n  - {choice: commit, events: photo}\n", "events must be a list of event ids"),
    ("story: STARTER\nsteps:\n  - {choice: commit, events: [fotos]}\n", '"fotos" is not an event of this story'),
    ("story: nowhere\nsteps: [commit]\n", "/nowhere does not exist (story: is relative to the plan file)"),
    ("- just\n- a list\n", "a plan is a mapping with story, seed and steps"),
    ("story: STARTER\nstory: again\nsteps: [commit]\n", 'duplicate key "story"'),
    ("story: !!python/object:os.system echo\nsteps: [x]\n", "YAML tags"),
    (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdef", "bcdefg")
        ),
        "aliases expand",
    ),
    ("story: [unclosed\n", "invalid YAML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_PLANS, ids=[m for _, m in BAD_PLANS])
def test_plans_that_cannot_be_read_exit_2(cli, tmp_path: Path, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    plan = write_plan(tmp_path, text)
    r = cli("replay", plan)
    assert r.code == 2, r.out
    assert message in r.err
    assert r.err.startswith(f"tightrope replay: {plan}")
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err


def test_a_plan_whose_story_does_not_load(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = ROOT / "tests" / "stories" / "broken" / "unknown_target"
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"story: {broken}\nsteps: [x]\n", encoding="utf-8")
    r = cli("replay", plan)
    assert r.code == 2 and "cannot be loaded" in r.err and "R001" in r.err


def test_exit_code_is_the_worst_of_all_plans(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = ROOT / "tests" / "plans" / "starter" / "commit_to_contingent.yaml"
    unreadable = write_plan(tmp_path, "steps: [x]\n")
    assert cli("replay", good, DATA / "wrong_plan.yaml").code == 1
    r = cli("replay", good, DATA / "wrong_plan.yaml", unreadable)
    assert r.code == 2 and "replay: 1 plan(s) passed, 1 failed, 1 could not be read" in r.out
    assert cli("replay", tmp_path / "missing.yaml").code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    r = cli("replay", empty)
    assert r.code == 2 and "holds no .yaml plans" in r.err


def test_verbose_shows_each_step(cli) -> None:  # type: ignore[no-untyped-def]
    plan = ROOT / "tests" / "plans" / "starter" / "photo_event.yaml"
    r = cli("replay", "-v", plan)
    assert r.code == 0
    assert "step 2: address -> decision (us 58, gulf 50, domestic 47); events: photo" in r.out


def test_read_plan_keeps_positions(tmp_path: Path) -> None:
    plan = read_plan(
        write_plan(
            tmp_path, "story: STARTER\nseed: 4\nplayer: Ana\nsteps:\n  - commit\n  - choice: address\n    node: decision\n"
        )
    )
    assert plan.seed == 4 and plan.player == "Ana"
    assert [(s.number, s.line, s.choice) for s in plan.steps] == [(1, 5, "commit"), (2, 6, "address")]
    assert plan.steps[1].node == ("decision", 7)
    with pytest.raises(PlanError):
        read_plan(tmp_path / "absent.yaml")


OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@given(st.sampled_from(sorted(OPS)), st.integers(-200, 200), st.integers(-200, 200))
def test_check_compares_like_python(op: str, bound: int, value: int) -> None:
    assert Check(op, bound).holds(value) == OPS[op](value, bound)


@given(st.integers(-50, 50), st.integers(0, 50), st.integers(-120, 120))
def test_check_range_is_inclusive(lo: int, width: int, value: int) -> None:
    assert Check("in", lo, lo + width).holds(value) == (lo <= value <= lo + width)


def test_a_plan_names_its_scenario(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cast = ROOT / "tests" / "stories" / "cast"
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"story: {cast}\nscenario: short\nsteps: [wait, {{choice: go_on, ending: short_behind}}]\n", encoding="utf-8")
    assert cli("replay", plan).code == 0
    plan.write_text(f"story: {cast}\nscenario: shrt\nsteps: [wait]\n", encoding="utf-8")
    r = cli("replay", plan)
    assert r.code == 2 and f'{plan}:2: unknown scenario "shrt" (did you mean "short"?)' in r.err


# ------------------------------------------------------------------ what the player sees (issue 16)
SCENE = """story: STARTER
seed: 0
steps:
  - choice: commit
    node: the_street
  - choice: address
    node: decision
    available: [deploy, stay_out, push_hard]
    locked: LOCKED
    hidden: []
    text: "The eight-nation group meets in Cairo."
"""


def test_a_right_locked_passes_and_a_wrong_one_fails(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    right = write_plan(tmp_path, SCENE.replace("LOCKED", "[]"), "right.yaml")
    r = cli("replay", right)
    assert r.code == 0, r.out + r.err
    wrong = write_plan(tmp_path, SCENE.replace("LOCKED", "[deploy]"), "wrong.yaml")
    r = cli("replay", wrong)
    assert r.code == 1
    assert f"{wrong}:9: step 2 (choice address): expected locked [deploy] at node decision, found []" in r.out


def test_a_scene_tested_alone_with_start_and_set(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # no way to the decision is played: the plan starts there with the values given
    plan = write_plan(
        tmp_path,
        """story: STARTER
start: decision
set: {us: 40, revisions_tabled: false}
steps:
  - locked: [deploy]
    available: [stay_out, push_hard]
    text: ["Send a medical and engineering contingent. (Needs either Washington's confidence", "Cairo"]
    meters: {us: 40}
  - choice: stay_out
    ending: aid_only
""",
    )
    r = cli("replay", plan)
    assert r.code == 0, r.out + r.err
    r = cli(
        "replay", write_plan(tmp_path, "story: STARTER\nstart: decision\nset: {us: 60}\nsteps:\n  - locked: [deploy]\n", "b.yaml")
    )
    assert r.code == 1 and "expected locked [deploy] at node decision, found []" in r.out


def test_scene_text_is_what_the_player_reads(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = write_plan(tmp_path, "story: STARTER\nplayer: Amina\nsteps:\n  - text: US relations stand at 51\n")
    r = cli("replay", plan)
    assert r.code == 1
    assert 'expected the scene at node the_cable to show "US relations stand at 51"; it reads: The cable from Washington' in r.out


@pytest.mark.parametrize(
    "plan, message",
    [
        ("start: nowhere\nsteps: [commit]", 'start: "nowhere" is not a node of this story'),
        ("start: contingent\nsteps: [commit]", '"contingent" is an ending; a game can start only at a node'),
        ("start: decision\nset: {us: 140}\nsteps: [stay_out]", 'meter "us" is 0 to 100; 140 is outside that range'),
        ("set: {trsut: 1}\nsteps: [commit]", '"trsut" is not a meter or flag of this story'),
        ("set: {revisions_tabled: 3}\nsteps: [commit]", 'flag "revisions_tabled" is true or false, not 3'),
        ("steps:\n  - available: [dploy]", '"dploy" is not a choice of this story (did you mean "deploy"?)'),
        ("steps:\n  - outcome: accepted", 'has outcome but no "choice": nothing is played'),
    ],
)
def test_plans_that_start_wrong_cannot_be_read(cli, tmp_path: Path, plan: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(tmp_path, f"story: STARTER\n{plan}\n")
    r = cli("replay", path)
    assert r.code == 2, r.out + r.err
    assert message in r.err
