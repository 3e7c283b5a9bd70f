"""Each section builder on its own: a few lines of YAML in, model objects and problems out."""

from __future__ import annotations

from pathlib import Path

from game.story import spec
from game.story.build import (
    Builder,
    Sections,
    Symbols,
    build_characters,
    build_events,
    build_meta,
    build_meters,
    build_nodes,
    build_scenarios,
    collect,
    count_words,
    ids_defined_in,
    unique_ids,
)
from game.story.text import word_count
from game.story.yamlsafe import compose_tree


def sections(text: str, nodes: set[str] = frozenset(), endings: set[str] = frozenset()) -> tuple[Builder, Sections]:  # type: ignore[assignment]
    tree, checked = compose_tree(text, "f.yaml")
    assert tree is not None
    ctx = spec.Ctx()
    ctx.checked = checked
    rec = spec.FILE.validate(tree, ctx)
    assert isinstance(rec, spec.Rec) and ctx.problems == [], ctx.problems
    b = Builder(Path("."), ctx, {"f.yaml": text.encode()})
    b.node_ids, b.ending_ids = set(nodes), set(endings)
    got = collect([rec])
    b.meter_index = {r.id: i for i, r in enumerate(got["meters"])}
    b.flag_index = {r.id: i for i, r in enumerate(got["flags"])}
    b.symbols = Symbols(b.meter_index, b.flag_index, set(nodes))
    return b, got


def codes(b: Builder) -> list[str]:
    return [p.code for p in b.ctx.problems]


def test_meters_and_their_thresholds() -> None:
    b, s = sections(
        "meters:\n  - {id: us, label: US, description: D, start: 50, min: -10, max: 90,"
        " thresholds: [{below: 0, ending: low, warning: Careful.}, {above: 80, ending: high}]}\n",
        endings={"low", "high"},
    )
    (meter,) = build_meters(b, s["meters"])
    assert (meter.min, meter.max, meter.start) == (-10, 90, 50)
    low, high = meter.thresholds
    assert low.crossed(-1) and not low.crossed(0) and high.crossed(81) and not high.crossed(80)
    assert low.near(10) and not low.near(15)  # warn_within defaults to 15
    assert codes(b) == []


def test_a_threshold_to_an_unknown_ending() -> None:
    b, s = sections(
        "meters:\n  - {id: us, label: US, description: D, start: 50, thresholds: [{below: 10, ending: lwo}]}\n", endings={"low"}
    )
    build_meters(b, s["meters"])
    assert codes(b) == ["R001"] and 'did you mean "low"' in b.ctx.problems[0].message


def test_meta_needs_one_story_section_that_starts_at_a_node() -> None:
    b, s = sections("nodes: []\n")
    assert build_meta(b, s, ["f.yaml"]) is None and codes(b) == ["S020"]
    text = "story: {id: s, title: T, version: '1', start: fin, facts_as_of: 2025-11-25, content_note: N}\n"
    b, s = sections(text, nodes={"a"}, endings={"fin"})
    meta = build_meta(b, s, ["f.yaml"])
    assert meta is not None and meta.player_default == "Player" and codes(b) == ["R005"]
    assert b.ctx.problems[0].message == 'start node "fin" is an ending; the story must start at a node'


def test_duplicate_ids_keep_the_first() -> None:
    b, s = sections("flags:\n  - {id: x, description: one}\nmeters:\n  - {id: x, label: X, description: two, start: 1}\n")
    kept = unique_ids(b, s)
    # one namespace for what conditions name; sections are taken in the order meters, flags, nodes, events, endings
    assert [r.id for r in kept["meters"]] == ["x"] and kept["flags"] == []
    assert codes(b) == ["S010"] and "first defined at f.yaml:4:" in b.ctx.problems[0].message


def test_events_check_before_and_chance() -> None:
    b, s = sections(
        "events:\n  - {id: e, title: T, basis: hypothetical, text: X, chance: '30 + 90', before: [fin, nod]}\n",
        nodes={"node"},
        endings={"fin"},
    )
    (event,) = build_events(b, s["events"])
    assert event.before == frozenset({"fin", "nod"})
    assert sorted(codes(b)) == ["R001", "R001", "S008"]
    messages = " | ".join(p.message for p in b.ctx.problems)
    assert 'before lists nodes only: "fin" is an ending' in messages and "chance 120" in messages


def test_nodes_choices_outcomes_and_advisors() -> None:
    b, s = sections(
        "characters:\n  - {id: sana, name: Sana, role: Director, description: D}\n"
        "nodes:\n  - id: a\n    title: A\n    basis: hypothetical\n    text: Hello {player}.\n"
        "    advisors: [{who: sana, says: Wait.}, {who: sanna, says: Go.}]\n"
        "    choices:\n      - {id: c, text: C, goto: a}\n      - {id: c, text: Again, goto: a}\n"
        "      - id: r\n        text: R\n        outcomes: [{id: o, weight: -1, goto: a}, {id: p, weight: 2, goto: nowhere}]\n",
        nodes={"a"},
    )
    characters = build_characters(b, s["characters"])
    nodes = build_nodes(b, s["nodes"], characters)
    node = nodes["a"]
    assert [c.id for c in node.choices] == ["c", "r"]  # the duplicate is reported and left out
    assert node.advisors[0].role == "Director" and node.advisors[0].who == "sana"
    assert sorted(codes(b)) == ["R001", "R006", "S008", "S010"]


def test_scenarios_end_with_their_own_endings() -> None:
    from game.story.model import Ending
    from game.story.text import Template

    b, s = sections(
        "scenarios:\n  - id: lesson\n    title: T\n    description: D\n    start: a\n"
        "    ends: [{at: b, ending: full_end}, {at: b, ending: mine}]\n",
        nodes={"a", "b"},
        endings={"full_end"},
    )
    mine = Ending("mine", "M", "hypothetical", (), Template("x", ("x",)), "d", ("q",), spec.Pos("f.yaml"), "lesson")
    scenarios = build_scenarios(b, s["scenarios"], {"mine": mine})
    assert [e.ending for e in scenarios["lesson"].ends] == ["full_end", "mine"]
    assert sorted(codes(b)) == ["S013", "S013"]  # an ending of the full story; an end without if before another


def test_words_and_ids_of_an_unreadable_file() -> None:
    assert count_words(["one two", "three", ""]) == 3
    texts = [f"word{i} and-more {i}" for i in range(25)] + ["Ayesha’s brief", ""]
    assert count_words(texts, chunk=4) == count_words(texts) == sum(word_count(t) for t in texts)
    text = "nodes:\n  - id: a1_cable\n    choices: [{id: go, goto: x\nendings:\n  - {id: fin, title: [\n"
    assert ids_defined_in(text) == ["a1_cable", "go", "fin"]
