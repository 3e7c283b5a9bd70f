"""docs/story-format.md, the spec and the problem codes stay in step."""

from __future__ import annotations

import re
from pathlib import Path

from game.story import spec

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "story-format.md").read_text()


def test_every_field_is_documented() -> None:
    missing = [f"{obj.name}.{name}" for obj in spec.ALL_OBJECTS for name in obj.fields if f"`{name}`" not in DOC]
    assert missing == []


def test_every_problem_code_is_documented() -> None:
    used = set()
    for path in (ROOT / "game" / "story").glob("*.py"):
        used |= set(re.findall(r'"([CFRSTWY]\d{3})"', path.read_text()))
    documented = set(re.findall(r"^\| ([CFRSTWY]\d{3}) \|", DOC, re.M))
    assert used - documented == set()
    assert documented - used == set()
