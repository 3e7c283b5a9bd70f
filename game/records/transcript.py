"""The decision record of one game: ``tightrope transcript SAVE`` and the app's export.

A save keeps ids (scene, choice, outcome, events, ending), the meter trail
and the student's rationales. The record looks the ids up in a story to get
the texts. When the save comes from another version of the story, the ids
that are no longer there are shown as ids and listed, never guessed; when it
cannot be replayed, or is older than save format 3 and its story cannot
split a decision's changes into the choice's and each event's, the record
says so in its notes.

:func:`build_record` makes one typed :class:`Record` whose decisions are
the :class:`~game.present.Decision` every front end shows;
:meth:`Record.to_json` is the JSON format; :func:`to_markdown` and
:func:`to_html` render it; :func:`export_transcript` is the one call a front
end needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..engine import GameState, Step
from ..engine.core import states_from_start
from ..paths import story_dir
from ..present import Change, Decision, Lookup, describe_step
from ..saves import Entry, Envelope, Meters, SaveError, StoryRef, read_envelope, state_from_envelope, story_for
from ..story import Story, StoryError, load_story
from ..story.diagnostics import plural
from ..story.text import clean, clean_line
from .render import h, legend, line_chart, md, md_block, md_quote, page, signed

RECORD_KIND = "tightrope-transcript"
RECORD_VERSION = 3  # 2: each decision's changes split into the choice's and each event's; 3: scenario, mode, undos
FORMATS = ("md", "html", "json")
SUFFIX = ".transcript"  # NAME.json -> NAME.transcript.md / .html / .json
OLD_SAVE_NOTE = (
    "This save is older than save format 3 and could not be replayed here, so each decision's meter changes are "
    "shown as one total: what the choice did and what each event did cannot be told apart."
)


class TranscriptError(Exception):
    """A record that cannot be made or written; the message is one line."""


# ------------------------------------------------------------------ the record
@dataclass(frozen=True, slots=True)
class MeterSummary:
    id: str
    label: str
    min: int
    max: int
    start: int
    end: int | None


@dataclass(frozen=True, slots=True)
class EndingRecord:
    id: str
    title: str
    text: str
    debrief: str
    questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MemoItem:
    """One key decision (or one with a reason) for the student's memo."""

    turn: int
    scene: str
    choice_text: str
    rationale: str


@dataclass(frozen=True, slots=True)
class UndoneRecord:
    """A decision taken back with undo, and the rationale it took back with it."""

    turn: int
    node: str
    scene: str
    choice: str
    choice_text: str
    rationale: str
    ending: str | None
    ending_title: str
    at: str


@dataclass(frozen=True, slots=True)
class Mode:
    """How the game was played: classroom mode, its shortest rationale, undo off (None: the save does not say)."""

    classroom: bool | None
    min_rationale: int | None
    no_undo: bool | None


@dataclass(frozen=True, slots=True)
class StoryUsed:
    id: str
    version: str
    hash: str
    title: str


@dataclass(frozen=True, slots=True)
class Record:
    """Everything a decision record shows, for one game."""

    student: str
    date: str
    created: str
    updated: str
    file: str
    story: StoryRef  # the story the save was made with
    story_used: StoryUsed | None  # the story the texts come from
    scenario: str | None  # the scenario played (id), None for the full story
    scenario_title: str
    mode: Mode
    seed: int
    finished: bool
    last_scene: str | None  # where an unfinished game stopped
    meters: tuple[MeterSummary, ...]
    decisions: tuple[Decision, ...]
    ending: EndingRecord | None
    memo: tuple[MemoItem, ...]
    notes: tuple[str, ...]
    not_found: tuple[str, ...]
    undone: tuple[UndoneRecord, ...] = ()

    def to_json(self) -> dict[str, object]:
        """The record as JSON data (the ``json`` format)."""
        return {
            "kind": RECORD_KIND,
            "record_version": RECORD_VERSION,
            "student": self.student,
            "date": self.date,
            "created": self.created,
            "updated": self.updated,
            "file": self.file,
            "story": {"id": self.story.id, "version": self.story.version, "hash": self.story.hash},
            "story_used": _fields(self.story_used) if self.story_used else None,
            "scenario": {"id": self.scenario, "title": self.scenario_title} if self.scenario is not None else None,
            "mode": _fields(self.mode),
            "seed": self.seed,
            "finished": self.finished,
            "last_scene": self.last_scene,
            "meters": [_fields(m) for m in self.meters],
            "decisions": [decision_json(d) for d in self.decisions],
            "ending": {**_fields(self.ending), "questions": list(self.ending.questions)} if self.ending else None,
            "memo": [_fields(m) for m in self.memo],
            "undone": [_fields(u) for u in self.undone],
            "notes": list(self.notes),
            "not_found": list(self.not_found),
        }


def _fields(obj: MeterSummary | EndingRecord | MemoItem | StoryUsed | Change | UndoneRecord | Mode) -> dict[str, object]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def _change_list(changes: tuple[Change, ...] | None) -> list[dict[str, object]] | None:
    return None if changes is None else [_fields(c) for c in changes]


def decision_json(d: Decision) -> dict[str, object]:
    """One decision as JSON: ``changes`` is the whole decision, ``choice_changes`` and each event's ``changes`` its parts."""
    return {
        "turn": d.turn,
        "node": d.node,
        "scene": d.scene,
        "key": d.key,
        "choice": d.choice,
        "choice_text": d.choice_text,
        "note": d.note,
        "outcome": d.outcome,
        "outcome_text": d.outcome_text,
        "changes": _change_list(d.total),
        "choice_changes": _change_list(d.changes),
        "events": [
            {"id": e.id, "title": e.title, "basis": e.basis, "text": e.text, "changes": _change_list(e.changes)} for e in d.events
        ],
        "crossed": [{"meter": c.meter, "label": c.label, "value": c.value, "ending": c.ending} for c in d.crossed],
        "target": d.target,
        "ending": d.ending,
        "rationale": d.rationale,
        "meters": d.meters,
    }


# ------------------------------------------------------------------ meters
def meter_trail(data: Envelope) -> tuple[list[str], Meters, list[Meters]]:
    """(meter ids, start values, values after each decision) of a save.

    Uses ``start_meters`` and each decision's ``meters`` when present;
    otherwise (format 1) rebuilds them from the final meters and each
    decision's changes.
    """
    final = dict(data.meters)
    ids = list(final)
    for mid in data.start_meters:
        if mid not in final:
            ids.append(mid)
    if all(m in data.start_meters for m in ids):
        start = {m: data.start_meters[m] for m in ids}
    else:
        start = {m: final.get(m, 0) for m in ids}
        for entry in data.history:
            for m, d in entry.changes.items():
                if m in start:
                    start[m] -= d
    trail: list[Meters] = []
    current = dict(start)
    for entry in data.history:
        if all(m in entry.meters for m in ids):
            current = {m: entry.meters[m] for m in ids}
        else:
            current = dict(current)
            for m, d in entry.changes.items():
                if m in current:
                    current[m] += d
        trail.append(current)
    return ids, start, trail


# ------------------------------------------------------------------ building
def _date(stamp: str) -> str:
    return clean_line(stamp)[:10]


def _stamp(stamp: str) -> str:
    """'2025-11-25T16:31:18+00:00' -> '2025-11-25 16:31 UTC' (other text is kept as it is)."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return clean_line(stamp)
    if when.tzinfo is not None:
        return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return when.strftime("%Y-%m-%d %H:%M")


def _entry_step(entry: Entry) -> Step:
    """A save's history entry as the engine's Step (its parts empty when the save did not keep them)."""
    return Step(
        entry.node,
        entry.choice,
        entry.outcome,
        tuple(entry.changes.items()),
        tuple(entry.flags.items()),
        entry.events,
        entry.target,
        entry.rationale,
        tuple((entry.choice_changes or {}).items()),
        tuple(tuple(c.items()) for c in entry.event_changes or ()),
    )


def _replayed(data: Envelope, story: Story | None, name: str) -> list[GameState] | None:
    """The states of the save replayed in the story (start first), or None when it does not replay."""
    if story is None:
        return None
    try:
        return states_from_start(state_from_envelope(data, story, name))
    except SaveError:
        return None


def _decisions(data: Envelope, look: Lookup, trail: list[Meters], states: list[GameState] | None) -> list[Decision]:
    """Each decision of the save, described.

    The save's own history says what happened. Its split of the changes
    (format 3) is used as it is; an older save borrows the split from the
    replay when the replay changed the same meters by the same amounts.
    """
    out = []
    last = len(data.history)
    for i, entry in enumerate(data.history, 1):
        state = states[i] if states is not None else None
        step = _entry_step(entry)
        known = entry.choice_changes is not None and entry.event_changes is not None
        replayed = state.step if state is not None else None
        if not known and replayed is not None and dict(replayed.changes) == entry.changes and replayed.events == entry.events:
            step, known = replayed, True
        ending = data.ending if i == last else None
        out.append(describe_step(look, i, step, trail[i - 1], state, split_known=known, ending=ending))
    return out


def build_record(data: Envelope, story: Story | None, file_name: str = "") -> Record:
    """The decision record of a validated save envelope (see read_envelope)."""
    notes: list[str] = []
    saved = data.story
    usable = story if story is not None and story.id == saved.id else None
    if usable is not None:
        try:
            usable = story_for(data, usable, file_name or "save")
        except SaveError:
            notes.append(
                f'This save was played in the scenario "{clean_line(saved.scenario or "")}", which this version of the '
                "story does not have; scenes, choices, events and the ending it cannot find are shown by their ids."
            )
    if story is None:
        notes.append("No story was available, so scenes, choices, events and the ending are shown by their ids.")
    elif usable is None:
        notes.append(
            f'This save belongs to the story "{clean_line(saved.id)}", not to "{story.id}"; '
            "scenes, choices, events and the ending are shown by their ids."
        )
    elif saved.hash != story.hash:
        notes.append(
            f"This save was made with version {clean_line(saved.version)} of the story; the texts come from "
            f"version {story.version}{' (edited since)' if saved.version == story.version else ''}. "
            "Anything that version no longer has is shown by its id and listed at the end."
        )
    look = Lookup(usable)
    ids, start, trail = meter_trail(data)
    meters = []
    for mid in ids:
        label, lo, hi = look.meter(mid)
        meters.append(MeterSummary(mid, label, lo, hi, start[mid], data.meters.get(mid)))
    states = _replayed(data, usable, file_name or "save")
    decisions = _decisions(data, look, trail, states)
    if any(not d.split_known for d in decisions):
        notes.append(OLD_SAVE_NOTE)

    ending = None
    if data.ending is not None:
        eid = data.ending
        found = look.ending(eid)
        if found is None:
            ending = EndingRecord(eid, eid, "", "", ())
        else:
            text = ""
            if states is not None:
                text = clean(found.text.render(states[-1], clean_line(data.player))).strip()
            else:
                look.miss("the ending's text (the save's decisions do not replay in this version of the story)")
            ending = EndingRecord(
                eid, clean_line(found.title), text, clean(found.debrief).strip(), tuple(clean_line(q) for q in found.questions)
            )

    memo = tuple(MemoItem(d.turn, d.scene, d.choice_text, d.rationale) for d in decisions if d.key or d.rationale)
    undone = []
    for u in data.undone:
        choice = look.choice(u.node, u.choice)
        reached = look.ending(u.ending) if u.ending is not None else None
        undone.append(
            UndoneRecord(
                u.turn,
                u.node,
                look.node_title(u.node),
                u.choice,
                clean_line(choice.text) if choice is not None else u.choice,
                clean(u.rationale).strip(),
                u.ending,
                clean_line(reached.title) if reached is not None else (u.ending or ""),
                _stamp(u.at),
            )
        )
    kept = data.settings
    scenario = saved.scenario
    sc = (usable.full or usable).scenarios.get(scenario) if usable is not None and scenario is not None else None
    return Record(
        student=clean_line(data.player),
        date=_date(data.created),
        created=_stamp(data.created),
        updated=_stamp(data.updated),
        file=file_name,
        story=saved,
        story_used=StoryUsed(story.id, story.version, story.hash, clean_line(story.meta.title)) if story is not None else None,
        scenario=clean_line(scenario) if scenario is not None else None,
        scenario_title=clean_line(sc.title) if sc is not None else clean_line(scenario or ""),
        mode=Mode(
            kept.classroom if kept is not None else None,
            kept.min_rationale if kept is not None and kept.classroom else None,
            kept.no_undo if kept is not None else None,
        ),
        seed=data.seed,
        finished=ending is not None,
        last_scene=look.node_title(data.node) if ending is None else None,
        meters=tuple(meters),
        decisions=tuple(decisions),
        ending=ending,
        memo=memo,
        notes=tuple(notes),
        not_found=tuple(look.missing),
        undone=tuple(undone),
    )


# ------------------------------------------------------------------ markdown
Escape = Callable[[str], str]


def changes_text(changes: tuple[Change, ...] | None, esc: Escape) -> str:
    """'US relations +8 (58), Domestic stability -6 (49)', escaped for the page."""
    if not changes:
        return "no change"
    return ", ".join(f"{esc(c.label)} {signed(c.delta)}" + (f" ({c.after})" if c.after is not None else "") for c in changes)


def _title(rec: Record) -> str:
    used = rec.story_used
    return clean_line(used.title) if used and used.id == rec.story.id else rec.story.id


def mode_text(rec: Record) -> str:
    """'classroom mode (rationales of at least 30 characters), undo off', or "" when the save does not say."""
    m = rec.mode
    if m.classroom is None:
        return ""
    text = "classroom mode" if m.classroom else "not in classroom mode"
    if m.classroom and m.min_rationale:
        text += f" (rationales of at least {m.min_rationale} characters)"
    if m.no_undo:
        text += ", undo off"
    return text


def undo_text(rec: Record) -> str:
    n = len(rec.undone)
    return "none" if not n else plural(n, "decision") + " taken back (listed under “Taken back”)"


def _summary(rec: Record) -> str:
    n = plural(len(rec.decisions), "decision")
    if rec.ending:
        return f"finished: {rec.ending.title}, after {n}"
    return f"not finished: {n} so far, last at {rec.last_scene}"


def _md_decision(d: Decision) -> list[str]:
    out = [f"### {d.turn}. {md(d.scene)}" + (" (key decision)" if d.key else ""), ""]
    out.append(f"- **Choice:** {md(d.choice_text)}")
    if d.outcome_text or d.outcome:
        out.append(f"- **What happened:** {md(d.outcome_text or d.outcome or '')}")
    if d.changes is not None:
        out.append(f"- **Meters:** {changes_text(d.changes, md)}")
    for e in d.events:
        out.append(f"- **Event: {md(e.title)}**" + (f" ({md(e.basis)})" if e.basis else ""))
        if e.text:
            out.append(f"  {md(' '.join(e.text.split()))}")
        if e.changes is not None:
            out.append(f"  - **Meters:** {changes_text(e.changes, md)}")
    if d.changes is None:
        out.append(f"- **Meters (choice and events together):** {changes_text(d.total, md)}")
    for c in d.crossed:
        out.append(f"- **Threshold crossed:** {md(c.label)} reached {c.value}")
    if d.rationale:
        out += ["- **Rationale:**", "", md_quote(d.rationale)]
    elif d.key:
        out.append("- **Rationale:** (none written)")
    out.append("")
    return out


def to_markdown(rec: Record) -> str:
    who = rec.student or "(no name)"
    out = [f"# Decision record: {md(who)}", ""]
    out += [
        f"- **Student:** {md(who)}",
        f"- **Date:** {md(rec.date)} (last saved {md(rec.updated)})",
        f"- **Story:** {md(_title(rec))}, {md(rec.story.id)} version {md(rec.story.version)}",
        f"- **Seed:** {rec.seed}",
    ]
    if rec.scenario is not None:
        out.append(f"- **Scenario:** {md(rec.scenario_title)}")
    if mode_text(rec):
        out.append(f"- **Mode:** {md(mode_text(rec))}")
    out.append(f"- **Undos:** {md(undo_text(rec))}")
    if rec.file:
        out.append(f"- **Save file:** {md(rec.file)}")
    out += [f"- **Result:** {md(_summary(rec))}", ""]
    for note in rec.notes:
        out += [f"> **Note:** {md(note)}", ""]

    out += ["## Meters", "", "| Meter | Start | End | Change |", "|---|---:|---:|---:|"]
    for m in rec.meters:
        end = m.end if m.end is not None else m.start
        out.append(f"| {md(m.label)} | {m.start} | {end} | {signed(end - m.start)} |")
    out.append("")

    out += ["## Decisions", ""]
    if not rec.decisions:
        out += ["No decisions yet.", ""]
    for d in rec.decisions:
        out += _md_decision(d)

    e = rec.ending
    if e:
        out += [f"## Ending: {md(e.title)}", ""]
        if e.text:
            out += [md_block(e.text), ""]
        if e.debrief:
            out += ["### Debrief", "", md_block(e.debrief), ""]
        if e.questions:
            out += ["### Discussion questions", ""]
            out += [f"{n}. {md(q)}" for n, q in enumerate(e.questions, 1)]
            out.append("")

    out += ["## What I decided and why", ""]
    out += [f"*A policy memo by {md(who)}, assembled from the reasons written at each key decision, in order.*", ""]
    if not rec.memo:
        out += ["No reasons were written in this game (it was not played in classroom mode).", ""]
    for n, item in enumerate(rec.memo, 1):
        out.append(f"{n}. **{md(item.scene)}.** I decided: {md(item.choice_text)}")
        if item.rationale:
            out += ["", "\n".join("   " + line for line in md_quote(item.rationale).split("\n"))]
        else:
            out.append("   (No reason was written.)")
        out.append("")

    if rec.undone:
        out += [
            "## Taken back",
            "",
            "Decisions taken back with undo, in the order they were taken back, with what was written for them.",
            "",
        ]
        for u in rec.undone:
            ended = f" (it had reached the ending “{md(u.ending_title)}”)" if u.ending else ""
            out.append(f"- **Decision {u.turn}, {md(u.scene)}:** {md(u.choice_text)}{ended}; taken back {md(u.at)}")
            if u.rationale:
                out += ["", "\n".join("  " + line for line in md_quote(u.rationale).split("\n"))]
        out.append("")

    if rec.not_found:
        out += [
            "## Could not be looked up",
            "",
            "These ids from the save are not in the story used, so they are shown as ids:",
            "",
        ]
        out += [f"- {md(x)}" for x in rec.not_found]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------ html
def meter_chart(meters: tuple[MeterSummary, ...], trail: list[Meters], title: str) -> str:
    """An SVG chart of each meter from the start through every decision, with its legend."""
    series = [(m.label, [m.start, *(t.get(m.id) for t in trail)]) for m in meters]
    lo = min([m.min for m in meters], default=0)
    hi = max([m.max for m in meters], default=100)
    return f"<figure>{line_chart(series, lo, hi, title)}{legend([m.label for m in meters])}<figcaption>{h(title)}</figcaption></figure>"


def _html_changes(changes: tuple[Change, ...] | None) -> str:
    parts = []
    for c in changes or ():
        cls = "up" if c.delta > 0 else "down"
        after = f" ({c.after})" if c.after is not None else ""
        parts.append(f'{h(c.label)} <span class="{cls}">{signed(c.delta)}</span>{after}')
    return ", ".join(parts) if parts else "no change"


def _html_decision(d: Decision) -> list[str]:
    key = '<span class="key">key decision</span>' if d.key else ""
    b = [f'<article class="decision"><h3><span class="turn">{d.turn}.</span> {h(d.scene)}{key}</h3>']
    b.append(f"<p><strong>Choice:</strong> {h(d.choice_text)}</p>")
    happened = d.outcome_text or d.outcome
    if happened:
        b.append(f"<p><strong>What happened:</strong> {h(happened)}</p>")
    if d.changes is not None:
        b.append(f"<p><strong>Meters:</strong> {_html_changes(d.changes)}</p>")
    for e in d.events:
        basis = f" ({h(e.basis)})" if e.basis else ""
        b.append(f'<div class="event"><p><strong>Event: {h(e.title)}</strong>{basis}</p>')
        if e.text:
            b += [f"<p>{h(p)}</p>" for p in _paras(e.text)]
        if e.changes is not None:
            b.append(f"<p><strong>Meters:</strong> {_html_changes(e.changes)}</p>")
        b.append("</div>")
    if d.changes is None:
        b.append(f"<p><strong>Meters (choice and events together):</strong> {_html_changes(d.total)}</p>")
    for c in d.crossed:
        b.append(f"<p><strong>Threshold crossed:</strong> {h(c.label)} reached {c.value}</p>")
    if d.rationale:
        b.append(f'<p><strong>Rationale:</strong></p><p class="rationale">{h(d.rationale)}</p>')
    elif d.key:
        b.append("<p><strong>Rationale:</strong> (none written)</p>")
    b.append("</article>")
    return b


def to_html(rec: Record) -> str:
    who = rec.student or "(no name)"
    return page(f"Decision record: {who}", html_body(rec))


def html_body(rec: Record) -> str:
    """The record as the body of an HTML page (one of many in a combined page for a class)."""
    who = rec.student or "(no name)"
    b: list[str] = [f"<header><h1>Decision record: {h(who)}</h1>"]
    b.append('<dl class="meta">')
    b.append(f"<dt>Student</dt><dd>{h(who)}</dd>")
    b.append(f"<dt>Date</dt><dd>{h(rec.date)} (last saved {h(rec.updated)})</dd>")
    b.append(f"<dt>Story</dt><dd>{h(_title(rec))}, {h(rec.story.id)} version {h(rec.story.version)}</dd>")
    b.append(f"<dt>Seed</dt><dd>{h(rec.seed)}</dd>")
    if rec.scenario is not None:
        b.append(f"<dt>Scenario</dt><dd>{h(rec.scenario_title)}</dd>")
    if mode_text(rec):
        b.append(f"<dt>Mode</dt><dd>{h(mode_text(rec))}</dd>")
    b.append(f"<dt>Undos</dt><dd>{h(undo_text(rec))}</dd>")
    if rec.file:
        b.append(f"<dt>Save file</dt><dd>{h(rec.file)}</dd>")
    b.append(f"<dt>Result</dt><dd>{h(_summary(rec))}</dd></dl></header>")
    for note in rec.notes:
        b.append(f'<p class="note"><strong>Note:</strong> {h(note)}</p>')

    b.append("<section><h2>Meters over the game</h2>")
    b.append(meter_chart(rec.meters, [d.meters for d in rec.decisions], "Meters after each decision"))
    b.append(
        '<table><thead><tr><th>Meter</th><th class="num">Start</th><th class="num">End</th><th class="num">Change</th></tr></thead><tbody>'
    )
    for m in rec.meters:
        end = m.end if m.end is not None else m.start
        b.append(
            f'<tr><td>{h(m.label)}</td><td class="num">{m.start}</td><td class="num">{end}</td>'
            f'<td class="num">{signed(end - m.start)}</td></tr>'
        )
    b.append("</tbody></table></section>")

    b.append("<section><h2>Decisions</h2>")
    if not rec.decisions:
        b.append("<p>No decisions yet.</p>")
    for d in rec.decisions:
        b += _html_decision(d)
    b.append("</section>")

    e = rec.ending
    if e:
        b.append(f"<section><h2>Ending: {h(e.title)}</h2>")
        b += [f"<p>{h(p)}</p>" for p in _paras(e.text)]
        if e.debrief:
            b.append("<h3>Debrief</h3>")
            b += [f"<p>{h(p)}</p>" for p in _paras(e.debrief)]
        if e.questions:
            b.append("<h3>Discussion questions</h3><ol>" + "".join(f"<li>{h(q)}</li>" for q in e.questions) + "</ol>")
        b.append("</section>")

    b.append('<section class="pagebreak"><h2>What I decided and why</h2><div class="memo">')
    b.append(f"<p><em>A policy memo by {h(who)}, assembled from the reasons written at each key decision, in order.</em></p>")
    if not rec.memo:
        b.append("<p>No reasons were written in this game (it was not played in classroom mode).</p>")
    else:
        b.append("<ol>")
        for item in rec.memo:
            why = f'<p class="rationale">{h(item.rationale)}</p>' if item.rationale else "<p>(No reason was written.)</p>"
            b.append(f"<li><strong>{h(item.scene)}.</strong> I decided: {h(item.choice_text)}{why}</li>")
        b.append("</ol>")
    b.append("</div></section>")

    if rec.undone:
        b.append("<section><h2>Taken back</h2>")
        b.append("<p>Decisions taken back with undo, in the order they were taken back, with what was written for them.</p><ol>")
        for u in rec.undone:
            ended = f" (it had reached the ending “{h(u.ending_title)}”)" if u.ending else ""
            why = f'<p class="rationale">{h(u.rationale)}</p>' if u.rationale else ""
            b.append(
                f"<li><strong>Decision {u.turn}, {h(u.scene)}:</strong> {h(u.choice_text)}{ended}; taken back {h(u.at)}{why}</li>"
            )
        b.append("</ol></section>")

    if rec.not_found:
        b.append(
            "<section><h2>Could not be looked up</h2><p>These ids from the save are not in the story used, so they are shown as ids:</p><ul>"
        )
        b += [f"<li>{h(x)}</li>" for x in rec.not_found]
        b.append("</ul></section>")
    b.append(f"<footer>Tightrope decision record · {h(rec.story.id)} {h(rec.story.version)} · seed {h(rec.seed)}</footer>")
    return "\n".join(b)


def _paras(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def to_json(rec: Record) -> str:
    return json.dumps(rec.to_json(), indent=2, ensure_ascii=False) + "\n"


RENDER: dict[str, Callable[[Record], str]] = {"md": to_markdown, "html": to_html, "json": to_json}


# ------------------------------------------------------------------ files
def default_output(save_path: Path, fmt: str) -> Path:
    """NAME.json -> NAME.transcript.FMT in the same folder."""
    return save_path.with_name(save_path.stem + SUFFIX + "." + fmt)


def open_story(story: Story | Path | str | None) -> Story:
    if isinstance(story, Story):
        return story
    path = story_dir(story)
    try:
        return load_story(path)
    except StoryError as exc:
        raise TranscriptError(exc.summary(path)) from None


def render_transcript(save_path: Path, fmt: str, story: Story | None) -> str:
    """The record of a save as text in one of FORMATS."""
    if fmt not in RENDER:
        raise TranscriptError(f'unknown format "{fmt}"; use one of: {", ".join(FORMATS)}')
    try:
        data = read_envelope(save_path)
    except SaveError as exc:
        raise TranscriptError(str(exc)) from None
    return RENDER[fmt](build_record(data, story, save_path.name))


def export_transcript(save_path: Path, fmt: str, out: Path | None, *, story: Story | Path | None = None) -> Path:
    """Write the decision record of a save; return the path written.

    ``fmt`` is "md", "html" or "json". ``out`` is a file, a folder (the
    record goes inside it under its default name) or None (next to the save,
    as NAME.transcript.FMT). ``story`` is a loaded Story, a story folder, or
    None for the default story. Raises TranscriptError (one-line message)
    when the save cannot be read, the story cannot be loaded or the file
    cannot be written.
    """
    text = render_transcript(Path(save_path), fmt, open_story(story))
    target = default_output(Path(save_path), fmt) if out is None else Path(out)
    if target.is_dir():
        target = target / default_output(Path(save_path), fmt).name
    if target.resolve() == Path(save_path).resolve():
        raise TranscriptError(f"{target}: refusing to write the record over the save itself")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise TranscriptError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target
