"""The game screen and the ending screen."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Button, Footer

from ..engine import Option as ChoiceOption
from ..present import BASIS_LABEL, Decision, MeterWarning, scene_heading, speakers, threshold_warnings
from ..story.text import clean_line
from .messages import GameChanged
from .page import Page
from .text import Text, plain, reflow
from .title import COMMON, MainScreen, quietly
from .widgets import (
    ChoiceList,
    MeterChart,
    MetersPanel,
    MeterStrip,
    Timeline,
    WatchPanel,
    advisor_lines,
    decision_review,
    last_decision,
    marked_text,
    scene_blocks,
)

# how far a warning has escalated, without colour: "!", "!!", "!!!"
MARKS = {1: "!", 2: "!!", 3: "!!!"}


# ------------------------------------------------------------------ game
class GameScreen(MainScreen):
    """A scene with its choices, the meters, the advisors and the decisions so far.

    Wide screens show the meters with bars and the decisions in a column on
    the right; narrow ones (under 100 columns) show every meter in a strip
    above the scene, so that the scene's opening, every choice and the
    meters fit in 80x24 without scrolling.
    """

    PLAY_SCREEN = True
    CSS_PATH = "play.tcss"
    BINDINGS = [
        *[Binding(str(n), f"choose({n})", f"Choice {n}", show=False) for n in range(1, 10)],
        Binding("u,ctrl+z", "app.undo", "Undo"),
        Binding("s", "app.save", "Save"),
        Binding("l", "app.load", "Load", show=False),
        Binding("a", "toggle_advisors", "Advisors"),
        Binding("v", "app.decisions", "Decisions", show=False),
        Binding("w", "app.cast", "Who's who", show=False),
        *COMMON,
        Binding("q", "back", "Back"),
        # priority: the choice list would otherwise move its highlight (and Enter would take a choice by accident)
        Binding("pageup", "scroll_scene(-1)", "Scroll the scene up", show=False, priority=True),
        Binding("pagedown", "scroll_scene(1)", "Scroll the scene down", show=False, priority=True),
    ]
    AUTO_FOCUS = "#choices"

    show_advisors: reactive[bool] = reactive(True)
    STATUS_SECONDS = 5.0

    def __init__(self) -> None:
        super().__init__()
        self._status_timer: Timer | None = None
        self._terms: list[int] = []  # glossary terms in this scene, by index

    def compose(self) -> ComposeResult:
        s = self.session
        yield self.topbar(self.player_info())
        with Horizontal(id="main"):
            with Vertical(id="story-col"):
                yield MeterStrip(s.story, s.state, id="meter-strip")
                yield Page(id="scene")
                yield ChoiceList(id="choices")
                yield Text(id="status")
            with Vertical(id="side"):
                yield MetersPanel(s.story, s.state, id="meters")
                yield Timeline(id="timeline")
                if self.tapp.author_watch:
                    yield WatchPanel(s.story, id="watch")
        yield Footer()

    def on_mount(self) -> None:
        self.show_advisors = self.tapp.show_advisors
        self.redraw(fresh=False)

    def after_recompose(self) -> None:
        self.redraw(fresh=False)
        self.query_one("#choices").focus()

    def on_game_changed(self, message: GameChanged) -> None:
        self.redraw(fresh=False)

    def watch_show_advisors(self, show: bool) -> None:
        if self.is_mounted:
            self.show_scene()

    def action_toggle_advisors(self) -> None:
        self.show_advisors = not self.show_advisors
        self.tapp.show_advisors = self.show_advisors
        self.say("Advisors shown." if self.show_advisors else "Advisors hidden: press a to show them.")

    def say(self, message: str, warn: bool = False, seconds: float | None = None) -> None:
        """A short message under the choices (instead of a pop-up that could cover them).

        It stays ``seconds`` (default STATUS_SECONDS) and is cleared sooner by
        the next decision, which it would no longer be true of.
        """
        if not self.is_mounted:  # a screen just switched to: say it once it is there
            self.call_after_refresh(self.say, message, warn, seconds)
            return
        status = self.query_one("#status", Text)
        status.set(message)
        status.set_class(warn, "-warn")
        status.display = True
        if self._status_timer is not None:
            self._status_timer.stop()
        self._status_timer = self.set_timer(seconds or self.STATUS_SECONDS, self.clear_status)

    def clear_status(self) -> None:
        if self._status_timer is not None:
            self._status_timer.stop()
            self._status_timer = None
        status = self.query_one("#status", Text)
        status.set("")
        status.display = False

    def _speakers(self) -> list[tuple[str, str]]:
        s = self.session
        if s.state is None:
            return []
        return [(sp.heading, sp.says) for sp in speakers(s.story, s.node, s.state)]

    def redraw(self, fresh: bool) -> None:
        """Show the session's state; ``fresh`` after a decision (meter changes shown, old messages cleared)."""
        s = self.session
        state = s.state
        if state is None or state.ending is not None:
            return
        if fresh:
            self.clear_status()
        node = s.node
        decisions = s.decisions()
        self.query_one("#topbar-info", Text).set(self.player_info())
        warns = threshold_warnings(s.story, state)
        scene = self.show_scene(decisions, warns)
        choices = self.query_one("#choices", ChoiceList)
        choices.show_choices(s.story, s.options(), s.show_effects)
        choices.border_title = "Choices" + (" · Key decision" if node.key else "")
        step = state.step
        moved = dict(step.changes) if (fresh and step) else {}
        self.query_one("#meters", MetersPanel).show(state, moved.items(), warns)
        self.query_one("#meter-strip", MeterStrip).show(state, moved.items(), warns)
        self.query_one("#timeline", Timeline).show_decisions(decisions)
        if self.tapp.author_watch:
            self.query_one("#watch", WatchPanel).show_state(state)
        scene.scroll_home(animate=False)

    def show_scene(self, decisions: Sequence[Decision] | None = None, warns: Sequence[MeterWarning] | None = None) -> Page:
        """Draw the scene: what the last decision did, the scene's heading, warnings, text and advisors."""
        s = self.session
        state = s.state
        scene = self.query_one("#scene", Page)
        if state is None or state.ending is not None:
            return scene
        node = s.node
        decisions = s.decisions() if decisions is None else decisions
        last = decisions[-1] if decisions else None
        warns = threshold_warnings(s.story, state) if warns is None else warns
        text, self._terms = marked_text(s.story, reflow(node.text.render(state, state.player)))
        advisors = self._speakers() if self.show_advisors else []
        scene.show(
            scene_blocks(
                # the interlude showed the outcome
                last_decision(last, with_outcome=not last.events) if last else None,
                clean_line(node.title),
                scene_heading(node) + (" · Key decision" if node.key else ""),
                "\n".join(f"{MARKS.get(w.level, '!!!')} {w.severity}, {w.label}: {w.text}" for w in warns),
                text,
                advisor_lines(advisors) if advisors else None,
            )
        )
        return scene

    def scene_terms(self) -> list[int]:
        """The glossary terms marked in this scene's text (indexes in story.glossary)."""
        return list(self._terms)

    def action_term(self, index: int) -> None:
        self.tapp.open_glossary(term=index)

    def action_choose(self, n: int) -> None:
        choices = self.query_one("#choices", ChoiceList).choices
        if not 1 <= n <= len(choices):
            self.app.bell()
            self.say(f"There are {len(choices)} choices here: press 1 to {len(choices)}.", warn=True)
            return
        self.take(choices[n - 1])

    @on(ChoiceList.Chosen, "#choices")
    def selected(self, event: ChoiceList.Chosen) -> None:
        choices = self.query_one("#choices", ChoiceList).choices
        if 0 <= event.index < len(choices):
            self.take(choices[event.index])

    def take(self, opt: ChoiceOption) -> None:
        if not opt.enabled:
            self.app.bell()
            self.say("Unavailable: " + clean_line(opt.reason or "not possible now"), warn=True)
            return
        self.tapp.decide(opt.choice.id, opt.choice.text)

    def action_back(self) -> None:
        self.tapp.leave_game()

    def action_scroll_scene(self, direction: int) -> None:
        scene = self.query_one("#scene", Page)
        if direction < 0:
            scene.scroll_page_up(animate=False)
        else:
            scene.scroll_page_down(animate=False)


# ------------------------------------------------------------------ ending
class EndingScreen(MainScreen):
    """The ending, the debrief, discussion questions, a chart and a review of every decision."""

    PLAY_SCREEN = True
    CSS_PATH = "play.tcss"
    BINDINGS = [
        Binding("n", "app.new_game", "New game"),
        Binding("p", "app.play_again", "Play again"),
        Binding("u,ctrl+z", "app.undo", "Undo", show=False),
        Binding("s", "app.save", "Save", show=False),
        Binding("l", "app.load", "Load", show=False),
        Binding("e", "app.export", "Export"),
        Binding("f", "app.endings", "Endings found", show=False),
        Binding("d", "jump('debrief')", "Debrief", show=False),
        Binding("m", "jump('chart')", "Chart", show=False),
        Binding("v", "jump('review')", "Decisions", show=False),
        Binding("w", "app.cast", "Who's who", show=False),
        *quietly(COMMON, "app.glossary"),
        Binding("q", "app.title", "Title"),
    ]
    AUTO_FOCUS = "#ending-body"

    def compose(self) -> ComposeResult:
        s = self.session
        state = s.state
        ending = s.ending
        assert state is not None and ending is not None
        yield self.topbar(self.player_info())
        yield Horizontal(
            Button("Ending", id="to-ending", compact=True),
            Button("Debrief (d)", id="to-debrief", compact=True),
            Button("Chart (m)", id="to-chart", compact=True),
            Button("Decisions (v)", id="to-review", compact=True),
            id="ending-nav",
        )
        with VerticalScroll(id="ending-body"):
            yield Text(plain("Ending: " + clean_line(ending.title), "bold"), id="ending-title")
            yield Text(BASIS_LABEL[ending.basis], classes="basis")
            yield Text(self.found_line(), id="found", classes="hint")
            yield Text(reflow(ending.text.render(state, state.player)), classes="para", id="ending-text")
            finals: list[str | tuple[str, str]] = []
            for i, m in enumerate(s.story.meters):
                finals.append(("  ·  " if i else "", "dim"))
                finals.append(clean_line(m.label) + " ")
                finals.append((str(state.meters[i]), "bold"))
            yield Text(Content.assemble(*finals), id="final-meters")
            yield Text(
                Content.assemble(
                    ("Seed ", "dim"),
                    (str(state.seed), "bold"),
                    ("  ·  p plays this game again from the same seed; n starts a new one", "dim"),
                ),
                id="seed-line",
            )
            yield Text("Debrief", classes="section", id="debrief")
            yield Text(reflow(ending.debrief), classes="para", id="debrief-text")
            if ending.questions:
                yield Text("Discussion questions", classes="section")
                yield Text(
                    "\n".join(f"{n}. {clean_line(q)}" for n, q in enumerate(ending.questions, 1)),
                    classes="para",
                    id="questions",
                )
            yield Text("The meters over the game", classes="section", id="chart")
            yield MeterChart(s.series(), id="meter-chart")
            yield Text("Your decisions", classes="section", id="review")
            yield Text(decision_review(s.decisions()), classes="para", id="review-text")
            if s.classroom:
                yield Text("Press e to export your decision record for your teacher.", classes="hint")
        yield Footer()

    def found_line(self) -> Content:
        s = self.session
        found, total = self.tapp.endings_count()
        new = self.tapp.new_ending
        parts: list[str | tuple[str, str]] = []
        if new:
            parts.append(("A new ending!  ", "bold $text-success"))
        parts.append(f"Endings found: {found} of {total}  ·  f shows them")
        if s.story.scenario is not None:
            parts.append(f"  ·  scenario: {clean_line(s.story.scenario.title)}")
        return Content.assemble(*parts)

    def action_jump(self, section: str) -> None:
        target = self.query_one(f"#{section}")
        self.query_one("#ending-body", VerticalScroll).scroll_to_widget(target, animate=False, top=True)

    @on(Button.Pressed, "#ending-nav Button")
    def nav(self, event: Button.Pressed) -> None:
        section = (event.button.id or "").removeprefix("to-")
        if section == "ending":
            self.query_one("#ending-body", VerticalScroll).scroll_home(animate=False)
        else:
            self.action_jump(section)
