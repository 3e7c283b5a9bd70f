from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from game.cli import main
from game.story import Story, load_story

from ..scripts import load_script

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = Path(__file__).resolve().parent / "data"
UNREACHABLE = DATA / "unreachable"
SHIPPED = ROOT / "story"
TIGHTROPE = Path(sys.executable).with_name("tightrope")


_load = load_script


gen_story = _load("tightrope_bench_gen_story", ROOT / "benchmarks" / "gen_story.py")
generate = gen_story.generate


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """Run ``tightrope ARGS`` in this process (fast) and capture its output."""

    def run(*args: str) -> Ran:
        capsys.readouterr()
        code = main([str(a) for a in args])
        got = capsys.readouterr()
        return Ran(code, got.out, got.err)

    return run


def run_installed(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``tightrope`` console script in a real process."""
    return subprocess.run([str(TIGHTROPE), *args], cwd=cwd, capture_output=True, text=True, input=stdin, timeout=300)


@pytest.fixture(scope="session")
def unreachable() -> Story:
    return load_story(UNREACHABLE)


def shipped_story() -> Story:
    """The shipped story (it must load: tightrope check story says why when it does not)."""
    return load_story(SHIPPED)


def write_story(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "story.yaml").write_text(text, encoding="utf-8")
    return folder


def copy_story(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest
