"""Messages the app sends to its screens."""

from __future__ import annotations

from textual.message import Message


class StoryReloaded(Message):
    """The story was reloaded from disk; the screen should redraw from the session."""


class GameChanged(Message):
    """The session's game state changed outside the screen (undo, load, jump)."""


class SessionReady(Message):
    """The story is loaded and the session is ready (the title screen fills in what it shows of the story)."""
