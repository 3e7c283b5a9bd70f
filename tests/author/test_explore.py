from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.author.explore import analyse, explore, find_seed, meter_ranges, path_probability, shortest_paths
from game.author.playthrough import (
    FavourBot,
    Words,
    bot_names,
    bot_rng,
    histogram,
    play,
    quartiles,
    random_bot,
    rendered_words,
    run_bot,
)
from game.engine import GameState, branches, new_game, options, replay
from game.story import Story, load_story
from game.story.conditions import Symbol
from game.story.text import compile_template, word_count

from .conftest import ROOT, SHIPPED, UNREACHABLE, generate, run_installed, shipped_story, write_story

HEAD = """# yaml-language-server: $schema=../docs/story.schema.json
story:
  id: tiny
  title: Tiny
  version: "1"
  start: {start}
  facts_as_of: 2025-11-25
  content_note: A test story.
"""


def explore_schema() -> dict[str, object]:
    text = (ROOT / "docs" / "explore-json.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- explore-json-schema -->\s*```json\n(.*?)```", text, re.S)
    assert m, "docs/explore-json.md lost its schema block"
    schema: dict[str, object] = json.loads(m.group(1))
    return schema


# ----------------------------------------------------------------- an independent oracle
def brute_force(story: Story, depth: int = 40) -> tuple[dict[str, list[list[int]]], set[tuple[str, str]], set[str], set[str]]:
    """Every play of the story, enumerated path by path without merging states."""
    ranges: dict[str, list[list[int]]] = {}
    taken: set[tuple[str, str]] = set()
    endings: set[str] = set()
    fired: set[str] = set()

    def widen(where: str, meters: tuple[int, ...]) -> None:
        r = ranges.setdefault(where, [[v, v] for v in meters])
        for pair, v in zip(r, meters):
            pair[0], pair[1] = min(pair[0], v), max(pair[1], v)

    def walk(state: GameState, left: int) -> None:
        if state.ending is not None:
            endings.add(state.ending)
            widen(state.ending, state.meters)
            return
        widen(state.node, state.meters)
        if left == 0:
            return
        for opt in options(story, state):
            if not opt.enabled:
                continue
            taken.add((state.node, opt.choice.id))
            for _, child in branches(story, state, opt.choice.id):
                assert child.step is not None
                fired.update(child.step.events)
                walk(child, left - 1)

    walk(new_game(story, 0), depth)
    return ranges, taken, endings, fired


def test_starter_is_fully_covered(starter: Story) -> None:
    a = analyse(starter)
    assert not a.reach.bound_hit
    assert all(t.full for t in a.coverage.values()), a.coverage
    assert a.unreached == [] and a.nowhere == []
    assert set(a.paths) == set(starter.endings)


def test_ranges_and_coverage_match_brute_force(starter: Story) -> None:
    ranges, taken, endings, fired = brute_force(starter)
    reach = explore(starter)
    got = meter_ranges(starter, reach)
    assert got == {w: {m.id: r[i] for i, m in enumerate(starter.meters)} for w, r in ranges.items()}
    assert reach.taken == taken
    assert set(reach.ended) == endings
    assert set(reach.fired) == fired


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nodes=st.integers(1, 9), seed=st.integers(0, 10_000))
def test_generated_stories_match_brute_force(tmp_path_factory: pytest.TempPathFactory, nodes: int, seed: int) -> None:
    folder = generate(tmp_path_factory.mktemp("gen") / "s", nodes, seed)
    story = load_story(folder)
    ranges, taken, endings, fired = brute_force(story)
    a = analyse(story, seed_limit=300)
    assert not a.reach.bound_hit
    assert a.ranges == {w: {m.id: r[i] for i, m in enumerate(story.meters)} for w, r in ranges.items()}
    assert a.reach.taken == taken and set(a.reach.ended) == endings and set(a.reach.fired) == fired
    # the generator promises that every node has a way in; unconditional first choices make it reachable
    assert a.coverage["nodes"].full
    for eid, path in a.paths.items():
        if path.seed is not None:
            assert replay(story, path.seed, path.choices).ending == eid


def test_shortest_paths_replay_to_their_endings(starter: Story) -> None:
    paths = shortest_paths(starter, explore(starter))
    for eid, path in paths.items():
        assert path.seed is not None
        assert replay(starter, path.seed, path.choices).ending == eid
        # nothing shorter reaches it: every ending of the starter takes three decisions
        assert len(path.choices) == 3
        assert 0 < path.probability <= 1


def test_a_rare_path_gets_no_seed_when_none_works(tmp_path: Path) -> None:
    folder = write_story(
        tmp_path / "rare",
        HEAD.format(start="a")
        + """
meters:
  - {id: us, label: US, description: Test., start: 50}
nodes:
  - id: a
    title: A
    basis: hypothetical
    text: A.
    choices:
      - id: roll
        text: Roll.
        effects: {us: 1}
        outcomes:
          - {id: rare, weight: 1, goto: lucky}
          - {id: common, weight: 1000000, goto: plain}
endings:
  - {id: lucky, title: Lucky, basis: hypothetical, text: L., debrief: L., questions: [Q?]}
  - {id: plain, title: Plain, basis: hypothetical, text: P., debrief: P., questions: [Q?]}
""",
    )
    story = load_story(folder)
    assert all(replay(story, seed, ["roll"]).ending == "plain" for seed in range(5))
    paths = shortest_paths(story, explore(story), seed_limit=5)
    assert paths["lucky"].seed is None and paths["lucky"].choices == ("roll",)
    assert paths["lucky"].probability == pytest.approx(1 / 1_000_001)
    assert paths["plain"].seed == 0
    assert find_seed(story, ["roll"], "lucky", 5) is None


def test_unreachable_story_reasons(unreachable: Story) -> None:
    a = analyse(unreachable)
    got = {(u.kind, u.id): u.reason for u in a.unreached}
    assert got[("choice", "go_high")] == "condition `us >= 80` never held (us was always 50 at start)"
    assert got[("outcome", "win")] == "weight `us - 60` was never above 0 (us was always 50 at start)"
    assert got[("choice", "escape")] == "condition `pushed` never held (pushed was always false at limbo)"
    assert "choice go_high at node start (never available)" in got[("node", "secret")]
    assert "outcome win of choice gamble at node start (never drawn)" in got[("node", "secret")]
    assert got[("event", "storm")] == "condition `us > 90` never held (us ranged 50..55 on the way into mid)"
    assert got[("event", "hush")] == "it fires only on the way into secret, and it is never reached"
    assert got[("event", "never")] == "chance `gulf - 100` was never above 0 (gulf ranged 40..43)"
    assert got[("ending", "end_orphan")].startswith("nothing leads to it")
    assert "threshold us below 10 never crossed (us never fell below 50 in a scene)" in got[("ending", "end_rupture")]
    assert "choice reveal at node secret (its node is never reached)" in got[("ending", "end_secret")]
    nowhere = {n.node: n.reason for n in a.nowhere}
    assert set(nowhere) == {"limbo", "loop_a", "loop_b"}
    assert nowhere["limbo"].startswith("no choice is available")
    assert "no ending can be reached" in nowhere["loop_a"]
    cov = a.coverage
    assert (cov["nodes"].reached, cov["nodes"].total) == (5, 6)
    assert (cov["endings"].reached, cov["endings"].total) == (1, 4)
    assert (cov["events"].reached, cov["choices"].reached, cov["outcomes"].reached) == (0, 7, 1)


def test_a_threshold_crossed_on_the_way_into_an_ending_wins(tmp_path: Path) -> None:
    folder = write_story(
        tmp_path / "late",
        HEAD.format(start="a")
        + """
meters:
  - id: calm
    label: Calm
    description: Test.
    start: 50
    thresholds: [{below: 30, ending: crisis}]
nodes:
  - id: a
    title: A
    basis: hypothetical
    text: A.
    choices:
      - {id: crash, text: Crash., effects: {calm: -40}, goto: fin}
endings:
  - {id: fin, title: Fin, basis: hypothetical, text: F., debrief: F., questions: [Q?]}
  - {id: crisis, title: Crisis, basis: hypothetical, text: C., debrief: C., questions: [Q?]}
""",
    )
    story = load_story(folder)
    reasons = {u.id: u.reason for u in analyse(story).unreached}
    assert "crisis" not in reasons  # the collapse ends the game before "fin"
    assert reasons["fin"].startswith("the ways in never happen: choice crash at node a")


def test_story_text_in_the_report_is_cleaned(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = write_story(
        tmp_path / "ansi",
        HEAD.replace("title: Tiny", 'title: "Tiny\\e[2J\\e]0;pwned\\a"').format(start="a")
        + """
meters:
  - {id: us, label: US, description: Test., start: 50}
nodes:
  - id: a
    title: A
    basis: hypothetical
    text: A.
    choices:
      - {id: go, text: Go., goto: fin}
      - {id: never, text: Never., if: "\\"\\e[31m\\" == \\"x\\"", goto: fin}
endings:
  - {id: fin, title: Fin, basis: hypothetical, text: F., debrief: F., questions: [Q?]}
""",
    )
    r = cli("explore", folder, "--runs", "5")
    assert r.code == 0, r.err
    assert 'choice never at node a: condition `"" == "x"` never held at a' in r.out  # the escape sequence is gone
    assert "\x1b" not in r.out and "\x07" not in r.out and r.out.startswith("Tiny")


def test_turn_is_part_of_the_state_when_a_condition_reads_it(tmp_path: Path) -> None:
    folder = write_story(
        tmp_path / "turny",
        HEAD.format(start="loop")
        + """
meters:
  - {id: us, label: US, description: Test., start: 50}
nodes:
  - id: loop
    title: Loop
    basis: hypothetical
    text: Again.
    choices:
      - {id: again, text: Again., effects: {us: 0}, goto: loop}
      - {id: leave, text: Leave., if: turn >= 3, goto: fin}
endings:
  - {id: fin, title: Fin, basis: hypothetical, text: F., debrief: F., questions: [Q?]}
""",
    )
    story = load_story(folder)
    a = analyse(story, max_states=20)
    assert a.reach.ended.get("fin")
    assert a.paths["fin"].choices == ("again", "again", "again", "leave")
    assert a.reach.bound_hit  # turn grows without end, so the walk stops at the bound
    # text that shows the turn does not change what can happen: the loop is one state
    text = (
        (folder / "story.yaml")
        .read_text()
        .replace("if: turn >= 3, ", "")
        .replace("    text: Again.\n", "    text: 'Turn {turn}.'\n")
    )
    (folder / "story.yaml").write_text(text)
    b = analyse(load_story(folder), max_states=20)
    assert not b.reach.bound_hit and b.reach.states == 1 and b.paths["fin"].choices == ("leave",)


def test_bound_is_reported(cli, starter_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("explore", starter_path, "--max-states", "3", "--runs", "0", "--samples", "0")
    assert r.code == 0
    assert "STOPPED at the bound of 3 states" in r.out and "sampled games" not in r.out
    r = cli("explore", starter_path, "--max-states", "3", "--runs", "0", "--format", "json", "--samples", "0")
    data = json.loads(r.out)
    assert data["exhaustive"] == {"states": 3, "max_states": 3, "bound_hit": True, "sampled_games": 0}
    assert data["coverage"]["endings"]["reached"] < 3
    # the decision node was found but cut by the bound: its choices say so instead of blaming a condition
    cut = [u for u in data["unreached"] if u["kind"] == "choice" and u["node"] == "decision"]
    assert cut and all("state bound" in u["reason"] for u in cut)


def test_sampled_games_extend_an_incomplete_walk(starter: Story) -> None:
    a = analyse(starter, max_states=3, samples=0)
    assert a.reach.bound_hit and not a.coverage["endings"].full
    a = analyse(starter, max_states=3, samples=200)
    assert a.reach.sampled == 200
    assert all(t.full for t in a.coverage.values()), a.coverage
    for eid, path in a.paths.items():
        assert path.seed is not None and replay(starter, path.seed, path.choices).ending == eid
    assert {p.found_by for p in a.paths.values()} == {"sampled games"}
    assert sum(a.reach.games.values()) == 200
    # ranges from the samples are a lower bound of the true ranges (here every node is seen)
    full = analyse(starter)
    for where, ranges in a.ranges.items():
        for mid, (lo, hi) in ranges.items():
            assert full.ranges[where][mid][0] <= lo <= hi <= full.ranges[where][mid][1]


def test_path_probability_agrees_with_the_walk(starter: Story) -> None:
    reach = explore(starter)
    for cands in reach.candidates.values():
        for cand in cands:
            assert path_probability(starter, cand.state) == pytest.approx(cand.probability)


# ----------------------------------------------------------------- CLI and exit codes
def test_json_output_follows_the_documented_schema(cli, starter_path: Path) -> None:  # type: ignore[no-untyped-def]
    schema = explore_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    for story in (starter_path, UNREACHABLE):
        r = cli("explore", story, "--format", "json", "--runs", "50", "--bot", "all", "--max-turns", "60")
        data = json.loads(r.out)
        jsonschema.Draft7Validator(schema).validate(data)
    assert data["story"]["id"] == "unreachable"
    assert {u["id"] for u in data["unreached"] if u["kind"] == "ending"} == {"end_secret", "end_orphan", "end_rupture"}
    assert [p["bot"] for p in data["playthroughs"]] == ["random", "favour-us", "favour-gulf"]


def test_shipped_story_explores_to_the_documented_json(cli) -> None:  # type: ignore[no-untyped-def]
    story = shipped_story()
    args = ("--format", "json", "--max-states", "20000", "--samples", "1000", "--runs", "200", "--bot", "all")
    r = cli("explore", SHIPPED, *args)
    assert r.code == 0, r.err
    data = json.loads(r.out)
    jsonschema.Draft7Validator(explore_schema()).validate(data)
    assert set(data["meter_ranges"]) >= {story.start}
    assert data["coverage"]["nodes"]["total"] == len(story.nodes)
    for eid, path in data["paths"].items():
        if path["seed"] is not None:
            assert replay(story, path["seed"], path["choices"]).ending == eid
    assert len(data["playthroughs"]) == 1 + len(story.meters)
    assert all(
        sum(e["count"] for e in run["endings"].values()) + run["stuck"] + run["unfinished"] == 200 for run in data["playthroughs"]
    )


def test_json_has_coverage_ranges_paths_and_ending_counts(cli, starter: Story, starter_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("explore", starter_path, "--format", "json", "--runs", "300", "--seed", "4")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["coverage"]["endings"] == {"reached": 3, "total": 3, "percent": 100.0}
    assert data["meter_ranges"]["the_cable"] == {"us": [50, 50], "gulf": [50, 50], "domestic": [55, 55]}
    for eid, path in data["paths"].items():
        assert replay(starter, path["seed"], path["choices"]).ending == eid
    run = data["playthroughs"][0]
    assert sum(e["count"] for e in run["endings"].values()) == 300
    again = run_bot(starter, "random", 300, 4)
    assert {k: v["count"] for k, v in run["endings"].items() if v["count"]} == again.endings


def test_require_flags_fail_on_an_unreachable_ending(cli, starter_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("explore", UNREACHABLE, "--runs", "0", "--require-all-endings")
    assert r.code == 1
    assert "end_orphan" in r.err and "--require-all-endings" in r.err
    r = cli("explore", UNREACHABLE, "--runs", "0", "--require-full-coverage", "--format", "json")
    assert r.code == 1
    data = json.loads(r.out)
    assert data["requirements"]["met"] is False and data["requirements"]["full_coverage"] is True
    assert cli("explore", starter_path, "--runs", "0", "--require-all-endings", "--require-full-coverage").code == 0
    assert cli("explore", UNREACHABLE, "--runs", "0").code == 0  # nothing asked, nothing fails


def test_a_story_that_does_not_load_exits_2_with_its_problems(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = ROOT / "tests" / "stories" / "broken" / "unknown_target"
    r = cli("explore", broken)
    assert r.code == 2 and r.out == ""
    lines = r.err.strip().splitlines()
    assert re.match(r".*story\.yaml:\d+:\d+: error R001: ", lines[0])
    assert lines[-1].startswith("tightrope explore: the story")
    assert "Traceback" not in r.err
    assert cli("explore", tmp_path / "missing").code == 2
    assert cli("graph", broken).code == 2


def test_bad_options_are_one_line_errors(cli, starter_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("explore", starter_path, "--bot", "favour-nothing")
    assert r.code == 2 and 'unknown bot "favour-nothing"' in r.err and "favour-us" in r.err
    with pytest.raises(SystemExit) as exc:
        cli("explore", starter_path, "--max-states", "0")
    assert exc.value.code == 2


def test_text_report_sections(cli, starter_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("explore", starter_path, "--runs", "200", "--bot", "random", "--bot", "favour-us")
    assert r.code == 0
    for part in (
        "Coverage: nodes 3/3, choices 8/8, outcomes 2/2, events 1/1, endings 3/3",
        "Meter ranges",
        "Shortest paths to endings",
        "steps: [commit, address, {choice: deploy, ending: contingent}]",
        "Playthroughs: bot random, 200 games, seeds 0..199",
        "Playthroughs: bot favour-us, 200 games",
        "Decisions per game: min 3, mean 3.0, max 3",
        "Words read per game",
    ):
        assert part in r.out, part


# ----------------------------------------------------------------- playthroughs
def test_game_i_uses_seed_s_plus_i(starter: Story) -> None:
    ten = run_bot(starter, "random", 10, 100)
    for i in (0, 3, 9):
        one = run_bot(starter, "random", 1, 100 + i)
        assert one.decisions == [ten.decisions[i]] and one.words == [ten.words[i]]
        assert [f[0] for f in one.finals] == [f[i] for f in ten.finals]
    assert run_bot(starter, "random", 10, 100).finals == ten.finals


def test_favour_bots_follow_the_immediate_effect(starter: Story) -> None:
    assert bot_names(starter) == ["random", "favour-us", "favour-gulf", "favour-domestic"]
    state = new_game(starter, 0)
    enabled = [o.choice for o in options(starter, state) if o.enabled]
    rng = random.Random(0)
    # at the cable: commit us +8, revise us -3, wait us -4
    assert FavourBot(starter, "us")(state, enabled, rng).id == "commit"
    # gulf: commit 0, revise +6 then -2 with weight 3 of 8 (accepted weight gulf-45 = 5), wait -2
    assert FavourBot(starter, "gulf").score(enabled[1], state) == pytest.approx(6 - 2 * 3 / 8)
    assert FavourBot(starter, "gulf")(state, enabled, rng).id == "revise"
    # domestic: commit -6, revise 0, wait +5
    assert FavourBot(starter, "domestic")(state, enabled, rng).id == "wait"


def test_favour_bot_breaks_ties_at_random(starter: Story) -> None:
    state = new_game(starter, 0)
    enabled = [o.choice for o in options(starter, state) if o.enabled]
    bot = FavourBot(starter, "us")
    picks = {bot(state, [enabled[0], enabled[0]], random.Random(i)).id for i in range(5)}
    assert picks == {"commit"}
    street = replay(starter, 0, ["commit"])
    both = [o.choice for o in options(starter, street) if o.enabled]  # address, quiet: no effect on gulf
    picks = {FavourBot(starter, "gulf")(street, both, random.Random(i)).id for i in range(40)}
    assert picks == {"address", "quiet"}


def test_random_bot_uses_its_own_generator(starter: Story) -> None:
    state = new_game(starter, 0)
    enabled = [o.choice for o in options(starter, state) if o.enabled]
    picks = [random_bot(state, enabled, bot_rng("random", s)).id for s in range(60)]
    assert set(picks) == {"commit", "revise", "wait"}
    assert picks == [random_bot(state, enabled, bot_rng("random", s)).id for s in range(60)]


def test_words_read_counts_what_is_shown(tmp_path: Path) -> None:
    folder = write_story(
        tmp_path / "words",
        HEAD.format(start="a")
        + """
meters:
  - {id: us, label: US, description: Test., start: 50}
nodes:
  - id: a
    title: Two words
    basis: hypothetical
    text: "One two three, and us is {us}."
    advisors:
      - {role: Army, says: Four words said here.}
      - {role: Hidden, says: Never shown at all., if: us > 90}
    choices:
      - {id: go, text: Go now., effects: {us: 1}, goto: fin}
      - {id: hidden, text: Not shown ever., if: us > 90, goto: fin}
      - {id: locked, text: Shown but locked., if: us > 90, locked: No., goto: fin}
endings:
  - {id: fin, title: The end, basis: hypothetical, text: "Bye at {us}.", debrief: Not counted., questions: [Q?]}
""",
    )
    story = load_story(folder)
    game = play(story, random_bot, 0, random.Random(0), Words(story))
    # title 2 + text 7 ("One two three and us is 50") + advisor 4 + choices "Go now" 2 + "Shown but locked" 3
    # + ending title 2 + "Bye at 51" 3
    assert game.ending == "fin" and game.decisions == 1
    assert game.words == 2 + 7 + 4 + 2 + 3 + 2 + 3


class _View:
    def __init__(self, us: int) -> None:
        self.meters = (us,)
        self.player = "Ana-Maria"


_FRAGMENT = st.sampled_from(["US", "us", " ", ".", "-", "'", "’", "word", "{us}", "{player}", "{{", "}}", ",", "é", "x1"])


@given(
    st.lists(st.one_of(_FRAGMENT, st.tuples(st.lists(_FRAGMENT, max_size=4), st.lists(_FRAGMENT, max_size=4))), max_size=12),
    st.integers(-30, 130),
)
def test_words_counted_piece_by_piece_equal_words_of_the_rendered_text(parts: list[object], us: int) -> None:
    source = ""
    for part in parts:
        if isinstance(part, tuple):
            source += "{if us > 50}" + "".join(part[0]) + "{else}" + "".join(part[1]) + "{end}"
        else:
            source += str(part)
    template = compile_template(source, {"us": Symbol("number", lambda s: s.meters[0])})
    view = _View(us)
    assert rendered_words(template, view) == word_count(template.render(view, view.player))


def test_stuck_and_unfinished_games_are_counted(unreachable: Story) -> None:
    run = run_bot(unreachable, "random", 60, 0, max_turns=20)
    assert run.stuck > 0 and run.unfinished > 0 and run.endings.get("end_ok", 0) > 0
    assert run.stuck + run.unfinished + sum(run.endings.values()) == 60
    assert max(run.decisions) == 20


def test_quartiles_and_histogram() -> None:
    assert quartiles([1, 2, 3, 4, 5]) == (2, 3, 4)
    assert quartiles([7]) == (7, 7, 7)
    assert quartiles([0, 10]) == (2.5, 5, 7.5)
    counts, edges = histogram([0, 9, 10, 55, 100, 100], 0, 100)
    assert edges == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]
    assert counts == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]


@given(st.lists(st.integers(-50, 150), min_size=1, max_size=50), st.integers(-20, 20), st.integers(1, 200))
def test_histogram_keeps_every_value(values: list[int], lo: int, span: int) -> None:
    counts, edges = histogram(values, lo, lo + span)
    assert sum(counts) == len(values) and len(counts) == len(edges) == 10
    assert edges == sorted(edges) and edges[0] == lo


def test_a_planted_soft_lock_fails_the_requirements(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # every node, choice, outcome, event and ending stays reachable; but after
    # revise draws "ignored" (gulf 54, revisions tabled), no choice at the
    # decision is available: the game is stuck there
    folder = tmp_path / "locked"
    shutil.copytree(ROOT / "tests" / "stories" / "starter", folder)
    nodes = folder / "nodes.yaml"
    text = nodes.read_text(encoding="utf-8")
    text = text.replace("      - id: stay_out\n", "      - id: stay_out\n        if: not revisions_tabled\n").replace(
        "      - id: push_hard\n", "      - id: push_hard\n        if: gulf > 55\n"
    )
    nodes.write_text(text, encoding="utf-8")
    base = ("explore", folder, "--runs", "0")
    r = cli(*base, "--require-all-endings", "--require-full-coverage")
    assert r.code == 1, r.out
    assert "--require-all-endings: 1 soft-lock: node decision leads nowhere: no choice is available" in r.err
    assert "--require-full-coverage: 1 soft-lock" in r.err
    r = cli(*base, "--require-no-soft-locks", "--format", "json")
    assert r.code == 1
    data = json.loads(r.out)
    assert data["coverage"]["endings"]["reached"] == data["coverage"]["endings"]["total"]
    assert all(t["reached"] == t["total"] for t in data["coverage"].values())
    assert data["leads_nowhere"][0]["node"] == "decision" and data["leads_nowhere"][0]["kind"] == "stuck"
    assert data["requirements"]["no_soft_locks"] is True and data["requirements"]["met"] is False
    # the untouched starter has none
    assert cli("explore", ROOT / "tests" / "stories" / "starter", "--runs", "0", "--require-no-soft-locks").code == 0


def test_testplan_snippets_replay_where_they_say(tmp_path: Path) -> None:
    # explore run in a folder with a relative path: a snippet saved there replays
    shutil.copytree(ROOT / "tests" / "stories" / "starter", tmp_path / "starter")
    proc = run_installed("explore", "starter", "--runs", "0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    snippets = proc.stdout.split("Testplan snippets")[1]
    first = snippets.split("\n\n")[1]
    plan = "\n".join(line[2:] for line in first.splitlines())
    assert "story: starter  # as given to explore: right for a plan saved in the folder explore ran in" in plan
    (tmp_path / "snippet.yaml").write_text(plan, encoding="utf-8")
    assert run_installed("replay", "snippet.yaml", cwd=tmp_path).returncode == 0
    # with an absolute path, the plan replays wherever it is saved
    proc = run_installed("explore", str(tmp_path / "starter"), "--runs", "0", cwd=tmp_path)
    assert "# an absolute path: right wherever the plan is saved" in proc.stdout
