"""The teacher's view of a class playing through ``tightrope serve``: ``/teacher?key=...``.

One row per student of the save folder (per-player sub-folders included):
the name, whether a game of theirs is open now, the scenario, the scene
reached (or the ending), the decisions made, the rationales written, the
undos, and a link to the decision record of that game. "Open now" is read
from the slot locks a playing session holds (game/saves.py: a lock file
naming a live process); a game just started, before its first decision,
is listed from its lock alone.

The page is one self-contained document: inline CSS (the records' print
stylesheet) and a small inline script, allowed by its Content-Security-
Policy nonce, that asks ``/teacher/data`` every few seconds and redraws the
table with text nodes only (a name or a scene can never become markup). It
loads nothing from the internet, and without its script it is still the
table as it was when served. Nothing here writes to the save folder.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

from ..present import node_title
from ..records.render import CSS, h, page
from ..records.transcript import build_record, html_body
from ..saves import LOCK_SUFFIX, SaveError, holder, read_envelope, story_for
from ..story import Story
from ..story.text import clean_line
from .report import save_files

REFRESH_SECONDS = 5
MAX_DEPTH = 2  # the save folder and its per-player sub-folders


@dataclass(frozen=True)
class StudentStatus:
    """One student's row: their game open now, else their newest."""

    student: str
    connected: bool
    scenario: str  # "" for the full story
    scene: str  # the last scene reached
    ending: str  # the ending's title ("" while the game goes on)
    finished: bool
    decisions: int
    rationales: int
    undos: int
    updated: str  # ISO 8601 ("" for a game not saved yet)
    games: int  # games of this student in the folder
    save: str  # the save's path under the folder ("" before the first decision)
    problem: str = ""  # a save of theirs that could not be read


def _key(name: str) -> str:
    return " ".join(clean_line(name).casefold().split())


def _scenario_title(story: Story, scenario: str | None) -> str:
    if scenario is None:
        return ""
    sc = (story.full or story).scenarios.get(scenario)
    return clean_line(sc.title) if sc is not None else clean_line(scenario)


def class_status(root: Path, story: Story) -> list[StudentStatus]:
    """Every student of the save folder, by name."""
    files, _missing = save_files([root]) if root.is_dir() else ([], [])
    rows: dict[str, list[StudentStatus]] = {}
    names: dict[str, str] = {}
    for path in files:
        if len(path.relative_to(root).parts) > MAX_DEPTH:
            continue
        rel = path.relative_to(root).as_posix()
        try:
            data = read_envelope(path)
        except SaveError:
            owner = path.parent.name if path.parent != root else path.stem
            row = StudentStatus(owner, False, "", "", "", False, 0, 0, 0, "", 1, "", "a save could not be read: " + path.name)
            rows.setdefault(_key(owner), []).append(row)
            names.setdefault(_key(owner), owner)
            continue
        name = clean_line(data.player) or path.stem
        try:
            played = story_for(data, story)
            scene, ending = node_title(played, data.node), node_title(played, data.ending) if data.ending else ""
        except SaveError:
            scene, ending = data.node, data.ending or ""
        who = holder(path)
        row = StudentStatus(
            student=name,
            connected=who is not None,
            scenario=_scenario_title(story, data.story.scenario),
            scene=clean_line(scene),
            ending=clean_line(ending),
            finished=data.ending is not None,
            decisions=len(data.history),
            rationales=sum(1 for e in data.history if e.rationale.strip()),
            undos=len(data.undone),
            updated=data.updated,
            games=1,
            save=rel,
        )
        rows.setdefault(_key(name), []).append(row)
        names.setdefault(_key(name), name)
    for lock in _locks(root):
        save = lock.with_name(lock.name[1 : -len(LOCK_SUFFIX)])
        who = holder(save)
        if who is None or save.exists():
            continue
        name = clean_line(who.player) or "(no name yet)"
        start = story.start
        row = StudentStatus(name, True, "", node_title(story, start) + " (no decision yet)", "", False, 0, 0, 0, who.since, 1, "")
        rows.setdefault(_key(name), []).append(row)
        names.setdefault(_key(name), name)
    out = []
    for key, found in rows.items():
        readable = [r for r in found if not r.problem]
        best = max(readable, key=lambda r: (r.connected, r.updated), default=found[0])
        problems = "; ".join(r.problem for r in found if r.problem)
        out.append(
            replace(
                best,
                student=names[key],
                connected=any(r.connected for r in found),
                games=len(found),
                problem=problems or best.problem,
            )
        )
    out.sort(key=lambda r: r.student.casefold())
    return out


def _locks(root: Path) -> list[Path]:
    out: list[Path] = []
    for folder in [root, *(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))] if root.is_dir() else []:
        try:
            out += [p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".json" + LOCK_SUFFIX)]
        except OSError:
            continue
    return out


def status_json(rows: list[StudentStatus]) -> dict[str, object]:
    return {"students": [asdict(r) | {"clock": clock(r.updated)} for r in rows], "connected": sum(1 for r in rows if r.connected)}


# ------------------------------------------------------------------ the page
TEACHER_CSS = """
body { max-width: 72rem; }
table { width: 100%; }
td.yes { font-weight: 600; color: #1b6e20; }
td.no { color: var(--muted); }
.status { color: var(--muted); font-size: .9rem; }
.problem { color: #a32020; font-size: .85rem; display: block; }
@media print {
  .status, .noprint, .rec { display: none; }
  table { font-size: 9.5pt; width: 99%; }
  th, td { padding: .15rem .35rem; }
}
"""

COLUMNS = (
    "Student",
    "Playing now",
    "Scenario",
    "Scene reached",
    "Ending",
    "Decisions",
    "Rationales",
    "Undos",
    "Last saved",
    "Record",
)
NUMBERS = ("Decisions", "Rationales", "Undos")


def _cells(row: StudentStatus, key: str) -> list[tuple[str, str]]:
    """(css class, html) of each cell."""
    record = f'<a href="/teacher/record?key={h(key)}&amp;save={h(_quote(row.save))}">record</a>' if row.save else "not saved yet"
    problem = f'<span class="problem">{h(row.problem)}</span>' if row.problem else ""
    return [
        ("", h(row.student) + problem),
        ("yes" if row.connected else "no", "yes" if row.connected else "no"),
        ("", h(row.scenario or "full story")),
        ("", h(row.scene)),
        ("", h(row.ending or "–")),
        ("num", str(row.decisions)),
        ("num", str(row.rationales)),
        ("num", str(row.undos)),
        ("", h(clock(row.updated))),
        ("rec", record),
    ]


def clock(stamp: str) -> str:
    """'14:02' in this computer's time ("" for no time)."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%H:%M")
    except ValueError:
        return ""


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")


SCRIPT = """
(function () {
  var key = document.body.getAttribute("data-key");
  var every = Number(document.body.getAttribute("data-refresh")) * 1000;
  var status = document.getElementById("status");
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) { td.className = cls; }
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function draw(data) {
    var body = document.getElementById("students");
    var rows = document.createDocumentFragment();
    data.students.forEach(function (s) {
      var tr = document.createElement("tr");
      var name = cell(tr, s.student, "");
      if (s.problem) {
        var p = document.createElement("span");
        p.className = "problem";
        p.textContent = s.problem;
        name.appendChild(p);
      }
      cell(tr, s.connected ? "yes" : "no", s.connected ? "yes" : "no");
      cell(tr, s.scenario || "full story", "");
      cell(tr, s.scene, "");
      cell(tr, s.ending || "\u2013", "");
      cell(tr, String(s.decisions), "num");
      cell(tr, String(s.rationales), "num");
      cell(tr, String(s.undos), "num");
      cell(tr, s.clock, "");
      var rec = cell(tr, s.save ? "" : "not saved yet", "rec");
      if (s.save) {
        var a = document.createElement("a");
        a.href = "/teacher/record?key=" + encodeURIComponent(key) + "&save=" + encodeURIComponent(s.save);
        a.textContent = "record";
        rec.appendChild(a);
      }
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
    document.getElementById("count").textContent =
      data.students.length + (data.students.length === 1 ? " student, " : " students, ") + data.connected + " playing at " +
      new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + ".";
    status.textContent = "Updated " + new Date().toLocaleTimeString() + "; this page refreshes itself.";
  }
  function refresh() {
    fetch("/teacher/data?key=" + encodeURIComponent(key), { cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(draw)
      .catch(function () { status.textContent = "The server is not answering (has it been stopped?); trying again."; });
  }
  setInterval(refresh, every);
  refresh();
})();
"""


def teacher_page(rows: list[StudentStatus], story: Story, saves: Path, key: str, nonce: str) -> str:
    """The teacher's page: the table as it is now, and the script that keeps it up to date."""
    head = "".join(f"<th{' class=num' if c in NUMBERS else ' class=rec' if c == 'Record' else ''}>{h(c)}</th>" for c in COLUMNS)
    body_rows = []
    for row in rows:
        cells = "".join(f'<td class="{cls}">{html}</td>' if cls else f"<td>{html}</td>" for cls, html in _cells(row, key))
        body_rows.append(f"<tr>{cells}</tr>")
    playing = sum(1 for r in rows if r.connected)
    now = datetime.now().strftime("%H:%M")
    count = f"{len(rows)} student{'s' if len(rows) != 1 else ''}, {playing} playing at {now}."
    body = (
        f"<header><h1>Teacher view: {h(clean_line(story.meta.title))}</h1>"
        f'<p class="meta">Saves in {h(str(saves))}. <span id="count">{h(count)}</span></p>'
        f'<p class="status" id="status">Updated when served; this page refreshes itself every {REFRESH_SECONDS} seconds.</p>'
        "</header>"
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody id="students">{"".join(body_rows)}</tbody></table></div>'
        '<p class="status noprint">Keep this address to yourself: its key lets anyone who has it read every student\'s record.</p>'
    )
    csp = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'nonce-{nonce}'; connect-src 'self'"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Teacher view: {h(clean_line(story.meta.title))}</title>\n<style>{CSS}{TEACHER_CSS}</style>\n</head>\n"
        f'<body data-key="{h(key)}" data-refresh="{REFRESH_SECONDS}">\n{body}\n'
        f'<script nonce="{nonce}">{SCRIPT}</script>\n</body>\n</html>\n'
    )


def record_page(root: Path, rel: str, story: Story) -> str | None:
    """The HTML decision record of one save of the folder, or None when ``rel`` is not a save there."""
    if not rel or "\x00" in rel or not rel.endswith(".json"):
        return None
    base = root.resolve()
    path = (base / rel).resolve()
    if base not in path.parents or len(path.relative_to(base).parts) > MAX_DEPTH or not path.is_file():
        return None
    try:
        data = read_envelope(path)
    except SaveError as exc:
        return page("Record not available", f"<h1>Record not available</h1><p>{h(str(exc))}</p>")
    rec = build_record(data, story, path.name)
    return page(f"Decision record: {rec.student or '(no name)'}", html_body(rec))


def new_key() -> str:
    """The teacher's key: random, printed once by serve."""
    return secrets.token_urlsafe(18)


def same_key(given: str | None, key: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode("utf-8", "replace"), key.encode())


def nonce() -> str:
    return secrets.token_urlsafe(16)


def dumps(rows: list[StudentStatus]) -> str:
    return json.dumps(status_json(rows), ensure_ascii=False)


__all__ = ["StudentStatus", "class_status", "new_key", "record_page", "same_key", "status_json", "teacher_page"]
