"""Saves: a versioned JSON envelope around a GameState.

* Written atomically: a temporary file in the same folder is written,
  flushed and fsynced, the previous save is kept as ``NAME.json.bak`` (by a
  hard link, so the save itself is never missing), then the temporary file is
  renamed over the save and the folder is fsynced.
* Read strictly: size and nesting are bounded, duplicate keys, NaN and
  infinity are refused, every field is type-checked into an
  :class:`Envelope`, and the decisions are replayed through the engine so
  that a save can never put the game into a state the story cannot reach
  (with the same story, ids must exist and meters be in range).
  A failure raises :class:`SaveError` with a one-line message and leaves the
  file untouched.
* Older format versions are migrated on read.
* Slot names use a safe character set; nothing is written outside the folder.
* A game's own slot (``slot: "game"``) is only ever written by that game
  (``game`` is its id), and a finished game there is never replaced by
  anything that drops its ending (:func:`write_save`).
* While a session plays a slot it holds a lock on it (:class:`SlotLock`, a
  ``.NAME.json.lock`` file beside it): a second session is refused and told
  whose game it is and since when.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .engine import EngineError, GameState, new_game
from .engine.core import choose, states_from_start
from .story.diagnostics import one_line
from .story.model import Story
from .story.text import clean_line

FORMAT_VERSION = 3
MAX_SAVE_BYTES = 4 * 1024 * 1024
MAX_HISTORY = 10_000
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")
_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
AUTOSAVE = "autosave"
SETTINGS_KEY = "play_settings"  # the game's own settings (PlaySettings)
GAME_SLOT = "game"  # a game's own slot, written after every decision by that game only
NAMED = "named"  # a slot a player named (s NAME, --autosave NAME)
MAX_UNDONE = 10_000


class SaveError(Exception):
    """A save that cannot be read or written; the message is one line.

    ``kind`` says what went wrong, for readers who word it for someone else
    (the class report tells a teacher what to do): "unreadable" (the file
    could not be read), "damaged" (empty, not text, not JSON), "not_a_save",
    "newer" (a newer format), "invalid" (a field of the wrong type), "story"
    (another story, or a version it no longer fits), "edited" (its values do
    not match its decisions), "busy" (another session plays it), "protected"
    (it holds another game, or a finished one) or "" (anything else).
    """

    def __init__(self, message: str, kind: str = "") -> None:
        # messages quote ids and names from the file: every reader of the
        # message (CLI, app, class report) gets one printable line
        super().__init__(one_line(message, 4096))
        self.kind = kind


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


def player_folder(root: Path, player: str) -> Path:
    """A player's own folder under ``root`` (per-player saves): named after them, found whatever the case typed."""
    name = slug(player)
    exact = root / name
    if exact.is_dir():
        return exact
    try:
        for found in root.iterdir():
            if found.name.casefold() == name.casefold() and found.is_dir():
                return found
    except OSError:
        pass
    return exact


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


# ------------------------------------------------------------------ the envelope
Meters = dict[str, int]  # meter id -> value (or change)


@dataclass(frozen=True, slots=True)
class StoryRef:
    """Which story a save was made with, and which of its scenarios (None: the full story)."""

    id: str
    version: str
    hash: str = ""
    scenario: str | None = None


@dataclass(frozen=True, slots=True)
class PlaySettings:
    """The game's own settings, kept in the save (``play_settings``) so a loaded game plays as it was.

    ``min_rationale`` is the shortest rationale the game asked for in
    classroom mode (None when the save does not say); ``no_undo`` is true
    when undo was turned off for the game.
    """

    classroom: bool = False
    show_effects: bool = True
    no_undo: bool = False
    min_rationale: int | None = None


@dataclass(frozen=True, slots=True)
class Undone:
    """A decision taken back with undo: kept in the save, so nothing a player wrote is lost."""

    turn: int  # the decision's number in the game when it was taken back
    node: str
    choice: str
    outcome: str | None
    rationale: str
    ending: str | None  # the ending the decision had reached, if any
    at: str  # when it was taken back (ISO 8601)


@dataclass(frozen=True, slots=True)
class Entry:
    """One decision of a save's history."""

    turn: int
    node: str
    choice: str
    outcome: str | None
    changes: Meters  # everything the decision changed
    # the choice's (and its outcome's) own changes, and each event's; None in
    # a save older than format 3, which did not tell them apart
    choice_changes: Meters | None
    events: tuple[str, ...]
    event_changes: tuple[Meters, ...] | None  # one per event
    flags: dict[str, bool]
    target: str
    rationale: str
    meters: Meters  # every meter after the decision ({} in format 1)


@dataclass(frozen=True, slots=True)
class Envelope:
    """A save as read from its file: validated, migrated to FORMAT_VERSION, not yet replayed."""

    story: StoryRef
    player: str
    seed: int
    node: str
    meters: Meters
    flags: dict[str, bool]
    history: tuple[Entry, ...]
    start_meters: Meters  # {} in format 1
    ending: str | None
    created: str
    updated: str
    settings: PlaySettings | None = None
    migrated_from: int = FORMAT_VERSION  # the format the file was written in
    game: str = ""  # the game's id ("" in a save that does not say)
    slot: str = NAMED  # GAME_SLOT: the game's own slot, written as it goes; NAMED: a copy saved under a name
    undone: tuple[Undone, ...] = ()  # decisions taken back, oldest first

    @property
    def splits_changes(self) -> bool:
        """True when every decision tells the choice's changes from each event's."""
        return all(e.choice_changes is not None and e.event_changes is not None for e in self.history)


# ------------------------------------------------------------------ encode
@dataclass(frozen=True, slots=True)
class Extra:
    """What a save keeps besides the game state: the game's id, the kind of slot, the undos."""

    game: str = ""
    slot: str = NAMED
    undone: tuple[Undone, ...] = ()


def undone_dict(u: Undone) -> dict[str, object]:
    return {name: getattr(u, name) for name in u.__slots__}


def to_dict(
    story: Story,
    state: GameState,
    created: str | None = None,
    settings: PlaySettings | None = None,
    extra: Extra | None = None,
) -> dict[str, object]:
    """The JSON object of a save (format FORMAT_VERSION)."""
    now = _now()
    chain = states_from_start(state)
    meter_ids = [m.id for m in story.meters]
    history = []
    for turn, s in enumerate(chain[1:], 1):
        step = s.step
        assert step is not None
        history.append(
            {
                "turn": turn,
                "node": step.node,
                "choice": step.choice,
                "outcome": step.outcome,
                "changes": dict(step.changes),
                "choice_changes": dict(step.own),
                "flags": dict(step.flags),
                "events": list(step.events),
                "event_changes": [dict(c) for c in step.event_changes],
                "target": step.target,
                "rationale": step.rationale,
                # meters after each decision, so reports can chart a game without the story
                "meters": dict(zip(meter_ids, s.meters)),
            }
        )
    data: dict[str, object] = {
        "format_version": FORMAT_VERSION,
        "story": {
            "id": story.id,
            "version": story.version,
            "hash": story.hash,
            "scenario": story.scenario.id if story.scenario is not None else None,
        },
        "player": state.player,
        "seed": state.seed,
        "node": state.node,
        "meters": dict(zip(meter_ids, state.meters)),
        "flags": {f.id: state.flags[i] for i, f in enumerate(story.flags)},
        "history": history,
        "start_meters": dict(zip(meter_ids, chain[0].meters)),
        "ending": state.ending,
        "created": created or now,
        "updated": now,
    }
    if settings is not None:
        data[SETTINGS_KEY] = {
            "classroom": settings.classroom,
            "show_effects": settings.show_effects,
            "no_undo": settings.no_undo,
            "min_rationale": settings.min_rationale,
        }
    extra = extra or Extra()
    data["game"] = extra.game
    data["slot"] = extra.slot
    data["undone"] = [undone_dict(u) for u in extra.undone]
    return data


def dumps(
    story: Story,
    state: GameState,
    created: str | None = None,
    settings: PlaySettings | None = None,
    extra: Extra | None = None,
) -> str:
    data = to_dict(story, state, created, settings, extra)
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


def moves(history: tuple[Entry, ...]) -> list[tuple[str, str]]:
    return [(e.node, e.choice) for e in history]


def state_moves(state: GameState) -> list[tuple[str, str]]:
    return [(s.step.node, s.step.choice) for s in states_from_start(state)[1:] if s.step is not None]


def write_save(
    path: Path, story: Story, state: GameState, settings: PlaySettings | None = None, extra: Extra | None = None
) -> Path:
    """Write a save atomically (see :func:`atomic_write`); raises SaveError.

    What is there already is protected: a game's own slot (``slot: "game"``)
    takes only the same game (the same ``game`` id), and a finished game
    there is never replaced by a save that does not keep its decisions and
    its ending; a damaged file is kept as the backup. ``created`` is carried
    over from the same game.
    """
    extra = extra or Extra()
    created = None
    if path.is_file():
        try:
            old = read_envelope(path)
        except SaveError:
            old = None
        if old is not None:
            same = bool(old.game) and old.game == extra.game
            if old.slot == GAME_SLOT and old.game and not same:
                who = f"{clean_line(old.player)}'s game" if old.player.strip() else "another game"
                raise SaveError(f'the save "{path.stem}" is {who}; save under another name', "protected")
            if (
                old.slot == GAME_SLOT
                and old.ending is not None
                and (state.ending != old.ending or state_moves(state) != moves(old.history))
            ):
                raise SaveError(f'the save "{path.stem}" holds a finished game, which is never replaced', "protected")
            if same or not old.game:
                created = old.created
            if same and old.slot == GAME_SLOT:
                extra = Extra(extra.game, GAME_SLOT, extra.undone)  # a game's own save stays its own
    atomic_write(path, dumps(story, state, created, settings, extra))
    return path


# ------------------------------------------------------------------ read
def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed in a save")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
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


def read_envelope(path: Path) -> Envelope:
    """Read and structurally validate a save without a story."""
    name = str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a folder, or a FIFO that would block the read forever
            raise SaveError(f"{name}: not a save file (not a regular file)", "not_a_save")
        size = info.st_size
        if size > MAX_SAVE_BYTES:
            raise SaveError(f"{name}: save is {size:,} bytes; the limit is {MAX_SAVE_BYTES:,}", "not_a_save")
        raw = path.read_bytes()
    except OSError as exc:
        raise SaveError(f"{name}: cannot read save: {exc.strerror or exc}", "unreadable") from None
    if not raw.strip():
        raise SaveError(f"{name}: save file is empty", "damaged")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SaveError(f"{name}: not a Tightrope save (not UTF-8 text)", "damaged") from None
    if _max_depth(text, 16):
        raise SaveError(f"{name}: save is nested too deeply to be a Tightrope save", "not_a_save")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise SaveError(f"{name}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}", "damaged") from None
    except (ValueError, RecursionError) as exc:
        raise SaveError(f"{name}: not a valid save: {exc}", "damaged") from None
    return parse_envelope(data, name)


def parse_envelope(data: object, name: str = "save") -> Envelope:
    """Migrate and validate a decoded save (a JSON value) into an Envelope."""
    if not isinstance(data, dict):
        raise SaveError(f"{name}: not a Tightrope save (expected a JSON object)", "not_a_save")
    version = data.get("format_version")
    return _validate(migrate(data, name), name, version if isinstance(version, int) else FORMAT_VERSION)


def migrate(data: dict[str, object], name: str) -> dict[str, object]:
    """Bring an older save format up to FORMAT_VERSION (a new dict; the argument is not changed)."""
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SaveError(f"{name}: not a Tightrope save (no format_version)", "not_a_save")
    if version > FORMAT_VERSION:
        raise SaveError(
            f"{name}: save format {version} is newer than this Tightrope understands ({FORMAT_VERSION}); update Tightrope",
            "newer",
        )
    if version < 1:
        raise SaveError(f"{name}: unknown save format {version}", "not_a_save")
    data = dict(data)
    if version == 1:
        # format 1 kept the story's id and version at the top level and
        # called the history "decisions", without turns or meter trails
        data["story"] = {
            "id": data.pop("story_id", None),
            "version": data.pop("story_version", None),
            "hash": data.pop("story_hash", ""),
        }
        decisions = data.pop("decisions", [])
        data["history"] = [
            {**entry, "turn": i + 1, "flags": entry.get("flags", {}), "meters": entry.get("meters", {})}
            if isinstance(entry, dict)
            else entry
            for i, entry in enumerate(decisions if isinstance(decisions, list) else [])
        ]
        data.setdefault("start_meters", {})
        version = 2
    if version == 2:
        # format 2 kept only each decision's total changes: the choice's and
        # the events' parts are left unknown here (None); replaying the save
        # with its story recomputes them, and the next write stores them
        history = data.get("history")
        if isinstance(history, list):
            data["history"] = [
                {**entry, "choice_changes": None, "event_changes": None} if isinstance(entry, dict) else entry
                for entry in history
            ]
        version = 3
    data["format_version"] = version
    return data


def _want(cond: bool, name: str, what: str) -> None:
    if not cond:
        raise SaveError(f"{name}: {what}", "invalid")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _numbers(value: object, name: str, what: str) -> Meters:
    _want(isinstance(value, dict) and all(_is_int(v) for v in value.values()), name, what)
    assert isinstance(value, dict)
    return {str(k): int(v) for k, v in value.items()}


def _bools(value: object, name: str, what: str) -> dict[str, bool]:
    _want(isinstance(value, dict) and all(isinstance(v, bool) for v in value.values()), name, what)
    assert isinstance(value, dict)
    return {str(k): bool(v) for k, v in value.items()}


def _text(value: object, name: str, what: str) -> str:
    _want(isinstance(value, str), name, what)
    assert isinstance(value, str)
    return value


def _entry(i: int, entry: object, name: str) -> Entry:
    where = f"decision {i}"
    _want(isinstance(entry, dict), name, f"{where} must be an object")
    assert isinstance(entry, dict)
    node, choice = entry.get("node"), entry.get("choice")
    _want(isinstance(node, str) and isinstance(choice, str), name, f'{where} needs text "node" and "choice"')
    assert isinstance(node, str) and isinstance(choice, str)
    rationale = _text(entry.get("rationale", ""), name, f'{where}: "rationale" must be text')
    outcome = entry.get("outcome")
    _want(outcome is None or isinstance(outcome, str), name, f'{where}: "outcome" must be text or null')
    assert outcome is None or isinstance(outcome, str)
    changes = _numbers(entry.get("changes", {}), name, f'{where}: "changes" must map ids to whole numbers')
    events = entry.get("events", [])
    _want(isinstance(events, list) and all(isinstance(e, str) for e in events), name, f'{where}: "events" must be a list of ids')
    assert isinstance(events, list)
    raw_own = entry.get("choice_changes", {})
    own = None if raw_own is None else _numbers(raw_own, name, f'{where}: "choice_changes" must map ids to whole numbers')
    raw_split = entry.get("event_changes", [{} for _ in events])
    split: tuple[Meters, ...] | None = None
    if raw_split is not None:
        _want(
            isinstance(raw_split, list) and len(raw_split) == len(events),
            name,
            f'{where}: "event_changes" must have one entry per event',
        )
        assert isinstance(raw_split, list)
        split = tuple(_numbers(c, name, f'{where}: "event_changes" must map ids to whole numbers') for c in raw_split)
    target = entry.get("target", "")
    return Entry(
        turn=i,
        node=node,
        choice=choice,
        outcome=outcome,
        changes=changes,
        choice_changes=own,
        events=tuple(str(e) for e in events),
        event_changes=split,
        flags=_bools(entry.get("flags", {}), name, f'{where}: "flags" must map ids to true/false'),
        target=target if isinstance(target, str) else "",
        rationale=rationale,
        meters=_numbers(entry.get("meters", {}), name, f'{where}: "meters" must map ids to whole numbers'),
    )


def _validate(d: dict[str, object], name: str, written_as: int) -> Envelope:
    for key in ("story", "player", "seed", "node", "meters", "flags", "history", "ending", "created", "updated"):
        _want(key in d, name, f'save has no "{key}"')
    story = d["story"]
    _want(isinstance(story, dict), name, '"story" must be an object')
    assert isinstance(story, dict)
    sid, sversion, shash = story.get("id"), story.get("version"), story.get("hash", "")
    _want(isinstance(sid, str) and isinstance(sversion, str), name, '"story" needs text "id" and "version"')
    _want(isinstance(shash, str), name, '"story.hash" must be text')
    assert isinstance(sid, str) and isinstance(sversion, str) and isinstance(shash, str)
    scenario = story.get("scenario")
    _want(scenario is None or isinstance(scenario, str), name, '"story.scenario" must be text or null')
    assert scenario is None or isinstance(scenario, str)
    player = d["player"]
    _want(isinstance(player, str) and len(player) <= 200, name, '"player" must be text (at most 200 characters)')
    seed = d["seed"]
    _want(isinstance(seed, int) and _is_int(seed) and 0 <= seed < 2**63, name, '"seed" must be a whole number from 0')
    node = _text(d["node"], name, '"node" must be text')
    ending = d["ending"]
    _want(ending is None or isinstance(ending, str), name, '"ending" must be text or null')
    meters = _numbers(d["meters"], name, '"meters" must map ids to whole numbers')
    flags = _bools(d["flags"], name, '"flags" must map ids to true/false')
    created, updated = d["created"], d["updated"]
    _want(isinstance(created, str) and isinstance(updated, str), name, '"created" and "updated" must be text')
    hist = d["history"]
    _want(isinstance(hist, list), name, '"history" must be a list')
    assert isinstance(hist, list)
    _want(len(hist) <= MAX_HISTORY, name, f'"history" has {len(hist):,} decisions; the limit is {MAX_HISTORY:,}')
    history = tuple(_entry(i, entry, name) for i, entry in enumerate(hist, 1))
    start = _numbers(d.get("start_meters", {}), name, '"start_meters" must map ids to whole numbers')
    raw = d.get(SETTINGS_KEY)
    settings = None
    if isinstance(raw, dict):  # written by the game for itself: anything odd is ignored, never fatal
        classroom, show, least = raw.get("classroom"), raw.get("show_effects"), raw.get("min_rationale")
        settings = PlaySettings(
            classroom is True,
            show if isinstance(show, bool) else True,
            raw.get("no_undo") is True,
            least if _is_int(least) and isinstance(least, int) and least >= 0 else None,
        )
    game, slot = d.get("game", ""), d.get("slot", NAMED)
    _want(isinstance(game, str) and len(game) <= 64, name, '"game" must be text (at most 64 characters)')
    _want(slot in (GAME_SLOT, NAMED), name, f'"slot" must be "{GAME_SLOT}" or "{NAMED}"')
    raw_undone = d.get("undone", [])
    _want(isinstance(raw_undone, list), name, '"undone" must be a list')
    assert isinstance(raw_undone, list) and isinstance(game, str) and isinstance(slot, str)
    _want(len(raw_undone) <= MAX_UNDONE, name, f'"undone" has {len(raw_undone):,} entries; the limit is {MAX_UNDONE:,}')
    undone = tuple(_undone(i, u, name) for i, u in enumerate(raw_undone, 1))
    assert isinstance(player, str) and isinstance(seed, int) and (ending is None or isinstance(ending, str))
    assert isinstance(created, str) and isinstance(updated, str)
    return Envelope(
        StoryRef(sid, sversion, shash, scenario),
        player,
        seed,
        node,
        meters,
        flags,
        history,
        start,
        ending,
        created,
        updated,
        settings,
        written_as,
        game,
        slot,
        undone,
    )


def _undone(i: int, entry: object, name: str) -> Undone:
    where = f"undo {i}"
    _want(isinstance(entry, dict), name, f"{where} must be an object")
    assert isinstance(entry, dict)
    turn, node, choice = entry.get("turn"), entry.get("node"), entry.get("choice")
    _want(_is_int(turn) and isinstance(node, str) and isinstance(choice, str), name, f'{where} needs "turn", "node" and "choice"')
    assert isinstance(turn, int) and isinstance(node, str) and isinstance(choice, str)
    outcome, ending = entry.get("outcome"), entry.get("ending")
    _want(outcome is None or isinstance(outcome, str), name, f'{where}: "outcome" must be text or null')
    _want(ending is None or isinstance(ending, str), name, f'{where}: "ending" must be text or null')
    assert (outcome is None or isinstance(outcome, str)) and (ending is None or isinstance(ending, str))
    return Undone(
        turn,
        node,
        choice,
        outcome,
        _text(entry.get("rationale", ""), name, f'{where}: "rationale" must be text'),
        ending,
        _text(entry.get("at", ""), name, f'{where}: "at" must be text'),
    )


def read_save(path: Path, story: Story) -> GameState:
    """Read a save for ``story``; raise SaveError (one line) when it does not fit."""
    return state_from_envelope(read_envelope(path), story, str(path))


def story_for(d: Envelope, story: Story, name: str = "save") -> Story:
    """``story`` as the save was played: in the save's scenario (raises SaveError when the story has no such scenario)."""
    if d.story.id != story.id:
        raise SaveError(f'{name}: this save belongs to the story "{d.story.id}", not "{story.id}"', "story")
    wanted = d.story.scenario
    if (story.scenario.id if story.scenario is not None else None) == wanted:
        return story
    full = story.full or story
    if wanted is not None and wanted not in full.scenarios:
        raise SaveError(f'{name}: this save was played in the scenario "{wanted}", which this story does not have', "story")
    return full.with_scenario(wanted)


def state_from_envelope(d: Envelope, story: Story, name: str = "save") -> GameState:
    """Replay a save's decisions in ``story``: the only states a save can give are states the story can reach.

    With the same story (same hash) the replay must end where the file says,
    or the save is refused as edited. With another version of the story the
    replay carries the game over: values the file holds (meters outside a
    range that has since narrowed, say) are not checked against the new
    story, the replay recomputes them.
    """
    story = story_for(d, story, name)
    same_story = d.story.hash == story.hash
    since = "" if same_story else f" (the save is from story version {d.story.version})"
    if same_story:
        for mid in d.meters:
            if mid not in story.meter_index:
                raise SaveError(f'{name}: unknown meter "{mid}"', "edited")
        for fid in d.flags:
            if fid not in story.flag_index:
                raise SaveError(f'{name}: unknown flag "{fid}"', "edited")
    target = d.ending if d.ending is not None else d.node
    if target not in story.nodes and target not in story.endings:
        raise SaveError(
            f'{name}: the save is at "{target}", which is not in this version of the story', "edited" if same_story else "story"
        )
    if d.ending is not None and d.ending not in story.endings:
        raise SaveError(f'{name}: unknown ending "{d.ending}"', "edited" if same_story else "story")
    state = new_game(story, d.seed, d.player)
    for i, entry in enumerate(d.history, 1):
        if entry.node != state.node:
            raise SaveError(
                f'{name}: decision {i} was made at "{entry.node}" but replaying reaches "{state.node}"{since}',
                "story" if since else "edited",
            )
        try:
            state = choose(story, state, entry.choice, entry.rationale)
        except EngineError as exc:
            raise SaveError(f"{name}: decision {i} cannot be replayed: {exc}{since}", "story" if since else "edited") from None
    if same_story:
        for mid, value in d.meters.items():
            m = story.meter(mid)
            if not m.min <= value <= m.max:
                raise SaveError(f'{name}: meter "{mid}" is {value}, outside {m.min}..{m.max}', "edited")
        now = {m.id: state.meters[i] for i, m in enumerate(story.meters)}
        if state.node != d.node or state.ending != d.ending or d.meters != now:
            raise SaveError(
                f"{name}: the save's node, meters or ending do not match its decisions; it may have been edited", "edited"
            )
    return state


# ------------------------------------------------------------------ locks
LOCK_SUFFIX = ".lock"  # NAME.json -> .NAME.json.lock beside it


@dataclass(frozen=True)
class Holder:
    """Who holds a slot's lock: written into the lock file by the session that holds it."""

    pid: int
    player: str
    since: str  # ISO 8601
    host: str

    def describe(self) -> str:
        """'Amina Q's game (open since 10:02, process 4242)', for a refusal."""
        whose = f"{clean_line(self.player)}'s game" if self.player.strip() else "a game"
        when = ""
        try:
            when = datetime.fromisoformat(self.since).astimezone().strftime("%H:%M")
        except ValueError:
            pass
        bits = [f"open since {when}" if when else "open", f"process {self.pid}" if self.pid else ""]
        return f"{whose} ({', '.join(b for b in bits if b)})"


def lock_path(save: Path) -> Path:
    return save.with_name(f".{save.name}{LOCK_SUFFIX}")


def _parse_holder(raw: bytes) -> Holder | None:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    pid, player, since, host = data.get("pid"), data.get("player"), data.get("since"), data.get("host")
    return Holder(
        pid if _is_int(pid) and isinstance(pid, int) else 0,
        player if isinstance(player, str) else "",
        since if isinstance(since, str) else "",
        host if isinstance(host, str) else "",
    )


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - no cheap check there: a lock file that is there counts as held
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def holder(save: Path) -> Holder | None:
    """Who plays this slot now, or None; reads the lock file without taking it (for the teacher's view).

    A session removes its lock file when it lets go; one left by a session
    that died names a process that is gone, and counts as free.
    """
    try:
        raw = lock_path(save).read_bytes()[:4096]
    except OSError:
        return None
    found = _parse_holder(raw)
    if found is None or found.host != _HOST or not _alive(found.pid):
        return None
    return found


def _host() -> str:
    import socket

    try:
        return socket.gethostname()
    except OSError:  # pragma: no cover
        return ""


_HOST = _host()


class SlotBusy(SaveError):
    """Another live session holds the slot."""

    def __init__(self, save: Path, who: Holder | None) -> None:
        what = who.describe() if who is not None else "another game"
        super().__init__(f'the save "{save.stem}" is in use: {what} is playing it in another window or tab', "busy")
        self.holder = who


class SlotLock:
    """An exclusive lock on one save slot, held while a session plays it.

    The lock is the operating system's (``flock`` on a ``.NAME.json.lock``
    file beside the save; ``msvcrt.locking`` on Windows), so it ends with
    the process that held it, however that process ends. The file holds who
    holds it (:class:`Holder`) for the refusal another session gets, and is
    removed when the lock is let go.
    """

    def __init__(self, save: Path, fd: int) -> None:
        self.save = save
        self.path = lock_path(save)
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, save: Path, player: str) -> SlotLock:
        """Take the slot's lock or raise SlotBusy (another session holds it) or SaveError (cannot write the folder)."""
        path = lock_path(save)
        try:
            save.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SaveError(f"cannot write to {save.parent}: {exc.strerror or exc}") from None
        for _attempt in range(20):
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
            except OSError as exc:
                raise SaveError(f"cannot lock {save.name}: {exc.strerror or exc}") from None
            try:
                if not _try_lock(fd):
                    who = _parse_holder(_read_fd(fd))
                    raise SlotBusy(save, who)
                # the file may have been removed by the last holder between our open and our lock
                try:
                    same = os.path.samestat(os.fstat(fd), os.stat(path))
                except FileNotFoundError:
                    same = False
                if not same:
                    os.close(fd)
                    continue
                me = {"pid": os.getpid(), "player": player, "since": _now(), "host": _HOST}
                try:  # who holds it, for the refusal another session gets; a full disk only loses the detail
                    os.ftruncate(fd, 0)
                    os.lseek(fd, 0, os.SEEK_SET)
                    os.write(fd, json.dumps(me).encode("utf-8", "backslashreplace"))
                except OSError:
                    pass
                return cls(save, fd)
            except BaseException:
                try:
                    os.close(fd)
                except OSError:
                    pass
                raise
        raise SaveError(f"cannot lock {save.name}: it keeps changing")  # pragma: no cover

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Let the slot go (and remove the lock file); safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if sys.platform != "win32":
            try:
                self.path.unlink()  # while still locked: a session waiting on it sees the file gone and tries again
            except OSError:
                pass
        try:
            os.close(fd)  # closing the descriptor ends the lock
        except OSError:
            pass


def _read_fd(fd: int) -> bytes:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 4096)
    except OSError:
        return b""


if sys.platform != "win32":
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

else:  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 1 << 20, os.SEEK_SET)  # lock a byte past the holder's text, which others still read
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True


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
    scenario: str | None = None
    undos: int = 0


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
                SaveInfo(
                    path.stem,
                    path,
                    d.player,
                    d.node,
                    d.ending,
                    len(d.history),
                    d.updated,
                    d.story.id,
                    scenario=d.story.scenario,
                    undos=len(d.undone),
                )
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
