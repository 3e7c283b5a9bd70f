"""docs/story-format.md, the spec and the problem registry stay in step."""

from __future__ import annotations

import re
import string
from pathlib import Path

from game.story import spec
from game.story.codes import CODES

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "story-format.md").read_text()
SOURCES = {path.name: path.read_text() for path in (ROOT / "game" / "story").glob("*.py")}
# a registry key in the code: "R002" or "S006.long"
KEY = re.compile(r'"([CFRSTWY]\d{3}(?:\.\w+)?)"')


def test_every_field_is_documented() -> None:
    missing = [f"{obj.name}.{name}" for obj in spec.ALL_OBJECTS for name in obj.fields if f"`{name}`" not in DOC]
    assert missing == []


def test_the_reference_table_is_the_registry() -> None:
    table = re.findall(r"^\| ([CFRSTWY]\d{3}) \| (error|warning) \| (.+?) \|$", DOC, re.M)
    documented = {code: (severity, meaning) for code, severity, meaning in table}
    registered = {c.code: (c.severity, c.meaning) for c in CODES.values()}
    assert sorted(documented) == sorted(registered), "codes missing either way"
    wrong = {code: (documented[code], registered[code]) for code in registered if documented[code] != registered[code]}
    assert wrong == {}, "severity or meaning differs between docs/story-format.md and game/story/codes.py"
    assert len(table) == len(documented), "a code is listed twice"


def test_every_message_in_the_registry_is_used_and_every_used_one_is_registered() -> None:
    used = {key for name, text in SOURCES.items() if name != "codes.py" for key in KEY.findall(text)}
    registered = {f"{c.code}.{v}" if v else c.code for c in CODES.values() for v in c.messages}
    assert used - registered == set(), "a message key the registry does not have"
    assert registered - used == set(), "a registered message nothing uses"


def test_templates_are_well_formed() -> None:
    for c in CODES.values():
        assert c.meaning.endswith(".") and "\n" not in c.meaning, c.code
        for variant, template in c.messages.items():
            names = [n for _, n, _, _ in string.Formatter().parse(template) if n is not None]
            assert all(n.isidentifier() for n in names), (c.code, variant, names)


def test_no_message_is_written_outside_the_registry() -> None:
    # a Problem is built from the registry; only diagnostics.py (the class) and
    # build.py (messages the condition and text languages built) construct one
    for name, text in SOURCES.items():
        if name in ("diagnostics.py", "codes.py", "build.py"):
            continue
        assert "Problem(" not in text.replace("YamlProblem(", ""), name
