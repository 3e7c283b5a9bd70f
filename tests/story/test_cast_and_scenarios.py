"""Characters (who:), scenarios and the time check (W007)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from game.engine import new_game, options, replay
from game.story import check_story, load_story
from game.story.dates import parse_span, runs_backwards
from game.story.spec import ADVISOR, THRESHOLD, Field, Id, Obj, json_schema

ROOT = Path(__file__).resolve().parents[2]
CAST = ROOT / "tests" / "stories" / "cast"


@pytest.fixture
def cast(tmp_path: Path) -> Path:
    folder = tmp_path / "cast"
    shutil.copytree(CAST, folder)
    return folder


def edit(folder: Path, old: str, new: str) -> None:
    path = folder / "story.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def codes(folder: Path) -> list[tuple[str, str, int]]:
    return [(p.code, p.severity, p.pos.line) for p in check_story(folder).problems]


# ------------------------------------------------------------------ characters
def test_who_names_a_character_and_role_defaults_to_theirs() -> None:
    story = load_story(CAST)
    sana, tariq, finance = story.nodes["briefing"].advisors
    assert (sana.who, sana.role) == ("sana", "Director, UN desk, Foreign Office")
    assert (tariq.who, tariq.role) == ("tariq", "Corps commander, speaking for the planners")
    assert (finance.who, finance.role) == (None, "Ministry of Finance")
    assert story.characters["tariq"].name == "Lt Gen Tariq Hayat"
    assert check_story(CAST).stats["characters"] == 2


def test_unknown_who_is_an_error_with_did_you_mean(cast: Path) -> None:
    edit(cast, "      - who: tariq\n", "      - who: tarik\n")
    result = check_story(cast)
    assert result.exit_code == 1
    (problem,) = [p for p in result.errors if p.code == "R006"]
    assert '"tarik" is not a character of this story (did you mean "tariq"?)' in problem.message
    assert (problem.pos.file.endswith("story.yaml"), problem.pos.line) == (True, 52)


def test_an_advisor_needs_who_or_role(cast: Path) -> None:
    edit(cast, "      - role: Ministry of Finance\n        says: Tell", "      - says: Tell")
    problems = [p for p in check_story(cast).errors if p.code == "S003"]
    assert problems and 'advisor needs "who" or "role"' in problems[0].message


def test_a_character_who_never_speaks_is_a_warning(cast: Path) -> None:
    edit(cast, "      - who: tariq\n        role: Corps", "      - role: Corps")
    assert ("W008", "warning", 16) in codes(cast)


def test_six_voices_in_one_scene_is_a_warning_and_variants_of_one_voice_count_once(cast: Path) -> None:
    variants = "      - who: sana\n        if: us >= 0\n        says: Again, in writing.\n"
    edit(cast, "      - role: Ministry of Finance\n", variants + "      - role: Ministry of Finance\n")
    assert check_story(cast).exit_code == 0
    assert not [c for c in codes(cast) if c[0] == "W009"]  # sana twice is still one voice: three in all
    crowd = "".join(f"      - role: Ministry {n}\n        says: A word.\n" for n in ("A", "B", "C"))
    edit(cast, "      - role: Ministry of Finance\n", crowd + "      - role: Ministry of Finance\n")
    (warning,) = [p for p in check_story(cast).problems if p.code == "W009"]
    assert warning.severity == "warning" and warning.pos.line == 50
    assert 'scene "briefing" has 6 voices' in warning.message and "Ministry of Finance" in warning.message


# ------------------------------------------------------------------ scenarios
def test_a_scenario_ends_where_it_says_with_its_own_endings() -> None:
    full = load_story(CAST)
    short = full.with_scenario("short")
    assert short.scenario is not None and short.start == "briefing"
    assert set(short.endings) == {"short_ahead", "short_behind"}  # end_full is beyond its end
    assert set(full.endings) == {"end_full"}  # the full story never reaches a scenario's endings
    assert set(short.nodes) == {"briefing", "reply"}
    assert replay(short, 1, ["commit", "go_on"]).ending == "short_ahead"  # us 58: the if holds
    assert replay(short, 1, ["wait", "go_on"]).ending == "short_behind"  # us 48: the last end
    assert replay(full, 1, ["commit", "go_on", "finish"]).ending == "end_full"
    assert short.with_scenario(None) is full and short.hash != full.hash


def test_an_unknown_scenario_gets_a_did_you_mean() -> None:
    with pytest.raises(ValueError, match=r'unknown scenario "shrt" \(did you mean "short"\?\) \(scenarios: short\)'):
        load_story(CAST).scenario_named("shrt")


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("      - at: vote\n        ending: short_behind", "      - at: vote\n        ending: end_full", "S013"),
        ("        if: us >= 55\n        ending: short_ahead", "        ending: short_ahead", "S013"),
        (
            "      - at: vote\n        ending: short_behind",
            "      - at: vote\n        if: us < 55\n        ending: short_behind",
            "S013",
        ),
        ("      - at: vote\n        ending: short_behind", "      - at: vot\n        ending: short_behind", "R007"),
        ("    start: briefing\n    ends:", "    start: brefing\n    ends:", "R007"),
        ("    scenario: short\n    title: A week ahead", "    scenario: shot\n    title: A week ahead", "R007"),
    ],
)
def test_scenario_mistakes_are_errors(cast: Path, old: str, new: str, code: str) -> None:
    edit(cast, old, new)
    assert code in {p.code for p in check_story(cast).errors}


def test_a_scenario_ending_no_end_names_is_a_warning(cast: Path) -> None:
    edit(cast, "      - at: vote\n        if: us >= 55\n        ending: short_ahead\n", "")
    assert "W001" in {p.code for p in check_story(cast).warnings}


# ------------------------------------------------------------------ dates
@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("20 November 2025", (date(2025, 11, 20), date(2025, 11, 20))),
        ("Friday 12 December 2025", (date(2025, 12, 12), date(2025, 12, 12))),
        ("November 20, 2025", (date(2025, 11, 20), date(2025, 11, 20))),
        ("2025-11-20", (date(2025, 11, 20), date(2025, 11, 20))),
        ("March 2026", (date(2026, 3, 1), date(2026, 3, 31))),
        ("Late March 2026", (date(2026, 3, 21), date(2026, 3, 31))),
        ("Early February 2026", (date(2026, 2, 1), date(2026, 2, 10))),
        ("Mid-December 2025", (date(2025, 12, 11), date(2025, 12, 20))),
        ("late february 2028", (date(2028, 2, 21), date(2028, 2, 29))),
        ("The same evening", None),
        ("31 February 2026", None),
        ("20 Brumaire 2025", None),
    ],
)
def test_dates_are_read_as_spans(text: str, span: tuple[date, date] | None) -> None:
    assert parse_span(text) == span


def test_overlapping_spans_do_not_run_backwards() -> None:
    late_march = parse_span("Late March 2026")
    march = parse_span("March 2026")
    assert late_march and march
    assert not runs_backwards(late_march, march)  # March may be the end of March
    assert runs_backwards(late_march, parse_span("20 March 2026") or march)


def test_a_planted_backward_date_is_caught_with_both_positions(cast: Path) -> None:
    edit(cast, "    date: Late November 2025\n", "    date: 2 November 2025\n")
    found = [p for p in check_story(cast).warnings if p.code == "W007"]
    assert [w.pos.line for w in found] == [58, 62]  # both choices lead back in time
    for w in found:
        assert '"briefing" (20 November 2025' in w.message and '"reply" (2 November 2025' in w.message
        assert "story.yaml:44:5" in w.message and "story.yaml:66:5" in w.message  # both scenes' positions


def test_the_starter_story_runs_forward() -> None:
    assert "W007" not in {p.code for p in check_story(ROOT / "tests" / "stories" / "starter").problems}


# ------------------------------------------------------------------ schema
def test_each_one_of_group_is_its_own_constraint() -> None:
    two = Obj("two", "", [Field(n, Id()) for n in "abcd"], one_of=[("a", "b"), ("c", "d")])
    schema = {"definitions": {}, **two.schema({})}
    defs: dict[str, object] = {}
    two.schema(defs)
    body = defs["two"]
    validator = jsonschema.Draft7Validator(body)
    assert validator.is_valid({"a": "x", "c": "y"})
    assert not validator.is_valid({"a": "x"})  # c or d is missing
    assert not validator.is_valid({"a": "x", "b": "x", "c": "y"})
    assert schema


def test_the_schema_of_advisors_and_thresholds() -> None:
    defs = json_schema()["definitions"]
    advisor = jsonschema.Draft7Validator(defs[ADVISOR.name])
    assert advisor.is_valid({"who": "sana", "says": "x"}) and advisor.is_valid({"role": "FO", "says": "x"})
    assert not advisor.is_valid({"says": "x"})
    threshold = jsonschema.Draft7Validator(defs[THRESHOLD.name])
    assert not threshold.is_valid({"below": 1, "above": 2, "ending": "e"})


def test_explore_counts_only_what_a_scenario_reaches() -> None:
    story = load_story(CAST).with_scenario("short")
    state = new_game(story, 0)
    assert [o.choice.id for o in options(story, state)] == ["commit", "wait"]


# ------------------------------------------------------------------ escalating warnings
def test_a_warning_escalates_as_the_meter_nears_its_threshold(cast: Path) -> None:
    from game.engine import near_thresholds

    edit(
        cast,
        "    start: 55\n\nnodes:",
        "    start: 55\n    thresholds:\n      - below: 10\n        ending: end_full\n        warnings:\n"
        "          - {within: 15, text: Crowds grow.}\n          - {within: 8, text: Every city.}\n"
        "          - {within: 3, text: One more blow.}\n\nnodes:",
    )
    story = load_story(cast)
    state = new_game(story, 0)
    said = {}
    for value in (25, 24, 18, 17, 13, 12, 10, 9):
        s = type(state)(**{**{f: getattr(state, f) for f in state.__slots__}, "meters": (50, value)})
        said[value] = [w for _, w in near_thresholds(story, s)]
    assert said == {
        25: [],
        24: ["Crowds grow."],
        18: ["Crowds grow."],
        17: ["Every city."],
        13: ["Every city."],
        12: ["One more blow."],
        10: ["One more blow."],
        9: [],
    }


def test_warnings_and_warning_together_are_an_error(cast: Path) -> None:
    edit(
        cast,
        "    start: 55\n\nnodes:",
        "    start: 55\n    thresholds:\n      - below: 10\n        ending: end_full\n        warning: Old.\n"
        "        warnings: [{within: 5, text: New.}]\n\nnodes:",
    )
    assert "S004" in {p.code for p in check_story(cast).errors}


def test_a_flag_or_source_used_only_by_a_scenario_counts_as_used(cast: Path) -> None:
    edit(
        cast,
        "\nmeters:",
        "\nflags:\n  - id: waited\n    description: Waited.\nsources:\n  - id: memo\n    title: A memo\n\nmeters:",
    )
    edit(
        cast, "        effects: {us: -2, domestic: 3}\n", "        effects: {us: -2, domestic: 3}\n        set: {waited: true}\n"
    )
    edit(cast, "      - at: vote\n        if: us >= 55", "      - at: vote\n        if: us >= 55 and not waited")
    edit(
        cast,
        "    scenario: short\n    title: A week ahead\n",
        "    scenario: short\n    title: A week ahead\n    sources: [memo]\n",
    )
    assert [(p.code, p.message) for p in check_story(cast).problems] == []
