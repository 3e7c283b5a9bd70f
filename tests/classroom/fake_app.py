"""A tiny Textual app standing in for the game in server plumbing tests."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Fake(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("Fake classroom app is running")


if __name__ == "__main__":
    Fake().run()
