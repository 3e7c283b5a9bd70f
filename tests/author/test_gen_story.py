from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from game.story import check_story

from .conftest import ROOT, generate

SCRIPT = ROOT / "benchmarks" / "gen_story.py"


@pytest.mark.parametrize("nodes", [1, 2, 37, 600])
def test_generated_stories_are_valid_and_clean(tmp_path: Path, nodes: int) -> None:
    folder = generate(tmp_path / "s", nodes, seed=nodes)
    result = check_story(folder)
    assert result.exit_code == 0 and result.story is not None
    assert not result.problems, [str(p) for p in result.problems[:5]]  # no warnings either: every node is reachable
    assert len(result.story.nodes) == nodes
    assert len(list(folder.glob("nodes_*.yaml"))) == -(-nodes // 500)


def test_the_same_seed_writes_the_same_story(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", 120, seed=3)
    b = generate(tmp_path / "b", 120, seed=3)
    c = generate(tmp_path / "c", 120, seed=4)
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir())
    assert all((a / f).read_text() == (b / f).read_text() for f in files)
    assert any((a / f).read_text() != (c / f).read_text() for f in files)


def test_generate_rejects_an_empty_story(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path / "none", 0)


def test_command_line(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, str(SCRIPT), str(out), "--nodes", "25", "--seed", "2"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "wrote a story of 25 nodes" in proc.stdout
    assert check_story(out).exit_code == 0
    again = subprocess.run([sys.executable, str(SCRIPT), str(out), "--nodes", "25"], capture_output=True, text=True)
    assert again.returncode == 2 and "is not empty" in again.stderr
    bad = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "x"), "--nodes", "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--nodes must be at least 1" in bad.stderr
