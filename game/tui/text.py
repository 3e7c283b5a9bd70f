"""Literal text for the screen: story text is data, never markup.

Everything from a story reaches the screen as :class:`~textual.content.Content`
built from plain strings (never parsed as markup) after
:func:`~game.story.text.clean` has stripped terminal control characters.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from textual.content import Content
from textual.widgets import Static

_BULLET = re.compile(r"^\s*([-*•]|\d+[.)])\s+")


def clean(text: str) -> str:
    """game.story.text.clean, imported when first needed (the title screen is drawn before the story layer loads)."""
    if not text:
        return text
    from ..story.text import clean as story_clean

    return story_clean(text)


def reflow(text: str) -> str:
    """Clean story text and join hard-wrapped lines; keep paragraphs and list items."""
    blocks = []
    for block in re.split(r"\n\s*\n", clean(text).strip()):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        out: list[str] = []
        for ln in lines:
            if out and not _BULLET.match(ln):
                out[-1] += " " + ln
            else:
                out.append(ln)
        blocks.append("\n".join(" ".join(x.split()) for x in out))
    return "\n\n".join(b for b in blocks if b)


def plain(text: str, style: str = "") -> Content:
    """Literal text (never markup), control characters removed."""
    return Content.styled(clean(text), style) if style else Content(clean(text))


class Text(Static):
    """A Static that shows literal text only."""

    def __init__(self, text: str | Content = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(text if isinstance(text, Content) else plain(text), id=id, classes=classes, markup=False)

    def set(self, text: str | Content) -> None:
        self.update(text if isinstance(text, Content) else plain(text))


_SPACES = re.compile(r" +")


def wrap_words(content: Content, width: int) -> list[Content]:
    """Wrap at ordinary spaces only, so that words joined by no-break spaces (U+00A0) stay on one line.

    (Textual's own wrapping breaks at any whitespace, no-break spaces too.) A
    word longer than the width is folded. Newlines start new lines.
    """
    width = max(1, width)
    out: list[Content] = []
    text = content.plain
    start_of_line = 0
    for raw_line in text.split("\n"):
        line_end = start_of_line + len(raw_line)
        words = []  # (start, end) of each word in the whole text
        pos = start_of_line
        for gap in _SPACES.finditer(raw_line):
            words.append((pos, start_of_line + gap.start()))
            pos = start_of_line + gap.end()
        words.append((pos, line_end))
        current: tuple[int, int] | None = None
        used = 0  # cells of the current line (the gaps between words are spaces: a cell each)
        for a, b in words:
            if a == b:
                continue
            cells = cell_len(text[a:b])
            if current is not None and used + (a - current[1]) + cells <= width:
                used += (a - current[1]) + cells
                current = (current[0], b)
                continue
            if current is not None:
                out.append(content[current[0] : current[1]])
            if cells > width:
                out += content[a:b].fold(width)
                current = None
            else:
                current, used = (a, b), cells
        if current is not None:
            out.append(content[current[0] : current[1]])
        elif not raw_line.strip():
            out.append(Content(""))
        start_of_line = line_end + 1
    return out
