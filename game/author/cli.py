"""The author subcommands: ``tightrope explore``, ``tightrope graph`` and ``tightrope replay``.

:func:`register` adds them to the CLI's subparsers (``game.cli`` calls it
when it builds its parser); each parser carries its handler.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from ..engine import GameState
from ..engine.core import states_from_start
from ..errors import UsageError
from ..paths import story_dir
from ..story import Story, StoryError, load_story
from ..story.text import clean_line
from .explore import DEFAULT_MAX_STATES, DEFAULT_SAMPLES, DEFAULT_SEED_LIMIT, analyse
from .playthrough import DEFAULT_MAX_TURNS, bot_names, run_bot

SHOWN_PROBLEMS = 10


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add explore, graph and replay to the CLI."""
    for name, help, arguments, handler in (
        (
            "explore",
            "explore every state of a story: coverage, meter ranges, paths to endings, bot playthroughs",
            _explore_args,
            cmd_explore,
        ),
        ("graph", "draw a story as a Graphviz DOT or Mermaid graph", _graph_args, cmd_graph),
        ("replay", "run replay testplans (YAML): choices to play and what to expect after each", _replay_args, cmd_replay),
    ):
        p = sub.add_parser(name, help=help)
        arguments(p)
        p.set_defaults(handler=handler)


class _NotLoaded(Exception):
    pass


def load_or_report(value: str | None, tool: str) -> tuple[Story, str]:
    """Load the story, or print its first problems (one line each) and raise _NotLoaded."""
    root = story_dir(value)
    try:
        return load_story(root), str(root)
    except StoryError as exc:
        problems = exc.problems
        for p in problems[:SHOWN_PROBLEMS]:
            print(p, file=sys.stderr)
        if len(problems) > SHOWN_PROBLEMS:
            print(f"... and {len(problems) - SHOWN_PROBLEMS} more (tightrope check {root} lists them all)", file=sys.stderr)
        print(
            f"tightrope {tool}: the story {root} cannot be loaded ({len(problems)} problem{'s' if len(problems) != 1 else ''})",
            file=sys.stderr,
        )
        raise _NotLoaded from None


def _at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``low``."""

    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {value!r}") from None
        if n < low:
            raise argparse.ArgumentTypeError(f"expected a number of at least {low}, not {n}")
        return n

    return parse


_positive = _at_least(1)
_count = _at_least(0)


# ----------------------------------------------------------------- explore
def _explore_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("story", nargs="?", default=None, metavar="STORY_DIR", help="story folder (default: the shipped story)")
    p.add_argument(
        "--scenario", default=None, metavar="NAME", help="explore one of the story's scenarios (default: the full story)"
    )
    p.add_argument(
        "--max-states",
        type=_positive,
        default=DEFAULT_MAX_STATES,
        metavar="N",
        help=f"stop the exhaustive walk after N distinct states (default {DEFAULT_MAX_STATES:,})",
    )
    p.add_argument(
        "--samples",
        type=_count,
        default=DEFAULT_SAMPLES,
        metavar="N",
        help=f"when the walk hits its bound, play N more games to extend coverage, ranges and paths (default {DEFAULT_SAMPLES:,})",
    )
    p.add_argument("--runs", type=_count, default=1000, metavar="N", help="seeded games per bot (default 1000; 0 for none)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="game i plays with seed S+i (default 0)")
    p.add_argument(
        "--bot",
        action="append",
        default=None,
        metavar="NAME",
        help="bot to play with: random (default), favour-METER for each meter, or all; repeat for several",
    )
    p.add_argument(
        "--max-turns",
        type=_positive,
        default=DEFAULT_MAX_TURNS,
        metavar="N",
        help=f"stop a playthrough after N decisions (default {DEFAULT_MAX_TURNS})",
    )
    p.add_argument(
        "--seed-limit",
        type=_positive,
        default=DEFAULT_SEED_LIMIT,
        metavar="N",
        help=f"try seeds 0..N-1 for each shortest path (default {DEFAULT_SEED_LIMIT})",
    )
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--require-all-endings", action="store_true", help="exit 1 unless every ending is reachable")
    p.add_argument(
        "--require-full-coverage",
        action="store_true",
        help="exit 1 unless every node, choice, outcome, event and ending is reachable",
    )
    p.add_argument(
        "--require-no-soft-locks",
        action="store_true",
        help="exit 1 if a game can get stuck: a reachable state with no available choice, or a node no ending can be reached from",
    )


def _bots(story: Story, asked: list[str] | None) -> list[str]:
    known = bot_names(story)
    out: list[str] = []
    for name in asked or ["random"]:
        for n in known if name == "all" else [name]:
            if n not in known:
                raise UsageError(f'unknown bot "{name}" (bots: {", ".join(known)}, all)')
            if n not in out:
                out.append(n)
    return out


def cmd_explore(args: argparse.Namespace) -> int:
    from .report import as_json, as_text, requirement_failures

    try:
        story, shown = load_or_report(args.story, "explore")
    except _NotLoaded:
        return 2
    try:
        story = story.scenario_named(args.scenario)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    bots = _bots(story, args.bot)
    analysis = analyse(story, args.max_states, args.seed_limit, args.samples)
    runs = [run_bot(story, b, args.runs, args.seed, args.max_turns) for b in bots] if args.runs else []
    failures = requirement_failures(analysis, args.require_all_endings, args.require_full_coverage, args.require_no_soft_locks)
    if args.format == "json":
        required = {
            "all_endings": args.require_all_endings,
            "full_coverage": args.require_full_coverage,
            "no_soft_locks": args.require_no_soft_locks,
        }
        print(json.dumps(as_json(story, shown, analysis, runs, required, failures), indent=2))
    else:
        print(as_text(story, shown, analysis, runs))
    for f in failures:
        print(f"tightrope explore: requirement not met: {f}", file=sys.stderr)
    return 1 if failures else 0


# ----------------------------------------------------------------- graph
def _graph_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("story", nargs="?", default=None, metavar="STORY_DIR", help="story folder (default: the shipped story)")
    p.add_argument("--format", choices=["dot", "mermaid"], default="dot", help="output language (default dot)")
    p.add_argument("--focus", default=None, metavar="ID", help="draw only what leads to and from this node, ending or event")
    p.add_argument("--no-legend", action="store_true", help="leave out the legend")


def cmd_graph(args: argparse.Namespace) -> int:
    from .graph import focus_error, render

    try:
        story, _ = load_or_report(args.story, "graph")
    except _NotLoaded:
        return 2
    try:
        text = render(story, args.format, args.focus, legend=not args.no_legend)
    except KeyError:
        raise UsageError(focus_error(story, args.focus)) from None
    sys.stdout.write(text)
    return 0


# ----------------------------------------------------------------- replay
def _replay_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("plans", nargs="+", metavar="PLAN", help="plan files (.yaml), or folders of them")
    p.add_argument("-v", "--verbose", action="store_true", help="show every step as it is played")


def _plan_files(values: list[str]) -> list[Path]:
    out: list[Path] = []
    for value in values:
        path = Path(value)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                raise UsageError(f"{path}: the folder holds no .yaml plans")
            out += found
        else:
            out.append(path)
    return out


def _print_steps(path: Path, story: Story, state: GameState) -> None:
    for n, s in enumerate(states_from_start(state)[1:], 1):
        step = s.step
        assert step is not None
        outcome = f" [{step.outcome}]" if step.outcome else ""
        events = f"; events: {', '.join(step.events)}" if step.events else ""
        meters = ", ".join(f"{m.id} {s.meters[i]}" for i, m in enumerate(story.meters))
        print(f"  {path}: step {n}: {step.choice}{outcome} -> {step.target} ({meters}){events}")


def cmd_replay(args: argparse.Namespace) -> int:
    from .replay import PlanError, check_ids, load_plan_story, read_plan, run_plan

    cache: dict[Path, Story] = {}
    passed = failed = broken = 0
    for path in _plan_files(args.plans):
        try:
            plan = read_plan(path, str(path))
            story = load_plan_story(plan, cache)
            check_ids(plan, story)
        except PlanError as exc:
            print(f"tightrope replay: {exc}", file=sys.stderr)
            broken += 1
            continue
        result = run_plan(plan, story)
        if args.verbose and result.state is not None:
            _print_steps(path, story, result.state)
        title = f" ({clean_line(plan.name)})" if plan.name else ""
        if result.ok:
            passed += 1
            end = f", ending {result.state.ending}" if result.state and result.state.ending else ""
            steps = f"{len(plan.steps)} step" + ("s" if len(plan.steps) != 1 else "")
            print(f"PASS {path}{title}: {steps}, seed {plan.seed}{end}")
        else:
            failed += 1
            print(f"FAIL {path}{title}")
            for line in result.failures:
                print(f"  {line}")
    print(f"replay: {passed} plan(s) passed, {failed} failed, {broken} could not be read")
    return 2 if broken else 1 if failed else 0
