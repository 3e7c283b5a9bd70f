"""Literal text for the screen: story text is data, never markup.

Everything from a story reaches the screen as :class:`~textual.content.Content`
built from plain strings (never parsed as markup) after
:func:`~game.story.text.clean` has stripped terminal control characters.
"""

from __future__ import annotations

import re

from textual.content import Content
from textual.widgets import Static

from ..story.text import clean

_BULLET = re.compile(r"^\s*([-*•]|\d+[.)])\s+")


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


def hanging(first: Content, rest: Content | None, width: int, lead: str, indent: str = "  ") -> Content:
    """Wrap ``first`` after ``lead`` and ``rest`` below it, both with a hanging indent."""
    room = max(8, width - len(indent))
    lines = [Content(lead) + line if i == 0 else Content(indent) + line for i, line in enumerate(first.wrap(room))]
    if rest is not None:
        lines += [Content(indent) + line for line in rest.wrap(room)]
    return Content("\n").join(lines)
