"""Completion from the text around the cursor, on whole and on half-written files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.lsp.complete import Completer
from game.lsp.index import FolderIndex, index_file
from game.story import spec

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "tests" / "stories" / "starter"
CAST = ROOT / "tests" / "stories" / "cast"


def completer(root: Path) -> Completer:
    return Completer(FolderIndex(index_file(str(p), p.read_text(encoding="utf-8")) for p in sorted(root.glob("*.yaml"))))


STARTER_COMPLETER = completer(STARTER)
NODES = ["the_cable", "the_street", "decision"]
ENDINGS = ["contingent", "aid_only", "street_crisis"]
METERS = ["us", "gulf", "domestic"]
CONDITION = [*METERS, "revisions_tabled", *NODES, "photo", "turn"]  # meters, flags, nodes, events
CHOICE = "nodes:\n  - id: a\n    choices:\n      - id: c\n"


def labels(text: str, c: Completer = STARTER_COMPLETER) -> list[str]:
    """Complete at the end of text (the cursor is where the text stops)."""
    lines = text.split("\n")
    return [x.label for x in c.complete(lines, len(lines) - 1, len(lines[-1])).candidates]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (CHOICE + "        goto: ", NODES + ENDINGS),
        ("nodes:\n- id: a\n  choices:\n  - id: c\n    goto: ", NODES + ENDINGS),  # lists at their key's column
        ("nodes:\n- id: a\n  choices:\n  - id: c\n    effects:\n      us: 1\n      ", METERS),
        ("nodes:\n- id: a\n  choices:\n  - id: c\n    text: t\n  - ", list(spec.CHOICE.fields)),
        ("nodes:\n- id: a\n  title: t\n  ", [f for f in spec.NODE.fields if f not in ("id", "title")]),
        ("nodes:\n- id: a\n  text: |\n    Hello {", [*CONDITION[:-1], "player", "if", "else", "end"]),
        (CHOICE + "        goto: the_", NODES + ENDINGS),  # the editor filters by what is typed
        (CHOICE + "        outcomes:\n          - id: o\n            goto: ", NODES + ENDINGS),
        (CHOICE + "        effects: {us: 3, ", METERS),
        (CHOICE + "        effects:\n          us: 2\n          ", METERS),
        (CHOICE + "        set: {", ["revisions_tabled"]),
        (CHOICE + "        set: {revisions_tabled: ", ["true", "false"]),
        (CHOICE + "        set:\n          revisions_tabled: ", ["true", "false"]),
        (CHOICE + "        if: us > 3 and ", [*CONDITION, "and", "false", "not", "or", "true"]),
        (CHOICE + "        if: 'us > 3 and ", [*CONDITION, "and", "false", "not", "or", "true"]),
        ("nodes:\n  - id: a\n    sources: [unsc_2803, ", ["unsc_2803", "dar_parliament"]),
        ("nodes:\n  - id: a\n    sources:\n      - unsc_2803\n      - ", ["unsc_2803", "dar_parliament"]),
        ("nodes:\n  - id: a\n    basis: ", ["reported", "hypothetical", "mixed"]),
        ("nodes:\n  - id: a\n    key: ", ["true", "false"]),
        ("events:\n  - id: e\n    before: [", NODES),
        ("events:\n  - id: e\n    chance: ", [*CONDITION, "and", "false", "not", "or", "true"]),
        ("meters:\n  - id: m\n    thresholds:\n      - below: 3\n        ending: ", ENDINGS),
        ("story:\n  id: s\n  start: ", NODES),
        ("glossary:\n  - term: ISF\n    source: ", ["unsc_2803", "dar_parliament"]),
        ("", [f for f in spec.FILE.fields]),
        ("story:\n  id: x\n", [f for f in spec.FILE.fields if f != "story"]),
        ("nodes:\n  - id: a\n    title: x\n    ", [f for f in spec.NODE.fields if f not in ("id", "title")]),
        ("nodes:\n  - id: a\n    title: x\n  - ", list(spec.NODE.fields)),  # a new item: nothing written yet
        ("nodes:\n  - id: a\n    text: |\n      Hello {", [*CONDITION[:-1], "player", "if", "else", "end"]),
        ("nodes:\n  - id: a\n    text: |\n      Hello {if ", [*CONDITION, "and", "false", "not", "or", "true"]),
        ("nodes:\n  - id: a\n    text: Hello {", [*CONDITION[:-1], "player", "if", "else", "end"]),
        ("nodes:\n  - id: a\n    text: |\n      goto: ", []),  # prose that looks like a key
        ("nodes:\n  - id: a\n    text: |\n      Hello {{", []),  # a literal brace
        ("nodes:\n  - id: a\n    text: |\n      Hello {us} and ", []),
        ("nodes:\n  - id: a\n    text: |\n      Hello.\n\n      ", []),  # a blank line inside the text
        ("nodes:\n  - id: a\n    text: |\n      Hello.\n    ", [f for f in spec.NODE.fields if f not in ("id", "text")]),
        (CHOICE + "        text: Go ", []),  # choice text is not a template
        (CHOICE + "        # goto: ", []),
        ("nodes:\n  - id: a\n    unknown_field: ", []),
        ("nodes:\n  - id: a\n    goto:", []),  # no space yet: YAML needs one
    ],
)
def test_what_is_offered_where(text: str, expected: list[str]) -> None:
    assert labels(text) == expected


def test_keys_below_the_cursor_count_as_written() -> None:
    lines = "nodes:\n  - id: a\n    \n    title: x\n    basis: mixed\n  - id: b\n    text: t".split("\n")
    offered = [c.label for c in STARTER_COMPLETER.complete(lines, 2, 4).candidates]
    assert offered == [f for f in spec.NODE.fields if f not in ("id", "title", "basis")]  # the next item's text is its own


def test_fields_come_with_their_documentation_and_insert_the_colon() -> None:
    lines = "nodes:\n  - id: a\n    ".split("\n")
    result = STARTER_COMPLETER.complete(lines, 2, 4)
    basis = next(c for c in result.candidates if c.label == "basis")
    assert basis.insert == "basis: " and "reported" in basis.documentation
    assert result.start == 4


def test_ids_come_with_their_titles() -> None:
    lines = (CHOICE + "        goto: dec").split("\n")
    result = STARTER_COMPLETER.complete(lines, len(lines) - 1, len(lines[-1]))
    decision = next(c for c in result.candidates if c.label == "decision")
    assert decision.detail == "node: The decision"
    assert result.start == len("        goto: ")  # the typed part is replaced


def test_characters_after_who() -> None:
    cast = completer(CAST)
    assert labels("nodes:\n  - id: a\n    advisors:\n      - who: ", cast) == ["sana", "tariq"]
    assert labels("scenarios:\n  - id: s\n    ends:\n      - at: ", cast) == ["briefing", "reply", "vote"]
    assert labels("endings:\n  - id: e\n    scenario: ", cast) == ["short"]


STORY_TEXT = "\n".join(p.read_text(encoding="utf-8") for p in sorted(STARTER.glob("*.yaml")))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(0, len(STORY_TEXT)),
    insert=st.lists(st.sampled_from([*"{}[]:,-'\"\t\n #|>&*!", "goto: ", "  - ", "if: ", "us", "{if "]), max_size=8).map("".join),
    data=st.data(),
)
def test_half_typed_text_never_breaks_completion_or_indexing(cut: int, insert: str, data: st.DataObject) -> None:
    text = STORY_TEXT[:cut] + insert + STORY_TEXT[cut:]
    index = index_file("typed.yaml", text)
    lines = text.split("\n")
    line = data.draw(st.integers(0, len(lines) - 1))
    col = data.draw(st.integers(0, len(lines[line])))
    Completer(FolderIndex([index])).complete(lines, line, col)
    for item in [*index.defs, *index.refs]:
        assert lines[item.span.line][item.span.col : item.span.end_col] == item.id
