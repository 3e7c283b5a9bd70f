"""Nothing a student wrote is ever lost (issue 13): the three measured loss cases and two sessions at once.

* A student who plays again the same day under the same name: the finished
  game stays, the new one gets a slot of its own (``-2``).
* Two processes playing under one name at once (real processes): two files,
  both games whole; the second is told its game is kept apart.
* A shared save folder: Continue offers only the player's own games, and
  even a finished game loaded on purpose and undone keeps its file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from game.saves import read_envelope
from game.tui.dialogs import NameDialog
from game.tui.screens import EndingScreen, GameScreen
from game.tui.title import TitleScreen

from ..tui.conftest import drive, make_app, press, screen_text, type_into

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "tests" / "stories" / "starter"
TODAY = date.today().isoformat()
REASON_A = "We answer quickly to keep a seat where the rules are written."
REASON_B = "Parliament must be asked first; a seat bought with silence is weak."


def tightrope() -> list[str]:
    exe = Path(sys.executable).with_name("tightrope")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "game"]


def classroom_args(saves: Path, *more: str) -> list[str]:
    return [
        *tightrope(),
        "play",
        "--plain",
        "--classroom",
        "--name",
        "Amina Q",
        "--seed",
        "7",
        "--story",
        str(STARTER),
        "--saves",
        str(saves),
        "--min-rationale",
        "20",
        *more,
    ]


def games(folder: Path) -> dict[str, dict[str, object]]:
    """Every save in a folder (sub-folders too, but not hidden ones such as a player's .progress): name -> its JSON."""
    found = (p for p in sorted(folder.rglob("*.json")) if not any(part.startswith(".") for part in p.relative_to(folder).parts))
    return {p.name: json.loads(p.read_text()) for p in found}


def rationales(data: dict[str, object]) -> list[str]:
    history = data["history"]
    assert isinstance(history, list)
    return [h["rationale"] for h in history if h["rationale"]]


# ------------------------------------------------------------------ 1: the same name twice in a day
def test_playing_again_the_same_day_keeps_the_finished_game(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    env = {k: v for k, v in os.environ.items() if k != "TIGHTROPE_SAVES"}
    first = subprocess.run(
        classroom_args(saves), input=f"1\n{REASON_A}\n1\n1\n", capture_output=True, text=True, env=env, timeout=60
    )
    assert first.returncode == 0 and "== Ending:" in first.stdout, first.stderr
    second = subprocess.run(classroom_args(saves), input=f"2\n{REASON_B}\n", capture_output=True, text=True, env=env, timeout=60)
    assert second.returncode == 3, second.stderr  # the input ran out before an ending: the game is kept all the same
    found = games(saves)
    finished = [d for d in found.values() if d["ending"] is not None]
    assert len(finished) == 1, sorted(found)  # the finished game is still there ...
    assert len(finished[0]["history"]) == 3 and rationales(finished[0]) == [REASON_A]  # type: ignore[arg-type]
    assert f"Amina-Q-{TODAY}.json" in found and f"Amina-Q-{TODAY}-2.json" in found  # ... and the new one has its own slot
    assert rationales(found[f"Amina-Q-{TODAY}-2.json"]) == [REASON_B]
    assert f'this game is saved as "Amina-Q-{TODAY}-2"' in second.stdout


# ------------------------------------------------------------------ 2: two at once, real processes
class Player:
    """A real ``tightrope play --plain`` process fed one line at a time."""

    def __init__(self, args: list[str]) -> None:
        env = {k: v for k, v in os.environ.items() if k != "TIGHTROPE_SAVES"}
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.out: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.out.append(line)

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def wait_for(self, needle: str, count: int = 1, timeout: float = 30) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            text = "".join(self.out)
            if text.count(needle) >= count:
                return text
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"{needle!r} never came:\n{''.join(self.out)}")

    def finish(self, text: str) -> str:
        assert self.proc.stdin is not None
        self.send(text)
        self.proc.stdin.close()
        assert self.proc.wait(timeout=60) == 0, self.proc.stderr.read() if self.proc.stderr else ""
        self.reader.join(timeout=10)
        return "".join(self.out)


@pytest.mark.parametrize("per_player", [False, True], ids=["one folder", "per-player folders (serve)"])
def test_two_processes_under_one_name_never_share_a_file(tmp_path: Path, per_player: bool) -> None:
    saves = tmp_path / "saves"
    extra = ["--per-player-saves"] if per_player else []
    a = Player(classroom_args(saves, *extra))
    a.wait_for("Choices:")
    b = Player(classroom_args(saves, *extra))  # the same name, while a plays
    b.wait_for("Choices:")
    a.send(f"1\n{REASON_A}\n")
    a.wait_for("Saved to")
    b.send(f"2\n{REASON_B}\n")
    b.wait_for("Saved to")
    out_a = a.finish("1\n1\n")
    out_b = b.finish("1\n1\n")
    found = games(saves)
    assert len(found) == 2, sorted(found)
    assert sorted(r for d in found.values() for r in rationales(d)) == sorted([REASON_A, REASON_B])
    assert all(d["ending"] is not None for d in found.values())  # both games whole, to their endings
    assert "is already open; this game is kept apart" in out_b and "Amina Q's game" in out_b
    assert "kept apart" not in out_a
    assert not list(saves.rglob(".*.lock"))  # both let go of their slots


def test_a_game_another_session_plays_cannot_be_loaded(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    a = Player(classroom_args(saves))
    a.send(f"1\n{REASON_A}\n")
    a.wait_for("Saved to")
    slot = f"Amina-Q-{TODAY}"
    env = {k: v for k, v in os.environ.items() if k != "TIGHTROPE_SAVES"}
    args = [*tightrope(), "play", "--plain", "--story", str(STARTER), "--saves", str(saves), "--load", slot, "--classroom"]
    late = subprocess.run(args, input="1\n", capture_output=True, text=True, env=env, timeout=60)
    assert late.returncode == 2 and "Traceback" not in late.stderr
    assert f'the save "{slot}" is in use: Amina Q\'s game (open since' in late.stderr
    a.finish("1\n1\n")
    data = read_envelope(saves / f"{slot}.json")
    assert data.ending is not None and [e.rationale for e in data.history if e.rationale] == [REASON_A]


# ------------------------------------------------------------------ 3: a shared folder and Continue
@pytest.fixture
def saves(tmp_path: Path) -> Path:
    return tmp_path / "saves"


def finished_game(saves: Path) -> Path:
    """Amina plays the app in classroom mode to an ending, in a folder shared with others."""
    app = make_app(saves=saves, seed=1, name="Amina", classroom=True, min_rationale=5)

    async def script(pilot: object) -> None:
        await press(pilot, "n", "enter", "1")  # type: ignore[arg-type]
        await type_into(pilot, "#rationale", REASON_A)  # type: ignore[arg-type]
        await press(pilot, "enter", "1", "1")  # type: ignore[arg-type]
        assert isinstance(app.screen, EndingScreen)

    drive(app, script)
    path = saves / f"Amina-{TODAY}.json"
    assert read_envelope(path).ending is not None
    return path


def test_continue_offers_only_the_players_own_games(saves: Path) -> None:
    amina = finished_game(saves)
    before = amina.read_bytes(), amina.with_name(amina.name + ".bak").read_bytes()
    bilal = make_app(saves=saves, seed=1, name="Bilal")

    async def named(pilot: object) -> None:
        assert isinstance(bilal.screen, TitleScreen)
        assert "Amina" not in screen_text(bilal)  # not offered
        await press(pilot, "c")  # type: ignore[arg-type]
        assert isinstance(bilal.screen, TitleScreen) and bilal.session.state is None

    drive(bilal, named)
    nameless = make_app(saves=saves, seed=1)

    async def unnamed(pilot: object) -> None:
        assert "Continue: your name first" in screen_text(nameless)
        await press(pilot, "c")  # type: ignore[arg-type]
        assert isinstance(nameless.screen, NameDialog)  # whose game?
        await type_into(pilot, "#name", "Bilal")  # type: ignore[arg-type]
        await press(pilot, "enter")  # type: ignore[arg-type]
        assert isinstance(nameless.screen, TitleScreen) and nameless.session.state is None

    drive(nameless, unnamed)
    again = make_app(saves=saves, seed=1, name="amina ")  # her own name, however typed

    async def hers(pilot: object) -> None:
        await press(pilot, "c")  # type: ignore[arg-type]
        assert isinstance(again.screen, EndingScreen)

    drive(again, hers)
    assert (amina.read_bytes(), amina.with_name(amina.name + ".bak").read_bytes()) == before


def test_undo_after_a_loaded_ending_goes_on_in_a_new_slot(saves: Path) -> None:
    amina = finished_game(saves)
    before = amina.read_bytes(), amina.with_name(amina.name + ".bak").read_bytes()
    app = make_app(saves=saves, seed=1, name="Bilal", load=str(amina))

    async def script(pilot: object) -> None:
        assert isinstance(app.screen, EndingScreen)
        await press(pilot, "u")  # type: ignore[arg-type]
        assert isinstance(app.screen, GameScreen)
        await press(pilot, "u", "u")  # type: ignore[arg-type]
        app.session.flush()

    drive(app, script)
    assert (amina.read_bytes(), amina.with_name(amina.name + ".bak").read_bytes()) == before  # her ending, file and backup
    fork = read_envelope(saves / f"Amina-{TODAY}-2.json")
    assert fork.ending is None and len(fork.history) == 0
    assert [(u.turn, u.choice, u.rationale) for u in fork.undone][-1] == (1, "commit", REASON_A)  # kept, not lost
