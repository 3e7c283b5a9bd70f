"""Measure the classroom tools on a simulated class.

Plays N random classroom games of a story (a rationale at every key
decision), writes them as saves, then times and measures:

* tightrope report (collect + build + render Markdown, HTML and CSV);
* tightrope transcript of one save in each format, and of the whole class
  (``--out-dir``, HTML);
* one refresh of serve's teacher view (the data it asks for every 5 s, and
  the page), with every save in a per-player folder as serve keeps them;
* the size of the outputs.

Usage: .venv/bin/python benchmarks/classroom.py [--story DIR] [--students N] [--seed S] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.classroom.handback import write_class_records  # noqa: E402
from game.classroom.report import build_report, collect, render_report  # noqa: E402
from game.classroom.teacher import class_status, status_json, teacher_page  # noqa: E402
from game.engine import new_game, options  # noqa: E402
from game.engine.core import choose  # noqa: E402
from game.paths import default_story  # noqa: E402
from game.records.transcript import render_transcript  # noqa: E402
from game.saves import write_save  # noqa: E402
from game.story import Story, load_story  # noqa: E402

REASONS = [
    "Washington's goodwill matters for the IMF programme, so I want to keep that line open.",
    "The eight-nation group gives us cover at home; acting alone would split the coalition.",
    "Our soldiers' safety comes first; I will not accept tasks that look like disarmament.",
    "Parliament has to own this decision, or the street will turn against the government.",
    "Waiting for a clearer mandate costs influence, but a bad mandate would cost more.",
]


def simulate(story: Story, folder: Path, students: int, seed: int) -> None:
    rng = random.Random(seed)
    for n in range(students):
        state = new_game(story, seed, f"Student {n:03d}")
        while state.ending is None and state.turn < 200:
            opts = [o for o in options(story, state) if o.enabled]
            why = rng.choice(REASONS) if story.nodes[state.node].key else ""
            state = choose(story, state, rng.choice(opts).choice.id, why)
        (folder / f"Student-{n:03d}").mkdir(exist_ok=True)  # per player, as tightrope serve keeps them
        write_save(folder / f"Student-{n:03d}" / f"student-{n:03d}.json", story, state)


def timed(label: str, fn, repeat: int = 3):  # type: ignore[no-untyped-def]
    best = float("inf")
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    print(f"{label:<40} {best * 1000:9.1f} ms")
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--story", default=None)
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", default=None, help="write the saves here and keep them")
    args = ap.parse_args()
    story = load_story(Path(args.story) if args.story else default_story())
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tightrope-class-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        simulate(story, folder, args.students, args.seed)
        print(f"simulated {args.students} games of {story.id} {story.version} in {time.perf_counter() - t:.2f} s")
        games, skipped = timed("collect (read + replay + records)", lambda: collect([folder], story))
        assert len(games) == args.students and not skipped, skipped
        report = timed("build_report", lambda: build_report(story, games, skipped))
        for fmt in ("md", "html", "csv"):
            text = timed(f"render report {fmt}", lambda fmt=fmt: render_report(report, fmt))
            print(f"{'':<40} {len(text.encode()):9,d} bytes")
        save = sorted(folder.rglob("*.json"))[0]
        for fmt in ("md", "html", "json"):
            text = timed(f"transcript {fmt} (one save)", lambda fmt=fmt: render_transcript(save, fmt, story))
            print(f"{'':<40} {len(text.encode()):9,d} bytes")
        with tempfile.TemporaryDirectory(prefix="tightrope-records-") as out:
            done = timed(
                "transcript --out-dir, html (the class)", lambda: write_class_records([folder], story, "html", Path(out))
            )
            print(f"{'':<40} {len(done.written):9,d} records")
        rows = timed("teacher view: data (one refresh)", lambda: status_json(class_status(folder, story)))
        print(f"{'':<40} {len(rows['students']):9,d} students")  # type: ignore[arg-type]
        page = timed("teacher view: the page", lambda: teacher_page(class_status(folder, story), story, folder, "k", "n"))
        print(f"{'':<40} {len(page.encode()):9,d} bytes")
        tracemalloc.start()
        games, skipped = collect([folder], story)
        render_report(build_report(story, games, skipped), "html")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{'peak memory, report html':<40} {peak / 1e6:9.1f} MB")
    finally:
        if not args.keep:
            shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
