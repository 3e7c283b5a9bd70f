"""The index of ids: every definition and reference, at the exact characters of the id."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from game.lsp.index import FolderIndex, Target, condition_names, index_file, template_names
from game.story import Story, load_story

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "story"
CAST = ROOT / "tests" / "stories" / "cast"


def folder(root: Path) -> FolderIndex:
    return FolderIndex(index_file(str(p), p.read_text(encoding="utf-8")) for p in sorted(root.glob("*.yaml")))


@pytest.mark.parametrize("root", [SHIPPED, CAST], ids=["shipped", "cast"])
def test_every_definition_and_reference_points_at_the_id_as_written(root: Path) -> None:
    index = folder(root)
    found = 0
    for f in index.files.values():
        assert f.ok
        lines = f.text.splitlines()
        for item in [*f.defs, *f.refs]:
            assert item.span.line == item.span.end_line
            assert lines[item.span.line][item.span.col : item.span.end_col] == item.id
            found += 1
    assert found > 30


def _targets(story: Story) -> Counter[str]:
    """How many times each node or ending is named, counted from the compiled story."""
    named: Counter[str] = Counter()
    named[story.meta.start] += 1
    for node in story.nodes.values():
        for c in node.choices:
            if c.goto:
                named[c.goto] += 1
            for o in c.outcomes:
                named[o.goto] += 1
    for e in story.events:
        named.update(e.before)
        if e.goto:
            named[e.goto] += 1
    for m in story.meters:
        named.update(t.ending for t in m.thresholds)
    for sc in story.scenarios.values():
        named[sc.start] += 1
        for end in sc.ends:
            named[end.at] += 1
            named[end.ending] += 1
    return named


@pytest.mark.parametrize("root", [SHIPPED, CAST], ids=["shipped", "cast"])
def test_references_to_nodes_and_endings_agree_with_the_compiled_story(root: Path) -> None:
    story = load_story(root)
    index = folder(root)
    for eid in [*story.nodes, *story.endings, *story.scenario_endings]:
        kind = "node" if eid in story.nodes else "ending"
        places = index.references(Target(eid, (kind,), index.lookup(eid, (kind,)).span), declarations=False)  # type: ignore[union-attr]
        by_field = [
            r
            for r in index.refs.get(("story", eid), [])
            if r.where in ("goto", "before", "start", "at", "ending") and (r.file, r.span) in places
        ]
        assert len(by_field) == _targets(story)[eid], eid


def test_meter_effects_agree_with_the_compiled_story() -> None:
    story = load_story(SHIPPED)
    index = folder(SHIPPED)
    moved: Counter[str] = Counter()
    for node in story.nodes.values():
        for c in node.choices:
            moved.update(story.meters[i].id for i, _ in c.effects)
            for o in c.outcomes:
                moved.update(story.meters[i].id for i, _ in o.effects)
    for e in story.events:
        moved.update(story.meters[i].id for i, _ in e.effects)
    for m in story.meters:
        assert len([r for r in index.refs[("story", m.id)] if r.where == "effects"]) == moved[m.id]


SAMPLE = """\
# yaml-language-server: $schema=x
flags:
  - id: "flag_x"
    description: A flag.
meters:
  - id: us
    label: US
    description: d
    start: 5
nodes:
  - id: 'a'
    title: x
    text: |
      Hello {us}, said us. {if us > 3 and flag_x}Yes{else}{{us}}{end}
    choices:
      - id: c
        text: Keep us close.
        if: "us >= 2 and not flag_x"
        goto: 'a'
        effects: &fx {us: 1}
      - id: d
        text: t
        effects: *fx
        weight: 3
        goto: a
"""


def _at(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    index = text.index(needle) + offset
    return text.count("\n", 0, index), index - (text.rfind("\n", 0, index) + 1)


def test_quoted_block_and_aliased_values() -> None:
    f = index_file("sample.yaml", SAMPLE)
    defs = {(d.kind, d.id): (d.span.line, d.span.col) for d in f.defs}
    assert defs[("flag", "flag_x")] == _at(SAMPLE, '"flag_x"', 1)  # inside the quotes
    assert defs[("node", "a")] == _at(SAMPLE, "'a'", 1)
    refs = sorted((r.id, r.where, r.span.line, r.span.col) for r in f.refs)
    line = "Hello {us}, said us. {if us > 3 and flag_x}Yes{else}{{us}}{end}"
    assert [r[2:] for r in refs if r[1] == "text"] == [
        _at(SAMPLE, line, line.index("flag_x")),
        _at(SAMPLE, line, line.index("{us}") + 1),
        _at(SAMPLE, line, line.index("{if us") + 4),
    ]  # not the "us" of the prose, nor the one in {{us}}, which is literal text
    condition = '"us >= 2 and not flag_x"'
    assert ("us", "if", *_at(SAMPLE, condition, 1)) in refs
    assert ("flag_x", "if", *_at(SAMPLE, condition, condition.index("flag_x"))) in refs
    assert [r[2:] for r in refs if r[1] == "goto"] == [_at(SAMPLE, "goto: 'a'", 7), _at(SAMPLE, "goto: a\n", 6)]
    # the alias repeats the anchor's mapping: one place, found once
    index = FolderIndex([f])
    us = index.lookup("us", ("meter",))
    assert us is not None
    places = index.references(Target("us", ("meter",), us.span))
    assert len(places) == len(set(places)) == 5  # definition, {us}, {if us ...}, the condition, the effect


def test_a_file_with_a_yaml_error_is_indexed_up_to_the_error() -> None:
    broken = SAMPLE.replace("effects: &fx {us: 1}", "effects: {us: 1, fl", 1)
    f = index_file("sample.yaml", broken)
    assert not f.ok and f.problem is not None and f.problem.startswith("invalid YAML")
    assert {d.id for d in f.defs} == {"flag_x", "us", "a"}
    assert index_file("empty.yaml", "").ok
    for text in ["\t- x", "nodes: [", "a: b: c", "- - - [", "key: *nope", "!!python/object:os.system x", "\x00"]:
        f = index_file("bad.yaml", text)
        assert not f.ok and f.defs == []


def test_condition_and_template_names() -> None:
    assert condition_names("us >= 40 and not committed_early") == [("us", 0), ("committed_early", 17)]
    assert condition_names("us >= 40 and (gulf") == [("us", 0), ("gulf", 14)]
    assert condition_names("us = 40 and gulf") == [("us", 0)]  # names before the mistake
    assert condition_names("") == []
    text = "{us} {{gulf}} {if a and b}x{else}y{end} {player} {  c  }"
    assert list(template_names(text)) == [("us", 1), ("a", text.index("a and")), ("b", text.index("b}")), ("c", text.index("c "))]


def test_a_name_written_with_escapes_is_not_found_somewhere_else() -> None:
    text = SAMPLE.replace('if: "us >= 2 and not flag_x"', 'if: "\\x75s >= 2"', 1)  # "\x75s" reads as "us"
    f = index_file("sample.yaml", text)
    assert f.ok
    lines = text.splitlines()
    for r in f.refs:
        assert lines[r.span.line][r.span.col : r.span.end_col] == r.id
    condition = next(i for i, line in enumerate(lines) if "x75s" in line)
    assert not [r for r in f.refs if r.where == "if"]  # not placed on the next "us" of the file
    assert [r.span.line for r in f.refs if r.id == "us" and r.span.line > condition]  # which exists
