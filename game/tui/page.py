"""A page of text drawn by one widget: the scene, the choices, the decisions so far, the author's watch.

The game screen used to draw its scene as six text widgets in a scrolling
container, the decisions as a text in another and the choices as an
OptionList, so every decision had Textual lay out and render a dozen or so
widgets, twice (docs/benchmarks.md). A :class:`Page` is one widget: its
blocks are wrapped once per change (or width) into lines, each row is
rendered when it is first shown and kept until the page, its width or the
theme changes. Story text stays literal (:class:`~textual.content.Content`
from plain strings, never markup).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.content import Content
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style

from .text import wrap_words

CALLOUT_BAR = "█"  # as a thick left border draws it


@dataclass(frozen=True, slots=True)
class Block:
    """A block of a page: ``name`` (asked for by tests and clicks), its text, a style for all of it,
    ``above`` blank lines before it, ``callout`` for a tinted box with a bar on its left, and ``lead``
    drawn before its first line with the lines after it indented as far (a hanging indent)."""

    name: str
    text: Content
    style: str = ""
    above: int = 0
    callout: bool = False
    lead: Content | None = None
    fill: str = ""  # a style for its whole rows, to the page's width (a highlight)


def _same(a: Block, b: Block) -> bool:
    """The same block, styles included (Content compares its text only)."""
    # (== compares every field, the two Contents by their text: a lead is None in both or in neither)
    return a is b or (
        a == b and a.text.spans == b.text.spans and (a.lead is None or a.lead.spans == getattr(b.lead, "spans", None))
    )


def wrap_block(block: Block, width: int) -> list[Content]:
    """A block's lines at ``width``."""
    lines = _wrap_text(block, width)
    if block.fill:
        return [line.pad_right(max(0, width - line.cell_length)).stylize_before(block.fill) for line in lines]
    return lines


def _wrap_text(block: Block, width: int) -> list[Content]:
    text = block.text.stylize_before(block.style) if block.style else block.text
    if block.callout:
        room = max(1, width - 3)
        lines = []
        for line in wrap_words(text, room):
            pad = " " * max(0, room - line.cell_length)
            row = Content.assemble((CALLOUT_BAR + " ", "$secondary"), line, pad, " ")
            lines.append(row.stylize_before("on $boost"))
        return lines
    if block.lead is not None:
        indent = Content(" " * block.lead.cell_length)
        wrapped = wrap_words(text, max(8, width - block.lead.cell_length))
        return [(block.lead if i == 0 else indent) + line for i, line in enumerate(wrapped)]
    return wrap_words(text, width)


class Page(ScrollView, can_focus=True):
    """Blocks of text, wrapped at spaces (never inside a word joined by no-break spaces), scrolled as one."""

    DEFAULT_CSS = """
    Page {
        overflow-x: hidden;
        scrollbar-gutter: stable;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._blocks: tuple[Block, ...] = ()
        self._width = 0
        self._lines: list[Content] = []
        self._rows: dict[str, tuple[int, int]] = {}
        self._strips: dict[int, Strip] = {}
        self._wrapped: dict[str, tuple[int, Block, list[Content]]] = {}
        self._room = 0
        self._styles: tuple[Style, RichStyle, RichStyle] = (Style(), RichStyle(), RichStyle())

    # ------------------------------------------------------------ content
    def show(self, blocks: Iterable[Block]) -> None:
        """Show these blocks (empty ones are left out, with the blank lines above them)."""
        self._blocks = tuple(b for b in blocks if b.text)
        self._lay_out(self.scrollable_content_region.width)

    def block(self, name: str) -> Block | None:
        """The block called ``name`` (None when it is not shown)."""
        return next((b for b in self._blocks if b.name == name), None)

    def text_of(self, name: str) -> str:
        """The plain text of the block called ``name`` ("" when it is not shown)."""
        block = self.block(name)
        return block.text.plain if block is not None else ""

    def rows_of(self, name: str) -> tuple[int, int]:
        """The first row of the block called ``name`` and the row after its last, as laid out now."""
        return self._rows.get(name, (0, 0))

    @property
    def plain(self) -> str:
        """Every line as drawn, joined with newlines."""
        return "\n".join(line.plain for line in self._lines)

    def _lay_out(self, width: int, repaint: bool = True) -> None:
        if width <= 0:  # not laid out yet: done when its width is known (see get_content_height, render_lines)
            self._width = 0
            return
        lines: list[Content] = []
        rows: dict[str, tuple[int, int]] = {}
        last, wrapped = self._wrapped, {}
        for block in self._blocks:
            lines += [Content("")] * block.above
            start = len(lines)
            kept = last.get(block.name)
            if kept is not None and kept[0] == width and _same(kept[1], block):
                block_lines = kept[2]  # (the decisions so far are wrapped once, not after every decision)
            else:
                block_lines = wrap_block(block, width)
            wrapped[block.name] = (width, block, block_lines)
            lines += block_lines
            rows[block.name] = (start, len(lines))
        self._lines, self._rows, self._width, self._wrapped = lines, rows, width, wrapped
        self._strips.clear()
        self.virtual_size = Size(width, len(lines))
        if repaint:
            self.refresh()

    # ------------------------------------------------------------ drawing
    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # asked while the screen is laid out, for a page whose height follows its lines (the choices):
        # its lines at the width it is given, so that its height is right in that very layout, both
        # in a new screen's first frame (the page shown before its width was known) and after the
        # terminal is resized (Textual keeps the answer for that layout: one given for the old width
        # would stay, leaving blank rows under the choices)
        if width > 0 and width != self._width:
            self._lay_out(width, repaint=False)
        return len(self._lines)

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width != self._width:
            self._lay_out(width)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # a new theme: render again

    def _strip(self, row: int) -> Strip:
        """Row ``row`` of the page rendered (and kept until the page, its width or the theme changes)."""
        selection = self.text_selection
        strip = self._strips.get(row) if selection is None else None
        if strip is None:
            line = self._lines[row]
            if selection is not None and (span := selection.get_span(row)) is not None:
                start, end = span
                chosen = Style.from_styles(self.screen.get_component_styles("screen--selection"))
                line = line.stylize(chosen, start, line.cell_length if end == -1 else end)
            base = self._styles[0]
            x = 0
            segments = []
            for text, style in line.render(base, end="", parse_style=self._get_style):
                segments.append(Segment(text, (base + style).rich_style_with_offset(x, row)))
                x += len(text)
            strip = Strip(segments, line.cell_length)
            if self.auto_links and any(not isinstance(span.style, str) for span in line.spans):  # a link's meta
                strip = strip._apply_link_style(self._styles[2])
            if selection is None:
                self._strips[row] = strip
        return strip

    def render_lines(self, crop: Region) -> list[Strip]:
        # the widget's styles, worked out once for all the rows drawn now (each walks the ancestors)
        self._styles = (self.visual_style, self.rich_style, self.link_style)
        self._room = self.scrollable_content_region.width
        if self._width == 0 and self._room > 0:  # its first frame, before it has heard its size
            # (only then: a later width is the resize's to follow, which also lays the screen out
            # again for the new number of lines; a change made while drawing would not)
            self._lay_out(self._room, repaint=False)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self._room
        row = scroll_y + y
        rich_style = self._styles[1]
        if row >= len(self._lines):
            return Strip.blank(width, rich_style)
        return self._strip(row).crop_extend(scroll_x, scroll_x + width, rich_style)

    # ------------------------------------------------------------ selection
    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract(self.plain), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self._strips.clear()
        self.refresh()
