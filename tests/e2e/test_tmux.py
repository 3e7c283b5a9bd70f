"""The installed `tightrope` in a real terminal (tmux): title, new game, number keys to an ending.

Skipped when tmux is not installed. Reads the screen with `tmux capture-pane -p`.
"""

from __future__ import annotations

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
MAIN_METERS = ("US relations", "Gulf ties", "Domestic stability")


def tightrope() -> Path:
    exe = Path(sys.executable).with_name("tightrope")
    if not exe.exists():
        pytest.skip(f"the tightrope console script is not installed next to {sys.executable}")
    return exe


class Tmux:
    """One tmux session running the game, on its own server socket."""

    def __init__(self, command: list[str], size: tuple[int, int], cwd: Path) -> None:
        self.socket = f"tightrope-e2e-{uuid.uuid4().hex[:8]}"
        self.name = "game"
        cols, rows = size
        shell = " ".join(_quote(c) for c in command) + "; echo EXITED $?; sleep 60"
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

    def start(size: tuple[int, int]) -> Tmux:
        saves = tmp_path / "saves"
        session = Tmux([str(tightrope()), "--story", str(STARTER), "--saves", str(saves), "--seed", "1"], size, tmp_path)
        sessions.append(session)
        return session

    yield start
    for s in sessions:
        s.close()


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
def test_play_to_an_ending_in_a_real_terminal(run_game, size: tuple[int, int], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    term = run_game(size)
    title = term.wait_for("New game")
    assert "T I G H T R O P E" in title and "Content note:" in title
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
