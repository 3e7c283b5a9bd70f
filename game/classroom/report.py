"""The class report: ``tightrope report SAVES_OR_FOLDERS...``.

Reads every save it is given (folders are searched, sub-folders included,
so the per-player folders of ``tightrope serve`` work), keeps one game per
student, and summarises the class: the endings, what the class chose at
each key decision, the average path of each meter, a selection of
rationales for discussion, and a roster. Saves that cannot be read or do
not fit the story are listed with the reason; they never stop the report.

:func:`build_report` makes one typed :class:`ClassReport`;
:func:`to_markdown`, :func:`to_html` and :func:`to_csv` render it.
"""

from __future__ import annotations

import csv
import io
import os
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..present import Decision
from ..records.render import bar_chart, csv_cell, h, legend, line_chart, md, md_quote, page, plural
from ..records.transcript import SUFFIX, Record, build_record
from ..saves import SaveError, read_envelope, state_from_envelope
from ..story import Story
from ..story.text import clean_line, word_count

MAX_FILES = 5000
MAX_DEPTH = 4
QUOTES_PER_CHOICE = 2
NOT_FINISHED = ""  # the ending key of games still in progress


@dataclass
class Game:
    """One student's game: the save's file name and its decision record."""

    path: Path
    record: Record
    updated: str


@dataclass(frozen=True)
class Skipped:
    """A file the report did not count, and why."""

    file: str
    reason: str
    copy: bool = False  # an earlier copy of a counted game (an autosave of it, say)


@dataclass(frozen=True)
class StoryInfo:
    id: str
    version: str
    title: str


@dataclass(frozen=True)
class MeterInfo:
    id: str
    label: str
    min: int
    max: int


@dataclass(frozen=True)
class EndingCount:
    id: str  # NOT_FINISHED for the games still in progress
    title: str
    count: int


@dataclass(frozen=True)
class Quote:
    student: str
    text: str


@dataclass(frozen=True)
class ChoiceCount:
    id: str
    text: str
    count: int
    rationales: tuple[Quote, ...]


@dataclass(frozen=True)
class KeyDecision:
    node: str
    scene: str
    reached: int
    choices: tuple[ChoiceCount, ...]


@dataclass(frozen=True)
class PathPoint:
    turn: int  # 0 is the start
    games: int
    average: dict[str, float]


@dataclass(frozen=True)
class StudentRow:
    student: str
    file: str
    story_version: str
    finished: bool
    ending: str
    ending_title: str
    decisions: int
    key_decisions: int
    rationales: int
    rationale_words: int
    final: dict[str, int | None]


@dataclass(frozen=True)
class ClassReport:
    """Everything a class report shows."""

    story: StoryInfo
    anonymous: bool
    count: int
    finished: int
    meters: tuple[MeterInfo, ...]
    endings: tuple[EndingCount, ...]
    decisions: tuple[KeyDecision, ...]
    paths: tuple[PathPoint, ...]
    students: tuple[StudentRow, ...]
    skipped: tuple[Skipped, ...] = field(default=())  # not counted, copies left out
    copies: int = 0


# ------------------------------------------------------------------ reading
def save_files(paths: Iterable[Path]) -> tuple[list[Path], list[Skipped]]:
    """The save files named or found in folders, and the paths that are neither."""
    found: list[Path] = []
    missing: list[Skipped] = []
    for root in paths:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            base = len(root.parts)
            for folder, dirs, files in os.walk(root, followlinks=False):
                depth = len(Path(folder).parts) - base
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and depth < MAX_DEPTH)
                for name in sorted(files):
                    if name.endswith(".json") and not name.startswith(".") and not name.endswith(SUFFIX + ".json"):
                        found.append(Path(folder) / name)
        else:
            missing.append(Skipped(str(root), "no such file or folder"))
    unique = list(dict.fromkeys(found))
    if len(unique) > MAX_FILES:
        missing.append(Skipped(f"{len(unique) - MAX_FILES} more files", f"only the first {MAX_FILES} saves are read"))
        unique = unique[:MAX_FILES]
    return unique, missing


def _student_key(record: Record, path: Path) -> str:
    name = " ".join(record.student.casefold().split())
    return name or f"file:{path}"


def _rank(game: Game) -> tuple[bool, int, str]:
    """Which of one student's saves counts: finished first, then the longest, then the newest."""
    return (game.record.finished, len(game.record.decisions), game.updated)


def collect(paths: Iterable[Path], story: Story) -> tuple[list[Game], list[Skipped]]:
    """Read saves; return the counted games (one a student) and the files not counted, with reasons.

    A file not counted because it is an earlier copy of a counted game (an
    autosave of the same game, say) is marked ``copy``.
    """
    files, skipped = save_files(paths)
    best: dict[str, Game] = {}
    losers: dict[str, list[Game]] = {}
    for path in files:
        try:
            data = read_envelope(path)
        except SaveError as exc:
            skipped.append(Skipped(str(path), _strip_name(str(exc), path)))
            continue
        saved = data.story
        if saved.id != story.id:
            skipped.append(Skipped(str(path), f'from another story ("{clean_line(saved.id)}", not "{story.id}")'))
            continue
        try:
            state_from_envelope(data, story, str(path))
        except SaveError as exc:
            other = saved.hash != story.hash
            why = _strip_name(str(exc), path).removesuffix(f" (the save is from story version {saved.version})")
            reason = (
                f"from story version {clean_line(saved.version)}, which does not fit version {story.version}: {why}"
                if other
                else why
            )
            skipped.append(Skipped(str(path), reason))
            continue
        game = Game(path, build_record(data, story, path.name), data.updated)
        key = _student_key(game.record, path)
        kept = best.get(key)
        if kept is None or _rank(game) > _rank(kept):
            best[key] = game
            if kept is not None:
                losers.setdefault(key, []).append(kept)
        else:
            losers.setdefault(key, []).append(game)
    for key, games_lost in losers.items():
        winner = best[key]
        for lost in games_lost:
            copy = _same_game(lost, winner)
            reason = "an earlier copy of" if copy else "another save of the same student; counted instead:"
            skipped.append(Skipped(str(lost.path), f"{reason} {winner.path.name}", copy))
    games = sorted(best.values(), key=lambda g: (g.record.student.casefold(), str(g.path)))
    return games, skipped


def _same_game(a: Game, b: Game) -> bool:
    """True when a is the same game as b, stopped at the same point or earlier (an autosave, say)."""
    moves_a = [(d.node, d.choice) for d in a.record.decisions]
    moves_b = [(d.node, d.choice) for d in b.record.decisions]
    return a.record.seed == b.record.seed and moves_b[: len(moves_a)] == moves_a


def _strip_name(message: str, path: Path) -> str:
    prefix = f"{path}:"
    return message[len(prefix) :].strip() if message.startswith(prefix) else message


# ------------------------------------------------------------------ summary
def _key_decisions(story: Story, games: Sequence[Game], names: Sequence[str]) -> tuple[KeyDecision, ...]:
    """What the class chose at each key scene (each student's first decision there)."""
    firsts: list[dict[str, Decision]] = []
    for g in games:
        seen: dict[str, Decision] = {}
        for d in g.record.decisions:
            seen.setdefault(d.node, d)
        firsts.append(seen)
    out = []
    for node in story.nodes.values():
        if not node.key:
            continue
        chosen = Counter(f[node.id].choice for f in firsts if node.id in f)
        choices = []
        for c in node.choices:
            quotes = sorted(
                (
                    (word_count(f[node.id].rationale), i)
                    for i, f in enumerate(firsts)
                    if node.id in f and f[node.id].choice == c.id and f[node.id].rationale
                ),
                key=lambda x: (-x[0], x[1]),
            )[:QUOTES_PER_CHOICE]
            choices.append(
                ChoiceCount(
                    c.id,
                    clean_line(c.text),
                    chosen.get(c.id, 0),
                    tuple(Quote(names[i], firsts[i][node.id].rationale) for _, i in quotes),
                )
            )
        out.append(KeyDecision(node.id, clean_line(node.title), sum(chosen.values()), tuple(choices)))
    return tuple(out)


def build_report(story: Story, games: Sequence[Game], skipped: Sequence[Skipped], anonymous: bool = False) -> ClassReport:
    """Everything a class report shows."""
    names = [g.record.student or g.path.stem for g in games]
    if anonymous:
        order = list(range(len(games)))
        random.SystemRandom().shuffle(order)
        names = [""] * len(games)
        for number, i in enumerate(order, 1):
            names[i] = f"Student {number}"
    meters = tuple(MeterInfo(m.id, clean_line(m.label), m.min, m.max) for m in story.meters)

    # endings: every ending of the story (zeros too), then unfinished games
    ending_counts = Counter(g.record.ending.id if g.record.ending else NOT_FINISHED for g in games)
    endings = [EndingCount(eid, clean_line(e.title), ending_counts.get(eid, 0)) for eid, e in story.endings.items()]
    if ending_counts.get(NOT_FINISHED):
        endings.append(EndingCount(NOT_FINISHED, "Not finished", ending_counts[NOT_FINISHED]))
    endings.sort(key=lambda e: -e.count)  # stable: story order among equals

    # average meter path by turn (turn 0 = start), over the games that got that far
    longest = max((len(g.record.decisions) for g in games), default=0)
    paths: list[PathPoint] = []
    for t in range(longest + 1):
        rows = [_meters_at(g.record, t) for g in games if len(g.record.decisions) >= t]
        avg = {m.id: round(sum(r[m.id] for r in rows) / len(rows), 1) for m in meters if rows}
        paths.append(PathPoint(t, len(rows), avg))

    students = []
    for name, g in zip(names, games):
        rec = g.record
        rationales = [d.rationale for d in rec.decisions if d.rationale]
        students.append(
            StudentRow(
                student=name,
                file="" if anonymous else g.path.name,
                story_version=rec.story.version,
                finished=rec.finished,
                ending=rec.ending.id if rec.ending else "",
                ending_title=rec.ending.title if rec.ending else "",
                decisions=len(rec.decisions),
                key_decisions=sum(1 for d in rec.decisions if d.key),
                rationales=len(rationales),
                rationale_words=sum(word_count(r) for r in rationales),
                final={m.id: _meters_at(rec, len(rec.decisions)).get(m.id) for m in meters},
            )
        )
    if anonymous:
        students.sort(key=lambda s: int(s.student.split()[1]))
    return ClassReport(
        story=StoryInfo(story.id, story.version, clean_line(story.meta.title)),
        anonymous=anonymous,
        count=len(games),
        finished=sum(1 for g in games if g.record.finished),
        meters=meters,
        endings=tuple(endings),
        decisions=_key_decisions(story, games, names),
        paths=tuple(paths),
        students=tuple(students),
        skipped=tuple(s for s in skipped if not s.copy),
        copies=sum(1 for s in skipped if s.copy),
    )


def _meters_at(record: Record, turn: int) -> dict[str, int]:
    if turn == 0:
        return {m.id: m.start for m in record.meters}
    return dict(record.decisions[turn - 1].meters)


def _discussion(r: ClassReport) -> list[tuple[str, list[ChoiceCount]]]:
    """(scene, the choices with quoted rationales) for each key decision that has any."""
    out = []
    for d in r.decisions:
        picks = [c for c in d.choices if c.rationales]
        if picks:
            out.append((d.scene, picks))
    return out


def _not_counted_note(r: ClassReport) -> str:
    parts = []
    if r.skipped:
        parts.append(f" {plural(len(r.skipped), 'save')} not counted (see the end).")
    if r.copies:
        parts.append(f" {plural(r.copies, 'earlier copy', 'earlier copies')} of counted games (autosaves) left out.")
    return "".join(parts)


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.0f}%" if total else "-"


# ------------------------------------------------------------------ markdown
def to_markdown(r: ClassReport) -> str:
    n = r.count
    out = [f"# Class report: {md(r.story.title)}", ""]
    out.append(
        f"Story {md(r.story.id)} version {md(r.story.version)}. **{plural(n, 'student')}** counted; "
        f"{r.finished} finished the game.{_not_counted_note(r)}"
    )
    out.append("")
    out += ["## Endings", "", "| Ending | Students | Share |", "|---|---:|---:|"]
    out += [f"| {md(e.title)} | {e.count} | {_share(e.count, n)} |" for e in r.endings]
    out.append("")

    out += ["## Key decisions", ""]
    if not r.decisions:
        out += ["This story marks no key decisions.", ""]
    for d in r.decisions:
        out += [f"### {md(d.scene)}", ""]
        if not d.reached:
            out += ["Nobody reached this decision.", ""]
            continue
        out += [f"Reached by {plural(d.reached, 'student')}.", ""]
        out += ["| Choice | Students | Share |", "|---|---:|---:|"]
        out += [f"| {md(c.text)} | {c.count} | {_share(c.count, d.reached)} |" for c in d.choices]
        out.append("")

    out += ["## Average meter paths", "", "Average of each meter after each decision, over the students who got that far.", ""]
    out.append("| After decision | Students | " + " | ".join(md(m.label) for m in r.meters) + " |")
    out.append("|---:|---:|" + "---:|" * len(r.meters))
    for p in r.paths:
        cells = " | ".join(f"{p.average[m.id]:.1f}" for m in r.meters) if p.average else ""
        out.append(f"| {'start' if p.turn == 0 else p.turn} | {p.games} | {cells} |")
    out.append("")

    out += ["## Rationales for discussion", "", "The longest rationales written for each choice at each key decision.", ""]
    for scene, picks in _discussion(r):
        out += [f"### {md(scene)}", ""]
        for c in picks:
            out += [f"**{md(c.text)}**", ""]
            for q in c.rationales:
                out += [md_quote(q.text), ">", f"> — {md(q.student)}", ""]
    if not _discussion(r):
        out += ["No rationales were written.", ""]

    out += ["## Students", ""]
    head = ["Student"] + ([] if r.anonymous else ["File"]) + ["Ending", "Decisions", "Rationales", "Words"]
    head += [f"Final {m.label}" for m in r.meters]
    out += ["| " + " | ".join(md(x) for x in head) + " |", "|" + "---|" * len(head)]
    for s in r.students:
        row = [md(s.student)] + ([] if r.anonymous else [md(s.file)])
        row += [md(s.ending_title or "not finished"), str(s.decisions), str(s.rationales), str(s.rationale_words)]
        row += [str(s.final[m.id]) for m in r.meters]
        out.append("| " + " | ".join(row) + " |")
    out.append("")

    if r.skipped:
        out += ["## Not counted", ""]
        if r.anonymous:
            out += [f"{plural(len(r.skipped), 'save')} could not be counted; the files are listed on the terminal.", ""]
        else:
            out += [f"- {md(s.file)}: {md(s.reason)}" for s in r.skipped]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------ html
def to_html(r: ClassReport) -> str:
    n = r.count
    b = [f"<header><h1>Class report: {h(r.story.title)}</h1>"]
    b.append(f'<p class="meta">Story {h(r.story.id)} version {h(r.story.version)}.</p>')
    b.append(
        f"<p><strong>{h(plural(n, 'student'))}</strong> counted; {r.finished} finished the game.{h(_not_counted_note(r))}</p>"
        "</header>"
    )
    b.append("<section><h2>Endings</h2>")
    b.append(f"<figure>{bar_chart([(e.title, e.count) for e in r.endings], 'Endings reached', n)}</figure>")
    b.append(_table(["Ending", "Students", "Share"], [[e.title, e.count, _share(e.count, n)] for e in r.endings]))
    b.append("</section>")

    b.append("<section><h2>Key decisions</h2>")
    if not r.decisions:
        b.append("<p>This story marks no key decisions.</p>")
    for d in r.decisions:
        if not d.reached:
            b.append(f"<h3>{h(d.scene)}</h3><p>Nobody reached this decision.</p>")
            continue
        b.append(f"<h3>{h(d.scene)}</h3><p>Reached by {h(plural(d.reached, 'student'))}.</p>")
        bars = [(c.text, c.count) for c in d.choices]
        b.append(f"<figure>{bar_chart(bars, 'What the class chose: ' + d.scene, d.reached)}</figure>")
    b.append("</section>")

    b.append("<section><h2>Average meter paths</h2>")
    series = [(m.label, [p.average.get(m.id) for p in r.paths]) for m in r.meters]
    lo = min((m.min for m in r.meters), default=0)
    hi = max((m.max for m in r.meters), default=100)
    b.append(
        f"<figure>{line_chart(series, lo, hi, 'Average meters after each decision')}"
        f"{legend([m.label for m in r.meters])}"
        "<figcaption>Average of each meter after each decision, over the students who got that far.</figcaption></figure>"
    )
    path_rows: list[list[object]] = [
        ["start" if p.turn == 0 else p.turn, p.games, *(f"{p.average[m.id]:.1f}" for m in r.meters)] for p in r.paths if p.average
    ]
    b.append(_table(["After decision", "Students", *(m.label for m in r.meters)], path_rows, numeric_from=0))
    b.append("</section>")

    b.append('<section class="pagebreak"><h2>Rationales for discussion</h2>')
    b.append("<p>The longest rationales written for each choice at each key decision.</p>")
    for scene, picks in _discussion(r):
        b.append(f"<h3>{h(scene)}</h3>")
        for c in picks:
            b.append(f"<p><strong>{h(c.text)}</strong></p>")
            for q in c.rationales:
                b.append(f'<blockquote class="quote"><p>{h(q.text)}</p><p class="who">— {h(q.student)}</p></blockquote>')
    if not _discussion(r):
        b.append("<p>No rationales were written.</p>")
    b.append("</section>")

    b.append("<section><h2>Students</h2>")
    head = ["Student"] + ([] if r.anonymous else ["File"]) + ["Ending", "Decisions", "Rationales", "Words"]
    head += [f"Final {m.label}" for m in r.meters]
    roster: list[list[object]] = []
    for s in r.students:
        row: list[object] = [s.student, *([] if r.anonymous else [s.file])]
        row += [s.ending_title or "not finished", s.decisions, s.rationales, s.rationale_words]
        row += [s.final[m.id] for m in r.meters]
        roster.append(row)
    b.append(_table(head, roster, numeric_from=2 if r.anonymous else 3))
    b.append("</section>")

    if r.skipped:
        b.append("<section><h2>Not counted</h2>")
        if r.anonymous:
            b.append(f"<p>{h(plural(len(r.skipped), 'save'))} could not be counted; the files are listed on the terminal.</p>")
        else:
            b.append("<ul>" + "".join(f"<li>{h(s.file)}: {h(s.reason)}</li>" for s in r.skipped) + "</ul>")
        b.append("</section>")
    b.append(f"<footer>Tightrope class report · {h(r.story.id)} {h(r.story.version)}</footer>")
    return page(f"Class report: {r.story.title}", "\n".join(b))


def _table(head: Sequence[str], rows: Sequence[Sequence[object]], numeric_from: int = 1) -> str:
    """An HTML table; columns from ``numeric_from`` on are right-aligned numbers."""

    def cls(i: int) -> str:
        return ' class="num"' if i >= numeric_from else ""

    out = [
        '<div class="scroll"><table><thead><tr>'
        + "".join(f"<th{cls(i)}>{h(x)}</th>" for i, x in enumerate(head))
        + "</tr></thead><tbody>"
    ]
    for row in rows:
        out.append("<tr>" + "".join(f"<td{cls(i)}>{h(x)}</td>" for i, x in enumerate(row)) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


# ------------------------------------------------------------------ csv
def to_csv(r: ClassReport) -> str:
    """One row per student, for a gradebook."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head = ["student", "file", "story_version", "finished", "ending", "ending_title", "decisions", "key_decisions"]
    head += ["rationale_count", "rationale_words"] + [f"final_{m.id}" for m in r.meters]
    w.writerow(head)
    for s in r.students:
        row: list[object] = [s.student, s.file, s.story_version, "yes" if s.finished else "no", s.ending, s.ending_title]
        row += [s.decisions, s.key_decisions, s.rationales, s.rationale_words]
        row += [s.final[m.id] for m in r.meters]
        w.writerow([csv_cell(x) for x in row])
    return buf.getvalue()


RENDER = {"md": to_markdown, "html": to_html, "csv": to_csv}


def render_report(report: ClassReport, fmt: str) -> str:
    return RENDER[fmt](report)
