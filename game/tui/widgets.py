"""Widgets of the game screen and the ending: meters, choices, scene, timeline, chart.

Story text reaches them only through :mod:`game.tui.text` (literal, cleaned).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..engine import GameState, near_thresholds
from ..engine import Option as ChoiceOption
from ..present import Change, Decision, effect_hints, signed
from ..story.model import Meter, Story
from ..story.text import clean_line
from .text import Text, hanging, plain


# ---------------------------------------------------------------- meters
class MeterBar(Widget):
    """One meter: label, value, the last change, and a bar.

    ``delta`` shows the change of the last decision until ``clear_delta``.
    Near a threshold the meter is marked with "!" and the warning colour, so
    the state never depends on colour alone (NO_COLOR).
    """

    DEFAULT_CSS = """
    MeterBar { height: 2; }
    """

    value: reactive[int] = reactive(0)
    delta: reactive[int] = reactive(0)
    warn: reactive[bool] = reactive(False)

    def __init__(self, meter: Meter, value: int) -> None:
        super().__init__(id=f"meter-{meter.id}", classes="meter")
        self.meter = meter
        self.set_reactive(MeterBar.value, value)
        self.tooltip = Content(f"{clean_line(meter.label)}: {clean_line(meter.description)} (from {meter.min} to {meter.max})")

    def render(self) -> Content:
        width = max(10, self.content_size.width)
        m = self.meter
        label = clean_line(m.label)
        right = str(self.value)
        delta = ""
        if self.delta:
            delta = ("▲" if self.delta > 0 else "▼") + signed(self.delta)
        tail = right + (" " + delta if delta else "")
        mark = "! " if self.warn else ""
        room = width - len(tail) - 1 - len(mark)
        if len(label) > room:
            label = label[: max(1, room - 1)] + "…"
        pad = " " * max(1, width - len(mark) - len(label) - len(tail))
        span = max(1, m.max - m.min)
        filled = round((self.value - m.min) / span * width)
        filled = max(0, min(width, filled))
        bar_style = "$warning" if self.warn else "$primary"
        delta_style = "bold $success" if self.delta > 0 else "bold $error"
        return Content.assemble(
            (mark, "bold $warning"),
            (label, "bold" if not self.warn else "bold $warning"),
            pad,
            (right, "bold"),
            (" " + delta, delta_style) if delta else "",
            "\n",
            ("█" * filled, bar_style),
            ("░" * (width - filled), "$foreground 25%"),
        )


class MetersPanel(Vertical):
    """Every meter of the story, updated after each decision."""

    DELTA_SECONDS = 6.0

    def __init__(self, story: Story, state: GameState | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.story = story
        self.state = state
        self._timer: Timer | None = None
        self.border_title = "Meters"

    def compose(self) -> ComposeResult:
        for i, m in enumerate(self.story.meters):
            yield MeterBar(m, self.state.meters[i] if self.state else m.start)

    def show(self, state: GameState, changes: Iterable[tuple[str, int]] = ()) -> None:
        """Show the state's values; ``changes`` are shown next to the meters for a moment."""
        self.state = state
        moved = dict(changes)
        warned = {mid for mid, _ in near_thresholds(self.story, state)}
        for i, m in enumerate(self.story.meters):
            try:
                bar = self.query_one(f"#meter-{m.id}", MeterBar)
            except Exception:  # noqa: BLE001 - meters changed by a reload; rebuilt by the screen
                continue
            bar.value = state.meters[i]
            bar.delta = moved.get(m.id, 0)
            bar.warn = m.id in warned
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if moved and self.DELTA_SECONDS > 0:
            self._timer = self.set_timer(self.DELTA_SECONDS, self.clear_deltas)

    def clear_deltas(self) -> None:
        for bar in self.query(MeterBar):
            bar.delta = 0


# ---------------------------------------------------------------- choices
class ChoiceList(OptionList):
    """The choices of a scene: numbered, with effect hints, greyed when unavailable."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.choices: list[ChoiceOption] = []
        self.story: Story | None = None
        self.show_effects = True
        self._width = 0

    def show(self, story: Story, opts: Sequence[ChoiceOption], show_effects: bool) -> None:
        self.story = story
        self.choices = list(opts)
        self.show_effects = show_effects
        self._build(keep_highlight=False)

    def _hints(self, opt: ChoiceOption) -> Content | None:
        assert self.story is not None
        if not opt.enabled:
            return Content.styled("Unavailable: " + clean_line(opt.reason or "not possible now"), "italic")
        if not self.show_effects:
            return None
        hints = effect_hints(self.story, opt.choice)
        if not hints:
            return None
        parts: list[str | tuple[str, str]] = []
        for k, h in enumerate(hints):
            style = "$text-success" if h.sign == "▲" else "$text-error" if h.sign == "▼" else "$text-warning"
            parts.append((" · " if k else "", "dim"))
            parts.append((clean_line(h.label) + "\u00a0", "dim"))
            parts.append((h.sign, style))
        return Content.assemble(*parts)

    def _build(self, keep_highlight: bool = True) -> None:
        width = self.scrollable_content_region.width or 60
        self._width = width
        keep = self.highlighted if keep_highlight else None
        self.clear_options()
        items = []
        for n, opt in enumerate(self.choices, 1):
            lead = f"{n} " if n <= 9 else "  "
            text = Content(clean_line(opt.choice.text))
            prompt = hanging(text, self._hints(opt), width, lead)
            prompt = prompt.stylize("bold", 0, len(lead))
            items.append(Option(prompt, id=opt.choice.id, disabled=not opt.enabled))
        self.add_options(items)
        enabled = [i for i, o in enumerate(self.choices) if o.enabled]
        if keep is not None and keep in enabled:
            self.highlighted = keep
        else:
            self.highlighted = enabled[0] if enabled else None

    def on_resize(self) -> None:
        if self.choices and self.scrollable_content_region.width != self._width:
            self._build(keep_highlight=True)


# ---------------------------------------------------------------- scene
class SceneView(VerticalScroll):
    """The scene: what just happened, title, date and place, basis, warnings, text, advisors."""

    can_focus = True

    def compose(self) -> ComposeResult:
        yield Text(id="happened", classes="callout")
        yield Text(id="scene-title")
        yield Text(id="scene-meta")
        yield Text(id="warnings")
        yield Text(id="scene-text")
        with Vertical(id="advisors"):
            yield Text("Advisors", classes="section")
            yield Text(id="advisor-list")


class Timeline(VerticalScroll):
    """Past decisions, newest at the bottom: turn, scene, then the choice."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Decisions"
        self.decisions: list[Decision] = []
        self._width = 0

    def compose(self) -> ComposeResult:
        yield Text(id="timeline-text")

    def show(self, decisions: Sequence[Decision]) -> None:
        self.decisions = list(decisions)
        self._build()
        self.scroll_end(animate=False)

    def _build(self) -> None:
        text = self.query_one("#timeline-text", Text)
        width = self.scrollable_content_region.width or 26
        self._width = width
        if not self.decisions:
            text.set(plain("No decisions yet.", "dim italic"))
            return
        entries = []
        for d in self.decisions:
            lead = f"{d.turn:>2} "
            entry = hanging(Content.styled(d.scene, "bold"), Content(d.choice_text), width, lead, " " * len(lead))
            entries.append(entry.stylize("bold $accent", 0, len(lead)))
        text.set(Content("\n").join(entries))

    def on_resize(self) -> None:
        if self.decisions and self.scrollable_content_region.width != self._width:
            self._build()


# ---------------------------------------------------------------- ending
BLOCKS = " ▁▂▃▄▅▆▇█"


def chart_scale(values: Sequence[int], lo: int, hi: int) -> tuple[int, int]:
    """A value range around the data (inside the meter's range) so changes show."""
    vmin, vmax = min(values), max(values)
    pad = max(3, (vmax - vmin) // 5)
    return max(lo, vmin - pad), min(hi, vmax + pad)


def chart_lines(values: Sequence[int], lo: int, hi: int, rows: int, col: int, gap: int = 1) -> list[str]:
    """A column chart of values between lo and hi, top row first.

    Each value is a column ``col`` cells wide followed by ``gap`` spaces;
    heights have eighth-of-a-cell steps and every value shows at least a sliver.
    """
    span = max(1, hi - lo)
    levels = [max(1, round((v - lo) / span * rows * 8)) for v in values]
    out = []
    for r in range(rows - 1, -1, -1):
        cells = [BLOCKS[max(0, min(8, lv - r * 8))] * col for lv in levels]
        out.append((" " * gap).join(cells).rstrip())
    return out


class MeterChart(Widget):
    """Each meter over the game's turns: a small column chart per meter."""

    DEFAULT_CSS = """
    MeterChart { height: auto; }
    """

    ROWS = 4
    AXIS = "   turn"

    def __init__(self, series: Sequence[tuple[Meter, list[int]]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.series = list(series)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self.series) * (self.ROWS + 3)

    def columns(self, width: int) -> tuple[int, int, int]:
        """(column width, gap, turns shown) for the available width."""
        turns = max((len(v) for _, v in self.series), default=1)
        room = max(4, width - 6 - len(self.AXIS))  # the gutter on the left, the axis label on the right
        for col, gap in ((3, 1), (2, 1), (1, 1), (1, 0)):
            if turns * (col + gap) <= room:
                return col, gap, turns
        return 1, 0, room  # the latest turns only

    def render(self) -> Content:
        width = max(20, self.content_size.width)
        col, gap, shown = self.columns(width)
        parts: list[str | tuple[str, str]] = []
        for meter, values in self.series:
            first = len(values) - min(shown, len(values))
            vals = values[first:]
            lo, hi = chart_scale(values, meter.min, meter.max)
            parts.append((clean_line(meter.label), "bold"))
            parts.append((f"   {values[0]} → {values[-1]}   lowest {min(values)}, highest {max(values)}", "dim"))
            parts.append("\n")
            for k, line in enumerate(chart_lines(vals, lo, hi, self.ROWS, col, gap)):
                label = str(hi) if k == 0 else str(lo) if k == self.ROWS - 1 else ""
                parts.append((f"{label:>4} ", "dim"))
                parts.append(("┤" if label else "│", "dim"))
                parts.append((line, "$primary"))
                parts.append("\n")
            step = 1 if col + gap >= 3 else 5
            axis = ""
            for t in range(first, first + len(vals)):
                cell = str(t) if t % step == 0 else ""
                axis += cell.ljust(col + gap) if len(cell) <= col + gap else cell[-(col + gap) :]
            parts.append(("      " + axis.rstrip() + self.AXIS, "dim"))
            parts.append("\n\n")
        return Content.assemble(*parts).rstrip()


Parts = list[str | tuple[str, str]]


def change_parts(changes: Sequence[Change]) -> Parts:
    """'US relations +8, Domestic stability -6' with the numbers coloured by sign."""
    parts: Parts = []
    for k, c in enumerate(changes):
        parts.append(", " if k else "")
        parts.append(c.label + " ")
        parts.append((signed(c.delta), "bold $text-success" if c.delta > 0 else "bold $text-error"))
    return parts


def _own_changes(d: Decision) -> Sequence[Change]:
    """What the choice itself changed (everything, when the parts are not known)."""
    return d.changes if d.changes is not None else d.total


def last_decision(d: Decision) -> Content:
    """What the last decision did, shown above the next scene: the choice's changes, then each event's."""
    parts: Parts = [("Last decision: ", "dim"), (d.choice_text, "bold")]
    if d.outcome_text:
        parts.append("\n" + " ".join(d.outcome_text.split()))
    if _own_changes(d):
        parts.append(("\nChanges: ", "dim"))
        parts += change_parts(_own_changes(d))
    for e in d.events:
        parts += [("\nInterlude: ", "dim"), e.title]
        if e.changes:
            parts.append((" · ", "dim"))
            parts += change_parts(e.changes)
    return Content.assemble(*parts)


def decision_review(decisions: Sequence[Decision]) -> Content:
    """Every decision with its outcome, effects, events, rationale and the author's note."""
    if not decisions:
        return plain("No decisions were made.", "dim italic")
    parts: Parts = []
    for d in decisions:
        if parts:
            parts.append("\n\n")
        parts.append((f"{d.turn}. {d.scene}", "bold $accent"))
        parts.append("\n" + "You chose: ")
        parts.append((d.choice_text, "bold"))
        if d.outcome_text:
            parts.append("\nWhat happened: " + " ".join(d.outcome_text.split()))
        if _own_changes(d):
            parts.append("\nEffects: ")
            parts += change_parts(_own_changes(d))
        else:
            parts.append(("\nEffects: none", "dim"))
        for e in d.events:
            parts.append("\nEvent: " + e.title)
            if e.changes:
                parts.append(": ")
                parts += change_parts(e.changes)
        if d.rationale:
            parts.append("\nYour rationale: ")
            parts.append((" ".join(d.rationale.split()), "italic"))
        if d.note:
            parts.append("\nAuthor's note: ")
            parts.append((" ".join(d.note.split()), "italic $text-secondary"))
    return Content.assemble(*parts)
