"""The Textual app: ``tightrope play`` (and ``tightrope`` with no arguments).

The app owns a :class:`~game.session.Session` (story, state, saves, rules) and
the screen stack: the title screen at the bottom, the game or the ending on
top of it, and modal dialogs above that. Game rules stay in the engine; the
screens only show the session and call it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.theme import Theme

from ..engine import EngineError
from ..present import node_title, warnings
from ..saves import SaveError
from ..session import NewGame, Session, SessionError, Settings
from ..story.text import clean_line
from .messages import GameChanged, StoryReloaded
from .title import TitleScreen

if TYPE_CHECKING:
    from .screens import GameScreen

# The game and ending screens and the dialogs are imported when first needed,
# so that the title screen is drawn as soon as possible.

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


class TightropeApp(App[int]):
    """Tightrope in the terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "Tightrope"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    def __init__(self, session: Session, *, load: str | None = None, cursor_blink: bool = True, animations: bool = True) -> None:
        super().__init__()
        self.session = session
        self.start_load = load
        self.cursor_blink = cursor_blink
        self.show_advisors = True
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

    # ------------------------------------------------------------ screens
    def get_default_screen(self) -> Screen[None]:
        return TitleScreen()

    def on_mount(self) -> None:
        if self.start_load:
            self.load_save(self.start_load)

    def on_unmount(self) -> None:
        self.session.close()

    @property
    def playing(self) -> bool:
        """True when the game or the ending screen is on top."""
        return getattr(self.screen, "PLAY_SCREEN", False)

    def game_screen(self) -> GameScreen | None:
        from .screens import GameScreen

        return self.screen if isinstance(self.screen, GameScreen) else None

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
        from .help import HelpScreen

        self.push_screen(HelpScreen(self.session.story))

    def action_glossary(self) -> None:
        from .help import GlossaryScreen

        self.push_screen(GlossaryScreen(self.session.story))

    def warnings(self) -> list[str]:
        s = self.session
        return warnings(s.story, s.state) if s.state is not None else []

    # ------------------------------------------------------------ playing
    def action_new_game(self) -> None:
        from .dialogs import NewGameDialog

        s = self.session

        def start(game: NewGame | None) -> None:
            if game is None:
                return
            try:
                s.start(game)
            except SessionError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.show_game()
            self._tell(s.take_notice())

        self.push_screen(
            NewGameDialog(
                s.player or s.settings.name,
                s.settings.seed,
                s.show_effects,
                s.classroom,
                name_required=s.settings.per_player,
                fixed=s.fixed(),
            ),
            start,
        )

    def _tell(self, notice: str) -> None:
        """What the session has to tell the player (a game kept apart in a new slot, say)."""
        if notice:
            self.notify(notice, markup=False, timeout=8)

    def decide(self, choice_id: str, choice_text: str) -> None:
        """Take a choice; in classroom mode ask for the rationale first at a key decision."""
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
        from .dialogs import InterludeScreen

        s = self.session
        try:
            decision = s.choose(choice_id, rationale)
        except (EngineError, SessionError) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        interlude = InterludeScreen(decision) if decision.events else None
        if decision.ending is None:
            screen = self.game_screen()
            if screen is not None:
                screen.redraw(fresh=True)
            if interlude is not None:
                self.push_screen(interlude)
        elif interlude is not None:
            self.push_screen(interlude, lambda _: self.show_game())
        else:
            self.show_game()
        self.autosave()

    def autosave(self) -> None:
        """Write the automatic slots in the background; warn if that fails."""
        job = self.session.autosave_later()

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
            self.notify(problem, severity="warning", markup=False, timeout=8)

    def action_undo(self) -> None:
        s = self.session
        screen = self.game_screen()
        problem = s.undo_problem()
        if problem is not None or not s.undo():
            if screen is not None:
                screen.say(problem or "Nothing to undo.")
            else:
                self.notify(problem or "Nothing to undo.", markup=False, timeout=3)
            return
        self._tell(s.take_notice())
        assert s.state is not None
        if screen is not None:
            screen.post_message(GameChanged())
            screen.say("Undone: back to " + node_title(s.story, s.state.node) + ".")
        else:
            self.show_game()
        self.autosave()

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
        from .saves_screen import SavesDialog

        def chosen(name: str | None) -> None:
            if not name:
                return
            try:
                path = self.session.save(name)
            except SaveError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.notify(f"Saved to {path.name}.", markup=False, timeout=3)

        self.push_screen(SavesDialog(self.session, "save"), chosen)

    def action_load(self) -> None:
        def pick() -> None:
            from .saves_screen import SavesDialog

            def chosen(name: str | None) -> None:
                if name:
                    self.load_save(name)

            self.push_screen(SavesDialog(self.session, "load"), chosen)

        self.with_player(pick)

    def action_continue_game(self) -> None:
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
        try:
            self.session.load(name)
        except SaveError as exc:
            self.notify(str(exc), title="Could not load the save", severity="error", markup=False, timeout=8)
            return
        self.show_game()

    def action_export(self, fmt: str = "md") -> None:
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

    # ------------------------------------------------------------ reload
    def action_reload(self) -> None:
        from .dialogs import ConfirmDialog, ProblemsDialog

        s = self.session
        result = s.reload()
        if result.kind == "ok":
            self.notify(result.message, timeout=3)
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
                    self.notify("Kept the old story.", timeout=3)
                    return
                s.accept_jump(new, result.fallback)
                for screen in self.screen_stack[:1]:
                    screen.post_message(StoryReloaded())
                self.show_game()
                self.notify(f"Story reloaded; continuing from {place}.", markup=False, timeout=4)

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
            self.notify(result.message, severity="error", markup=False, timeout=8)

    # ------------------------------------------------------------ palette
    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        s = self.session
        yield SystemCommand("New game", "Start a new game", self.action_new_game)
        if s.state is not None:
            yield SystemCommand("Save", "Save the game to a named slot", self.action_save)
        yield SystemCommand("Load", "Load a saved game", self.action_load)
        if s.can_undo():
            yield SystemCommand("Undo", "Undo the last decision", self.action_undo)
        yield SystemCommand("Glossary", "Look up a term", self.action_glossary)
        yield SystemCommand("Help", "How to play and every key", self.action_help)
        yield SystemCommand("Reload story", "Load the story again from disk and carry on (hot reload)", self.action_reload)
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


def run_tui(settings: Settings) -> int:
    """Run the app for ``tightrope play``; one-line errors exit 2 through UsageError."""
    session = Session.open(settings)
    app = TightropeApp(session, load=settings.load)
    try:
        result = app.run()
    finally:
        session.close()  # wait for the last background save
    return result if isinstance(result, int) else 0
