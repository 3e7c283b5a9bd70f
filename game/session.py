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
* what undo may do (:meth:`Session.can_undo`, :meth:`Session.undo_problem`;
  every undo is kept in the save: :attr:`Session.undone`);
* which settings the command line fixes for every game (a teacher's, with
  ``--classroom`` or under ``tightrope serve``: :meth:`Session.fixed`);
* where saves go and what they are called (:attr:`Session.saves_dir`,
  :meth:`Session.game_slot`, :meth:`Session.autosave_slots`), writing them in
  the background or now. Every game has a slot of its own, named after the
  player and the day (``Amina-Q-2025-12-02``, then ``-2``, ``-3``: a new game
  never takes the slot of another), locked while the game is played so that
  two sessions never write one file; a finished game is never replaced
  (undo at an ending carries on in a new slot);
* which games Continue offers: the player's own (:meth:`Session.latest`);
* the decision record's export and the story's hot reload.

No Textual here, and no front end: everything is testable without a screen.
"""

from __future__ import annotations

import argparse
import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .engine import EngineError, GameState, Option, RemapError, choose, jump, new_game, options, remap, undo
from .engine.core import states_from_start
from .engine.scene import check_node, parse_settings, start_at
from .errors import UsageError
from .paths import default_saves, story_dir
from .present import Decision, decisions, describe, node_title
from .progress import FILE_NAME as ENDINGS_FOUND_FILE
from .progress import PROGRESS_FOLDER, EndingsFound, default_file
from .saves import (
    AUTOSAVE,
    GAME_SLOT,
    NAMED,
    Extra,
    PlaySettings,
    SaveError,
    SaveInfo,
    SlotBusy,
    SlotLock,
    Undone,
    delete_save,
    list_saves,
    player_folder,
    read_envelope,
    resolve_save,
    slot_path,
    slug,
    state_from_envelope,
    story_for,
    write_save,
)
from .story import Story, StoryError, load_story
from .story.model import Ending, Meter, Node
from .story.text import clean_line

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

DEFAULT_MIN_RATIONALE = 40
MAX_MIN_RATIONALE = 10_000  # characters: the same cap for every front end
MAX_SLOTS_A_DAY = 999  # NAME-DATE, NAME-DATE-2, ... NAME-DATE-999
FULL_STORY = ""  # NewGame.scenario: the full story, whatever the command line said


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
    start: str | None = None  # a new game starts at this node (--start) ...
    values: tuple[str, ...] = ()  # ... with these meter and flag values (--set NAME=VALUE)
    no_undo: bool = False
    scenario: str | None = None

    @property
    def fixed(self) -> bool:
        """True when the command line's settings hold for every game: a teacher's (``--classroom``) or a server's."""
        return self.classroom or self.per_player

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
            start=text("start"),
            values=tuple(v for v in options.get("set") or () if isinstance(v, str)),
            no_undo=options.get("no_undo") is True,
            scenario=text("scenario"),
        )


@dataclass(frozen=True)
class NewGame:
    """What a new game is started with (the new-game dialog returns one).

    ``scenario`` is a scenario id, :data:`FULL_STORY` for the full story, or
    None for the command line's (``--scenario``, else the full story).
    Settings the command line fixes (:meth:`Session.fixed`) win over these.
    """

    player: str
    seed: int | None
    show_effects: bool
    classroom: bool
    scenario: str | None = None


@dataclass(frozen=True)
class Fixed:
    """The settings a teacher's command line fixes for every game (the new-game dialog shows them, not as boxes)."""

    classroom: bool
    min_rationale: int
    seed: int | None  # None: each game draws its own
    scenario: str | None  # None: not fixed
    scenario_title: str
    no_undo: bool
    show_effects: bool | None  # None: the player chooses

    def lines(self) -> list[str]:
        """One short line per fixed setting, for the dialog."""
        out = []
        if self.classroom:
            least = f"at least {self.min_rationale} characters" if self.min_rationale else "any length"
            out.append(f"Classroom mode: a written rationale at each key decision ({least})")
        if self.seed is not None:
            out.append(f"Seed {self.seed}: the whole class meets the same events")
        if self.scenario is not None:
            out.append(f"Scenario: {self.scenario_title}")
        if self.no_undo:
            out.append("Undo is off")
        if self.show_effects is False:
            out.append("Choices do not show their effects")
        return out


def same_player(a: str, b: str) -> bool:
    """Whether two names are one player's: case and spacing aside."""
    return " ".join(clean_line(a).casefold().split()) == " ".join(clean_line(b).casefold().split())


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


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
    """Load a story to play (in ``scenario``, if given); problems are UsageErrors with one line."""
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

    ``keep_autosave`` writes the game to its own slot after every decision
    in every mode (the app's Continue reads it); plain mode, which has no
    Continue, writes it in classroom mode only, and always the ``--autosave``
    slot it was asked for.
    """

    story: Story
    settings: Settings
    state: GameState | None = None
    player: str = ""
    show_effects: bool = True
    classroom: bool = False
    keep_autosave: bool = True
    no_undo: bool = False
    least: int = DEFAULT_MIN_RATIONALE  # the shortest rationale this game accepts in classroom mode
    game_id: str = ""
    undone: list[Undone] = field(default_factory=list)  # decisions taken back, oldest first
    _writer: ThreadPoolExecutor | None = field(default=None, repr=False)
    _pending: list[Future[list[str]]] = field(default_factory=list, repr=False)
    _gates: list[threading.Event] = field(default_factory=list, repr=False)
    _slot: str | None = field(default=None, repr=False)  # the game's own slot, once claimed
    _slot_finished: bool = field(default=False, repr=False)  # the slot holds (or will hold) a finished game
    _locks: dict[Path, SlotLock] = field(default_factory=dict, repr=False)
    _notice: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        self.no_undo = self.no_undo or self.settings.no_undo
        self.least = self.settings.min_rationale
        if not self.game_id:
            self.game_id = secrets.token_hex(8)

    @classmethod
    def open(cls, settings: Settings, *, keep_autosave: bool = True) -> Session:
        """Load the story (raises UsageError) and start a session without a game."""
        story = open_story(settings.story_path, settings.scenario)
        session = cls(story, settings, None, settings.name, settings.show_effects, settings.classroom, keep_autosave)
        session._first_state(0, "")  # a --start or --set the story cannot take is a UsageError now, not mid-game
        return session

    @property
    def full_story(self) -> Story:
        """The story with every scenario (``story`` is the scenario being played)."""
        return self.story.full or self.story

    def fixed(self) -> Fixed | None:
        """What the command line fixes for every game, or None when the player chooses (see Settings.fixed)."""
        s = self.settings
        if not s.fixed:
            return None
        scenario = s.scenario
        title = ""
        if scenario is not None:
            sc = self.full_story.scenarios.get(scenario)
            title = clean_line(sc.title) if sc is not None else scenario
        return Fixed(
            classroom=s.classroom,
            min_rationale=s.min_rationale,
            seed=s.seed,
            scenario=scenario,
            scenario_title=title,
            no_undo=s.no_undo,
            show_effects=None if s.show_effects else False,
        )

    def take_notice(self) -> str:
        """A message for the player from the last start, load or undo ("" when there is none); read once."""
        notice, self._notice = self._notice, ""
        return notice

    # ------------------------------------------------------------ start
    def start(self, game: NewGame) -> GameState:
        """A new game (raises SessionError when a name is needed and missing).

        Settings the command line fixes win over the game's. In a mode that
        saves as it goes, the game claims a slot of its own now (see
        :meth:`game_slot`).
        """
        fixed = self.fixed()
        if fixed is not None:
            game = replace(
                game,
                classroom=game.classroom or fixed.classroom,
                seed=fixed.seed if fixed.seed is not None else game.seed,
                scenario=fixed.scenario if fixed.scenario is not None else game.scenario,
                show_effects=game.show_effects if fixed.show_effects is None else fixed.show_effects,
            )
        player = clean_line(game.player)
        if (self.settings.per_player or game.classroom) and not player:
            raise SessionError("a name is needed" + (" in classroom mode" if game.classroom else " to keep your saves apart"))
        wanted = self.settings.scenario if game.scenario is None else (game.scenario or None)
        try:
            story = self.full_story.scenario_named(wanted)
        except ValueError as exc:
            raise SessionError(str(exc)) from None
        seed = game.seed if game.seed is not None else secrets.randbelow(2**31)
        state = self._first_state(seed, player, story)
        self.flush()
        before = self._snapshot()
        self._let_go()
        self.story = story
        self.player = player
        self.show_effects = game.show_effects
        self.classroom = game.classroom
        self.no_undo = self.settings.no_undo
        self.least = self.settings.min_rationale
        self.game_id = secrets.token_hex(8)
        self.undone = []
        self.state = state
        try:
            self._take_slots()
        except SaveError as exc:
            self._let_go()
            self._restore(before)
            raise SessionError(str(exc)) from None
        return self.state

    def _first_state(self, seed: int, player: str, story: Story | None = None) -> GameState:
        """A new game: at the story's start, or where --start and --set put it."""
        s = self.settings
        story = story or self.story
        if s.start is None and not s.values:
            return new_game(story, seed, player)
        node = s.start or story.start
        try:
            check_node(story, node)
        except EngineError as exc:
            raise UsageError(f"--start: {exc}") from None
        try:
            return start_at(story, node, parse_settings(story, s.values), seed, player)
        except EngineError as exc:
            raise UsageError(f"--set: {exc}") from None

    # what a new game replaces, put back when it cannot take its slots
    _GAME = ("story", "state", "player", "show_effects", "classroom", "no_undo", "least", "game_id", "undone")

    def _snapshot(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._GAME)

    def _restore(self, snap: tuple[object, ...]) -> None:
        for name, value in zip(self._GAME, snap):
            setattr(self, name, value)

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
        except SessionError as exc:
            if "a name is needed" not in str(exc):
                raise UsageError(str(exc)) from None
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
        return self.least if self.classroom else 0

    def rationale_problem(self, text: str) -> str | None:
        """Why a rationale cannot be accepted here, or None when it can."""
        if not self.needs_rationale():
            return None
        n, least = len(tidy_rationale(text)), self.least
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

    def undo_problem(self) -> str | None:
        """Why the last decision cannot be taken back now, or None when it can."""
        if self.state is None or self.state.prev is None:
            return "Nothing to undo."
        if self.no_undo:
            return "Undo is turned off for this game" + (" by your teacher." if self.settings.fixed else ".")
        return None

    def can_undo(self) -> bool:
        """Whether the last decision may be taken back now."""
        return self.undo_problem() is None

    def undo(self) -> bool:
        """Take the last decision back; it is kept in :attr:`undone` (and so in the save) with its rationale.

        Undo at an ending leaves the finished game in its slot: the game
        goes on in a new slot of its own.
        """
        if not self.can_undo():
            return False
        state = self.state
        assert state is not None and state.step is not None
        step = state.step
        self.undone.append(Undone(state.turn, step.node, step.choice, step.outcome, step.rationale, state.ending, _now()))
        self.state = undo(state)
        if state.ending is not None and self._slot is not None and self._slot_finished:
            kept = self._slot
            self._let_go(keep_named=True)
            self.game_id = secrets.token_hex(8)
            self._claim_new()
            if self._slot is not None:
                self._notice = f'Your finished game stays in the save "{kept}"; this game goes on in "{self._slot}".'
        return True

    # ------------------------------------------------------------ where saves go
    @property
    def saves_dir(self) -> Path:
        root = self.settings.saves_root
        if not self.settings.per_player:
            return root
        if not self.player.strip():
            raise SaveError("enter your name first: each player's saves are kept apart")
        return player_folder(root, self.player)

    def endings_found(self) -> EndingsFound:
        """The endings this player has found across games: in the data folder, or the player's own save folder."""
        if self.settings.per_player:  # in a sub-folder, so that no list of saves ever takes it for a save
            return EndingsFound(self.saves_dir / PROGRESS_FOLDER / ENDINGS_FOUND_FILE)
        return EndingsFound(default_file())

    @property
    def writes_game_slot(self) -> bool:
        """Whether the game is written to its own slot after every decision (the app, and classroom mode)."""
        return self.keep_autosave or self.classroom

    def slot_base(self, today: date | None = None) -> str:
        """The first slot a game of this player takes on a day: the name and the date, else "autosave"."""
        if self.player.strip():
            return f"{slug(self.player)}-{(today or date.today()).isoformat()}"
        return AUTOSAVE

    def game_slot(self, today: date | None = None) -> str:
        """The slot this game is kept in: its own, claimed when it started (else the first it would take)."""
        return self._slot if self._slot is not None else self.slot_base(today)

    def autosave_slots(self) -> list[str]:
        """Every slot written after a decision: the game's own, and the ``--autosave`` slot."""
        wanted = [self.game_slot() if self.writes_game_slot else None, self.settings.autosave]
        return list(dict.fromkeys(slot for slot in wanted if slot))

    def play_settings(self) -> PlaySettings:
        return PlaySettings(self.classroom, self.show_effects, self.no_undo, self.least)

    def _extra(self, kind: str) -> Extra:
        return Extra(self.game_id, kind, tuple(self.undone))

    def _take_slots(self) -> None:
        """Claim a new game's slots: the ``--autosave`` slot (SaveError when another session plays it) and its own."""
        if self.settings.autosave:
            try:
                self._hold(slot_path(self.saves_dir, self.settings.autosave))
            except SlotBusy:
                raise
            except SaveError:  # the folder cannot be written: the first autosave says why
                pass
        if self.writes_game_slot:
            try:
                self._claim_new()
            except SaveError:  # the folder cannot be written: the first autosave says why
                self._slot = None

    def _hold(self, path: Path) -> SlotLock:
        path = path.resolve()
        lock = self._locks.get(path)
        if lock is None or not lock.held:
            lock = SlotLock.acquire(path, self.player)
            self._locks[path] = lock
        return lock

    def _claim_new(self, today: date | None = None) -> None:
        """Take the first free slot of the day (NAME-DATE, NAME-DATE-2, ...): no file there and no session playing it."""
        self._slot, self._slot_finished = None, False
        try:
            folder = self.saves_dir
        except SaveError:
            return  # per-player saves without a name: nothing can be written (autosave says why)
        base = self.slot_base(today)
        busy: SlotBusy | None = None
        for n in range(1, MAX_SLOTS_A_DAY + 1):
            slot = base if n == 1 else f"{base}-{n}"
            path = slot_path(folder, slot).resolve()
            if path.exists() or path.with_name(path.name + ".bak").exists():
                continue
            try:
                lock = SlotLock.acquire(path, self.player)
            except SlotBusy as exc:
                busy = busy or exc
                continue
            if path.exists():  # written by another session between our look and our lock
                lock.release()
                continue
            self._locks[path] = lock
            self._slot = slot
            if n > 1 and busy is not None and busy.holder is not None:
                self._notice = f'{busy.holder.describe()} is already open; this game is kept apart in the save "{slot}".'
            elif n > 1:
                self._notice = f'Your earlier game is kept; this game is saved as "{slot}".'
            return
        raise SaveError(f"{folder}: every slot from {base} to {base}-{MAX_SLOTS_A_DAY} is taken")

    def _let_go(self, keep_named: bool = False) -> None:
        """Release the game's slot (and with it, unless ``keep_named``, the ``--autosave`` slot)."""
        named = None
        if keep_named and self.settings.autosave:
            try:
                named = slot_path(self.saves_dir, self.settings.autosave).resolve()
            except SaveError:
                named = None
        for path in list(self._locks):
            if path != named:
                self._locks.pop(path).release()
        self._slot, self._slot_finished = None, False

    # ------------------------------------------------------------ saving
    def _jobs(self) -> list[tuple[Path, Extra]] | SaveError:
        """(file, what it keeps) for every automatic slot, or why none can be written."""
        try:
            folder = self.saves_dir
            jobs = []
            if self.writes_game_slot:
                if self._slot is None:
                    self._claim_new()
                if self._slot is not None:
                    jobs.append((slot_path(folder, self._slot), self._extra(GAME_SLOT)))
            if self.settings.autosave:
                named = slot_path(folder, self.settings.autosave)
                self._hold(named)  # never a slot another session plays
                jobs.append((named, self._extra(NAMED)))
        except SaveError as exc:
            return exc
        return jobs

    def autosave(self) -> list[str]:
        """Write every automatic slot now; returns one message per failure."""
        self.flush()
        if self.state is None:
            return []
        jobs = self._jobs()
        self._slot_finished = self.state.ending is not None
        return self._write_slots(self.story, self.state, self.play_settings(), jobs)

    def autosave_later(self, after: threading.Event | None = None) -> Future[list[str]]:
        """Write every automatic slot on a background thread, in order of the calls.

        Saving takes milliseconds (fsync), which a screen should not wait
        for. States are immutable, so the writer sees exactly the state of
        the call. The future's result is one message per failure.

        With ``after``, the writer starts once that event is set (the app
        sets it when the new screen is drawn, so that the writer's Python
        does not share the interpreter with drawing it), or after
        GATE_SECONDS at the latest; :meth:`flush` (and so :meth:`close`)
        sets it at once.
        """
        assert self.state is not None
        if self._writer is None:
            from concurrent.futures import ThreadPoolExecutor  # only once a game is played

            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tightrope-autosave")
        jobs = self._jobs()
        self._slot_finished = self.state.ending is not None
        job = self._writer.submit(self._write_after, after, self.story, self.state, self.play_settings(), jobs)
        self._pending = [f for f in self._pending if not f.done()] + [job]
        if after is not None:
            self._gates = [g for g in self._gates if not g.is_set()] + [after]
        return job

    GATE_SECONDS = 0.5

    @classmethod
    def _write_after(
        cls,
        gate: threading.Event | None,
        story: Story,
        state: GameState,
        settings: PlaySettings,
        jobs: list[tuple[Path, Extra]] | SaveError,
    ) -> list[str]:
        if gate is not None:
            gate.wait(cls.GATE_SECONDS)
        return cls._write_slots(story, state, settings, jobs)

    def flush(self) -> None:
        """Wait for the background saves (before reading the save folder, and on exit)."""
        gates, self._gates = self._gates, []
        for gate in gates:
            gate.set()
        pending, self._pending = self._pending, []
        for job in pending:
            job.result()

    def close(self) -> None:
        """Wait for the last save and let the game's slots go."""
        self.flush()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        slot = self._slot
        self._let_go()
        self._slot = slot  # still the game's name (game_slot), no longer held

    @staticmethod
    def _write_slots(
        story: Story, state: GameState, settings: PlaySettings, jobs: list[tuple[Path, Extra]] | SaveError
    ) -> list[str]:
        failed = []
        try:
            if isinstance(jobs, SaveError):
                raise jobs
            for path, extra in jobs:
                write_save(path, story, state, settings, extra)
        except SaveError as exc:
            failed.append(f"Autosave failed: {exc}")
        except Exception as exc:  # noqa: BLE001 - a background thread must report, not die
            failed.append(f"Autosave failed: {clean_line(str(exc)) or type(exc).__name__}")
        return failed

    def save(self, name: str) -> Path:
        """Save the game under a name (raises SaveError): never over a slot another session plays, or another game's own."""
        if self.state is None:
            raise SaveError("there is no game to save yet")
        self.flush()
        path = slot_path(self.saves_dir, name)
        own = self._slot is not None and self.writes_game_slot and name == self._slot
        if path.resolve() in self._locks:
            written = write_save(path, self.story, self.state, self.play_settings(), self._extra(GAME_SLOT if own else NAMED))
            if own:
                self._slot_finished = self.state.ending is not None
            return written
        lock = SlotLock.acquire(path, self.player)
        try:
            return write_save(path, self.story, self.state, self.play_settings(), self._extra(NAMED))
        finally:
            lock.release()

    def load(self, name_or_path: str | Path) -> GameState:
        """Load a save; on any problem raise SaveError and keep the current game.

        A game's own slot in the save folder is played on in place (and
        refused while another session plays it); a game loaded from a save
        made under a name goes on in a new slot of its own, leaving that
        save as it was.
        """
        self.flush()
        path = name_or_path if isinstance(name_or_path, Path) else resolve_save(self.saves_dir, name_or_path)
        envelope = read_envelope(path)
        story = story_for(envelope, self.full_story, str(path))
        state = state_from_envelope(envelope, story, str(path))
        kept = envelope.settings
        in_place = None  # the game's own slot in this folder: played on where it is
        try:
            if envelope.slot == GAME_SLOT and envelope.game and path.resolve().parent == self.saves_dir.resolve():
                in_place = path.resolve()
        except SaveError:
            in_place = None
        held = None
        if in_place is not None and self.writes_game_slot:
            held = self._hold(in_place)  # SlotBusy: another session plays it; nothing has changed
        for old in [p for p in self._locks if p != in_place]:
            self._locks.pop(old).release()
        self._slot, self._slot_finished = None, False
        self.story, self.state = story, state
        if state.player:
            self.player = state.player
        self.classroom = self.settings.classroom or (kept is not None and kept.classroom)
        if kept is not None:
            self.show_effects = kept.show_effects
        self.no_undo = self.settings.no_undo or (kept is not None and kept.no_undo)
        least = kept.min_rationale if kept is not None else None
        self.least = self.settings.min_rationale if self.settings.fixed or least is None else min(least, MAX_MIN_RATIONALE)
        self.game_id = envelope.game if in_place is not None else secrets.token_hex(8)
        self.undone = list(envelope.undone)
        if held is not None:
            self._slot, self._slot_finished = path.stem, state.ending is not None
        if self.writes_game_slot and held is None:
            try:
                self._claim_new()
            except SaveError:  # the folder cannot be written: the first autosave says why
                self._slot = None
        return state

    def saves(self) -> list[SaveInfo]:
        self.flush()
        return list_saves(self.saves_dir)

    def continue_needs_name(self) -> bool:
        """Whether Continue must ask whose game first: no name is known and the folder has named games (or is per player)."""
        if self.player.strip():
            return False
        if self.settings.per_player:
            return True
        try:
            return any(i.player.strip() for i in self.saves() if not i.error and i.story_id == self.story.id)
        except SaveError:
            return False

    def latest(self) -> SaveInfo | None:
        """The newest readable save of this story by this player (for Continue); never another player's."""
        wanted = self.settings.scenario if self.settings.fixed else None
        for info in self.saves():
            if info.error or info.story_id != self.story.id or not same_player(info.player, self.player):
                continue
            if wanted is not None and info.scenario != wanted:
                continue
            return info
        return None

    def delete(self, name: str) -> None:
        """Delete a save (raises SaveError); never one another session plays."""
        self.flush()
        path = slot_path(self.saves_dir, name).resolve()
        if path in self._locks:
            delete_save(self.saves_dir, name)
            if name == self._slot:
                self._slot_finished = False
            return
        lock = SlotLock.acquire(path, self.player)
        try:
            delete_save(self.saves_dir, name)
        finally:
            lock.release()

    def slot_scene(self, info: SaveInfo) -> str:
        """The scene (or ending) a save is at, by title when this story knows it."""
        if info.error:
            return ""
        if info.story_id != self.story.id:
            return f"(another story: {clean_line(info.story_id)})"
        full = self.full_story
        story = full.with_scenario(info.scenario) if info.scenario is None or info.scenario in full.scenarios else full
        return node_title(story, info.ending or info.node)

    def export(self, fmt: str = "md") -> Path:
        """Save the game to its slot and write its decision record next to it (raises SaveError)."""
        from .records.transcript import TranscriptError, export_transcript  # the app's start-up does not need it

        if self.state is None:
            raise SaveError("there is no game to export")
        if self.writes_game_slot:
            problems = self.autosave()
            if problems:
                raise SaveError(problems[0].removeprefix("Autosave failed: "))
            path = slot_path(self.saves_dir, self.game_slot())
        else:
            path = self.save(self.game_slot())
        try:
            return export_transcript(path, fmt, None, story=self.full_story)
        except TranscriptError as exc:
            raise SaveError(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - a bug in a renderer: reported, never a crash, never retried
            raise SaveError(f"export failed: {clean_line(str(exc)) or type(exc).__name__}") from None

    # ------------------------------------------------------------ reload
    def reload(self) -> ReloadResult:
        """Load the story again from disk and carry the game over."""
        try:
            new = load_story(self.settings.story_path)
            scenario = self.story.scenario
            if scenario is not None:
                if scenario.id not in new.scenarios:
                    return ReloadResult("error", f'The story no longer has the scenario "{scenario.id}"; the old story is kept.')
                new = new.with_scenario(scenario.id)
        except StoryError as exc:
            lines = tuple(exc.lines())  # what tightrope check prints: root causes, follow-on errors folded
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
    "FULL_STORY",
    "MAX_MIN_RATIONALE",
    "EngineError",
    "Fixed",
    "NewGame",
    "ReloadResult",
    "SaveError",
    "Session",
    "SessionError",
    "Settings",
    "open_story",
    "same_player",
    "tidy_rationale",
]
