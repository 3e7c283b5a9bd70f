"""The game session behind the Textual app: story, state, settings and saves.

No Textual here. Everything the app decides (what a choice does, where saves
go, which slots are written after a decision, how a hot reload carries the
game over) lives in this plain class, so it can be tested without a screen
and the screens stay thin.
"""

from __future__ import annotations

import argparse
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine import EngineError, GameState, Option, RemapError, choose, history, jump, new_game, options, remap, undo
from ..paths import default_saves, default_story
from ..plain import classroom_slot
from ..present import BASIS_LABEL, choice_text, node_title, outcome_text, signed
from ..saves import (
    AUTOSAVE,
    SaveError,
    SaveInfo,
    delete_save,
    list_saves,
    read_envelope,
    read_save,
    resolve_save,
    slot_path,
    slug,
    write_save,
)
from ..story import Story, StoryError, load_story
from ..story.model import Ending, Meter, Node
from ..story.text import clean, clean_line

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

SETTINGS_KEY = "play_settings"  # extra save key: the app's settings for the game


@dataclass
class Settings:
    """What `tightrope play` was asked for (see game/cli.py)."""

    story_path: Path
    saves_root: Path
    seed: int | None = None
    name: str = ""
    load: str | None = None
    autosave: str | None = None
    classroom: bool = False
    min_rationale: int = 40
    show_effects: bool = True
    per_player: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Settings:
        def get(name: str, default: Any = None) -> Any:
            return getattr(args, name, default)

        story = get("story")
        return cls(
            story_path=Path(story) if story else default_story(),
            saves_root=default_saves(get("saves")),
            seed=get("seed"),
            name=clean_line(get("name") or ""),
            load=get("load"),
            autosave=get("autosave"),
            classroom=bool(get("classroom", False)),
            min_rationale=max(0, int(get("min_rationale", 40) or 0)),
            show_effects=not get("hide_effects", False),
            per_player=bool(get("per_player_saves", False)),
        )


@dataclass(frozen=True)
class NewGame:
    """What the new-game dialog returns."""

    player: str
    seed: int | None
    show_effects: bool
    classroom: bool


@dataclass(frozen=True)
class Decision:
    """One past decision, ready to show (timeline and debrief review)."""

    turn: int
    node: str
    scene: str
    choice: str
    outcome: str
    changes: tuple[tuple[str, int], ...]  # (meter label, delta)
    events: tuple[str, ...]  # event titles
    note: str
    rationale: str


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


@dataclass
class Session:
    story: Story
    settings: Settings
    state: GameState | None = None
    player: str = ""
    show_effects: bool = True
    classroom: bool = False
    _writer: ThreadPoolExecutor | None = field(default=None, repr=False)
    _pending: list[Future[list[str]]] = field(default_factory=list, repr=False)

    @classmethod
    def open(cls, settings: Settings) -> Session:
        """Load the story (raises StoryError) and start an empty session."""
        story = load_story(settings.story_path)
        return cls(story, settings, None, settings.name, settings.show_effects, settings.classroom)

    # ------------------------------------------------------------ where
    @property
    def needs_name(self) -> bool:
        """Per-player saves and classroom mode need the player's name."""
        return self.settings.per_player or self.classroom

    @property
    def saves_dir(self) -> Path:
        root = self.settings.saves_root
        if not self.settings.per_player:
            return root
        if not self.player.strip():
            raise SaveError("enter your name first: each player's saves are kept apart")
        return root / slug(self.player)

    # ------------------------------------------------------------ play
    def start(self, game: NewGame) -> GameState:
        player = clean_line(game.player)
        if (self.settings.per_player or game.classroom) and not player:
            raise SaveError("a name is needed" + (" in classroom mode" if game.classroom else " to keep your saves apart"))
        self.player = player
        self.show_effects = game.show_effects
        self.classroom = game.classroom
        seed = game.seed if game.seed is not None else secrets.randbelow(2**31)
        self.state = new_game(self.story, seed, player)
        return self.state

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

    def choose(self, choice_id: str, rationale: str = "") -> GameState:
        """Make a decision (raises EngineError when the choice is unknown or unavailable).

        The caller writes the automatic saves: :meth:`autosave` or :meth:`autosave_later`.
        """
        assert self.state is not None
        self.state = choose(self.story, self.state, choice_id, rationale)
        return self.state

    def undo(self) -> bool:
        if self.state is None or self.state.prev is None:
            return False
        self.state = undo(self.state)
        return True

    # ------------------------------------------------------------ saves
    def autosave_slots(self) -> list[str]:
        slots = [AUTOSAVE]
        if self.settings.autosave and self.settings.autosave not in slots:
            slots.append(self.settings.autosave)
        if self.classroom and self.player:
            slot = classroom_slot(self.player)
            if slot not in slots:
                slots.append(slot)
        return slots

    def autosave(self) -> list[str]:
        """Write every automatic slot now; returns one message per failure."""
        self.flush()
        if self.state is None:
            return []
        return self._write_slots(self.story, self.state, self._extra(), self._autosave_dir(), self.autosave_slots())

    def autosave_later(self) -> Future[list[str]]:
        """Write every automatic slot on a background thread, in order of the calls.

        Saving takes milliseconds (fsync), which the screen should not wait
        for. States are immutable, so the writer sees exactly the state of
        the call. The future's result is one message per failure.
        """
        assert self.state is not None
        if self._writer is None:
            from concurrent.futures import ThreadPoolExecutor

            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tightrope-autosave")
        job = self._writer.submit(
            self._write_slots, self.story, self.state, self._extra(), self._autosave_dir(), self.autosave_slots()
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

    def _autosave_dir(self) -> Path | SaveError:
        try:
            return self.saves_dir
        except SaveError as exc:
            return exc

    @staticmethod
    def _write_slots(
        story: Story, state: GameState, extra: dict[str, Any], folder: Path | SaveError, slots: list[str]
    ) -> list[str]:
        failed = []
        try:
            if isinstance(folder, SaveError):
                raise folder
            for slot in slots:
                write_save(slot_path(folder, slot), story, state, extra)
        except SaveError as exc:
            failed.append(f"Autosave failed: {exc}")
        except Exception as exc:  # noqa: BLE001 - a background thread must report, not die
            failed.append(f"Autosave failed: {clean_line(str(exc)) or type(exc).__name__}")
        return failed

    def _extra(self) -> dict[str, Any]:
        return {SETTINGS_KEY: {"classroom": self.classroom, "show_effects": self.show_effects}}

    def save(self, name: str) -> Path:
        if self.state is None:
            raise SaveError("there is no game to save yet")
        self.flush()
        return write_save(slot_path(self.saves_dir, name), self.story, self.state, self._extra())

    def load(self, name_or_path: str | Path) -> GameState:
        """Load a save; on any problem raise SaveError and keep the current game."""
        self.flush()
        path = name_or_path if isinstance(name_or_path, Path) else resolve_save(self.saves_dir, name_or_path)
        state = read_save(path, self.story)
        settings: dict[str, Any] = {}
        try:
            raw = read_envelope(path).get(SETTINGS_KEY)
            settings = raw if isinstance(raw, dict) else {}
        except SaveError:
            pass
        self.state = state
        if state.player:
            self.player = state.player
        self.classroom = self.settings.classroom or settings.get("classroom") is True
        if isinstance(settings.get("show_effects"), bool):
            self.show_effects = settings["show_effects"]
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
        """Export the decision record with the classroom transcript module.

        Raises SaveError with a clear message when the module is missing.
        """
        try:
            from ..classroom.transcript import export_transcript  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise SaveError("the transcript exporter (game.classroom.transcript) is not installed in this version") from None
        if self.state is None:
            raise SaveError("there is no game to export")
        slot = classroom_slot(self.player) if self.classroom and self.player else AUTOSAVE
        path = self.save(slot)
        try:
            try:
                out = export_transcript(path, fmt, None, story=self.story)
            except TypeError:  # an exporter without the story keyword
                out = export_transcript(path, fmt, None)
        except SaveError:
            raise
        except Exception as exc:  # another module: report, never crash the game
            raise SaveError(f"export failed: {clean_line(str(exc)) or type(exc).__name__}") from None
        return Path(out)

    # ------------------------------------------------------------ reload
    def reload(self) -> ReloadResult:
        """Load the story again from disk and carry the game over."""
        try:
            new = load_story(self.settings.story_path)
        except StoryError as exc:
            errors = [p for p in exc.problems if p.severity == "error"] or exc.problems
            lines = tuple(str(p) for p in errors) or (str(exc),)
            n = len(lines)
            return ReloadResult("problems", f"The story has {n} error{'s' if n != 1 else ''}; the old story is kept.", lines)
        except Exception as exc:  # a folder that vanished, a permission problem
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
        if self.state is None:
            return []
        out = []
        events = {e.id: e for e in self.story.events}
        for turn, step in enumerate(history(self.state), 1):
            node = self.story.nodes.get(step.node)
            choice = node.choice(step.choice) if node else None
            changes = tuple(
                (clean_line(self.story.meter(mid).label) if mid in self.story.meter_index else mid, delta)
                for mid, delta in step.changes
            )
            out.append(
                Decision(
                    turn,
                    step.node,
                    node_title(self.story, step.node),
                    choice_text(self.story, step.node, step.choice),
                    outcome_text(self.story, step),
                    changes,
                    tuple(clean_line(events[e].title) if e in events else e for e in step.events),
                    clean(choice.note) if choice else "",
                    clean(step.rationale),
                )
            )
        return out

    def series(self) -> list[tuple[Meter, list[int]]]:
        """Each meter's value at the start and after every decision."""
        states: list[GameState] = []
        s = self.state
        while s is not None:
            states.append(s)
            s = s.prev
        states.reverse()
        return [(m, [st.meters[i] for st in states]) for i, m in enumerate(self.story.meters)]


def when(iso: str) -> str:
    """A save's time as local 'YYYY-MM-DD HH:MM'."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except (ValueError, TypeError):
        return clean_line(str(iso))[:16]


def change_text(changes: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{label} {signed(delta)}" for label, delta in changes)


def basis_label(basis: str) -> str:
    return BASIS_LABEL.get(basis, basis)


__all__ = [
    "Decision",
    "EngineError",
    "NewGame",
    "ReloadResult",
    "SaveError",
    "Session",
    "Settings",
    "basis_label",
    "change_text",
    "when",
]
