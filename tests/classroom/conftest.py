"""Shared fixtures: classroom games played through the real plain-mode CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from game.cli import main
from game.saves import slug

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "tests" / "stories" / "starter"

# (name, seed, input lines): a choice number, then a rationale at the key
# decision (the_cable), then the other choices. Rationales are at least 40
# characters, the default minimum in classroom mode.
CLASS: list[tuple[str, int, list[str]]] = [
    (
        "Ayesha K",
        7,
        ["1", "Early commitment buys goodwill in Washington & the IMF talks <need> it.", "1", "2"],
    ),
    ("Bilal R", 3, ["3", "Parliament must own this decision, or the street will turn against it.", "2", "3"]),
    ("Chen L", 5, ["1", "Goodwill now, then we can shape the force from inside the tent.", "1", "1"]),
    ("Dana M", 9, ["2", "Cairo and Amman beside us make this a Muslim position, not an American one.", "1", "2"]),
    ("Eve S", 11, ["3", "I would rather be slow than split the country over a foreign mission."]),
]


def play_classroom(saves: Path, name: str, seed: int, lines: list[str], story: Path = STARTER) -> Path:
    """Pipe choices and rationales into `tightrope play --plain --classroom`; return the save."""
    proc = subprocess.run(
        [sys.executable, "-m", "game", "play", "--plain", "--classroom", "--name", name, "--seed", str(seed)]
        + ["--story", str(story), "--saves", str(saves)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode in (0, 3), proc.stderr  # 3: the lines ran out before an ending (an unfinished game)
    found = sorted(saves.glob(f"{slug(name)}-*.json"))
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="session")
def class_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with one classroom save per student in CLASS (made once; copy it to modify)."""
    folder = tmp_path_factory.mktemp("class")
    for name, seed, lines in CLASS:
        play_classroom(folder, name, seed, lines)
    return folder


@pytest.fixture
def class_copy(class_folder: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "class"
    shutil.copytree(class_folder, dest)
    return dest


@pytest.fixture
def story_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "story"
    shutil.copytree(STARTER, dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in a file, failing if it is not there (so a test's edit cannot silently miss)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err
