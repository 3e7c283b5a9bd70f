"""SVG snapshots of the title, game and ending screens (pytest-textual-snapshot).

The starter story, a fixed seed, an empty save folder, no animation and no
cursor blink keep them stable. Regenerate after an intended change with
``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the
result (rsvg-convert FILE.svg -o FILE.png) before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from game.tui.widgets import MetersPanel

from .conftest import make_app


@pytest.fixture(autouse=True)
def steady_meters(monkeypatch: pytest.MonkeyPatch) -> None:
    """The meter changes stay shown while the snapshot is taken, however slow the machine."""
    monkeypatch.setattr(MetersPanel, "DELTA_SECONDS", 600.0)


SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((100, 30), id="100x30")]


def app_for(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_app(saves=tmp_path / "saves", seed=1, name="Ayesha")


@pytest.mark.parametrize("size", SIZES)
def test_title(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_for(tmp_path), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_game(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    # the second scene, after a decision with a random outcome
    assert snap_compare(app_for(tmp_path), terminal_size=size, press=["n", "enter", "2"])


@pytest.mark.parametrize("size", SIZES)
def test_ending(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_for(tmp_path), terminal_size=size, press=["n", "enter", "1", "1", "1"])


@pytest.mark.parametrize("size", SIZES)
def test_interlude(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    # seed 6: the photograph fires after "address": the decision's and the event's changes apart
    app = make_app(saves=tmp_path / "saves", seed=6, name="Ayesha")
    assert snap_compare(app, terminal_size=size, press=["n", "enter", "1", "1"])


def test_endings_found(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("game.progress.today", lambda: "2026-12-02")  # the gallery shows the date found
    assert snap_compare(app_for(tmp_path), terminal_size=(80, 24), press=["n", "enter", "1", "1", "1", "f"])


def test_too_small(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_for(tmp_path), terminal_size=(70, 20))


def test_game_without_colour(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NO_COLOR", "1")

    async def first_choice(pilot: Pilot[int]) -> None:
        await pilot.press("n", "enter", "1")

    assert snap_compare(app_for(tmp_path), terminal_size=(80, 24), run_before=first_choice)
