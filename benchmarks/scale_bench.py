"""How does Tightrope scale to big stories? One command:

    .venv/bin/python benchmarks/scale_bench.py            # 1,000 and 10,000 nodes
    .venv/bin/python benchmarks/scale_bench.py --nodes 10000 --repeat 5

Generates stories of 1,000 and 10,000 nodes with benchmarks/gen_story.py and
measures, each in a fresh subprocess:

* a bare libyaml parse of the same files: every YAML event of every file
  read with libyaml's parser (``yaml.parse`` with ``CSafeLoader``), nothing
  built from them; the yardstick for the check; and, for comparison,
  libyaml's own composer (``yaml.compose``: a node tree, no positions kept);
* load-and-check: ``check_story(DIR)`` (reading, YAML, validation,
  compilation, warnings), timed inside the process, and the whole
  ``tightrope check DIR`` command (interpreter start included);
* explore: ``tightrope explore DIR`` with its default settings (exhaustive
  walk to 200,000 states, 5,000 sampled games, 1,000 bot games).

For every measurement it reports the best wall time of ``--repeat`` runs,
the CPU time, the peak resident memory of the process (ru_maxrss, from
wait4) and, in one more run under tracemalloc, the peak of memory allocated
by Python. A baseline row shows what the interpreter and the imports alone
take. The aims at 10,000 nodes: load-and-check in at most 3 times the CPU
time of the bare libyaml parse (both timed inside their process, imports
included and bytecode cached as after a first run, their runs taken in
turns so that a busy spell slows both), under 2 seconds and under 300 MB.
The ratio judged is the median of the turns' own ratios (each check's CPU
time over the parse's run just before it): on a shared machine the parse
alone moves by a third from run to run, so the best check over the best
parse, from different moments, swings by as much; it is printed too.

Times are wall-clock on whatever else the machine is doing: run it on a
quiet machine, and compare rows of one run rather than runs of different days.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

AIM_SECONDS = 2.0
AIM_MB = 300.0
AIM_RATIO = 3.0  # check CPU time / bare libyaml parse CPU time
TASKS = ("baseline", "parse", "compose", "check", "cli-check", "explore")


# ------------------------------------------------------------------ child side
def child(task: str, folder: str, trace: bool) -> None:
    """Run one task in this fresh process and print one JSON line about it."""
    import gc

    if trace:
        tracemalloc.start()
    gc.disable()  # as check_story does while it loads: the same conditions for both
    began = time.perf_counter()
    cpu = time.process_time()
    code = 0
    if task == "baseline":
        import game.cli  # noqa: F401  (what every command imports first)
    elif task in ("parse", "compose"):
        import yaml
        from yaml.events import StreamEndEvent

        for path in sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in (".yaml", ".yml")):
            parser = yaml.CSafeLoader(path.read_text(encoding="utf-8"))
            try:
                if task == "compose":  # libyaml's own composer: a node tree, for comparison
                    parser.get_single_node()
                else:
                    while parser.get_event().__class__ is not StreamEndEvent:
                        pass
            finally:
                parser.dispose()
    elif task == "check":
        from game.story import check_story

        result = check_story(folder)
        code = result.exit_code
    elif task == "explore":
        from game.cli import main

        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["explore", folder])
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    print(json.dumps({"seconds": seconds, "cpu": cpu, "exit": code, "trace_peak_mb": peak / 2**20}))


# ------------------------------------------------------------------ parent side
@dataclass
class Measure:
    wall: float  # whole process, seconds
    inside: float  # the task alone, timed in the process (0 for cli-check)
    cpu: float  # user + system seconds of the process
    maxrss_mb: float
    exit: int
    task_cpu: float = 0.0  # CPU seconds of the task alone, in the process (0 for cli-check)


def run_once(task: str, folder: Path, trace: bool = False) -> tuple[Measure, float]:
    if task == "cli-check":
        script = Path(sys.executable).with_name("tightrope")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "game"]
        command += ["check", str(folder)]
    else:
        command = [sys.executable, __file__, "--child", task, str(folder)] + (["--trace"] if trace else [])
    with tempfile.TemporaryFile() as out:
        began = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, env=_ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    report = json.loads(text.strip().splitlines()[-1]) if task != "cli-check" else {"seconds": 0.0, "exit": proc.returncode}
    measure = Measure(
        wall, report["seconds"], usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, report["exit"], report.get("cpu", 0.0)
    )
    return measure, float(report.get("trace_peak_mb", 0.0))


# PYTHONDONTWRITEBYTECODE (set on some CI machines and sandboxes) would have
# every run compile the checker's modules from source inside the timed part,
# while PyYAML's come compiled from its install: every task runs with its
# bytecode cached, as on an author's machine after the first check (the
# untimed warm-up run below writes it)
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(task: str, folder: Path, repeat: int, trace: bool, runs: list[Measure] | None = None) -> tuple[Measure, float]:
    if runs is None:
        run_once(task, folder)  # warm-up: bytecode written, files in the page cache
        runs = [run_once(task, folder)[0] for _ in range(repeat)]
    best = min(runs, key=lambda m: m.wall)
    best.maxrss_mb = max(m.maxrss_mb for m in runs)
    best.task_cpu = min(m.task_cpu for m in runs)
    peak = run_once(task, folder, trace=True)[1] if trace and task != "cli-check" else 0.0
    return best, peak


def interleaved(tasks: list[str], folder: Path, repeat: int) -> dict[str, list[Measure]]:
    """The runs of ``tasks`` taken in turns (a, b, a, b...): a busy spell on
    the machine then slows both alike, and their ratio stays fair."""
    for task in tasks:
        run_once(task, folder)  # warm-up
    runs: dict[str, list[Measure]] = {task: [] for task in tasks}
    for _ in range(repeat):
        for task in tasks:
            runs[task].append(run_once(task, folder)[0])
    return runs


def story_size(folder: Path) -> str:
    size = sum(p.stat().st_size for p in folder.glob("*.yaml"))
    return f"{size / 2**20:.1f} MB of YAML in {len(list(folder.glob('*.yaml')))} files"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time and memory of load-and-check and explore on big generated stories.")
    parser.add_argument("--nodes", type=int, nargs="+", default=[1000, 10_000], help="story sizes (default 1000 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement; the best is shown (default 3)")
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs (they are slower)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--child", nargs=2, metavar=("TASK", "DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.trace)
        return 0

    from gen_story import generate

    results = []
    ratios: list[dict[str, float]] = []
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores; best wall of {args.repeat}, peak memory of all runs")
    header = f"{'nodes':>6} {'task':10} {'wall s':>7} {'task s':>7} {'task CPU':>8} {'CPU s':>6} {'RSS MB':>7} {'traced MB':>9}  verdict"
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for nodes in args.nodes:
            folder = generate(Path(tmp) / f"story-{nodes}", nodes, seed=0)
            print(f"{nodes:>6} story      {story_size(folder)}", flush=True)
            parse_cpu = 0.0
            paired = ["parse", "check"] if {"parse", "check"} <= set(args.tasks) else []
            turns = interleaved(paired, folder, args.repeat) if paired else {}
            # each check's CPU time over the parse's run just before it (before measure() picks the best)
            per_turn = [c.task_cpu / p.task_cpu for p, c in zip(turns["parse"], turns["check"], strict=True)] if paired else []
            for task in args.tasks:
                m, peak = measure(task, folder, args.repeat, not args.no_trace and task != "parse", turns.get(task))
                verdict = ""
                if task == "parse":
                    parse_cpu = m.task_cpu
                if task == "check" and parse_cpu and per_turn:
                    best = m.task_cpu / parse_cpu
                    ratio = statistics.median(per_turn)
                    verdict = (
                        f"{ratio:.2f}x the bare parse, median of {len(per_turn)} turns "
                        f"({min(per_turn):.2f}-{max(per_turn):.2f}; best over best {best:.2f}x): "
                        f"{'meets' if ratio <= AIM_RATIO else 'MISSES'} the aim of {AIM_RATIO:g}x; "
                    )
                    ratios.append({"nodes": nodes, "ratio": ratio, "turns": per_turn, "best_over_best": best})
                if task in ("check", "cli-check") and nodes >= 10_000:
                    seconds = m.inside if task == "check" else m.wall
                    ok = seconds < AIM_SECONDS and m.maxrss_mb < AIM_MB
                    verdict += f"{'meets' if ok else 'MISSES'} the aim (< {AIM_SECONDS:g} s, < {AIM_MB:g} MB)"
                if m.exit not in (0,):
                    verdict += f" exit {m.exit}"
                traced = f"{peak:9.1f}" if peak else f"{'-':>9}"
                inside = f"{m.inside:7.2f}" if task != "cli-check" else f"{'-':>7}"
                task_cpu = f"{m.task_cpu:8.2f}" if task != "cli-check" else f"{'-':>8}"
                print(
                    f"{nodes:>6} {task:10} {m.wall:7.2f} {inside} {task_cpu} {m.cpu:6.2f} {m.maxrss_mb:7.1f} {traced}  {verdict}",
                    flush=True,
                )
                results.append({"nodes": nodes, "task": task, **m.__dict__, "trace_peak_mb": peak})
    if args.json:
        print(json.dumps({"measures": results, "check_to_parse": ratios}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
