"""The installed `tightrope` in a real terminal (tmux): title, new game, number keys to an ending.

Skipped when tmux is not installed. Reads the screen with `tmux capture-pane -p`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("tmux") is None,
        reason="tmux is not installed (apt-get install tmux) so the game cannot be run in a real terminal",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "tests" / "stories" / "starter"
SHIPPED = ROOT / "story"
MAIN_METERS = ("US relations", "Gulf ties", "Domestic stability")


def tightrope() -> Path:
    exe = Path(sys.executable).with_name("tightrope")
    if not exe.exists():
        pytest.skip(f"the tightrope console script is not installed next to {sys.executable}")
    return exe


class Tmux:
    """One tmux session running the game, on its own server socket."""

    def __init__(self, command: list[str], size: tuple[int, int], cwd: Path, data: Path) -> None:
        self.socket = f"tightrope-e2e-{uuid.uuid4().hex[:8]}"
        self.name = "game"
        cols, rows = size
        shell = f"TIGHTROPE_DATA={_quote(str(data))} " + " ".join(_quote(c) for c in command) + "; echo EXITED $?; sleep 60"
        self.tmux(
            "new-session",
            "-d",
            "-s",
            self.name,
            "-x",
            str(cols),
            "-y",
            str(rows),
            "-c",
            str(cwd),
            "env TERM=xterm-256color " + shell,
        )

    def tmux(self, *args: str) -> str:
        proc = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20)
        if proc.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def flat(self) -> str:
        """The screen with every run of whitespace as one space (text wrapped across lines joins up)."""
        return " ".join(self.screen().split())

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            if "EXITED" in screen:
                break
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear on the screen:\n{screen}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


@pytest.fixture
def run_game(tmp_path: Path) -> Iterator[object]:
    sessions: list[Tmux] = []

    def start(size: tuple[int, int], story: Path = STARTER) -> Tmux:
        saves = tmp_path / "saves"
        command = [str(tightrope()), "--story", str(story), "--saves", str(saves), "--seed", "1"]
        session = Tmux(command, size, tmp_path, tmp_path / "data")
        sessions.append(session)
        return session

    yield start
    for s in sessions:
        s.close()


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
def test_play_to_an_ending_in_a_real_terminal(run_game, size: tuple[int, int], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    term = run_game(size)
    assert "New game" in term.wait_for("T I G H T R O P E")  # the title comes first ...
    term.wait_for("Content note:")  # ... then the story, loaded while the player reads
    term.send("n")
    term.wait_for("Your name")
    term.send("Enter")
    screen = term.wait_for("The cable from Washington")
    for key, next_scene in (("1", "Friday"), ("1", "The decision"), ("1", "Debrief")):
        for label in MAIN_METERS:
            assert label in screen, f"{label} is not on the {size} screen:\n{screen}"
        term.send(key)
        screen = term.wait_for(next_scene)
    assert "Ending: Blue helmets, careful rules" in screen
    assert "Debrief" in screen
    term.send("q")  # back to the title
    term.wait_for("New game")
    term.send("q")
    term.wait_for("Quit Tightrope?")
    term.send("y")
    assert "EXITED 0" in term.wait_for("EXITED")
    assert (tmp_path / "saves" / "autosave.json").is_file()


def test_at_80x24_every_choice_and_the_meters_then_pagedown_enter_takes_the_first(run_game, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The acceptance of issue 15 in a real terminal, on the shipped story's first decision."""
    from game.engine import new_game, options
    from game.present import effect_hints
    from game.story import load_story
    from game.story.text import clean_line

    story = load_story(SHIPPED)
    first = options(story, new_game(story, 1))
    term = run_game((80, 24), SHIPPED)
    term.wait_for("New game")
    term.wait_for("Content note")  # the story is loaded
    term.send("n")
    term.wait_for("Your name")
    term.send("Enter")
    term.wait_for("Choices")
    shown = term.flat()
    for label in MAIN_METERS:
        assert label in shown
    for n, opt in enumerate(first, 1):
        hints = " · ".join(f"{h.label} {h.sign}" for h in effect_hints(story, opt.choice))
        line = " ".join(f"{n} {clean_line(opt.choice.text)} {hints}".split())
        assert line in shown, f"choice {n} is not whole on the 80x24 screen:\n{term.screen()}"
    term.send("PageDown")
    time.sleep(0.3)
    term.send("Enter")
    taken = first[0].choice
    targets = [clean_line(story.nodes[t].title) for t in taken.targets if t in story.nodes]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(t in term.flat() for t in targets):
        if "Meanwhile" in term.screen():
            term.send("Enter")
        time.sleep(0.1)
    assert any(t in term.flat() for t in targets), term.screen()
    term.send("q")
    term.wait_for("Leave this game")
    term.send("y")
    term.wait_for("New game")
    term.send("q")
    term.wait_for("Quit Tightrope?")
    term.send("y")
    assert "EXITED 0" in term.wait_for("EXITED")
    saved = json.loads((tmp_path / "saves" / "autosave.json").read_text())
    assert saved["history"][0]["choice"] == taken.id  # PageDown moved the scene, not the highlight


def test_after_one_ending_a_relaunch_counts_it(run_game, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    term = run_game((80, 24))
    term.wait_for("Endings found: 0 of 3")
    term.send("n")
    term.wait_for("Your name")
    term.send("Enter")
    term.wait_for("The cable from Washington")
    for key in ("1", "1", "1"):
        term.send(key)
        time.sleep(0.3)
    term.wait_for("A new ending!")
    term.send("q")
    term.wait_for("New game")
    term.send("q")
    term.wait_for("Quit Tightrope?")
    term.send("y")
    term.wait_for("EXITED")
    again = run_game((80, 24))
    assert "Endings found: 1 of 3" in again.wait_for("Endings found: 1 of 3")
    again.send("f")
    gallery = again.wait_for("endings found")
    assert "Blue helmets, careful rules" in gallery and gallery.count("not found yet") == 2
