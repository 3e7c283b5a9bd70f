"""The Textual app: ``tightrope play`` (and ``tightrope`` with no arguments).

The app owns a :class:`~game.session.Session` (story, state, saves, rules) and
the screen stack: the title screen at the bottom, the game or the ending on
top of it, and modal dialogs above that. Game rules stay in the session and
the engine; the screens only show the session and call it.

Start-up: ``tightrope play`` draws the title screen first and only then reads
its settings and loads the story, in a thread (:meth:`TightropeApp.open_session`).
Nothing of the game's lower layers is imported before the first frame; keys
pressed meanwhile wait for the story. A problem found then (a broken story,
a wrong option) closes the app and is printed as one line, exit status 2.
"""

from __future__ import annotations

import argparse
import gc
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.theme import Theme

from ..errors import UsageError
from .messages import SessionReady, StoryReloaded
from .title import TitleScreen, TooSmallScreen

if TYPE_CHECKING:
    from textual.timer import Timer

    from ..session import NewGame, Session
    from .screens import GameScreen

# The game and ending screens, the dialogs and the game's own layers are
# imported when first needed, so that the title screen is drawn as soon as possible.

TIGHTROPE = Theme(
    name="tightrope",
    primary="#D9A441",
    secondary="#5FA8A0",
    accent="#E9C46A",
    warning="#F4A259",
    error="#E5626A",
    success="#7BC47F",
    foreground="#E8E2D4",
    background="#12161D",
    surface="#1A2029",
    panel="#252D3A",
    dark=True,
)

TIGHTROPE_PAPER = Theme(
    name="tightrope-paper",
    primary="#8A5A00",
    secondary="#2E6F68",
    accent="#A0522D",
    warning="#B35C00",
    error="#B3261E",
    success="#2E7D32",
    foreground="#1F1B16",
    background="#F6F1E6",
    surface="#EDE6D6",
    panel="#E2D8C3",
    dark=False,
)

EXPORT_FORMATS = (("md", "Markdown"), ("html", "HTML"), ("json", "JSON"))
MIN_SIZE = (80, 24)  # below this the game says so instead of drawing a squashed layout


class TightropeApp(App[int]):
    """Tightrope in the terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "Tightrope"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    IDLE_COLLECTION_SECONDS = 0.1
    FULL_COLLECTION_EVERY = 20

    def __init__(
        self,
        session: Session | None = None,
        *,
        opener: Callable[[], Session] | None = None,
        load: str | None = None,
        debug: bool = False,
        cursor_blink: bool = True,
        animations: bool = True,
    ) -> None:
        """``session`` ready to play, or ``opener`` to make it in a thread once the title screen is drawn."""
        super().__init__()
        assert session is not None or opener is not None
        self._session = session
        self._opener = opener
        self._waiting: Callable[[], object] | None = None  # an action asked for before the story was loaded
        self.failure: UsageError | None = None  # why the session could not be opened
        self.start_load = load
        self.author_watch = debug
        self.cursor_blink = cursor_blink
        self.show_advisors = True
        self.new_ending = False  # the ending on screen was found for the first time
        self.idle_collection = False  # collect garbage after a decision, once the screen is drawn (run_tui)
        self._collect_timer: Timer | None = None
        self._collections = 0
        if not animations:
            self.animation_level = "none"
        self.register_theme(TIGHTROPE)
        self.register_theme(TIGHTROPE_PAPER)
        # Set the theme before the first style pass: assigning self.theme here
        # would parse every stylesheet twice (a tenth of the start-up time).
        # TIGHTROPE is dark like Textual's default, so only the variables and
        # the theme class change.
        self.set_reactive(App.theme, TIGHTROPE.name)
        self.stylesheet.set_variables(self.get_css_variables())
        self.set_class(True, f"-theme-{TIGHTROPE.name}")

    # ------------------------------------------------------------ the session
    @property
    def session(self) -> Session:
        assert self._session is not None, "the story is still loading"
        return self._session

    @property
    def ready(self) -> bool:
        """True once the story is loaded and the session can play."""
        return self._session is not None

    def _later(self, action: Callable[[], object]) -> bool:
        """True (and ``action`` kept for when the story is loaded) while the story is still loading."""
        if self.ready:
            return False
        self._waiting = action
        return True

    def open_session(self) -> None:
        """In a thread: read the settings and load the story, then hand the session to the app."""
        assert self._opener is not None
        try:
            session = self._opener()
        except UsageError as exc:
            self.call_from_thread(self._failed, exc)
            return
        except Exception as exc:  # noqa: BLE001 - never a traceback: one line and exit 2
            self.call_from_thread(self._failed, UsageError(f"could not start: {exc}"))
            return
        self.call_from_thread(self._opened, session)

    def _failed(self, problem: UsageError) -> None:
        self.failure = problem
        self.exit(2, return_code=2)

    def _opened(self, session: Session) -> None:
        self._session = session
        self.refresh_bindings()  # a class's settings hide the author's keys
        for screen in self.screen_stack:
            screen.post_message(SessionReady())
        if self.start_load:
            self.load_save(self.start_load)
        waiting, self._waiting = self._waiting, None
        if waiting is not None and not self.start_load:
            waiting()

    # ------------------------------------------------------------ screens
    def get_default_screen(self) -> Screen[None]:
        return TitleScreen()

    def on_mount(self) -> None:
        if self._session is None:
            # after the first frame, so the title is on screen while the story loads
            self.call_after_refresh(lambda: self.run_worker(self.open_session, thread=True, name="open the story"))
        elif self.start_load:
            self.load_save(self.start_load)
        self.check_size()

    def check_size(self) -> None:
        """Below 80x24, one plain message instead of a squashed layout (and the game resumes when it grows)."""
        small = self.size.width < MIN_SIZE[0] or self.size.height < MIN_SIZE[1]
        covered = isinstance(self.screen, TooSmallScreen)
        if small and not covered:
            self.push_screen(TooSmallScreen(MIN_SIZE))
        elif covered and not small:
            self.pop_screen()

    def on_unmount(self) -> None:
        if self._session is not None:
            self._session.close()

    @property
    def playing(self) -> bool:
        """True when the game or the ending screen is on top."""
        return getattr(self.screen, "PLAY_SCREEN", False)

    def game_screen(self) -> GameScreen | None:
        from .screens import GameScreen

        return self.screen if isinstance(self.screen, GameScreen) else None

    def tell(self, message: str, *, warn: bool = False, seconds: float = 4.0, title: str = "") -> None:
        """A short message: on the game screen in its status line (a pop-up could cover a choice), else a notification."""
        screen = self.game_screen()
        if screen is not None:
            screen.say(message, warn=warn, seconds=seconds)
        else:
            self.notify(message, title=title, severity="warning" if warn else "information", markup=False, timeout=seconds)

    def show_game(self) -> None:
        """Show the game or the ending for the session's state, above the title."""
        from .screens import EndingScreen, GameScreen

        if self.session.state is None:
            return
        target = EndingScreen() if self.session.state.ending is not None else GameScreen()
        if self.playing:
            self.switch_screen(target)
        else:
            self.push_screen(target)

    def action_title(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def leave_game(self) -> None:
        from .dialogs import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self.action_title()

        s = self.session
        saved = f'It is saved as "{s.game_slot()}"; Continue picks it up.' if s.state and s.state.turn else ""
        self.push_screen(ConfirmDialog("Leave this game for the title screen?", "Leave", "Stay", detail=saved), answered)

    def action_quit_confirm(self) -> None:
        from .dialogs import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit(0)

        self.push_screen(
            ConfirmDialog("Quit Tightrope?", "Quit", "Stay", detail="Games are saved after every decision."), answered
        )

    def action_help(self) -> None:
        if self._later(self.action_help):
            return
        from .help import HelpScreen

        self.push_screen(HelpScreen(self.session.story))

    def action_glossary(self) -> None:
        if self._later(self.action_glossary):
            return
        self.open_glossary()

    def open_glossary(self, term: int | None = None) -> None:
        """The glossary; from a scene, its terms first; ``term`` (an index) opens on that entry."""
        from .help import GlossaryScreen

        screen = self.game_screen()
        here = screen.scene_terms() if screen is not None else []
        self.push_screen(GlossaryScreen(self.session.story, featured=here, term=term))

    def action_cast(self) -> None:
        if self._later(self.action_cast):
            return
        from .help import CastScreen

        self.push_screen(CastScreen(self.session.story))

    def action_endings(self) -> None:
        if self._later(self.action_endings):
            return
        from .help import EndingsScreen

        try:
            found = self.session.endings_found().found(self.session.story.id)
        except Exception:  # noqa: BLE001 - per-player saves before a name is known
            found = {}
        self.push_screen(EndingsScreen(self.session.story, found))

    def endings_count(self) -> tuple[int, int]:
        """(endings found, endings of the story as played); (0, 0) when it cannot be known yet."""
        s = self.session
        try:
            found = s.endings_found().found(s.story.id)
        except Exception:  # noqa: BLE001 - per-player saves before a name is known
            return 0, 0
        return len(set(found) & set(s.story.endings)), len(s.story.endings)

    def action_scenario(self) -> None:
        if self._later(self.action_scenario):
            return
        from .dialogs import ScenarioDialog

        s = self.session
        full = s.story.full or s.story
        fixed = s.fixed()
        if fixed is not None and fixed.scenario is not None:
            self.notify(f"The scenario is set for this class: {fixed.scenario_title}.", markup=False, timeout=4)
            return
        if not full.scenarios:
            self.notify("This story has no scenarios: only the full story.", timeout=3)
            return

        def chosen(scenario: str | None) -> None:
            if scenario is None:
                return
            s.story = full.with_scenario(scenario or None)
            for screen in self.screen_stack:
                screen.post_message(SessionReady())

        current = s.story.scenario.id if s.story.scenario else ""
        self.push_screen(ScenarioDialog(full, current), chosen)

    def action_decisions(self) -> None:
        from .help import DecisionsScreen

        self.push_screen(DecisionsScreen(self.session.decisions()))

    def action_watch(self) -> None:
        if not self.author_watch:
            self.tell("The watch of flags and visit counts is for authors: start with tightrope play --debug.")
            return
        s = self.session
        if s.state is None:
            self.notify("Start a game first: the watch shows its flags and visit counts.", timeout=3)
            return
        from .help import WatchScreen

        self.push_screen(WatchScreen(s.story, s.state))

    # ------------------------------------------------------------ playing
    def action_new_game(self) -> None:
        if self._later(self.action_new_game):
            return
        from .dialogs import NewGameDialog

        s = self.session
        self.push_screen(
            NewGameDialog(
                s.player or s.settings.name,
                s.settings.seed,
                s.show_effects,
                s.classroom,
                name_required=s.settings.per_player,
                fixed=s.fixed(),
            ),
            self.start_game,
        )

    def start_game(self, game: NewGame | None) -> None:
        from ..session import FULL_STORY, SessionError

        if game is None:
            return
        if game.scenario is None:  # the scenario chosen on the title screen
            current = self.session.story.scenario
            game = replace(game, scenario=current.id if current is not None else FULL_STORY)
        try:
            self.session.start(game)
        except SessionError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.new_ending = False
        self.show_game()
        self._tell(self.session.take_notice())

    def action_play_again(self) -> None:
        """The same game again: the same seed, name, settings and scenario, from the start (a new slot: the finished game is kept)."""
        from ..session import FULL_STORY, NewGame

        s = self.session
        if s.state is None:
            return
        scenario = s.story.scenario.id if s.story.scenario is not None else FULL_STORY
        self.start_game(NewGame(s.player, s.state.seed, s.show_effects, s.classroom, scenario))

    def _tell(self, notice: str) -> None:
        """What the session has to tell the player (a game kept apart in a new slot, say)."""
        if notice:  # a notification (at the top, above no choice): it is about the save, not this scene
            self.notify(notice, markup=False, timeout=8)

    def decide(self, choice_id: str, choice_text: str) -> None:
        """Take a choice; in classroom mode ask for the rationale first at a key decision."""
        from ..story.text import clean_line

        s = self.session
        if not s.needs_rationale():
            self._commit(choice_id, "")
            return
        from .rationale import RationaleDialog

        def done(rationale: str | None) -> None:
            if rationale is not None:
                self._commit(choice_id, rationale)

        self.push_screen(RationaleDialog(clean_line(s.node.title), choice_text, s.rationale_problem, s.min_rationale), done)

    def _commit(self, choice_id: str, rationale: str) -> None:
        from ..engine import EngineError
        from ..session import SessionError
        from .dialogs import InterludeScreen

        s = self.session
        before = self.endings_count()[0]
        try:
            decision = s.choose(choice_id, rationale)
        except (EngineError, SessionError) as exc:
            self.tell(str(exc), warn=True)
            return
        interlude = InterludeScreen(decision) if decision.events else None
        if decision.ending is None:
            screen = self.game_screen()
            if screen is not None:
                screen.redraw(fresh=True)
            if interlude is not None:
                self.push_screen(interlude)
        else:
            self.new_ending = self.endings_count()[0] > before
            if interlude is not None:
                self.push_screen(interlude, lambda _: self.show_game())
            else:
                self.show_game()
        self.after_move()

    def after_move(self) -> None:
        """After a decision or an undo: save, then collect garbage, each once the new screen is drawn."""
        self.autosave()
        self.collect_when_idle()

    def collect_when_idle(self) -> None:
        """Collect garbage once the new screen is drawn and the player is reading it (see run_tui),
        rather than whenever the collector's counts say so, which could be in the middle of a key."""
        if not self.idle_collection:
            return
        if self._collect_timer is not None:
            self._collect_timer.stop()
        self._collect_timer = self.set_timer(self.IDLE_COLLECTION_SECONDS, self._collect)

    def _collect(self) -> None:
        self._collect_timer = None
        self._collections += 1
        # the young objects every time (a few milliseconds); everything, every FULL_COLLECTION_EVERY
        # decisions (tens of milliseconds: what a long game leaves behind)
        gc.collect(1 if self._collections % self.FULL_COLLECTION_EVERY else 2)

    def autosave(self) -> None:
        """Write the automatic slots in the background once the screen is drawn; warn if that fails."""
        drawn = threading.Event()
        job = self.session.autosave_later(after=drawn)
        self.call_after_refresh(drawn.set)

        def done(job: Future[list[str]]) -> None:
            problems = job.result()
            if not problems:
                return
            if threading.get_ident() == self._thread_id:
                self._warn(problems)
            elif self.is_running:
                try:
                    self.call_from_thread(self._warn, problems)
                except RuntimeError:  # the app closed meanwhile
                    pass

        job.add_done_callback(done)

    def _warn(self, problems: list[str]) -> None:
        for problem in problems:
            self.tell(problem, warn=True, seconds=8)

    def action_undo(self) -> None:
        from ..present import node_title

        s = self.session
        screen = self.game_screen()
        problem = s.undo_problem()
        if problem is not None or not s.undo():
            self.tell(problem or "Nothing to undo.", seconds=3)
            return
        self._tell(s.take_notice())
        assert s.state is not None
        if screen is not None:
            screen.redraw(fresh=True)  # the last decision is gone: so are the messages about it
            screen.say("Undone: back to " + node_title(s.story, s.state.node) + ".")
        else:
            self.show_game()
        self.after_move()

    # ------------------------------------------------------------ saves
    def with_player(self, then: Callable[[], None], to_continue: bool = False) -> None:
        """Run ``then()`` once the player's name is known (per-player saves, and Continue among several players, ask)."""
        from .dialogs import NameDialog

        s = self.session
        if not (s.continue_needs_name() if to_continue else s.settings.per_player and not s.player):
            then()
            return

        def named(name: str | None) -> None:
            if name:
                s.player = name
                then()

        prompt = (
            "Whose game? Continue offers only your own." if to_continue else "Whose saves? Each player's saves are kept apart."
        )
        self.push_screen(NameDialog(prompt), named)

    def action_save(self) -> None:
        if self.session.state is None:
            self.notify("There is no game to save yet: start one with n.", timeout=3)
            return
        from ..saves import SaveError
        from .saves_screen import SavesDialog

        def chosen(name: str | None) -> None:
            if not name:
                return
            try:
                path = self.session.save(name)
            except SaveError as exc:
                self.tell(str(exc), warn=True, seconds=8)
                return
            self.tell(f"Saved to {path.name}.", seconds=3)

        self.push_screen(SavesDialog(self.session, "save"), chosen)

    def action_load(self) -> None:
        if self._later(self.action_load):
            return

        def pick() -> None:
            from .saves_screen import SavesDialog

            def chosen(name: str | None) -> None:
                if name:
                    self.load_save(name)

            self.push_screen(SavesDialog(self.session, "load"), chosen)

        self.with_player(pick)

    def action_continue_game(self) -> None:
        if self._later(self.action_continue_game):
            return
        from ..saves import SaveError

        def latest() -> None:
            try:
                info = self.session.latest()
            except SaveError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            if info is None:
                self.notify("No saved game of yours in this story yet: start one with n.", timeout=3)
                return
            self.load_save(info.path)

        self.with_player(latest, to_continue=True)

    def load_save(self, name: str | Path) -> None:
        from ..saves import SaveError

        s = self.session
        scenario = s.story.scenario
        try:
            s.load(name)
        except SaveError as exc:
            self.notify(str(exc), title="Could not load the save", severity="error", markup=False, timeout=8)
            return
        self.new_ending = False
        if s.story.scenario != scenario:  # the save was made in another scenario: the title says which now
            self.screen_stack[0].post_message(SessionReady())
        self.show_game()

    def action_export(self, fmt: str = "md") -> None:
        from ..saves import SaveError

        s = self.session
        if s.state is None or s.state.ending is None:
            self.notify("The decision record can be exported at an ending.", timeout=3)
            return
        try:
            path = s.export(fmt)
        except SaveError as exc:
            self.notify(str(exc), title="Export failed", severity="error", markup=False, timeout=8)
            return
        self.notify(f"Decision record written to {path}", title="Exported", markup=False, timeout=10)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Reloading the story is an author's key: a class (``--classroom``, ``serve``) neither sees nor uses it."""
        if action == "reload" and self._session is not None and self._session.settings.fixed:
            return False
        return True

    # ------------------------------------------------------------ reload
    def action_reload(self) -> None:
        if self._later(self.action_reload):
            return
        from ..present import node_title
        from .dialogs import ConfirmDialog, ProblemsDialog

        s = self.session
        result = s.reload()
        if result.kind == "ok":
            self.tell(result.message, seconds=3)
            for screen in self.screen_stack:
                screen.post_message(StoryReloaded())
        elif result.kind == "problems":
            self.push_screen(ProblemsDialog(result.message, result.problems))
        elif result.kind == "vanished":
            new = result.story
            assert new is not None
            place = node_title(new, result.fallback)

            def answered(yes: bool | None) -> None:
                if not yes:
                    self.tell("Kept the old story.", seconds=3)
                    return
                s.accept_jump(new, result.fallback)
                for screen in self.screen_stack[:1]:
                    screen.post_message(StoryReloaded())
                self.show_game()
                self.tell(f"Story reloaded; continuing from {place}.")

            self.push_screen(
                ConfirmDialog(
                    result.message[:1].upper() + result.message[1:] + ".",
                    f"Continue from “{place}”",
                    "Keep the old story",
                    detail=f"The nearest sensible place is {place}, with your meters and flags as they are.",
                ),
                answered,
            )
        else:
            self.tell(result.message, warn=True, seconds=8)

    # ------------------------------------------------------------ palette
    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if not self.ready:
            return
        s = self.session
        yield SystemCommand("New game", "Start a new game", self.action_new_game)
        if s.state is not None:
            yield SystemCommand("Save", "Save the game to a named slot", self.action_save)
        yield SystemCommand("Load", "Load a saved game", self.action_load)
        if s.can_undo():
            yield SystemCommand("Undo", "Undo the last decision", self.action_undo)
        if s.state is not None and s.state.ending is not None:
            yield SystemCommand("Play again", "The same game again, from the same seed", self.action_play_again)
        yield SystemCommand("Glossary", "Look up a term", self.action_glossary)
        yield SystemCommand("Who's who", "The story's characters (all of them invented)", self.action_cast)
        yield SystemCommand("Endings found", "The endings you have reached", self.action_endings)
        if (s.story.full or s.story).scenarios and not self.playing:
            yield SystemCommand("Scenario", "Play the full story or one of its scenarios", self.action_scenario)
        if s.state is not None and s.state.turn:
            yield SystemCommand("Decisions", "Every decision so far, with what it changed", self.action_decisions)
        yield SystemCommand("Help", "How to play and every key", self.action_help)
        if self.check_action("reload", ()):
            yield SystemCommand("Reload story", "Load the story again from disk and carry on (hot reload)", self.action_reload)
        if self.author_watch:
            yield SystemCommand("Watch", "Every flag and visit count (for authors)", self.action_watch)
        toggle = getattr(screen, "action_toggle_advisors", None)
        if toggle is not None:
            yield SystemCommand("Advisors", "Show or hide the advisors", toggle)
        if s.state is not None and s.state.ending is not None:
            for fmt, name in EXPORT_FORMATS:
                yield SystemCommand(
                    f"Export decision record ({name})",
                    f"Write the record of this game as {name}",
                    lambda fmt=fmt: self.action_export(fmt),
                )
        if len(self.screen_stack) > 1:
            yield SystemCommand("Title screen", "Back to the title screen", self.action_title)


# how many new objects (that refer to others) make the collector look at the young ones
YOUNG_OBJECTS = 50_000


def collect_between_keys() -> None:
    """Keep the garbage collector out of the time between a key and its screen (the program only, not tests).

    Measured in benchmarks/tui_startup.py: by default a collection of the
    young objects ran about twelve times per key and a full one every ten
    keys or so, walking the whole story (50-70 ms: the slowest keys). Now
    the story, the app and its styles, which live as long as the program,
    are moved out of the collector's sight once loaded (``gc.freeze``); a
    decision or an undo has the app collect once its screen is drawn
    (``TightropeApp.collect_when_idle``: the young objects, a few
    milliseconds, and everything every twentieth time), which resets the
    counts, so that the count for the young objects (raised from 700) is
    rarely reached while a key is answered, and memory stays bounded when
    it is.
    """
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, middle, old)


def run_tui(args: argparse.Namespace) -> int:
    """Run the app for ``tightrope play``; a problem with the settings or the story is a UsageError (exit 2)."""

    def opener() -> Session:
        from ..session import Session, Settings

        session = Session.open(Settings.from_args(args))  # raises UsageError for settings no session accepts
        collect_between_keys()
        return session

    app = TightropeApp(opener=opener, load=getattr(args, "load", None), debug=getattr(args, "debug", False) is True)
    app.idle_collection = True
    try:
        result = app.run()
    finally:
        if app.ready:
            app.session.close()  # wait for the last background save
    if app.failure is not None:
        raise app.failure
    return result if isinstance(result, int) else 0
