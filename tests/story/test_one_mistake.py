"""One mistake, one message; every field checked (issue 16).

Each test breaks a copy of a story in one way, as an author would, and
checks what ``tightrope check`` says: the root cause first, the errors that
only follow from it folded into its line, and a message that says what to do.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from game.cli import main
from game.story import StoryError, check_story, load_story
from game.story.diagnostics import Problem

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "tests" / "stories" / "starter"
SHIPPED = ROOT / "story"


@pytest.fixture
def starter(tmp_path: Path) -> Path:
    folder = tmp_path / "starter"
    shutil.copytree(STARTER, folder)
    return folder


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    folder = tmp_path / "story"
    shutil.copytree(SHIPPED, folder)
    return folder


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def errors(folder: Path) -> list[Problem]:
    return check_story(folder).errors


def check_lines(folder: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["check", str(folder)]) == 1
    return [line for line in capsys.readouterr().out.splitlines() if ": error " in line]


# ------------------------------------------------------------------ root causes first
@pytest.mark.parametrize("pattern", ["act1*.yaml", "act2_consultations.yaml"])
def test_an_unclosed_bracket_in_the_shipped_story_is_one_line(
    shipped: Path, capsys: pytest.CaptureFixture[str], pattern: str
) -> None:
    # act2_consultations sets flags the lesson scenario's ends read: their if: cannot compile, and
    # no "end without if:" error may follow from that
    act = sorted(shipped.glob(pattern))[0]
    lines = act.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if re.search(r"effects: \{.*\}$", line))
    opened = lines[at].index("{") + 1
    lines[at] = lines[at].rstrip("}")
    act.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shown = check_lines(shipped, capsys)
    assert len(shown) == 1, shown
    first = shown[0]
    # it points at the bracket that was opened, and at where the parser gave up
    assert first.startswith(f'{act}:{at + 1}:{opened}: error Y001: invalid YAML: the "{{" opened here is not closed'), first
    assert f"the parser gave up at line {at + 2}" in first
    # every id the file defines is unknown elsewhere: one count, not one line each
    assert re.search(r"\(and \d+ errors that follow from it\)$", first), first


def test_a_misspelt_meter_key_is_one_line(shipped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(shipped / "story.yaml", "thresholds:", "tresholds:")
    shown = check_lines(shipped, capsys)
    assert len(shown) == 1, shown
    assert 'error S002: unknown field "tresholds" in a meter (did you mean "thresholds"?)' in shown[0]


def test_a_required_field_misspelt_is_one_error_and_the_object_follows(starter: Path) -> None:
    # "strat" for "start": the unknown field is the cause; the missing start and
    # every reference to the meter that could not be read follow from it
    edit(starter / "story.yaml", "    start: 50\n  - id: gulf", "    strat: 50\n  - id: gulf")
    found = errors(starter)
    assert [p.code for p in found] == ["S002"], [str(p) for p in found]
    assert 'unknown field "strat" in a meter (did you mean "start"?)' in found[0].message
    assert found[0].follow_on >= 3  # the missing start, and the effects and {us} that name the meter
    assert "errors that follow from it" in str(found[0])


def test_a_meter_with_a_wrong_value_hides_the_references_to_it(starter: Path) -> None:
    edit(starter / "story.yaml", "    start: 50\n  - id: gulf", "    start: fifty\n  - id: gulf")
    found = errors(starter)
    assert [p.code for p in found] == ["S001"], [str(p) for p in found]
    assert found[0].follow_on > 0


def test_a_file_that_cannot_be_parsed_hides_the_start_and_every_goto_into_it(starter: Path) -> None:
    nodes = starter / "nodes.yaml"
    edit(nodes, "    title: The cable from Washington", "    title: [The cable from Washington")
    found = errors(starter)
    assert [p.code for p in found] == ["Y001"], [str(p) for p in found]
    # the start node lived there: no "start node is not a node of this story"
    assert all(p.code != "R005" for p in found)


def test_a_goto_into_a_broken_node_is_not_unknown(starter: Path) -> None:
    edit(starter / "nodes.yaml", "    title: Friday\n", "")
    found = errors(starter)
    assert [p.code for p in found] == ["S003"]
    assert found[0].follow_on >= 1  # the gotos to the_street


def test_a_misspelt_section_hides_its_objects(starter: Path) -> None:
    edit(starter / "endings.yaml", "endings:", "endigns:")
    found = errors(starter)
    assert [p.code for p in found] == ["S002"], [str(p) for p in found]
    assert 'in a story file (did you mean "endings"?)' in found[0].message
    assert found[0].follow_on >= 3


def test_independent_mistakes_are_all_reported(starter: Path) -> None:
    edit(starter / "nodes.yaml", "goto: the_street", "goto: the_stret")
    edit(starter / "story.yaml", "description: How Washington", "descripton: How Washington")
    codes = sorted(p.code for p in errors(starter))
    assert codes == ["R001", "S002", "S003"] or codes == ["R001", "S002"], codes


def test_the_app_gets_what_check_prints(starter: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(starter / "story.yaml", "    start: 50\n  - id: gulf", "    start: fifty\n  - id: gulf")
    shown = check_lines(starter, capsys)
    with pytest.raises(StoryError) as info:
        load_story(starter)
    assert info.value.lines() == shown


# ------------------------------------------------------------------ YAML's own traps
def test_a_tab_in_indentation(starter: Path) -> None:
    edit(starter / "nodes.yaml", "    title: Friday", "\ttitle: Friday")
    found = errors(starter)
    assert found[0].code == "Y017" and "replace the tab with spaces" in found[0].message


def test_an_alias_to_another_files_anchor(starter: Path) -> None:
    edit(starter / "story.yaml", "    description: How Washington", "    description: &how How Washington")
    edit(starter / "nodes.yaml", "    title: Friday", "    title: *how")
    found = errors(starter)
    assert found[0].code == "Y019", [str(p) for p in found]
    assert "story.yaml:" in found[0].message and "anchors work only within one file" in found[0].message


def test_a_merge_key(starter: Path) -> None:
    edit(starter / "story.yaml", "glossary:\n  - term: ISF", "glossary:\n  - <<: {source: unsc_2803}\n    term: ISF")
    found = errors(starter)
    assert found[0].code == "Y018" and "write the fields out in full" in found[0].message


def test_text_that_starts_with_a_bracket(starter: Path) -> None:
    edit(starter / "nodes.yaml", "        text: Tell Washington", "        text: [bold] Tell Washington")
    found = errors(starter)
    assert found[0].code == "Y001" and "put the whole text in quotes" in found[0].message
    # alone on its line, it is a list where text was expected: the same advice
    edit(starter / "nodes.yaml", "        text: [bold] Tell Washington Pakistan is ready in principle.", "        text: [bold]")
    found = errors(starter)
    assert found[0].code == "S001" and "put the whole text in quotes" in found[0].message
    # where an object is expected, a list is just the wrong shape: no advice about quotes
    edit(
        starter / "nodes.yaml",
        "    advisors:\n      - role: Foreign Office",
        "    advisors:\n      - [Foreign Office]\n      - role: Foreign Office",
    )
    found = errors(starter)
    assert found[0].message == "expected an advisor (a mapping), found a list", found[0].message


# ------------------------------------------------------------------ every field checked
@pytest.mark.parametrize(
    "old, new, field",
    [
        ("text: Tell Washington Pakistan", "text: Tell {trsut} Washington Pakistan", "a choice's text"),
        ("    title: Friday", "    title: Friday {us}", "a node's title"),
        ("says: We voted yes", "says: We voted {player} yes", "an advisor's says"),
        ("text: Cairo and Amman", "text: Cairo {gulf} and Amman", "an outcome's text"),
    ],
)
def test_braces_in_a_field_that_is_not_a_template(starter: Path, old: str, new: str, field: str) -> None:
    edit(starter / "nodes.yaml", old, new)
    found = errors(starter)
    assert [p.code for p in found] == ["T004"], [str(p) for p in found]
    assert found[0].message.startswith(f"{field} is shown as written, not filled in")
    text = (starter / "nodes.yaml").read_text(encoding="utf-8").splitlines()
    line, column = found[0].pos.line, found[0].pos.column
    assert text[line - 1][column - 1] == "{"  # the brace itself


def test_doubled_braces_are_literal_braces_everywhere(starter: Path) -> None:
    edit(starter / "nodes.yaml", "    title: Friday", "    title: Friday {{draft}}")
    story = load_story(starter)
    assert story.nodes["the_street"].title == "Friday {draft}"


def test_player_without_a_name(starter: Path) -> None:
    from game.engine import new_game

    edit(starter / "nodes.yaml", "      Three days after the vote", "      Councillor {player}, three days after the vote")
    story = load_story(starter)
    text = story.nodes["the_cable"].text
    named = new_game(story, player="Amina")
    assert text.render(named, named.player).startswith("Councillor Amina, three")
    assert text.render(new_game(story), "").startswith("Councillor Player, three")
    edit(starter / "story.yaml", "  license: CC BY 4.0", "  license: CC BY 4.0\n  player_default: Minister")
    story = load_story(starter)
    assert story.nodes["the_cable"].text.render(new_game(story), "").startswith("Councillor Minister, three")


def test_flags_and_visits_in_text(starter: Path) -> None:
    from game.engine import new_game

    edit(
        starter / "nodes.yaml",
        "      Three days after the vote",
        "      [{revisions_tabled} {the_cable} {turn}] Three days after the vote",
    )
    story = load_story(starter)
    assert story.nodes["the_cable"].text.render(new_game(story)).startswith("[false 1 0] Three days")


@pytest.mark.parametrize(
    "old, new, fragment",
    [
        (
            "      - below: 15",
            "      - below: -5",
            'threshold "below -5" can never be crossed: meter "domestic" stays within 0..100',
        ),
        ("      - below: 15", "      - below: 0", 'threshold "below 0" can never be crossed'),
        ("      - below: 15", "      - above: 150", 'threshold "above 150" can never be crossed'),
        ("      - below: 15", "      - below: 101", 'threshold "below 101" is always crossed'),
        (
            "      - below: 15",
            "      - below: 60",
            'meter "domestic" starts at 55, which already crosses its threshold "below 60"',
        ),
    ],
)
def test_impossible_thresholds(starter: Path, old: str, new: str, fragment: str) -> None:
    edit(starter / "story.yaml", old, new)
    found = errors(starter)
    assert [p.code for p in found] == ["S008"], [str(p) for p in found]
    assert fragment in found[0].message


def test_impossible_chance_and_weight(starter: Path) -> None:
    events = next(p for p in starter.glob("*.yaml") if "events:" in p.read_text(encoding="utf-8"))
    chance = re.search(r"chance: (.+)", events.read_text(encoding="utf-8"))
    assert chance is not None
    edit(events, chance.group(0), "chance: 150")
    edit(starter / "nodes.yaml", "weight: 3", "weight: -2")
    found = errors(starter)
    assert sorted(p.code for p in found) == ["S008", "S008"], [str(p) for p in found]
    messages = " | ".join(p.message for p in found)
    assert "chance 150 is outside 0 to 100" in messages
    assert "weight -2 is below 0" in messages
    # a constant expression counts too; an expression that reads the state cannot be known
    edit(events, "chance: 150", 'chance: "50 + 60"')
    edit(starter / "nodes.yaml", "weight: -2", 'weight: "us - 200"')
    found = errors(starter)
    assert [p.code for p in found] == ["S008"] and "chance 110" in found[0].message


@pytest.mark.parametrize("where", ["choice", "outcome", "character", "source"])
def test_reserved_words_are_refused_for_every_id(starter: Path, where: str) -> None:
    if where == "choice":
        edit(starter / "nodes.yaml", "      - id: wait\n", "      - id: end\n")
    elif where == "outcome":
        edit(starter / "nodes.yaml", "          - id: ignored\n", "          - id: else\n")
    elif where == "character":
        (starter / "cast.yaml").write_text("characters:\n  - {id: player, name: P, role: R, description: D}\n", encoding="utf-8")
    else:
        edit(starter / "story.yaml", "  - id: dar_parliament", "  - id: turn")
    found = [p for p in errors(starter) if p.code == "S011"]
    assert len(found) == 1 and "is a reserved word and cannot be an id" in found[0].message


def test_messages_name_the_real_grammar(starter: Path) -> None:
    edit(
        starter / "nodes.yaml",
        "        effects: {us: 8, domestic: -6}\n        goto: the_street",
        "        effects: {us: 8, domestic: -6}",
    )
    found = errors(starter)
    assert found[0].message == 'a choice needs either "goto" or "outcomes"'
    edit(
        starter / "nodes.yaml",
        "        effects: {us: 8, domestic: -6}",
        "        effects: {us: 8, domestic: -6}\n        goto: the_street\n        outcomes: [{id: o, weight: 1, goto: the_street}]",
    )
    found = errors(starter)
    assert found[0].message == 'a choice needs either "goto" or "outcomes", not both'


def test_before_names_nodes_only(starter: Path) -> None:
    events = next(p for p in starter.glob("*.yaml") if "events:" in p.read_text(encoding="utf-8"))
    text = events.read_text(encoding="utf-8")
    before = re.search(r"before: \[([a-z_]+)", text)
    assert before is not None
    edit(events, before.group(0), "before: [street_crisis")
    found = errors(starter)
    assert [p.code for p in found] == ["R001"]
    assert found[0].message == 'before lists nodes only: "street_crisis" is an ending (an event fires on the way into a node)'


def test_upper_case_extensions_and_subfolders_are_read(starter: Path) -> None:
    (starter / "more").mkdir()
    (starter / "endings.yaml").rename(starter / "more" / "Endings.YAML")
    result = check_story(starter)
    assert result.exit_code == 0, [str(p) for p in result.problems]
    assert result.stats["endings"] == 3


def test_the_apps_reload_shows_the_folded_lines(starter: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from game.session import NewGame, Session, Settings

    session = Session.open(Settings(starter, tmp_path / "saves"))
    try:
        session.start(NewGame("", 1, True, False))
        edit(starter / "story.yaml", "    start: 50\n  - id: gulf", "    start: fifty\n  - id: gulf")
        result = session.reload()
        assert result.kind == "problems"
        assert list(result.problems) == check_lines(starter, capsys)
        assert result.message == "The story has 1 error; the old story is kept."
    finally:
        session.close()
