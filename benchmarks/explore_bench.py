"""How fast does tightrope explore play and walk? One command:

    .venv/bin/python benchmarks/explore_bench.py

Reports, for the shipped story and for a generated story of 10,000 nodes
(benchmarks/gen_story.py):

* decisions per second of the random-bot playthrough loop (what
  ``tightrope explore --runs N`` does: the engine's choose(), the bot, and
  the words-read count), best of three rounds on one core;
* the same for a favour-METER bot;
* states per second of the exhaustive walk (engine.branches for every
  available choice of every state).

The target is at least 50,000 decisions per second on the shipped story.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_story import generate  # noqa: E402

from game.author.explore import explore  # noqa: E402
from game.author.playthrough import run_bot  # noqa: E402
from game.story import Story, StoryError, load_story  # noqa: E402

TARGET = 50_000


def decisions_per_second(story: Story, bot: str, games: int, rounds: int = 3) -> tuple[float, float]:
    """Best decisions per second over ``rounds`` runs, and the mean decisions per game."""
    best = 0.0
    per_game = 0.0
    for r in range(rounds):
        run = run_bot(story, bot, games, seed=r * games)
        total = sum(run.decisions)
        best = max(best, total / run.seconds)
        per_game = total / games
    return best, per_game


def walk_rate(story: Story, states: int) -> tuple[float, int]:
    began = time.perf_counter()
    reach = explore(story, states)
    return reach.states / (time.perf_counter() - began), reach.states


def bench(name: str, story: Story, games: int, states: int) -> list[str]:
    out = [f"{name}: {len(story.nodes):,} nodes, {sum(len(n.choices) for n in story.nodes.values()):,} choices"]
    rate, per_game = decisions_per_second(story, "random", games)
    mark = "meets" if rate >= TARGET else "BELOW"
    out.append(
        f"  random bot: {rate:,.0f} decisions/s ({games:,} games of {per_game:.1f} decisions; {mark} the {TARGET:,}/s target)"
    )
    favour = f"favour-{story.meters[0].id}"
    rate, _ = decisions_per_second(story, favour, games)
    out.append(f"  {favour} bot: {rate:,.0f} decisions/s")
    rate, walked = walk_rate(story, states)
    out.append(f"  exhaustive walk: {rate:,.0f} states/s ({walked:,} states)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark tightrope explore's playthrough loop and exhaustive walk.")
    parser.add_argument("--games", type=int, default=3000, help="games per round on the shipped story (default 3000)")
    parser.add_argument("--nodes", type=int, default=10_000, help="nodes of the generated story (default 10000)")
    parser.add_argument("--states", type=int, default=50_000, help="states for the walk measurement (default 50000)")
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}, one core")
    try:
        shipped = load_story(ROOT / "story")
    except StoryError as exc:
        print(f"story/: does not load ({exc}); skipped")
    else:
        print("\n".join(bench("shipped story", shipped, args.games, args.states)))
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        folder = generate(Path(tmp) / "generated", args.nodes, seed=0)
        made = time.perf_counter() - began
        began = time.perf_counter()
        story = load_story(folder)
        loaded = time.perf_counter() - began
        print(f"generated story: written in {made:.1f} s, loaded in {loaded:.1f} s")
        games = max(50, args.games * 20 // max(1, int(args.nodes**0.5)))
        print("\n".join(bench(f"generated story ({args.nodes:,} nodes)", story, games, args.states)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
