from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from game.story import Story, load_story

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "tests" / "stories" / "starter"


@pytest.fixture(autouse=True)
def data_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test keeps what a player has found (the endings) in a folder of its own, never the user's."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("TIGHTROPE_DATA", str(folder))
    return folder


@pytest.fixture(scope="session")
def starter_path() -> Path:
    return STARTER


@pytest.fixture(scope="session")
def starter() -> Story:
    return load_story(STARTER)


@pytest.fixture
def starter_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "story"
    shutil.copytree(STARTER, dest)
    return dest
