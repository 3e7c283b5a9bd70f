"""The committed editor schema matches the model, and story files validate against it
with a standard JSON Schema validator (what an editor's yaml-language-server does)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from .conftest import ROOT, run_installed

SCHEMA_FILE = ROOT / "docs" / "story.schema.json"
STORY_FILES = sorted([*(ROOT / "story").rglob("*.yaml"), *(ROOT / "tests" / "stories" / "starter").rglob("*.yaml")])


def as_json_types(value: Any) -> Any:
    """YAML dates (2025-11-25) load as datetime.date; the story loader keeps the text, so do the same."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): as_json_types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json_types(v) for v in value]
    return value


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_committed_schema_is_what_tightrope_schema_prints() -> None:
    proc = run_installed("schema")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == json.loads(SCHEMA_FILE.read_text(encoding="utf-8")), (
        "docs/story.schema.json is stale: run  tightrope schema > docs/story.schema.json"
    )


def test_there_are_story_files() -> None:
    assert any(p.parent.name == "starter" for p in STORY_FILES)
    assert any(p.parent == ROOT / "story" for p in STORY_FILES)


@pytest.mark.parametrize("path", STORY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_story_file_validates_against_the_schema(path: Path, validator: jsonschema.Draft7Validator) -> None:
    data = as_json_types(yaml.safe_load(path.read_text(encoding="utf-8")))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10])
    assert "yaml-language-server: $schema=" in path.read_text(encoding="utf-8").splitlines()[0]


def test_the_schema_rejects_what_the_loader_rejects(validator: jsonschema.Draft7Validator) -> None:
    bad = [
        {
            "nodes": [
                {
                    "id": "a",
                    "title": "A",
                    "basis": "hypothetical",
                    "text": "T",
                    "choices": [{"id": "c", "text": "C", "goto": "b"}],
                    "colour": "red",
                }
            ]
        },
        {"meters": [{"id": "Us", "label": "US", "description": "D", "start": 50}]},
        {
            "nodes": [
                {"id": "a", "title": "A", "basis": "invented", "text": "T", "choices": [{"id": "c", "text": "C", "goto": "b"}]}
            ]
        },
        {"story": {"id": "s", "title": "S", "version": 1.0, "start": "a", "facts_as_of": "2025-11-25", "content_note": "N"}},
    ]
    for data in bad:
        assert list(validator.iter_errors(data)), data
    good = {
        "nodes": [
            {"id": "a", "title": "A", "basis": "hypothetical", "text": "T", "choices": [{"id": "c", "text": "C", "goto": "b"}]}
        ]
    }
    assert not list(validator.iter_errors(good))


# What an editor sees with yaml-language-server set to YAML 1.1 ("yaml.yamlVersion": "1.1"):
# bare words and numbers as YAML 1.1 reads them, and a date as the text written (the
# server falls back to a scalar's source text for a timestamp), which is what the
# story loader reads too. Schema and check then agree, value by value.
AGREE_BASE = """nodes:
  - id: a
    title: A title
    date: 20 November 2025
    basis: hypothetical
    text: T
    choices:
      - {id: c, text: C, goto: a}
"""


@pytest.mark.parametrize(
    "old, new",
    [
        ("title: A title", "title: no"),
        ("title: A title", "title: 12:30"),
        ("title: A title", "title: 1.10"),
        ("title: A title", 'title: "{us} rises"'),
        ("title: A title", 'title: "{{us}} rises"'),
        ("date: 20 November 2025", "date: 2025-11-20"),
        ("date: 20 November 2025", "date: 2025-11-20 10:00:00"),
        ("{id: c,", "{id: end,"),
        ("basis: hypothetical", "basis: yes"),
    ],
)
def test_the_schema_and_check_agree_when_the_editor_reads_yaml_1_1(
    validator: jsonschema.Draft7Validator, tmp_path: Path, old: str, new: str
) -> None:
    from game.story import check_story
    from game.story.yamlsafe import compose, plain_value

    text = AGREE_BASE.replace(old, new)
    tree = compose(text, "f.yaml")
    assert tree is not None
    schema_ok = not list(validator.iter_errors(plain_value(tree)))
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "f.yaml").write_text(text, encoding="utf-8")
    shape = {"S001", "S002", "S003", "S004", "S006", "S007", "S008", "S009", "S011", "T004"}
    check_ok = not [p for p in check_story(folder).errors if p.code in shape]
    assert schema_ok == check_ok, (new, schema_ok, check_ok)
