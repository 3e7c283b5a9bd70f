"""The decision record of one game: ``tightrope transcript SAVE``.

A save keeps ids (scene, choice, outcome, events, ending), the meter trail
and the student's rationales. The record looks the ids up in a story to get
the texts. When the save comes from another version of the story, the ids
that are no longer there are shown as ids and listed, never guessed.

:func:`build_record` makes one plain dict (that is also the JSON format);
:func:`to_markdown` and :func:`to_html` render it; :func:`export_transcript`
is the one call a front end needs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..saves import SaveError, read_envelope, state_from_dict
from ..story import Story, StoryError, load_story
from ..story.model import Event
from ..story.text import clean, clean_line
from .render import h, legend, line_chart, md, md_block, md_quote, page, plural, signed

RECORD_KIND = "tightrope-transcript"
RECORD_VERSION = 1
FORMATS = ("md", "html", "json")
SUFFIX = ".transcript"  # NAME.json -> NAME.transcript.md / .html / .json


class TranscriptError(Exception):
    """A record that cannot be made or written; the message is one line."""


# ------------------------------------------------------------------ meters
def meter_trail(data: Mapping[str, Any]) -> tuple[list[str], dict[str, int], list[dict[str, int]]]:
    """(meter ids, start values, values after each decision) of a save.

    Uses ``start_meters`` and ``history[].meters`` when present; otherwise
    (older saves) rebuilds them from the final meters and each decision's
    changes.
    """
    final: dict[str, int] = dict(data["meters"])
    ids = list(final)
    for mid in data.get("start_meters") or {}:
        if mid not in final:
            ids.append(mid)
    hist = data["history"]
    start_raw = data.get("start_meters") or {}
    if all(isinstance(start_raw.get(m), int) for m in ids):
        start = {m: int(start_raw[m]) for m in ids}
    else:
        start = {m: final.get(m, 0) for m in ids}
        for entry in hist:
            for m, d in (entry.get("changes") or {}).items():
                if m in start:
                    start[m] -= d
    trail: list[dict[str, int]] = []
    current = dict(start)
    for entry in hist:
        after = entry.get("meters") or {}
        if all(isinstance(after.get(m), int) for m in ids):
            current = {m: int(after[m]) for m in ids}
        else:
            current = dict(current)
            for m, d in (entry.get("changes") or {}).items():
                if m in current:
                    current[m] += d
        trail.append(current)
    return ids, start, trail


# ------------------------------------------------------------------ lookups
@dataclass
class _Lookup:
    """Looks ids up in the story, remembering what it could not find."""

    story: Story | None
    missing: list[str] = field(default_factory=list)
    events: dict[str, Event] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.story is not None:
            self.events = {e.id: e for e in self.story.events}

    def _miss(self, what: str) -> None:
        if what not in self.missing:
            self.missing.append(what)

    def scene(self, node_id: str) -> tuple[str, bool | None]:
        node = self.story.nodes.get(node_id) if self.story else None
        if node is None:
            self._miss(f'scene "{node_id}"')
            return node_id, None
        return clean_line(node.title), node.key

    def choice(self, node_id: str, choice_id: str) -> str:
        node = self.story.nodes.get(node_id) if self.story else None
        choice = node.choice(choice_id) if node else None
        if choice is None:
            self._miss(f'choice "{choice_id}" at scene "{node_id}"')
            return choice_id
        return clean_line(choice.text)

    def outcome(self, node_id: str, choice_id: str, outcome_id: str | None) -> str:
        if outcome_id is None:
            return ""
        node = self.story.nodes.get(node_id) if self.story else None
        choice = node.choice(choice_id) if node else None
        for o in choice.outcomes if choice else ():
            if o.id == outcome_id:
                return clean(o.text).strip()
        self._miss(f'outcome "{outcome_id}" of choice "{choice_id}"')
        return ""

    def event(self, event_id: str) -> str:
        event = self.events.get(event_id)
        if event is None:
            self._miss(f'event "{event_id}"')
            return event_id
        return clean_line(event.title)

    def meter(self, meter_id: str) -> tuple[str, int, int]:
        """(label, min, max) of a meter."""
        if self.story is not None and meter_id in self.story.meter_index:
            m = self.story.meter(meter_id)
            return clean_line(m.label), m.min, m.max
        self._miss(f'meter "{meter_id}"')
        return meter_id, 0, 100


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


def build_record(data: Mapping[str, Any], story: Story | None, file_name: str = "") -> dict[str, Any]:
    """The decision record of a validated save envelope (see read_envelope)."""
    notes: list[str] = []
    saved = data["story"]
    usable = story if story is not None and story.id == saved["id"] else None
    if story is None:
        notes.append("No story was available, so scenes, choices, events and the ending are shown by their ids.")
    elif usable is None:
        notes.append(
            f'This save belongs to the story "{clean_line(saved["id"])}", not to "{story.id}"; '
            "scenes, choices, events and the ending are shown by their ids."
        )
    elif saved.get("hash") != story.hash:
        notes.append(
            f"This save was made with version {clean_line(saved['version'])} of the story; the texts come from "
            f"version {story.version}{' (edited since)' if saved['version'] == story.version else ''}. "
            "Anything that version no longer has is shown by its id and listed at the end."
        )
    look = _Lookup(usable)
    ids, start, trail = meter_trail(data)
    meters = []
    for mid in ids:
        label, lo, hi = look.meter(mid)
        meters.append({"id": mid, "label": label, "min": lo, "max": hi, "start": start[mid], "end": data["meters"].get(mid)})
    labels = {m["id"]: m["label"] for m in meters}

    decisions = []
    for i, entry in enumerate(data["history"]):
        node, choice = entry["node"], entry["choice"]
        scene, key = look.scene(node)
        after = trail[i]
        decisions.append(
            {
                "turn": i + 1,
                "node": node,
                "scene": scene,
                "key": key,
                "choice": choice,
                "choice_text": look.choice(node, choice),
                "outcome": entry.get("outcome"),
                "outcome_text": look.outcome(node, choice, entry.get("outcome")),
                "changes": [
                    {"meter": m, "label": labels.get(m, m), "delta": d, "after": after.get(m)}
                    for m, d in (entry.get("changes") or {}).items()
                ],
                "events": [{"id": e, "title": look.event(e)} for e in entry.get("events") or []],
                "rationale": clean(entry.get("rationale") or "").strip(),
                "meters": after,
            }
        )

    ending = None
    if data["ending"] is not None:
        eid = data["ending"]
        found = usable.endings.get(eid) if usable else None
        if usable is None or found is None:
            look._miss(f'ending "{eid}"')
            ending = {"id": eid, "title": eid, "text": "", "debrief": "", "questions": []}
        else:
            text = ""
            try:
                state = state_from_dict(dict(data), usable, file_name or "save")
                text = clean(found.text.render(state, clean_line(data["player"]))).strip()
            except SaveError:
                look._miss("the ending's text (the save's decisions do not replay in this version of the story)")
            ending = {
                "id": eid,
                "title": clean_line(found.title),
                "text": text,
                "debrief": clean(found.debrief).strip(),
                "questions": [clean_line(q) for q in found.questions],
            }

    memo = [
        {"turn": d["turn"], "scene": d["scene"], "choice_text": d["choice_text"], "rationale": d["rationale"]}
        for d in decisions
        if d["key"] or d["rationale"]
    ]
    return {
        "kind": RECORD_KIND,
        "record_version": RECORD_VERSION,
        "student": clean_line(data["player"]),
        "date": _date(data["created"]),
        "created": _stamp(data["created"]),
        "updated": _stamp(data["updated"]),
        "file": file_name,
        "story": {"id": saved["id"], "version": saved["version"], "hash": saved.get("hash", "")},
        "story_used": (
            {"id": story.id, "version": story.version, "hash": story.hash, "title": clean_line(story.meta.title)}
            if story is not None
            else None
        ),
        "seed": data["seed"],
        "finished": ending is not None,
        "last_scene": look.scene(data["node"])[0] if ending is None else None,
        "meters": meters,
        "decisions": decisions,
        "ending": ending,
        "memo": memo,
        "notes": notes,
        "not_found": look.missing,
    }


# ------------------------------------------------------------------ markdown
def _changes_text(d: Mapping[str, Any], esc: Any) -> str:
    parts = []
    for c in d["changes"]:
        after = f" ({c['after']})" if c["after"] is not None else ""
        parts.append(f"{esc(c['label'])} {signed(c['delta'])}{after}")
    return ", ".join(parts) if parts else "no change"


def _title(rec: Mapping[str, Any]) -> str:
    used = rec["story_used"]
    return clean_line(used["title"]) if used and used["id"] == rec["story"]["id"] else rec["story"]["id"]


def _summary(rec: Mapping[str, Any]) -> str:
    n = plural(len(rec["decisions"]), "decision")
    if rec["ending"]:
        return f"finished: {rec['ending']['title']}, after {n}"
    return f"not finished: {n} so far, last at {rec['last_scene']}"


def to_markdown(rec: Mapping[str, Any]) -> str:
    who = rec["student"] or "(no name)"
    out = [f"# Decision record: {md(who)}", ""]
    out += [
        f"- **Student:** {md(who)}",
        f"- **Date:** {md(rec['date'])} (last saved {md(rec['updated'])})",
        f"- **Story:** {md(_title(rec))}, {md(rec['story']['id'])} version {md(rec['story']['version'])}",
        f"- **Seed:** {rec['seed']}",
    ]
    if rec["file"]:
        out.append(f"- **Save file:** {md(rec['file'])}")
    out += [f"- **Result:** {md(_summary(rec))}", ""]
    for note in rec["notes"]:
        out += [f"> **Note:** {md(note)}", ""]

    out += ["## Meters", "", "| Meter | Start | End | Change |", "|---|---:|---:|---:|"]
    for m in rec["meters"]:
        end = m["end"] if m["end"] is not None else m["start"]
        out.append(f"| {md(m['label'])} | {m['start']} | {end} | {signed(end - m['start'])} |")
    out.append("")

    out += ["## Decisions", ""]
    if not rec["decisions"]:
        out += ["No decisions yet.", ""]
    for d in rec["decisions"]:
        out += [f"### {d['turn']}. {md(d['scene'])}" + (" (key decision)" if d["key"] else ""), ""]
        out.append(f"- **Choice:** {md(d['choice_text'])}")
        if d["outcome_text"]:
            out.append(f"- **What happened:** {md(d['outcome_text'])}")
        elif d["outcome"]:
            out.append(f"- **What happened:** {md(d['outcome'])}")
        if d["events"]:
            out.append("- **Events:** " + "; ".join(md(e["title"]) for e in d["events"]))
        out.append(f"- **Meters:** {_changes_text(d, md)}")
        if d["rationale"]:
            out += ["- **Rationale:**", "", md_quote(d["rationale"])]
        elif d["key"]:
            out.append("- **Rationale:** (none written)")
        out.append("")

    e = rec["ending"]
    if e:
        out += [f"## Ending: {md(e['title'])}", ""]
        if e["text"]:
            out += [md_block(e["text"]), ""]
        if e["debrief"]:
            out += ["### Debrief", "", md_block(e["debrief"]), ""]
        if e["questions"]:
            out += ["### Discussion questions", ""]
            out += [f"{n}. {md(q)}" for n, q in enumerate(e["questions"], 1)]
            out.append("")

    out += ["## What I decided and why", ""]
    out += [f"*A policy memo by {md(who)}, assembled from the reasons written at each key decision, in order.*", ""]
    if not rec["memo"]:
        out += ["No reasons were written in this game (it was not played in classroom mode).", ""]
    for n, m in enumerate(rec["memo"], 1):
        out.append(f"{n}. **{md(m['scene'])}.** I decided: {md(m['choice_text'])}")
        if m["rationale"]:
            out += ["", "\n".join("   " + line for line in md_quote(m["rationale"]).split("\n"))]
        else:
            out.append("   (No reason was written.)")
        out.append("")

    if rec["not_found"]:
        out += [
            "## Could not be looked up",
            "",
            "These ids from the save are not in the story used, so they are shown as ids:",
            "",
        ]
        out += [f"- {md(x)}" for x in rec["not_found"]]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------ html
def meter_chart(meters: list[Mapping[str, Any]], trail: list[Mapping[str, int]], title: str) -> str:
    """An SVG chart of each meter from the start through every decision, with its legend."""
    series = [(m["label"], [m["start"], *(t.get(m["id"]) for t in trail)]) for m in meters]
    lo = min([m["min"] for m in meters], default=0)
    hi = max([m["max"] for m in meters], default=100)
    return f"<figure>{line_chart(series, lo, hi, title)}{legend([m['label'] for m in meters])}<figcaption>{h(title)}</figcaption></figure>"


def to_html(rec: Mapping[str, Any]) -> str:
    who = rec["student"] or "(no name)"
    b: list[str] = [f"<header><h1>Decision record: {h(who)}</h1>"]
    b.append('<dl class="meta">')
    b.append(f"<dt>Student</dt><dd>{h(who)}</dd>")
    b.append(f"<dt>Date</dt><dd>{h(rec['date'])} (last saved {h(rec['updated'])})</dd>")
    b.append(f"<dt>Story</dt><dd>{h(_title(rec))}, {h(rec['story']['id'])} version {h(rec['story']['version'])}</dd>")
    b.append(f"<dt>Seed</dt><dd>{h(rec['seed'])}</dd>")
    if rec["file"]:
        b.append(f"<dt>Save file</dt><dd>{h(rec['file'])}</dd>")
    b.append(f"<dt>Result</dt><dd>{h(_summary(rec))}</dd></dl></header>")
    for note in rec["notes"]:
        b.append(f'<p class="note"><strong>Note:</strong> {h(note)}</p>')

    b.append("<section><h2>Meters over the game</h2>")
    b.append(meter_chart(rec["meters"], [d["meters"] for d in rec["decisions"]], "Meters after each decision"))
    b.append(
        '<table><thead><tr><th>Meter</th><th class="num">Start</th><th class="num">End</th><th class="num">Change</th></tr></thead><tbody>'
    )
    for m in rec["meters"]:
        end = m["end"] if m["end"] is not None else m["start"]
        b.append(
            f'<tr><td>{h(m["label"])}</td><td class="num">{m["start"]}</td><td class="num">{end}</td>'
            f'<td class="num">{signed(end - m["start"])}</td></tr>'
        )
    b.append("</tbody></table></section>")

    b.append("<section><h2>Decisions</h2>")
    if not rec["decisions"]:
        b.append("<p>No decisions yet.</p>")
    for d in rec["decisions"]:
        key = '<span class="key">key decision</span>' if d["key"] else ""
        b.append(f'<article class="decision"><h3><span class="turn">{d["turn"]}.</span> {h(d["scene"])}{key}</h3>')
        b.append(f"<p><strong>Choice:</strong> {h(d['choice_text'])}</p>")
        happened = d["outcome_text"] or d["outcome"]
        if happened:
            b.append(f"<p><strong>What happened:</strong> {h(happened)}</p>")
        if d["events"]:
            b.append("<p><strong>Events:</strong> " + "; ".join(h(e["title"]) for e in d["events"]) + "</p>")
        changes = []
        for c in d["changes"]:
            cls = "up" if c["delta"] > 0 else "down"
            after = f" ({c['after']})" if c["after"] is not None else ""
            changes.append(f'{h(c["label"])} <span class="{cls}">{signed(c["delta"])}</span>{after}')
        b.append(f"<p><strong>Meters:</strong> {', '.join(changes) if changes else 'no change'}</p>")
        if d["rationale"]:
            b.append(f'<p><strong>Rationale:</strong></p><p class="rationale">{h(d["rationale"])}</p>')
        elif d["key"]:
            b.append("<p><strong>Rationale:</strong> (none written)</p>")
        b.append("</article>")
    b.append("</section>")

    e = rec["ending"]
    if e:
        b.append(f"<section><h2>Ending: {h(e['title'])}</h2>")
        b += [f"<p>{h(p)}</p>" for p in _paras(e["text"])]
        if e["debrief"]:
            b.append("<h3>Debrief</h3>")
            b += [f"<p>{h(p)}</p>" for p in _paras(e["debrief"])]
        if e["questions"]:
            b.append("<h3>Discussion questions</h3><ol>" + "".join(f"<li>{h(q)}</li>" for q in e["questions"]) + "</ol>")
        b.append("</section>")

    b.append('<section class="pagebreak"><h2>What I decided and why</h2><div class="memo">')
    b.append(f"<p><em>A policy memo by {h(who)}, assembled from the reasons written at each key decision, in order.</em></p>")
    if not rec["memo"]:
        b.append("<p>No reasons were written in this game (it was not played in classroom mode).</p>")
    else:
        b.append("<ol>")
        for m in rec["memo"]:
            why = f'<p class="rationale">{h(m["rationale"])}</p>' if m["rationale"] else "<p>(No reason was written.)</p>"
            b.append(f"<li><strong>{h(m['scene'])}.</strong> I decided: {h(m['choice_text'])}{why}</li>")
        b.append("</ol>")
    b.append("</div></section>")

    if rec["not_found"]:
        b.append(
            "<section><h2>Could not be looked up</h2><p>These ids from the save are not in the story used, so they are shown as ids:</p><ul>"
        )
        b += [f"<li>{h(x)}</li>" for x in rec["not_found"]]
        b.append("</ul></section>")
    b.append(
        f"<footer>Tightrope decision record · {h(rec['story']['id'])} {h(rec['story']['version'])} · seed {h(rec['seed'])}</footer>"
    )
    return page(f"Decision record: {who}", "\n".join(b))


def _paras(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def to_json(rec: Mapping[str, Any]) -> str:
    return json.dumps(rec, indent=2, ensure_ascii=False) + "\n"


RENDER = {"md": to_markdown, "html": to_html, "json": to_json}


# ------------------------------------------------------------------ files
def default_output(save_path: Path, fmt: str) -> Path:
    """NAME.json -> NAME.transcript.FMT in the same folder."""
    return save_path.with_name(save_path.stem + SUFFIX + "." + fmt)


def open_story(story: Story | Path | str | None) -> Story:
    if isinstance(story, Story):
        return story
    from ..paths import default_story

    path = Path(story) if story is not None else default_story()
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
