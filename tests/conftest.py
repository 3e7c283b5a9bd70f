from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from game.story import Story, load_story

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "tests" / "stories" / "starter"


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
