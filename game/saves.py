"""Saves: a versioned JSON envelope around a GameState.

* Written atomically: a temporary file in the same folder is written,
  flushed and fsynced, the previous save is kept as ``NAME.json.bak`` (by a
  hard link, so the save itself is never missing), then the temporary file is
  renamed over the save and the folder is fsynced.
* Read strictly: size and nesting are bounded, duplicate keys, NaN and
  infinity are refused, every field is type-checked, meters must be in
  range, ids must exist, and the decisions are replayed through the engine
  so that a save can never put the game into a state the story cannot reach.
  A failure raises :class:`SaveError` with a one-line message and leaves the
  file untouched.
* Older format versions are migrated on read.
* Slot names use a safe character set; nothing is written outside the folder.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .engine import EngineError, GameState, history, new_game
from .engine.core import choose
from .story.diagnostics import one_line
from .story.model import Story

FORMAT_VERSION = 2
MAX_SAVE_BYTES = 4 * 1024 * 1024
MAX_HISTORY = 10_000
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")
_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
AUTOSAVE = "autosave"


class SaveError(Exception):
    """A save that cannot be read or written; the message is one line."""

    def __init__(self, message: str) -> None:
        # messages quote ids and names from the file: every reader of the
        # message (CLI, app, class report) gets one printable line
        super().__init__(one_line(message, 4096))


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# ------------------------------------------------------------------ names
def check_name(name: str) -> str:
    """Return the name if it is a safe slot name, else raise SaveError."""
    if not isinstance(name, str) or not name:
        raise SaveError("a save name cannot be empty")
    if "\x00" in name:
        raise SaveError("a save name cannot contain a NUL byte")
    if len(name) > 64:
        raise SaveError(f"a save name may be at most 64 characters (this one has {len(name)})")
    if ".." in name or "/" in name or "\\" in name:
        raise SaveError(f'"{name}" is not a safe save name: no "..", "/" or "\\"')
    if not NAME_RE.match(name) or name.endswith((".", " ")):
        raise SaveError(f'"{name}" is not a safe save name: use letters, digits, spaces, "_", "-" and "."')
    if name.split(".")[0].strip().lower() in _RESERVED:
        raise SaveError(f'"{name}" is a reserved device name on Windows; choose another')
    return name


def slug(text: str, limit: int = 40) -> str:
    """A safe slot-name fragment made from any text (a student's name)."""
    out = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")[:limit].strip("-_")
    return out or "player"


def slot_path(folder: Path, name: str) -> Path:
    check_name(name)
    path = (folder / f"{name}.json").resolve()
    if path.parent != folder.resolve():
        raise SaveError(f'"{name}" would be written outside the save folder')
    return path


def resolve_save(folder: Path, name_or_path: str) -> Path:
    """A slot name in ``folder``, or a path to an existing save file."""
    candidate = Path(name_or_path)
    if name_or_path.endswith(".json") or os.sep in name_or_path or "/" in name_or_path:
        if candidate.is_file():
            return candidate
        raise SaveError(f"{name_or_path}: no such save file")
    return slot_path(folder, name_or_path)


# ------------------------------------------------------------------ encode
def to_dict(story: Story, state: GameState, created: str | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    now = _now()
    steps = history(state)
    meter_ids = [m.id for m in story.meters]
    # meters after each decision, so reports can chart a game without the story
    trail: list[dict[str, int]] = []
    s: GameState | None = state
    while s is not None and s.step is not None:
        trail.append(dict(zip(meter_ids, s.meters)))
        s = s.prev
    trail.reverse()
    start = s if s is not None else state
    return {
        "format_version": FORMAT_VERSION,
        "story": {"id": story.id, "version": story.version, "hash": story.hash},
        "player": state.player,
        "seed": state.seed,
        "node": state.node,
        "meters": dict(zip(meter_ids, state.meters)),
        "flags": {f.id: state.flags[i] for i, f in enumerate(story.flags)},
        "history": [
            {
                "turn": i + 1,
                "node": step.node,
                "choice": step.choice,
                "outcome": step.outcome,
                "changes": dict(step.changes),
                "flags": dict(step.flags),
                "events": list(step.events),
                "target": step.target,
                "rationale": step.rationale,
                "meters": trail[i],
            }
            for i, step in enumerate(steps)
        ],
        "start_meters": dict(zip(meter_ids, start.meters)),
        "ending": state.ending,
        "created": created or now,
        "updated": now,
        **(extra or {}),
    }


def dumps(story: Story, state: GameState, created: str | None = None, extra: dict[str, Any] | None = None) -> str:
    data = to_dict(story, state, created, extra)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (a name from a non-UTF-8 command line): write them as \u escapes
        text = json.dumps(data, indent=2)
    return text + "\n"


# ------------------------------------------------------------------ write
def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, text: str, *, before_rename: Callable[[], None] | None = None) -> None:
    """Write text to path so that path always holds the old or the new content.

    The previous content is kept as ``path.bak``. ``before_rename`` is a
    test hook called after the new data is on disk but before it replaces
    the old file.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise SaveError(f"cannot write to {folder}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            backup = path.with_name(path.name + ".bak")
            link = path.with_name(f".{path.name}.bak.tmp")
            # unlink first, unconditionally: exists() is False for a dangling
            # symlink, and writing through one would create a file outside
            link.unlink(missing_ok=True)
            try:
                os.link(path, link)
            except OSError:
                link.write_bytes(path.read_bytes())
            os.replace(link, backup)
        if before_rename is not None:
            before_rename()
        os.replace(tmp, path)
        _fsync_dir(folder)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise SaveError(f"cannot save to {path}: {exc.strerror or exc}") from None
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def write_save(path: Path, story: Story, state: GameState, extra: dict[str, Any] | None = None) -> Path:
    created = None
    if path.is_file():
        try:
            old = read_envelope(path)
            created = old.get("created") if isinstance(old.get("created"), str) else None
        except SaveError:
            created = None
    atomic_write(path, dumps(story, state, created, extra))
    return path


# ------------------------------------------------------------------ read
def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a save")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f'duplicate key "{key}"')
        out[key] = value
    return out


def _max_depth(text: str, limit: int) -> bool:
    """True when brackets nest deeper than limit (ignoring those in strings)."""
    depth = 0
    in_str = False
    escape = False
    for ch in text:
        if in_str:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def read_envelope(path: Path) -> dict[str, Any]:
    """Read and structurally validate a save without a story."""
    name = str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a folder, or a FIFO that would block the read forever
            raise SaveError(f"{name}: not a save file (not a regular file)")
        size = info.st_size
        if size > MAX_SAVE_BYTES:
            raise SaveError(f"{name}: save is {size:,} bytes; the limit is {MAX_SAVE_BYTES:,}")
        raw = path.read_bytes()
    except OSError as exc:
        raise SaveError(f"{name}: cannot read save: {exc.strerror or exc}") from None
    if not raw.strip():
        raise SaveError(f"{name}: save file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SaveError(f"{name}: not a Tightrope save (not UTF-8 text)") from None
    if _max_depth(text, 16):
        raise SaveError(f"{name}: save is nested too deeply to be a Tightrope save")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise SaveError(f"{name}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise SaveError(f"{name}: not a valid save: {exc}") from None
    if not isinstance(data, dict):
        raise SaveError(f"{name}: not a Tightrope save (expected a JSON object)")
    data = migrate(data, name)
    _validate(data, name)
    return data


def migrate(data: dict[str, Any], name: str) -> dict[str, Any]:
    """Bring an older save format up to FORMAT_VERSION."""
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SaveError(f"{name}: not a Tightrope save (no format_version)")
    if version > FORMAT_VERSION:
        raise SaveError(
            f"{name}: save format {version} is newer than this Tightrope understands ({FORMAT_VERSION}); update Tightrope"
        )
    if version < 1:
        raise SaveError(f"{name}: unknown save format {version}")
    if version == 1:
        # format 1 kept the story's id and version at the top level and
        # called the history "decisions", without turns or meter trails
        data = dict(data)
        data["story"] = {
            "id": data.pop("story_id", None),
            "version": data.pop("story_version", None),
            "hash": data.pop("story_hash", ""),
        }
        data["history"] = [
            {**entry, "turn": i + 1, "flags": entry.get("flags", {}), "meters": entry.get("meters", {})}
            for i, entry in enumerate(data.pop("decisions", []) if isinstance(data.get("decisions"), list) else [])
        ]
        data.setdefault("start_meters", {})
        data["format_version"] = 2
    return data


def _want(cond: bool, name: str, what: str) -> None:
    if not cond:
        raise SaveError(f"{name}: {what}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _validate(d: dict[str, Any], name: str) -> None:
    for key in ("story", "player", "seed", "node", "meters", "flags", "history", "ending", "created", "updated"):
        _want(key in d, name, f'save has no "{key}"')
    story = d["story"]
    _want(isinstance(story, dict), name, '"story" must be an object')
    _want(
        isinstance(story.get("id"), str) and isinstance(story.get("version"), str), name, '"story" needs text "id" and "version"'
    )
    _want(isinstance(story.get("hash", ""), str), name, '"story.hash" must be text')
    _want(isinstance(d["player"], str) and len(d["player"]) <= 200, name, '"player" must be text (at most 200 characters)')
    _want(_is_int(d["seed"]) and 0 <= d["seed"] < 2**63, name, '"seed" must be a whole number from 0')
    _want(isinstance(d["node"], str), name, '"node" must be text')
    _want(d["ending"] is None or isinstance(d["ending"], str), name, '"ending" must be text or null')
    _want(
        isinstance(d["meters"], dict) and all(_is_int(v) for v in d["meters"].values()),
        name,
        '"meters" must map ids to whole numbers',
    )
    _want(
        isinstance(d["flags"], dict) and all(isinstance(v, bool) for v in d["flags"].values()),
        name,
        '"flags" must map ids to true/false',
    )
    _want(isinstance(d["created"], str) and isinstance(d["updated"], str), name, '"created" and "updated" must be text')
    hist = d["history"]
    _want(isinstance(hist, list), name, '"history" must be a list')
    _want(len(hist) <= MAX_HISTORY, name, f'"history" has {len(hist):,} decisions; the limit is {MAX_HISTORY:,}')
    for i, entry in enumerate(hist, 1):
        where = f"decision {i}"
        _want(isinstance(entry, dict), name, f"{where} must be an object")
        _want(
            isinstance(entry.get("node"), str) and isinstance(entry.get("choice"), str),
            name,
            f'{where} needs text "node" and "choice"',
        )
        _want(isinstance(entry.get("rationale", ""), str), name, f'{where}: "rationale" must be text')
        _want(
            entry.get("outcome") is None or isinstance(entry.get("outcome"), str),
            name,
            f'{where}: "outcome" must be text or null',
        )
        changes = entry.get("changes", {})
        _want(
            isinstance(changes, dict) and all(_is_int(v) for v in changes.values()),
            name,
            f'{where}: "changes" must map ids to whole numbers',
        )
        events = entry.get("events", [])
        _want(
            isinstance(events, list) and all(isinstance(e, str) for e in events), name, f'{where}: "events" must be a list of ids'
        )


def read_save(path: Path, story: Story) -> GameState:
    """Read a save for ``story``; raise SaveError (one line) when it does not fit."""
    d = read_envelope(path)
    return state_from_dict(d, story, str(path))


def state_from_dict(d: dict[str, Any], story: Story, name: str = "save") -> GameState:
    if d["story"]["id"] != story.id:
        raise SaveError(f'{name}: this save belongs to the story "{d["story"]["id"]}", not "{story.id}"')
    same_story = d["story"].get("hash") == story.hash
    for mid, value in d["meters"].items():
        if mid not in story.meter_index:
            if same_story:
                raise SaveError(f'{name}: unknown meter "{mid}"')
            continue
        m = story.meter(mid)
        if not m.min <= value <= m.max:
            raise SaveError(f'{name}: meter "{mid}" is {value}, outside {m.min}..{m.max}')
    for fid in d["flags"]:
        if fid not in story.flag_index and same_story:
            raise SaveError(f'{name}: unknown flag "{fid}"')
    target = d["ending"] if d["ending"] is not None else d["node"]
    if target not in story.nodes and target not in story.endings:
        raise SaveError(f'{name}: the save is at "{target}", which is not in this version of the story')
    if d["ending"] is not None and d["ending"] not in story.endings:
        raise SaveError(f'{name}: unknown ending "{d["ending"]}"')
    # replay every decision: the only states a save can give are states
    # the story can reach
    state = new_game(story, d["seed"], d["player"])
    for i, entry in enumerate(d["history"], 1):
        if entry["node"] != state.node:
            raise SaveError(
                f'{name}: decision {i} was made at "{entry["node"]}" but replaying reaches "{state.node}"'
                + ("" if same_story else f" (the save is from story version {d['story']['version']})")
            )
        try:
            state = choose(story, state, entry["choice"], entry.get("rationale", ""))
        except EngineError as exc:
            raise SaveError(
                f"{name}: decision {i} cannot be replayed: {exc}"
                + ("" if same_story else f" (the save is from story version {d['story']['version']})")
            ) from None
    if same_story:
        saved = {mid: v for mid, v in d["meters"].items()}
        now = {m.id: state.meters[i] for i, m in enumerate(story.meters)}
        if state.node != d["node"] or state.ending != d["ending"] or saved != now:
            raise SaveError(f"{name}: the save's node, meters or ending do not match its decisions; it may have been edited")
    return state


# ------------------------------------------------------------------ listing
@dataclass(frozen=True)
class SaveInfo:
    name: str
    path: Path
    player: str
    node: str
    ending: str | None
    turn: int
    updated: str
    story_id: str
    error: str = ""


def list_saves(folder: Path) -> list[SaveInfo]:
    """Every *.json save in a folder, newest first; broken ones carry an error."""
    out: list[SaveInfo] = []
    if not folder.is_dir():
        return out
    for path in folder.glob("*.json"):
        if not path.is_file() or path.name.endswith(".transcript.json"):  # records written by tightrope transcript
            continue
        try:
            d = read_envelope(path)
            out.append(
                SaveInfo(path.stem, path, d["player"], d["node"], d["ending"], len(d["history"]), d["updated"], d["story"]["id"])
            )
        except SaveError as exc:
            out.append(SaveInfo(path.stem, path, "", "", None, 0, "", "", str(exc)))
    out.sort(key=lambda s: (s.updated, s.name), reverse=True)
    return out


def delete_save(folder: Path, name: str) -> None:
    path = slot_path(folder, name)
    try:
        path.unlink()
    except FileNotFoundError:
        raise SaveError(f'no save called "{name}"') from None
    except OSError as exc:
        raise SaveError(f"cannot delete {path}: {exc.strerror or exc}") from None


def finite(x: float) -> bool:
    return math.isfinite(x)
