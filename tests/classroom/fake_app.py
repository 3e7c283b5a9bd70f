"""A tiny Textual app standing in for the game in server plumbing tests.

``--stubborn``: it ignores the server's request to quit and SIGTERM, as a
game stuck in its start-up would; only SIGKILL ends it.
"""

import sys

from textual.app import App, ComposeResult
from textual.messages import ExitApp
from textual.widgets import Static


class Fake(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("Fake classroom app is running")


class Stubborn(Fake):
    def _on_exit_app(self, message: ExitApp) -> None:  # the web driver turns both "quit" and SIGTERM into ExitApp
        message.prevent_default()  # App's own handler (which exits) is not called


if __name__ == "__main__":
    (Stubborn() if "--stubborn" in sys.argv else Fake()).run()
