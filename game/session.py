"""One play session: the rules of playing, for every front end.

Plain mode, the Textual app and the per-player games of ``tightrope serve``
(``play --per-player-saves``) all drive a :class:`Session`; none of them
decides a rule of its own. The session holds the story, the settings and the
game state, and it decides:

* how a game starts: new (:meth:`Session.start`), from a save
  (:meth:`Session.load`), the latest save (:meth:`Session.latest`), or as the
  command line asked (:meth:`Session.begin`);
* what a decision needs and does: :meth:`Session.needs_rationale`,
  :meth:`Session.rationale_problem` (one minimum length, capped at
  :data:`MAX_MIN_RATIONALE` everywhere) and :meth:`Session.choose`, which
  returns the :class:`~game.present.Decision` every front end shows;
* what undo may do (:meth:`Session.can_undo`);
* where saves go and what they are called (:attr:`Session.saves_dir`,
  :meth:`Session.game_slot`, :meth:`Session.autosave_slots`), writing them in
  the background or now;
* the decision record's export and the story's hot reload.

No Textual here, and no front end: everything is testable without a screen.
"""

from __future__ import annotations

import argparse
import secrets
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .engine import EngineError, GameState, Option, RemapError, choose, jump, new_game, options, remap, undo
from .engine.core import states_from_start
from .errors import UsageError
from .paths import default_saves, story_dir
from .present import Decision, decisions, describe, node_title
from .progress import FILE_NAME as ENDINGS_FOUND_FILE
from .progress import EndingsFound, default_file
from .saves import (
    AUTOSAVE,
    PlaySettings,
    SaveError,
    SaveInfo,
    delete_save,
    list_saves,
    read_envelope,
    resolve_save,
    slot_path,
    slug,
    state_from_envelope,
    write_save,
)
from .story import Story, StoryError, load_story
from .story.model import Ending, Meter, Node
from .story.text import clean_line

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

DEFAULT_MIN_RATIONALE = 40
MAX_MIN_RATIONALE = 10_000  # characters: the same cap for every front end


class SessionError(Exception):
    """Something the session's rules do not allow now (a name missing, a rationale too short)."""


@dataclass(frozen=True)
class Settings:
    """What ``tightrope play`` was asked for (see game/cli.py), checked once for every front end."""

    story_path: Path
    saves_root: Path
    seed: int | None = None
    name: str = ""
    load: str | None = None
    autosave: str | None = None
    classroom: bool = False
    min_rationale: int = DEFAULT_MIN_RATIONALE
    show_effects: bool = True
    per_player: bool = False
    scenario: str | None = None  # play one of the story's scenarios (--scenario; None: the full story)

    def __post_init__(self) -> None:
        if not 0 <= self.min_rationale <= MAX_MIN_RATIONALE:
            raise UsageError(f"--min-rationale must be from 0 to {MAX_MIN_RATIONALE} characters, not {self.min_rationale}")
        if self.autosave:
            try:
                slot_path(self.saves_root, self.autosave)
            except SaveError as exc:
                raise UsageError(str(exc)) from None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Settings:
        """The settings of ``tightrope play``'s arguments; raises UsageError for values no session accepts."""
        options = vars(args)

        def text(key: str) -> str | None:
            value = options.get(key)
            return value if isinstance(value, str) else None

        seed = options.get("seed")
        minimum = options.get("min_rationale")
        return cls(
            story_path=story_dir(text("story")),
            saves_root=default_saves(text("saves")),
            seed=seed if isinstance(seed, int) else None,
            name=clean_line(text("name") or ""),
            load=text("load"),
            autosave=text("autosave"),
            classroom=options.get("classroom") is True,
            min_rationale=minimum if isinstance(minimum, int) else DEFAULT_MIN_RATIONALE,
            show_effects=options.get("hide_effects") is not True,
            per_player=options.get("per_player_saves") is True,
            scenario=text("scenario"),
        )


@dataclass(frozen=True)
class NewGame:
    """What a new game is started with (the new-game dialog returns one)."""

    player: str
    seed: int | None
    show_effects: bool
    classroom: bool


@dataclass(frozen=True)
class ReloadResult:
    """What a hot reload did.

    ``kind`` is "ok" (the game carries on), "problems" (the new story is
    invalid; the old one is kept; ``problems`` has one line per error),
    "vanished" (the current scene is gone; ``story`` is the new story and
    ``fallback`` the node offered instead) or "error" (the folder could not
    be read at all).
    """

    kind: str
    message: str
    problems: tuple[str, ...] = ()
    story: Story | None = None
    fallback: str = ""


def open_story(path: Path, scenario: str | None = None) -> Story:
    """Load a story to play (in one of its scenarios); a story that cannot be loaded or a
    scenario it does not have is a UsageError with a one-line message."""
    try:
        story = load_story(path)
    except StoryError as exc:
        raise UsageError(exc.summary(path)) from None
    try:
        return story.scenario_named(scenario)
    except ValueError as exc:
        raise UsageError(f"--scenario: {exc}") from None


def tidy_rationale(text: str) -> str:
    """A rationale as it is kept: its words, one space apart."""
    return " ".join(text.split())


@dataclass
class Session:
    """One player's game, whichever front end shows it.

    ``keep_autosave`` writes the "autosave" slot after every decision (the
    app's Continue reads it); plain mode, which has no Continue, writes only
    the slots it was asked for.
    """

    story: Story
    settings: Settings
    state: GameState | None = None
    player: str = ""
    show_effects: bool = True
    classroom: bool = False
    keep_autosave: bool = True
    _writer: ThreadPoolExecutor | None = field(default=None, repr=False)
    _pending: list[Future[list[str]]] = field(default_factory=list, repr=False)
    _slot: str | None = field(default=None, repr=False)  # this game's own slot, once it has one

    @classmethod
    def open(cls, settings: Settings, *, keep_autosave: bool = True) -> Session:
        """Load the story (raises UsageError) and start a session without a game."""
        story = open_story(settings.story_path, settings.scenario)
        return cls(story, settings, None, settings.name, settings.show_effects, settings.classroom, keep_autosave)

    # ------------------------------------------------------------ start
    def start(self, game: NewGame) -> GameState:
        """A new game (raises SessionError when a name is needed and missing)."""
        player = clean_line(game.player)
        if (self.settings.per_player or game.classroom) and not player:
            raise SessionError("a name is needed" + (" in classroom mode" if game.classroom else " to keep your saves apart"))
        self.player = player
        self.show_effects = game.show_effects
        self.classroom = game.classroom
        seed = game.seed if game.seed is not None else secrets.randbelow(2**31)
        self.state = new_game(self.story, seed, player)
        self._slot = self._fresh_slot()
        return self.state

    def begin(self) -> GameState:
        """Start as the command line asked: the save of ``--load``, else a new game; problems are UsageErrors."""
        s = self.settings
        if s.load:
            try:
                state = self.load(s.load)
            except SaveError as exc:
                raise UsageError(str(exc)) from None
            if self.classroom and not self.player:
                raise UsageError("classroom mode needs --name NAME")
            return state
        try:
            return self.start(NewGame(s.name, s.seed, s.show_effects, s.classroom))
        except SessionError:
            raise UsageError(
                "classroom mode needs --name NAME" if s.classroom else "each player's saves need --name NAME"
            ) from None

    # ------------------------------------------------------------ play
    @property
    def node(self) -> Node:
        assert self.state is not None
        return self.story.nodes[self.state.node]

    @property
    def ending(self) -> Ending | None:
        if self.state is None or self.state.ending is None:
            return None
        return self.story.endings.get(self.state.ending)

    def options(self) -> list[Option]:
        assert self.state is not None
        return options(self.story, self.state)

    def needs_rationale(self) -> bool:
        """Classroom mode asks for a rationale at every key decision."""
        return self.classroom and self.state is not None and self.state.ending is None and self.node.key

    @property
    def min_rationale(self) -> int:
        return self.settings.min_rationale if self.classroom else 0

    def rationale_problem(self, text: str) -> str | None:
        """Why a rationale cannot be accepted here, or None when it can."""
        if not self.needs_rationale():
            return None
        n, least = len(tidy_rationale(text)), self.settings.min_rationale
        return f"Please write a little more ({n} of {least} characters)." if n < least else None

    def choose(self, choice_id: str, rationale: str = "") -> Decision:
        """Make a decision and describe it.

        Raises EngineError when the choice is unknown or unavailable and
        SessionError when a needed rationale is too short. The caller writes
        the automatic saves: :meth:`autosave` or :meth:`autosave_later`.
        """
        assert self.state is not None
        problem = self.rationale_problem(rationale)
        if problem is not None:
            raise SessionError(problem)
        self.state = choose(self.story, self.state, choice_id, tidy_rationale(rationale))
        made = describe(self.story, self.state)
        assert made is not None
        if made.ending is not None:
            try:
                self.endings_found().add(self.story.id, made.ending)
            except SaveError:
                pass  # a read-only data folder: the game goes on, only the count is not kept
        return made

    def can_undo(self) -> bool:
        """Whether the last decision may be taken back now."""
        return self.state is not None and self.state.prev is not None

    def undo(self) -> bool:
        if not self.can_undo():
            return False
        assert self.state is not None
        self.state = undo(self.state)
        return True

    # ------------------------------------------------------------ where saves go
    @property
    def saves_dir(self) -> Path:
        root = self.settings.saves_root
        if not self.settings.per_player:
            return root
        if not self.player.strip():
            raise SaveError("enter your name first: each player's saves are kept apart")
        return root / slug(self.player)

    def slot_base(self, today: date | None = None) -> str:
        """What a game's slot is named after: in classroom mode the player's name and the date, else "autosave"."""
        if self.classroom and self.player:
            return f"{slug(self.player)}-{(today or date.today()).isoformat()}"
        return AUTOSAVE

    def game_slot(self) -> str:
        """The slot this game is kept in: its own, so that a new game never overwrites another game.

        A new game takes the first free name of ``slot_base()``, ``-2``,
        ``-3``...; a loaded game keeps the slot it was loaded from.
        """
        return self._slot or self._fresh_slot()

    def _fresh_slot(self) -> str:
        base = self.slot_base()
        try:
            folder = self.saves_dir
            taken = {p.stem for p in folder.glob("*.json")} if folder.is_dir() else set()
        except (SaveError, OSError):
            taken = set()
        n, name = 1, base
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        return name

    def autosave_slots(self) -> list[str]:
        """Every slot written after a decision: the game's own (the app's, or in classroom mode) and --autosave's."""
        own = self.game_slot() if self.keep_autosave or (self.classroom and self.player) else None
        return list(dict.fromkeys(slot for slot in (own, self.settings.autosave) if slot))

    def endings_found(self) -> EndingsFound:
        """The endings this player has found across games: in the data folder, or the player's own save folder."""
        if self.settings.per_player:
            return EndingsFound(self.saves_dir / ENDINGS_FOUND_FILE)
        return EndingsFound(default_file())

    def play_settings(self) -> PlaySettings:
        return PlaySettings(self.classroom, self.show_effects)

    # ------------------------------------------------------------ saving
    def autosave(self) -> list[str]:
        """Write every automatic slot now; returns one message per failure."""
        self.flush()
        if self.state is None:
            return []
        return self._write_slots(self.story, self.state, self.play_settings(), self._autosave_dir(), self.autosave_slots())

    def autosave_later(self) -> Future[list[str]]:
        """Write every automatic slot on a background thread, in order of the calls.

        Saving takes milliseconds (fsync), which a screen should not wait
        for. States are immutable, so the writer sees exactly the state of
        the call. The future's result is one message per failure.
        """
        assert self.state is not None
        if self._writer is None:
            from concurrent.futures import ThreadPoolExecutor  # only once a game is played

            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tightrope-autosave")
        job = self._writer.submit(
            self._write_slots, self.story, self.state, self.play_settings(), self._autosave_dir(), self.autosave_slots()
        )
        self._pending = [f for f in self._pending if not f.done()] + [job]
        return job

    def flush(self) -> None:
        """Wait for the background saves (before reading the save folder, and on exit)."""
        pending, self._pending = self._pending, []
        for job in pending:
            job.result()

    def close(self) -> None:
        self.flush()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None

    def _saves_folder(self) -> Path | None:
        try:
            return self.saves_dir.resolve()
        except SaveError:
            return None

    def _autosave_dir(self) -> Path | SaveError:
        try:
            return self.saves_dir
        except SaveError as exc:
            return exc

    @staticmethod
    def _write_slots(
        story: Story, state: GameState, settings: PlaySettings, folder: Path | SaveError, slots: list[str]
    ) -> list[str]:
        failed = []
        try:
            if isinstance(folder, SaveError):
                raise folder
            for slot in slots:
                write_save(slot_path(folder, slot), story, state, settings)
        except SaveError as exc:
            failed.append(f"Autosave failed: {exc}")
        except Exception as exc:  # noqa: BLE001 - a background thread must report, not die
            failed.append(f"Autosave failed: {clean_line(str(exc)) or type(exc).__name__}")
        return failed

    def save(self, name: str) -> Path:
        if self.state is None:
            raise SaveError("there is no game to save yet")
        self.flush()
        return write_save(slot_path(self.saves_dir, name), self.story, self.state, self.play_settings())

    def load(self, name_or_path: str | Path) -> GameState:
        """Load a save; on any problem raise SaveError and keep the current game."""
        self.flush()
        path = name_or_path if isinstance(name_or_path, Path) else resolve_save(self.saves_dir, name_or_path)
        envelope = read_envelope(path)
        story = self.story
        if envelope.story.id == story.id and envelope.story.scenario != (story.scenario.id if story.scenario else None):
            try:
                story = story.with_scenario(envelope.story.scenario)  # a save plays on in the scenario it was made in
            except KeyError:
                raise SaveError(
                    f'{path}: made in the scenario "{envelope.story.scenario}", which this story does not have'
                ) from None
        state = state_from_envelope(envelope, story, str(path))
        self.story = story
        self.state = state
        self._slot = path.stem if path.resolve().parent == self._saves_folder() else self._fresh_slot()
        if state.player:
            self.player = state.player
        kept = envelope.settings
        self.classroom = self.settings.classroom or (kept is not None and kept.classroom)
        if kept is not None:
            self.show_effects = kept.show_effects
        return state

    def saves(self) -> list[SaveInfo]:
        self.flush()
        return list_saves(self.saves_dir)

    def latest(self) -> SaveInfo | None:
        """The newest readable save of this story (for Continue)."""
        for info in self.saves():
            if not info.error and info.story_id == self.story.id:
                return info
        return None

    def delete(self, name: str) -> None:
        self.flush()
        delete_save(self.saves_dir, name)

    def slot_scene(self, info: SaveInfo) -> str:
        """The scene (or ending) a save is at, by title when this story knows it."""
        if info.error:
            return ""
        if info.story_id != self.story.id:
            return f"(another story: {clean_line(info.story_id)})"
        return node_title(self.story, info.ending or info.node)

    def export(self, fmt: str = "md") -> Path:
        """Save the game to its slot and write its decision record next to it (raises SaveError)."""
        from .records.transcript import TranscriptError, export_transcript  # the app's start-up does not need it

        if self.state is None:
            raise SaveError("there is no game to export")
        path = self.save(self.game_slot())
        try:
            return export_transcript(path, fmt, None, story=self.story)
        except TranscriptError as exc:
            raise SaveError(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - a bug in a renderer: reported, never a crash, never retried
            raise SaveError(f"export failed: {clean_line(str(exc)) or type(exc).__name__}") from None

    # ------------------------------------------------------------ reload
    def reload(self) -> ReloadResult:
        """Load the story again from disk and carry the game over."""
        scenario = self.story.scenario.id if self.story.scenario else None
        try:
            new = load_story(self.settings.story_path).scenario_named(scenario)  # the same scenario as before
        except ValueError as exc:
            return ReloadResult("error", f"Could not reload the story: {clean_line(str(exc))}; the old story is kept.")
        except StoryError as exc:
            errors = [p for p in exc.problems if p.severity == "error"] or exc.problems
            lines = tuple(str(p) for p in errors) or (str(exc),)
            n = len(lines)
            return ReloadResult("problems", f"The story has {n} error{'s' if n != 1 else ''}; the old story is kept.", lines)
        except Exception as exc:  # noqa: BLE001 - a folder that vanished, a permission problem
            return ReloadResult("error", f"Could not reload the story: {clean_line(str(exc))}; the old story is kept.")
        if self.state is None:
            self.story = new
            return ReloadResult("ok", "Story reloaded.")
        try:
            state = remap(self.story, new, self.state)
        except RemapError as exc:
            return ReloadResult("vanished", clean_line(str(exc)), story=new, fallback=exc.fallback)
        self.story = new
        self.state = state
        return ReloadResult("ok", "Story reloaded; the game carries on from the same scene.")

    def accept_jump(self, story: Story, node_id: str) -> GameState:
        """Continue in ``story`` from ``node_id`` with the same meters and flags."""
        assert self.state is not None
        # remap the whole chain as if the game stood at the new node, so undo
        # and the timeline keep working, then jump there
        moved = replace(self.state, node=node_id, ending=None)
        carried = remap(self.story, story, moved)
        self.state = jump(story, carried, node_id)
        self.story = story
        return self.state

    # ------------------------------------------------------------ views
    def decisions(self) -> list[Decision]:
        """Every decision so far, described (see game.present)."""
        return decisions(self.story, self.state) if self.state is not None else []

    def last_decision(self) -> Decision | None:
        return describe(self.story, self.state) if self.state is not None else None

    def series(self) -> list[tuple[Meter, list[int]]]:
        """Each meter's value at the start and after every decision."""
        states = states_from_start(self.state) if self.state is not None else []
        return [(m, [st.meters[i] for st in states]) for i, m in enumerate(self.story.meters)]


__all__ = [
    "DEFAULT_MIN_RATIONALE",
    "MAX_MIN_RATIONALE",
    "EngineError",
    "NewGame",
    "ReloadResult",
    "SaveError",
    "Session",
    "SessionError",
    "Settings",
    "open_story",
    "tidy_rationale",
]
