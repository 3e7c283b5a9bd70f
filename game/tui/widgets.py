"""Widgets of the game screen and the ending: meters, choices, scene, timeline, chart.

Story text reaches them only through :mod:`game.tui.text` (literal, cleaned).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Region
from textual.message import Message
from textual.style import Style
from textual.timer import Timer
from textual.widget import Widget

from ..engine import GameState
from ..engine import Option as ChoiceOption
from ..present import MIXED, UP, Change, Decision, MeterWarning, effect_hints, find_terms, signed, threshold_warnings
from ..story.model import Meter, Story
from ..story.text import clean_line
from .page import Block, Page
from .text import plain
from .title import step_through


# ---------------------------------------------------------------- meters
def describe_meter(m: Meter) -> str:
    """A meter's tooltip: "US relations: how Washington sees Islamabad (from 0 to 100)"."""
    return f"{clean_line(m.label)}: {clean_line(m.description)} (from {m.min} to {m.max})"


class MeterView(Widget):
    """Every meter's value, the last decision's changes, and which meters are near a threshold."""

    def __init__(self, story: Story, state: GameState | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.story = story
        self.values = list(state.meters) if state else [m.start for m in story.meters]
        self.deltas: dict[str, int] = {}
        self.warned: set[str] = set()

    def show(
        self, state: GameState, changes: Iterable[tuple[str, int]] = (), warns: Iterable[MeterWarning] | None = None
    ) -> None:
        """Show the state's values; ``changes`` are shown next to the meters."""
        self.values = list(state.meters)
        self.deltas = {k: v for k, v in changes if v}
        self.warned = {w.meter for w in (threshold_warnings(self.story, state) if warns is None else warns)}
        self.refresh()


class MetersPanel(MeterView):
    """Every meter of the story, each a line (label, value, the last change) over a bar, drawn as one widget.

    A change shows next to its value until ``clear_deltas`` (or for
    DELTA_SECONDS). Near a threshold a meter is marked with "!" and the
    warning colour, so the state never depends on colour alone (NO_COLOR).
    The tooltip describes the meter under the pointer.
    """

    DEFAULT_CSS = """
    MetersPanel { height: auto; }
    """
    DELTA_SECONDS = 6.0

    def __init__(self, story: Story, state: GameState | None, *, id: str | None = None) -> None:
        super().__init__(story, state, id=id)
        self._timer: Timer | None = None
        self.border_title = "Meters"

    def show(
        self, state: GameState, changes: Iterable[tuple[str, int]] = (), warns: Iterable[MeterWarning] | None = None
    ) -> None:
        """Show the state's values; ``changes`` are shown next to the meters for a moment."""
        super().show(state, changes, warns)
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.deltas and self.DELTA_SECONDS > 0:
            self._timer = self.set_timer(self.DELTA_SECONDS, self.clear_deltas)

    def clear_deltas(self) -> None:
        self.deltas = {}
        self.refresh()

    def meter_text(self, meter_id: str, width: int = 34) -> Content:
        """One meter as drawn at ``width``: its line and its bar."""
        index = next(i for i, m in enumerate(self.story.meters) if m.id == meter_id)
        return self._meter(index, width)

    def _meter(self, index: int, width: int) -> Content:
        m = self.story.meters[index]
        value = self.values[index] if index < len(self.values) else m.start
        change = self.deltas.get(m.id, 0)
        warn = m.id in self.warned
        label = clean_line(m.label)
        right = str(value)
        delta = ("▲" if change > 0 else "▼") + signed(change) if change else ""
        tail = right + (" " + delta if delta else "")
        mark = "! " if warn else ""
        room = width - len(tail) - 1 - len(mark)
        if len(label) > room:
            label = label[: max(1, room - 1)] + "…"
        pad = " " * max(1, width - len(mark) - len(label) - len(tail))
        filled = round((value - m.min) / max(1, m.max - m.min) * width)
        filled = max(0, min(width, filled))
        return Content.assemble(
            (mark, "bold $warning"),
            (label, "bold $warning" if warn else "bold"),
            pad,
            (right, "bold"),
            (" " + delta, "bold $success" if change > 0 else "bold $error") if delta else "",
            "\n",
            ("█" * filled, "$warning" if warn else "$primary"),
            ("░" * (width - filled), "$foreground 25%"),
        )

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 2 * len(self.story.meters)

    def render(self) -> Content:
        width = max(10, self.content_size.width)
        return Content("\n").join(self._meter(i, width) for i in range(len(self.story.meters)))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        at = event.get_content_offset(self)  # (None over the border)
        if at is not None and 0 <= at.y // 2 < len(self.story.meters):
            self.tooltip = Content(describe_meter(self.story.meters[at.y // 2]))


class MeterStrip(MeterView):
    """Every meter on one or two lines, for narrow screens: "US relations 58 ▲+8 · Gulf ties 50 · ...".

    A meter is never split across lines and its label is never cut: the
    strip takes another line instead. A meter near a threshold is marked
    "!" (and coloured); a change shows next to the value until cleared.
    """

    DEFAULT_CSS = """
    MeterStrip { height: auto; padding: 0 1; }
    """

    def __init__(self, story: Story, state: GameState | None, *, id: str | None = None) -> None:
        super().__init__(story, state, id=id)
        self.tooltip = Content("\n".join(describe_meter(m) for m in story.meters))

    def show(
        self, state: GameState, changes: Iterable[tuple[str, int]] = (), warns: Iterable[MeterWarning] | None = None
    ) -> None:
        super().show(state, changes, warns)
        self.refresh(layout=True)  # a change may take the strip to another line

    def items(self) -> list[Content]:
        out = []
        for i, m in enumerate(self.story.meters):
            warn = m.id in self.warned
            delta = self.deltas.get(m.id, 0)
            parts: list[str | tuple[str, str]] = [
                ("! ", "bold $text-warning") if warn else "",
                (clean_line(m.label), "$text-warning" if warn else "$foreground-muted"),
                "\u00a0",
                (str(self.values[i]) if i < len(self.values) else "?", "bold $text-warning" if warn else "bold"),
            ]
            if delta:
                sign = ("▲" if delta > 0 else "▼") + signed(delta)
                parts += ["\u00a0", (sign, "bold $text-success" if delta > 0 else "bold $text-error")]
            out.append(Content.assemble(*parts))
        return out

    def lines(self, width: int) -> list[Content]:
        """The items flowed into lines of at most ``width`` cells (an item wider than a line gets one to itself)."""
        gap = Content.styled(" · ", "dim")
        lines: list[Content] = []
        line = Content("")
        for item in self.items():
            if line and line.cell_length + gap.cell_length + item.cell_length > width:
                lines.append(line)
                line = Content("")
            line = line + gap + item if line else item
        if line:
            lines.append(line)
        return lines

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return max(1, len(self.lines(width)))

    def render(self) -> Content:
        return Content("\n").join(self.lines(max(10, self.content_size.width)))


# ---------------------------------------------------------------- choices
class ChoiceList(Page):
    """The choices of a scene: numbered, each drawn whole (wrapped with a hanging indent) with its effect hints
    on the same line, or greyed with the reason it is unavailable; arrows move the highlight, Enter or a
    click takes a choice (the screen decides what taking it means, and says why an unavailable one cannot be).
    """

    DEFAULT_CSS = """
    ChoiceList { height: auto; scrollbar-gutter: auto; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Previous choice", show=False),
        Binding("down", "move(1)", "Next choice", show=False),
        Binding("home", "move(-99)", "First choice", show=False),
        Binding("end", "move(99)", "Last choice", show=False),
        Binding("enter", "take", "Take the choice", show=False),
    ]

    class Chosen(Message):
        """A choice was taken with Enter or a click (``index`` in ``choices``)."""

        def __init__(self, choice_list: ChoiceList, index: int) -> None:
            super().__init__()
            self.choice_list = choice_list
            self.index = index

        @property
        def control(self) -> ChoiceList:
            return self.choice_list

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.choices: list[ChoiceOption] = []
        self.story: Story | None = None
        self.show_effects = True
        self.highlighted: int | None = None
        self._hover: int | None = None
        self._prompts: list[tuple[str, Content]] = []  # each choice's number and text with hints

    def show_choices(self, story: Story, opts: Sequence[ChoiceOption], show_effects: bool) -> None:
        self.story = story
        self.choices = list(opts)
        self.show_effects = show_effects
        self._prompts = []
        for n, opt in enumerate(self.choices, 1):
            text = Content(clean_line(opt.choice.text))
            hints = self._hints(opt)
            self._prompts.append((f"{n} " if n <= 9 else "  ", text + Content("  ") + hints if hints else text))
        enabled = [i for i, o in enumerate(self.choices) if o.enabled]
        self.highlighted = enabled[0] if enabled else None
        self._hover = None
        self._draw()
        self.scroll_home(animate=False)

    def _draw(self) -> None:
        focused = self.has_focus
        blocks = []
        for i, (lead, body) in enumerate(self._prompts):
            fill = ""
            if not self.choices[i].enabled:
                style = "$foreground 45%"
            elif i == self.highlighted:
                style, fill = "bold", "on $primary 35%" if focused else "on $primary 20%"
            else:
                style = ""
                fill = "on $primary 10%" if i == self._hover else ""
            blocks.append(Block(f"choice-{i}", body, style, lead=Content.styled(lead, "bold"), fill=fill))
        self.show(blocks)

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
            style = "$text-success" if h.sign == UP else "$text-warning" if h.sign == MIXED else "$text-error"
            parts.append(("\u00a0· " if k else "", "dim"))  # a hint is never split, nor starts a line with its dot
            parts.append((clean_line(h.label).replace(" ", "\u00a0") + "\u00a0", "dim"))
            parts.append((h.sign, style))
        return Content.assemble(*parts)

    def prompt_text(self, index: int) -> str:
        """The choice at ``index`` as drawn (number, text, hints), on one line."""
        lead, body = self._prompts[index]
        return lead + body.plain

    def index_at(self, event: events.MouseEvent) -> int | None:
        """The choice under the pointer (None over the border or below the last choice)."""
        at = event.get_content_offset(self)
        if at is None:
            return None
        row = at.y + round(self.scroll_y)
        for i in range(len(self.choices)):
            start, end = self.rows_of(f"choice-{i}")
            if start <= row < end:
                return i
        return None

    def action_move(self, step: int) -> None:
        self.highlighted = step_through([i for i, o in enumerate(self.choices) if o.enabled], self.highlighted, step)
        if self.highlighted is None:
            return
        self._draw()
        start, end = self.rows_of(f"choice-{self.highlighted}")
        self.scroll_to_region(Region(0, start, 1, end - start), animate=False, immediate=True)

    def action_take(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.Chosen(self, self.highlighted))

    def on_click(self, event: events.Click) -> None:
        index = self.index_at(event)
        if index is not None:
            if self.choices[index].enabled:
                self.highlighted = index
                self._draw()
            self.post_message(self.Chosen(self, index))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        index = self.index_at(event)
        if index != self._hover:
            self._hover = index
            self._draw()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self._draw()

    def on_focus(self) -> None:
        self._draw()

    def on_blur(self) -> None:
        self._draw()


# ---------------------------------------------------------------- scene
def scene_blocks(
    happened: Content | None,
    title: str,
    meta: str,
    warnings: str,
    text: Content,
    advisors: Content | None,
) -> list[Block]:
    """The scene as a page: what just happened (a callout), title, date and place, warnings, text, advisors."""
    blocks = [
        Block("happened", happened or Content(""), above=1, callout=True),
        Block("title", plain(title), "bold $primary", above=1),
        Block("meta", plain(meta), "italic $foreground-muted"),
        Block("warnings", plain(warnings), "bold $text-warning", above=1),
        Block("text", text, above=1),
    ]
    if advisors:
        blocks += [
            Block("advisors-heading", Content("Advisors"), "bold $accent", above=1),
            Block("advisors", advisors, "$text-secondary"),
        ]
    return blocks + [Block("end", Content(" "))]  # a blank last line: the page's end never touches the choices


def marked_text(story: Story, text: str) -> tuple[Content, list[int]]:
    """Scene text with its glossary terms underlined (a click on one opens its entry), and those terms.

    The text is cleaned and taken literally; the click runs the screen's
    ``term`` action with the term's index in the glossary (a number of ours,
    never text from the story). The terms are indexes in ``story.glossary``.
    """
    content = plain(text)
    terms = []
    for start, end, index in find_terms(story, content.plain):
        content = content.stylize("underline", start, end)
        content = content.stylize(Style.from_meta({"@click": ("screen.term", (index,))}), start, end)
        terms.append(index)
    return content, terms


def advisor_lines(speakers: Sequence[tuple[str, str]]) -> Content:
    """Each advisor as "Name, role" (bold) over their words."""
    parts: Parts = []
    for heading, says in speakers:
        if parts:
            parts.append("\n\n")
        parts += [(heading, "bold"), "\n", says]
    return Content.assemble(*parts)


class Timeline(Page):
    """Past decisions, newest at the bottom: turn, scene, then the choice."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Decisions"
        self.decisions: list[Decision] = []

    def show_decisions(self, decisions: Sequence[Decision]) -> None:
        self.decisions = list(decisions)
        if not self.decisions:
            self.show([Block("none", plain("No decisions yet.", "dim italic"))])
            return
        blocks = []
        for d in self.decisions:
            entry = Content.assemble((d.scene, "bold"), "\n", d.choice_text)
            blocks.append(Block(f"turn-{d.turn}", entry, lead=Content.styled(f"{d.turn:>2} ", "bold $accent")))
        self.show(blocks)
        self.scroll_end(animate=False)


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


def _change_or_none(changes: Sequence[Change]) -> Parts:
    return change_parts(changes) if changes else [("no change", "dim")]


def _decision_parts(d: Decision, lead: str) -> Parts:
    """What the choice changed, then each event with what it changed on top: never one merged sum."""
    parts: Parts = []
    if d.changes is not None:
        parts += [(f"\n{lead}Your decision: ", "dim"), *_change_or_none(d.changes)]
    for e in d.events:
        parts += [(f"\n{lead}Event: ", "dim"), e.title]
        if e.changes is not None:
            parts += [(" · ", "dim"), *_change_or_none(e.changes)]
    if d.changes is None and d.total:  # an old save that kept only the sum
        parts += [(f"\n{lead}Changes in all: ", "dim"), *change_parts(d.total)]
    return parts


def last_decision(d: Decision, with_outcome: bool = True) -> Content:
    """What the last decision did, shown above the next scene: the choice's changes, then each event's.

    ``with_outcome=False`` leaves out the outcome's text (the interlude has just shown it).
    """
    parts: Parts = [("Last decision: ", "dim"), (d.choice_text, "bold")]
    if with_outcome and d.outcome_text:
        parts.append("\n" + " ".join(d.outcome_text.split()))
    parts += _decision_parts(d, "")
    return Content.assemble(*parts)


def decision_review(decisions: Sequence[Decision]) -> Content:
    """Every decision with its outcome, its own changes, each event's, the rationale and the author's note."""
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
        parts += _decision_parts(d, "")
        if d.rationale:
            parts.append("\nYour rationale: ")
            parts.append((" ".join(d.rationale.split()), "italic"))
        if d.note:
            parts.append("\nAuthor's note: ")
            parts.append((" ".join(d.note.split()), "italic $text-secondary"))
    return Content.assemble(*parts)


# ---------------------------------------------------------------- authors
def watch_text(story: Story, state: GameState) -> Content:
    """For authors (--debug): the scene's id, every flag and every visit or firing count the story reads."""
    parts: Parts = [("Scene ", "dim"), (state.node, "bold"), (f"  turn {state.turn}  seed {state.seed}", "dim")]
    parts.append(("\nFlags", "bold $accent"))
    for i, f in enumerate(story.flags):
        on = state.flags[i] if i < len(state.flags) else f.start
        parts += ["\n", (f"{'✓' if on else '·'} ", "bold $text-success" if on else "dim"), (f.id, "" if on else "dim")]
    if not story.flags:
        parts.append(("\n(none)", "dim"))
    parts.append(("\nVisits and firings", "bold $accent"))
    for i, cid in enumerate(story.counted):
        n = state.counts[i] if i < len(state.counts) else 0
        parts += ["\n", (f"{n:>3} ", "bold" if n else "dim"), (cid, "" if n else "dim")]
    if not story.counted:
        parts.append(("\n(the story reads no counts)", "dim"))
    return Content.assemble(*parts)


class WatchPanel(Page):
    """The author's watch (play --debug): flags and visit counts, updated after every decision."""

    def __init__(self, story: Story, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.story = story
        self.border_title = "Watch (--debug)"

    def show_state(self, state: GameState) -> None:
        self.show([Block("watch", watch_text(self.story, state))])
