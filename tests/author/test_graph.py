from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from game.author.graph import build, dot_quote, flow, focus, mermaid_text, render
from game.story import Story, load_story

from .conftest import ROOT, SHIPPED, TIGHTROPE, UNREACHABLE, shipped_story, write_story

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed (apt-get install graphviz)")

HOSTILE = """# yaml-language-server: $schema=../docs/story.schema.json
story:
  id: hostile
  title: "Quotes \\" and \\\\N back\\\\slash <b>bold</b> | pipes # hash %% pct `tick`"
  version: "1"
  start: a
  facts_as_of: 2025-11-25
  content_note: A test story.
meters:
  - id: us
    label: US
    description: Test.
    start: 50
    thresholds:
      - {below: 10, ending: fin}
nodes:
  - id: a
    title: "A \\"quoted\\" ]]) }}}} title\\e[31m red <script>x</script> end"
    basis: hypothetical
    text: Text.
    choices:
      - id: go
        text: Go.
        if: '"x" == "x" and us >= 50'
        goto: b
      - id: roll
        text: Roll.
        outcomes:
          - {id: heads, weight: us - 40, goto: b}
          - {id: tails, weight: 1, goto: fin}
  - id: b
    title: "C:\\\\Node -> [x] {{y}} (z)"
    basis: hypothetical
    text: B.
    choices:
      - {id: done, text: Done., goto: fin}
events:
  - id: storm
    title: 'A "storm" & <wind>'
    basis: hypothetical
    text: Storm.
    chance: 20
    before: [b]
    goto: fin
endings:
  - {id: fin, title: "The end; #1 \\"final\\"", basis: hypothetical, text: F., debrief: F., questions: [Q?]}
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Story:
    return load_story(write_story(tmp_path_factory.mktemp("hostile") / "s", HOSTILE))


# ----------------------------------------------------------------- Mermaid validity
_NODE = re.compile(r'^\s+([a-z][a-z0-9_]*)(\[|\(\[|\{\{|\{)"([^"]*)"(\]|\]\)|\}\}|\})(:::k_[a-z_]+)$')
_EDGE = re.compile(r'^\s+([a-z][a-z0-9_]*) (-->|-\.->|-\.-|==>)\|"([^"]*)"\| ([a-z][a-z0-9_]*)$')
_PAIRS = {"[": "]", "([": "])", "{{": "}}", "{": "}"}


def check_mermaid(text: str) -> tuple[set[str], list[tuple[str, str, str, str]]]:
    """A strict reading of the flowchart subset we emit; fails on anything else."""
    lines = text.splitlines()
    assert lines[0] == "---" and lines[1].startswith("title: ") and lines[2] == "---" and lines[3] == "flowchart TD"
    defined: set[str] = set()
    edges: list[tuple[str, str, str, str]] = []
    depth = 0
    for line in lines[4:]:
        if re.match(r"^\s+classDef k_[a-z_]+ [a-z-]+:#[0-9a-f]{6}(,[a-z-]+:[#0-9a-z]+)*$", line):
            continue
        if m := _NODE.match(line):
            assert _PAIRS[m.group(2)] == m.group(4), line
            defined.add(m.group(1))
            labels = [m.group(3)]
        elif m := _EDGE.match(line):
            edges.append((m.group(1), m.group(2), m.group(3), m.group(4)))
            labels = [m.group(3)]
        elif re.match(r'^\s+subgraph [a-z_]+ \["[A-Za-z ]+"\]$', line):
            depth += 1
            continue
        elif line.strip() == "end":
            depth -= 1
            continue
        else:
            raise AssertionError(f"not a valid flowchart line: {line!r}")
        for label in labels:
            # entity codes only; the only raw tag is our own line break
            assert not re.search(r"#(?!\d+;)", label), label
            bare = label.replace("<br>", "\n")
            assert not set(bare) & set('"<>`%\\\x1b'), label
    assert depth == 0
    for src, _, _, dst in edges:
        assert src in defined and dst in defined, (src, dst)
    return defined, edges


def test_mermaid_starter_is_a_valid_flowchart(starter: Story) -> None:
    defined, edges = check_mermaid(render(starter, "mermaid"))
    assert {"n_the_cable", "n_the_street", "n_decision", "e_contingent", "e_aid_only", "e_street_crisis", "v_photo"} <= defined
    labels = {(s, kind, label, d) for s, kind, label, d in edges}
    assert ("n_the_cable", "-->", "commit", "n_the_street") in labels
    conditional = [e for e in edges if e[2].startswith("deploy")]
    assert conditional[0][1] == "-.->" and "us #62;= 50" in conditional[0][2]
    assert ("v_photo", "-.-", "before", "n_decision") in labels
    assert ("t_thresholds", "-.->", "domestic #60; 15", "e_street_crisis") in labels


def test_mermaid_escapes_hostile_text(hostile: Story) -> None:
    text = render(hostile, "mermaid")
    defined, edges = check_mermaid(text)
    assert "\x1b" not in text and "<script>" not in text
    assert "n_a" in defined and "v_storm" in defined
    assert any(kind == "==>" and src == "v_storm" and dst == "e_fin" for src, kind, _, dst in edges)
    assert "#34;quoted#34;" in text and "#60;script#62;" in text
    # the title goes in YAML front matter as a JSON string
    assert text.splitlines()[1].startswith('title: "Quotes \\" and')


def test_mermaid_text_entities() -> None:
    assert mermaid_text('a "b" <c> #d &e %f `g` \\h') == '"a #34;b#34; #60;c#62; #35;d #38;e #37;f #96;g#96; #92;h"'
    assert mermaid_text("one\ntwo") == '"one<br>two"'


# ----------------------------------------------------------------- DOT
def test_dot_quote() -> None:
    assert dot_quote('say "hi" \\N') == '"say \\"hi\\" \\\\N"'
    assert dot_quote("a\nb") == '"a\\nb"'


def test_dot_marks_kinds_distinctly(starter: Story) -> None:
    text = render(starter, "dot")
    assert re.search(r"n_the_cable \[shape=box, [^\n]*peripheries=2", text)  # the start
    assert re.search(r"e_contingent \[shape=doubleoctagon", text)
    assert re.search(
        r'v_photo \[shape=hexagon[^\n]*label="photo\\nA photograph\\nchance 20 \+ us - 50%\\ndomestic -6\\nif us > 55"', text
    )
    assert re.search(r'n_decision -> e_contingent \[style=dashed, label="deploy\\nif us >= 50', text)
    assert 'tooltip="deploy: Send a medical and engineering contingent. (if us >= 50 and not revisions_tabled' in text
    assert re.search(r'n_the_cable -> (r\d+) \[label="revise"', text)
    hub = re.search(r'n_the_cable -> (r\d+) \[label="revise"', text).group(1)  # type: ignore[union-attr]
    assert re.search(rf'{hub} -> n_the_street \[[^\n]*label="accepted \(gulf - 45\)"', text)
    assert re.search(rf'{hub} -> n_the_street \[[^\n]*label="ignored \(3\)"', text)
    assert 'label="Thresholds\\ndomestic < 15: street_crisis"' in text
    assert re.search(r't_thresholds -> e_street_crisis \[[^\n]*label="domestic < 15"', text)
    assert "subgraph cluster_legend" in text
    assert "cluster_legend" not in render(starter, "dot", legend=False)


@needs_dot
@pytest.mark.parametrize("fmt_story", ["starter", "unreachable", "hostile"])
def test_dot_renders_with_graphviz(fmt_story: str, starter: Story, hostile: Story, unreachable: Story) -> None:
    story = {"starter": starter, "hostile": hostile, "unreachable": unreachable}[fmt_story]
    proc = subprocess.run(["dot", "-Tsvg"], input=render(story, "dot"), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.lstrip().startswith("<?xml") and "</svg>" in proc.stdout
    if fmt_story == "hostile":
        svg = html.unescape(proc.stdout)
        assert 'A "quoted" ]]) }} title red <script>x</script> end' in svg
        assert "C:\\Node -> [x] {y} (z)" in svg  # a literal backslash, not Graphviz's \N
        assert "\x1b" not in svg


@needs_dot
def test_graph_cli_pipes_into_dot(tmp_path: Path) -> None:
    """The acceptance command: tightrope graph STORY --format dot | dot -Tsvg."""
    stories = [ROOT / "tests" / "stories" / "starter", SHIPPED]
    for n, story in enumerate(stories):
        out = tmp_path / f"graph{n}.svg"
        proc = subprocess.run(
            f"set -o pipefail; '{TIGHTROPE}' graph '{story}' --format dot | dot -Tsvg > '{out}'",
            shell=True,
            executable="/bin/bash",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert "</svg>" in out.read_text(encoding="utf-8")


def test_shipped_story_graph() -> None:
    story = shipped_story()
    check_mermaid(render(story, "mermaid"))
    text = render(story, "dot")
    for nid in story.nodes:
        assert f"n_{nid} [" in text
    for eid in story.endings:
        assert f"e_{eid} [" in text


# ----------------------------------------------------------------- focus
def test_focus_keeps_ancestors_and_descendants(unreachable: Story) -> None:
    g = focus(unreachable, build(unreachable), "secret")
    refs = {n.ref for n in g.nodes.values() if n.ref}
    assert refs == {"start", "secret", "end_secret", "hush"}
    assert any(n.kind == "random" for n in g.nodes.values())  # gamble's draw leads to secret
    g = focus(unreachable, build(unreachable), "end_rupture")
    refs = {n.ref for n in g.nodes.values() if n.ref}
    # a threshold ending: reached through the events and choices that can lower us (only the event "never",
    # which fires on the way from start into mid)
    assert refs == {"end_rupture", "never", "start"}
    assert "t_thresholds" in g.nodes


def test_focus_on_the_start_keeps_what_follows(starter: Story) -> None:
    whole = build(starter)
    g = focus(starter, whole, "the_cable")
    assert set(g.nodes) == set(whole.nodes)
    g = focus(starter, whole, "aid_only")
    refs = {n.ref for n in g.nodes.values() if n.ref}
    assert refs == {"the_cable", "the_street", "decision", "aid_only", "photo"}
    assert all(e.src in g.nodes and e.dst in g.nodes for e in g.edges)


def test_flow_links_events_between_scenes(starter: Story) -> None:
    f = flow(starter)
    assert "photo@decision" in f["the_street"]
    # the photograph leads on into the decision, and lowers domestic, whose threshold ends in the crisis
    assert f["photo@decision"] == {"decision", "street_crisis"}


def test_an_event_without_before_does_not_join_unrelated_scenes(tmp_path: Path) -> None:
    story = load_story(
        write_story(
            tmp_path / "s",
            """# yaml-language-server: $schema=../docs/story.schema.json
story: {id: s, title: S, version: "1", start: a, facts_as_of: 2025-11-25, content_note: N.}
meters:
  - {id: us, label: US, description: D., start: 50}
nodes:
  - {id: a, title: A, basis: hypothetical, text: A., choices: [{id: l, text: L., goto: left}, {id: r, text: R., goto: right}]}
  - {id: left, title: L, basis: hypothetical, text: L., choices: [{id: go, text: Go., effects: {us: 1}, goto: end_left}]}
  - {id: right, title: R, basis: hypothetical, text: R., choices: [{id: go, text: Go., goto: end_right}]}
events:
  - {id: anywhere, title: E, basis: hypothetical, text: E., chance: 10}
endings:
  - {id: end_left, title: EL, basis: hypothetical, text: E., debrief: D., questions: [Q?]}
  - {id: end_right, title: ER, basis: hypothetical, text: E., debrief: D., questions: [Q?]}
""",
        )
    )
    refs = {n.ref for n in focus(story, build(story), "left").nodes.values() if n.ref}
    assert refs == {"a", "left", "end_left", "anywhere"}  # not right, not end_right
    refs = {n.ref for n in focus(story, build(story), "anywhere").nodes.values() if n.ref}
    assert refs == {"anywhere", "a", "left", "right", "end_left", "end_right"}


def test_graph_cli(cli, starter_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("graph", starter_path, "--format", "mermaid", "--focus", "decision", "--no-legend")
    assert r.code == 0
    check_mermaid(r.out)
    assert "subgraph" not in r.out
    r = cli("graph", starter_path, "--focus", "decison")
    assert r.code == 2 and '"decison" is not a node, ending or event of this story (did you mean "decision"?)' in r.err
    r = cli("graph", UNREACHABLE)
    assert r.code == 0 and r.out.startswith("digraph story {")
