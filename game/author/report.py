"""explore's output: the text report and the JSON document (docs/explore-json.md)."""

from __future__ import annotations

from ..story.diagnostics import plural
from ..story.model import Story
from ..story.text import clean_line
from .explore import WALK, Analysis, decisions, plan_snippet
from .playthrough import Run, histogram, quartiles, run_dict, sparkline, spread

FORMAT = "tightrope-explore/1"
COVERAGE_KINDS = ("nodes", "choices", "outcomes", "events", "endings")


def requirement_failures(analysis: Analysis, all_endings: bool, full_coverage: bool, no_soft_locks: bool = False) -> list[str]:
    """One line per requirement that is not met.

    A soft-lock (a reachable state with no available choice, or a node from
    which no ending can be reached) fails every requirement: a story whose
    games can get stuck neither reaches all its endings nor is fully covered.
    """
    out = []
    bound = " (the state bound was hit: raise --max-states)" if analysis.reach.bound_hit else ""
    locks = soft_locks(analysis)
    if all_endings and not analysis.coverage["endings"].full:
        missing = [u.id for u in analysis.unreached if u.kind == "ending"]
        out.append(f"--require-all-endings: {len(missing)} ending(s) never reached: {', '.join(missing)}{bound}")
    elif all_endings and locks:
        out.append(f"--require-all-endings: {locks}")
    if full_coverage:
        gaps = [f"{t.total - t.reached} {kind}" for kind, t in analysis.coverage.items() if not t.full]
        if gaps:
            out.append(f"--require-full-coverage: never reached: {', '.join(gaps)}{bound}")
        elif locks:
            out.append(f"--require-full-coverage: {locks}")
    if no_soft_locks and locks:
        out.append(f"--require-no-soft-locks: {locks}")
    return out


def soft_locks(analysis: Analysis) -> str:
    """'2 soft-locks: node a leads nowhere: ...; node b ...', or '' when games never get stuck."""
    if not analysis.nowhere:
        return ""
    n = len(analysis.nowhere)
    shown = "; ".join(str(w) for w in analysis.nowhere[:3])
    more = f"; and {n - 3} more" if n > 3 else ""
    return f"{n} soft-lock{'s' if n != 1 else ''}: {shown}{more}"


def as_json(
    story: Story,
    story_path: str,
    analysis: Analysis,
    runs: list[Run],
    requirements: dict[str, bool],
    failures: list[str],
) -> dict[str, object]:
    reach = analysis.reach
    return {
        "format": FORMAT,
        "story": {
            "id": story.id,
            "title": story.meta.title,
            "version": story.version,
            "hash": story.hash,
            "path": story_path,
            "scenario": story.scenario.id if story.scenario else None,
        },
        "exhaustive": {
            "states": reach.states,
            "max_states": reach.max_states,
            "bound_hit": reach.bound_hit,
            "sampled_games": reach.sampled,
        },
        "coverage": {
            kind: {"reached": t.reached, "total": t.total, "percent": t.percent} for kind, t in analysis.coverage.items()
        },
        "unreached": [u.as_dict() for u in analysis.unreached],
        "leads_nowhere": [{"node": n.node, "kind": n.kind, "reason": n.reason} for n in analysis.nowhere],
        "meter_ranges": analysis.ranges,
        "paths": {eid: p.as_dict() for eid, p in analysis.paths.items()},
        "endings": {
            eid: {
                "reached": reach.reached(eid),
                "transitions": reach.ended.get(eid, 0),
                "games": reach.games.get(eid, 0),
                "threshold": any(t.ending == eid for m in story.meters for t in m.thresholds),
            }
            for eid in story.endings
        },
        "playthroughs": [run_dict(story, r) for r in runs],
        "requirements": {**requirements, "met": not failures, "failures": failures},
    }


def _pct(n: int, total: int) -> str:
    return f"{100.0 * n / total:.1f}%" if total else "0%"


def as_text(story: Story, story_path: str, analysis: Analysis, runs: list[Run]) -> str:
    out: list[str] = []
    say = out.append
    stats = story.stats()
    counts = ", ".join(plural(stats[word + "s"], word) for word in ("node", "choice", "event", "ending"))
    scenario = f", scenario {story.scenario.id}" if story.scenario else ""
    say(f"{clean_line(story.meta.title)} ({story.id} {clean_line(story.version)}, {story_path}{scenario}): {counts}")
    reach = analysis.reach
    say("")
    if reach.bound_hit:
        say(
            f"Exhaustive walk: STOPPED at the bound of {reach.max_states:,} states. The walk is incomplete: "
            "coverage is a lower bound and items listed as never reached may still be reachable (raise --max-states)."
        )
    else:
        say(f"Exhaustive walk: {plural(reach.states, 'distinct state')}, all explored (bound {reach.max_states:,}).")
    if reach.sampled:
        say(
            f"Past the bound, {reach.sampled:,} sampled games (seeds 0..{reach.sampled - 1}, the bots in turn) "
            "extended coverage, meter ranges and paths; they show what is reachable, not what is not."
        )
    say("Coverage: " + ", ".join(f"{kind} {t.reached}/{t.total}" for kind, t in analysis.coverage.items()))
    if analysis.unreached:
        say("")
        say("Never reached:")
        for u in analysis.unreached:
            say(f"  {u}")
    if analysis.nowhere:
        say("")
        say("Leads nowhere:")
        for n in analysis.nowhere:
            say(f"  {n}")
    say("")
    say("Meter ranges (lowest..highest at each node and ending):")
    say(_ranges_table(story, analysis))
    say("")
    say("Shortest paths to endings (choice ids for tightrope replay):")
    for eid in story.endings:
        p = analysis.paths.get(eid)
        if p is None:
            say(f"  {eid}: never reached")
            continue
        chance = f", p={p.probability:.3g}" if p.probability < 1 else ""
        seed = f"seed {p.seed}" if p.seed is not None else f"NO seed in 0..{p.seed_limit - 1} reaches it with this path"
        sampled = ", shortest found by the sampled games" if p.found_by != WALK else ""
        say(f"  {eid} ({decisions(len(p.choices))}, {seed}{chance}{sampled}): {' '.join(p.choices)}")
    replayable = [path for path in analysis.paths.values() if path.seed is not None]
    if replayable:
        say("")
        say("Testplan snippets (save one as a .yaml file and run tightrope replay FILE):")
        for path in replayable:
            say("")
            for line in plan_snippet(story_path, path).splitlines():
                say(f"  {line}")
    for run in runs:
        say("")
        say(_run_text(story, run))
    return "\n".join(out)


def _ranges_table(story: Story, analysis: Analysis) -> str:
    rows = [(where, analysis.ranges[where]) for where in [*story.nodes, *story.endings] if where in analysis.ranges]
    if not rows:
        return "  (nothing reached)"
    head = ["", *(m.id for m in story.meters)]
    body = [[where, *(f"{r[m.id][0]}..{r[m.id][1]}" for m in story.meters)] for where, r in rows]
    widths = [max(len(row[k]) for row in [head, *body]) for k in range(len(head))]
    lines = ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [head, *body]]
    return "\n".join(lines)


def _run_text(story: Story, run: Run) -> str:
    lines = [f"Playthroughs: bot {run.bot}, {run.runs:,} games, seeds {run.seed}..{run.seed + run.runs - 1}"]
    lines.append("  Endings:")
    rows = [(eid, run.endings.get(eid, 0)) for eid in sorted(story.endings, key=lambda e: -run.endings.get(e, 0))]
    if run.stuck:
        rows.append(("(stuck: no choice available)", run.stuck))
    if run.unfinished:
        rows.append(("(unfinished: stopped at --max-turns)", run.unfinished))
    width = max((len(label) for label, _ in rows), default=0)
    for label, n in rows:
        lines.append(f"    {label.ljust(width)}  {n:>7,}  {_pct(n, run.runs):>6}")
    d, w = spread(run.decisions), spread(run.words)
    lines.append(f"  Decisions per game: min {d['min']}, mean {d['mean']:.1f}, max {d['max']}")
    lines.append(f"  Words read per game: min {w['min']:,}, mean {w['mean']:,.0f}, max {w['max']:,}")
    lines.append("  Final meters (min, quartiles, max, mean; histogram over each meter's range):")
    mwidth = max((len(m.id) for m in story.meters), default=0)
    for i, m in enumerate(story.meters):
        values = run.finals[i]
        s = spread(values)
        q1, med, q3 = quartiles(values)
        counts, _ = histogram(values, m.min, m.max)
        lines.append(
            f"    {m.id.ljust(mwidth)}  {s['min']:>4} [{q1:g} {med:g} {q3:g}] {s['max']:<4} mean {s['mean']:<6.1f}"
            f" {m.min}|{sparkline(counts)}|{m.max}"
        )
    return "\n".join(lines)
