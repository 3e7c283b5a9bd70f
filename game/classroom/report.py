"""The class report: ``tightrope report SAVES_OR_FOLDERS...``.

Reads every save it is given (folders are searched, sub-folders included,
so the per-player folders of ``tightrope serve`` work), keeps one game per
student, and summarises the class: the endings, what the class chose at
each key decision, the average meters at each key scene (each student as
they reached it, so like is compared with like), a selection of rationales
for discussion, and a roster. Saves that cannot be read or do not fit the
story are listed with what to do about it (:func:`teacher_reason`); they
never stop the report. Games played in a scenario are summarised with that
scenario's scenes and endings.

``--anonymous`` numbers students in an order that looks random but is the
same on every run over the same class (a hash of each student's name and
the time of their first game), so Markdown, HTML and CSV, and this week's
and next week's report, agree; :func:`key_csv` maps the numbers back to
names for the teacher.

:func:`build_report` makes one typed :class:`ClassReport`;
:func:`to_markdown`, :func:`to_html` and :func:`to_csv` render it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..present import Decision
from ..records.render import bar_chart, csv_cell, h, legend, line_chart, md, md_quote, page
from ..records.transcript import SUFFIX, Record, build_record, mode_text
from ..saves import SaveError, read_envelope, state_from_envelope
from ..story import Story
from ..story.diagnostics import plural
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
    first: str = ""  # when the student's first game of this class was created (stable anonymous numbers)


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
    """The average meters where the class stood at one point: the start, a key scene as reached, or the end."""

    label: str  # "Start", the scene's title, or "End (finished games)"
    node: str  # START, the scene's id, or END
    games: int
    average: dict[str, float]


START, END = "", "(end)"


@dataclass(frozen=True)
class KeyAnswer:
    """What one student chose at a key decision, and why."""

    choice: str
    rationale: str


@dataclass(frozen=True)
class StudentRow:
    student: str
    file: str
    story_version: str
    scenario: str  # "" for the full story
    seed: int
    classroom: bool | None  # None: the save does not say
    mode: str  # in words
    undos: int
    finished: bool
    ending: str
    ending_title: str
    decisions: int
    key_decisions: int
    rationales: int
    rationale_words: int
    final: dict[str, int | None]
    answers: dict[str, KeyAnswer]  # key scene id -> the first choice there and its rationale


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
    scenarios: tuple[str, ...] = ()  # titles of the scenarios played ("" nowhere: the full story is "the full story")
    key: tuple[tuple[str, str, str], ...] = ()  # anonymous: (number, name, file) for the teacher's key file


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
    first: dict[str, str] = {}
    for path in files:
        try:
            data = read_envelope(path)
        except SaveError as exc:
            skipped.append(Skipped(str(path), teacher_reason(path, exc)))
            continue
        saved = data.story
        if saved.id != story.id:
            skipped.append(Skipped(str(path), f'from another story ("{clean_line(saved.id)}", not "{story.id}")'))
            continue
        try:
            state_from_envelope(data, story, str(path))
        except SaveError as exc:
            skipped.append(Skipped(str(path), teacher_reason(path, exc, saved.version, story.version)))
            continue
        game = Game(path, build_record(data, story, path.name), data.updated)
        key = _student_key(game.record, path)
        first[key] = min(first.get(key, data.created), data.created)
        kept = best.get(key)
        if kept is None or _rank(game) > _rank(kept):
            best[key] = game
            if kept is not None:
                losers.setdefault(key, []).append(kept)
        else:
            losers.setdefault(key, []).append(game)
    for key, game in best.items():
        game.first = first[key]
    for key, games_lost in losers.items():
        winner = best[key]
        for lost in games_lost:
            copy = _same_game(lost, winner)
            reason = "an earlier copy of" if copy else "another save of the same student; counted instead:"
            skipped.append(Skipped(str(lost.path), f"{reason} {winner.path.name}", copy))
    games = sorted(best.values(), key=lambda g: (g.record.student.casefold(), str(g.path)))
    return games, skipped


def teacher_reason(path: Path, exc: SaveError, saved_version: str = "", version: str = "") -> str:
    """Why a save cannot be used, and what to do, in a teacher's words (never a line:column of JSON)."""
    bak = path.with_name(path.name + ".bak")
    restore = ""
    if exc.kind in ("damaged", "invalid", "edited", "not_a_save", "unreadable"):
        if bak.is_file():
            try:
                read_envelope(bak)
                restore = (
                    f" To get the game back as it was one decision earlier, restore {bak.name}: "
                    f"copy it over {path.name} and run this again."
                )
            except SaveError:
                restore = f" Its backup, {bak.name}, cannot be read either."
        else:
            restore = " There is no backup copy beside it."
    if exc.kind == "damaged":
        return "the file is damaged or incomplete (the computer may have stopped while it was saving)." + restore
    if exc.kind == "invalid":
        return "the file is damaged: part of it is not what a Tightrope save holds." + restore
    if exc.kind == "edited":
        return "the file was changed after the game saved it: its decisions and its results disagree." + restore
    if exc.kind == "not_a_save":
        return "this is not a Tightrope save." + restore
    if exc.kind == "unreadable":
        return "the file cannot be opened (check that this account may read it)." + restore
    if exc.kind == "newer":
        return "this save was made by a newer Tightrope: update Tightrope on this computer, then run this again."
    if exc.kind == "story" and saved_version:
        return (
            f"from story version {clean_line(saved_version)}, which does not fit version {version}: "
            "run this again with that version of the story (--story FOLDER)."
        )
    return _strip_name(str(exc), path)


def _same_game(a: Game, b: Game) -> bool:
    """True when a is the same game as b, stopped at the same point or earlier (an autosave, say)."""
    moves_a = [(d.node, d.choice) for d in a.record.decisions]
    moves_b = [(d.node, d.choice) for d in b.record.decisions]
    return a.record.seed == b.record.seed and moves_b[: len(moves_a)] == moves_a


def _strip_name(message: str, path: Path) -> str:
    prefix = f"{path}:"
    return message[len(prefix) :].strip() if message.startswith(prefix) else message


# ------------------------------------------------------------------ summary
def _stories(story: Story, games: Sequence[Game]) -> list[Story]:
    """The story as each game was played (the full story, or a scenario), in a stable order."""
    full = story.full or story
    wanted = sorted({g.record.scenario for g in games}, key=lambda sc: (sc is not None, sc or ""))
    out = [full.with_scenario(sc) if sc is None or sc in full.scenarios else full for sc in wanted]
    return out or [story]


def _firsts(games: Sequence[Game]) -> list[dict[str, Decision]]:
    """Each student's first decision at each scene."""
    firsts: list[dict[str, Decision]] = []
    for g in games:
        seen: dict[str, Decision] = {}
        for d in g.record.decisions:
            seen.setdefault(d.node, d)
        firsts.append(seen)
    return firsts


def _key_decisions(
    full: Story, nodes: set[str], firsts: list[dict[str, Decision]], names: Sequence[str]
) -> tuple[KeyDecision, ...]:
    """What the class chose at each key scene of the stories played (each student's first decision there)."""
    out = []
    for node in full.nodes.values():
        if not node.key or node.id not in nodes:
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


def anonymous_order(games: Sequence[Game]) -> list[int]:
    """The games in the order of their anonymous numbers: not alphabetical, and the same on every run.

    The order is a hash of each student's name and the time their first
    game of the class was created: the same class gives the same numbers,
    and the names alone do not give the order away.
    """

    def token(i: int) -> str:
        name = " ".join(games[i].record.student.casefold().split()) or str(games[i].path)
        return hashlib.sha256(f"{name}\n{games[i].first}".encode("utf-8", "backslashreplace")).hexdigest()

    return sorted(range(len(games)), key=lambda i: (token(i), str(games[i].path)))


def _average(rows: list[dict[str, int]], meters: Sequence[MeterInfo]) -> dict[str, float]:
    return {m.id: round(sum(r[m.id] for r in rows) / len(rows), 1) for m in meters if rows and all(m.id in r for r in rows)}


def _paths(games: Sequence[Game], decisions: Sequence[KeyDecision], meters: Sequence[MeterInfo]) -> tuple[PathPoint, ...]:
    """The average meters at the start, at each key scene as the students reached it, and at the end of finished games."""
    points = [PathPoint("Start", START, len(games), _average([_meters_at(g.record, 0) for g in games], meters))]
    for kd in decisions:
        rows = []
        for g in games:
            turn = next((d.turn for d in g.record.decisions if d.node == kd.node), None)
            if turn is not None:
                rows.append(_meters_at(g.record, turn - 1))  # as the student faced the decision
        if rows:
            points.append(PathPoint(kd.scene, kd.node, len(rows), _average(rows, meters)))
    done = [_meters_at(g.record, len(g.record.decisions)) for g in games if g.record.finished]
    if done:
        points.append(PathPoint("End (finished games)", END, len(done), _average(done, meters)))
    return tuple(points)


def build_report(story: Story, games: Sequence[Game], skipped: Sequence[Skipped], anonymous: bool = False) -> ClassReport:
    """Everything a class report shows."""
    names = [g.record.student or g.path.stem for g in games]
    key: list[tuple[str, str, str]] = []
    if anonymous:
        order = anonymous_order(games)
        real = list(names)
        names = [""] * len(games)
        for number, i in enumerate(order, 1):
            names[i] = f"Student {number}"
            key.append((names[i], real[i], str(games[i].path)))
    full = story.full or story
    stories = _stories(story, games)
    meters = tuple(MeterInfo(m.id, clean_line(m.label), m.min, m.max) for m in full.meters)

    # endings: every ending of the stories played (zeros too), then unfinished games
    ending_counts = Counter(g.record.ending.id if g.record.ending else NOT_FINISHED for g in games)
    known: dict[str, str] = {}
    for played in stories:
        for eid, e in played.endings.items():
            known.setdefault(eid, clean_line(e.title))
    for g in games:  # an ending the story no longer has is still counted, by its id
        if g.record.ending and g.record.ending.id not in known:
            known[g.record.ending.id] = g.record.ending.title
    endings = [EndingCount(eid, title, ending_counts.get(eid, 0)) for eid, title in known.items()]
    if ending_counts.get(NOT_FINISHED):
        endings.append(EndingCount(NOT_FINISHED, "Not finished", ending_counts[NOT_FINISHED]))
    endings.sort(key=lambda e: -e.count)  # stable: story order among equals

    nodes = {nid for played in stories for nid in played.nodes}
    firsts = _firsts(games)
    decisions = _key_decisions(full, nodes, firsts, names)

    students = []
    for name, g, seen in zip(names, games, firsts):
        rec = g.record
        rationales = [d.rationale for d in rec.decisions if d.rationale]
        students.append(
            StudentRow(
                student=name,
                file="" if anonymous else g.path.name,
                story_version=rec.story.version,
                scenario=rec.scenario_title if rec.scenario is not None else "",
                seed=rec.seed,
                classroom=rec.mode.classroom,
                mode=mode_text(rec),
                undos=len(rec.undone),
                finished=rec.finished,
                ending=rec.ending.id if rec.ending else "",
                ending_title=rec.ending.title if rec.ending else "",
                decisions=len(rec.decisions),
                key_decisions=sum(1 for d in rec.decisions if d.key),
                rationales=len(rationales),
                rationale_words=sum(word_count(r) for r in rationales),
                final={m.id: _meters_at(rec, len(rec.decisions)).get(m.id) for m in meters},
                answers={
                    kd.node: KeyAnswer(seen[kd.node].choice_text, seen[kd.node].rationale) for kd in decisions if kd.node in seen
                },
            )
        )
    if anonymous:
        students.sort(key=lambda s: int(s.student.split()[1]))
    scenarios = tuple(
        clean_line(played.scenario.title) if played.scenario is not None else "the full story" for played in stories
    )
    return ClassReport(
        story=StoryInfo(full.id, full.version, clean_line(full.meta.title)),
        anonymous=anonymous,
        count=len(games),
        finished=sum(1 for g in games if g.record.finished),
        meters=meters,
        endings=tuple(endings),
        decisions=decisions,
        paths=_paths(games, decisions, meters),
        students=tuple(students),
        skipped=tuple(s for s in skipped if not s.copy),
        copies=sum(1 for s in skipped if s.copy),
        scenarios=scenarios if games else (),
        key=tuple(key),
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


PATHS_NOTE = (
    "The average of each meter where the class stood: at the start, at each key decision as each student reached it "
    "(before deciding), and at the end of the finished games; over the students who got there."
)


def _ticks(r: ClassReport) -> list[str]:
    """Short names of the points of the meter paths: S, 1, 2, ..., E."""
    out, n = [], 0
    for p in r.paths:
        if p.node == START:
            out.append("S")
        elif p.node == END:
            out.append("E")
        else:
            n += 1
            out.append(str(n))
    return out


def _played(r: ClassReport) -> str:
    """', played in: the lesson scenario' when the class did not play the full story."""
    if not r.scenarios or r.scenarios == ("the full story",):
        return ""
    return ", played in: " + "; ".join(r.scenarios)


def _roster(r: ClassReport) -> tuple[list[str], list[list[object]]]:
    head = ["Student"] + ([] if r.anonymous else ["File"]) + ["Ending", "Decisions", "Rationales", "Words", "Undos"]
    head += [f"Final {m.label}" for m in r.meters]
    rows: list[list[object]] = []
    for s in r.students:
        row: list[object] = [s.student, *([] if r.anonymous else [s.file])]
        row += [s.ending_title or "not finished", s.decisions, s.rationales, s.rationale_words, s.undos]
        row += [s.final[m.id] for m in r.meters]
        rows.append(row)
    return head, rows


# ------------------------------------------------------------------ markdown
def to_markdown(r: ClassReport) -> str:
    n = r.count
    out = [f"# Class report: {md(r.story.title)}", ""]
    out.append(
        f"Story {md(r.story.id)} version {md(r.story.version)}{md(_played(r))}. **{plural(n, 'student')}** counted; "
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

    out += ["## Average meter paths", "", PATHS_NOTE, ""]
    out.append("| | Where | Students | " + " | ".join(md(m.label) for m in r.meters) + " |")
    out.append("|---:|---|---:|" + "---:|" * len(r.meters))
    for tick, p in zip(_ticks(r), r.paths):
        cells = " | ".join(f"{p.average[m.id]:.1f}" if m.id in p.average else "" for m in r.meters)
        out.append(f"| {tick} | {md(p.label)} | {p.games} | {cells} |")
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
    head, rows = _roster(r)
    out += ["| " + " | ".join(md(x) for x in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(md(str(x)) for x in row) + " |" for row in rows]
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
    b.append(f'<p class="meta">Story {h(r.story.id)} version {h(r.story.version)}{h(_played(r))}.</p>')
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
    ticks = _ticks(r)
    chart = line_chart(series, lo, hi, "Average meters at each key decision", "key decision (S start, E end)", ticks)
    b.append(f"<figure>{chart}{legend([m.label for m in r.meters])}<figcaption>{h(PATHS_NOTE)}</figcaption></figure>")
    path_rows: list[list[object]] = [
        [tick, p.label, p.games, *(f"{p.average[m.id]:.1f}" if m.id in p.average else "" for m in r.meters)]
        for tick, p in zip(ticks, r.paths)
    ]
    b.append(_table(["", "Where", "Students", *(m.label for m in r.meters)], path_rows, numeric_from=2))
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
    head, roster = _roster(r)
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
def _yes(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


def to_csv(r: ClassReport) -> str:
    """One row per student, for a gradebook: the game's settings, its results, and each key choice with its rationale."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head = ["student", "file", "story_version", "scenario", "seed", "classroom", "undos", "finished", "ending"]
    head += ["ending_title", "decisions", "key_decisions", "rationale_count", "rationale_words"]
    head += [f"final_{m.id}" for m in r.meters]
    for d in r.decisions:
        head += [f"choice_{d.node}", f"rationale_{d.node}"]
    w.writerow(head)
    for s in r.students:
        row: list[object] = [s.student, s.file, s.story_version, s.scenario, s.seed, _yes(s.classroom), s.undos]
        row += [_yes(s.finished), s.ending, s.ending_title, s.decisions, s.key_decisions, s.rationales, s.rationale_words]
        row += [s.final[m.id] for m in r.meters]
        for d in r.decisions:
            answer = s.answers.get(d.node)
            row += [answer.choice, answer.rationale] if answer is not None else ["", ""]
        w.writerow([csv_cell(x) for x in row])
    return buf.getvalue()


def key_csv(r: ClassReport) -> str:
    """The key to an anonymous report: each number, the student's name and file (keep it private)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["number", "student", "file"])
    for number, name, file in r.key:
        w.writerow([csv_cell(number), csv_cell(name), csv_cell(file)])
    return buf.getvalue()


RENDER = {"md": to_markdown, "html": to_html, "csv": to_csv}


def render_report(report: ClassReport, fmt: str) -> str:
    return RENDER[fmt](report)
