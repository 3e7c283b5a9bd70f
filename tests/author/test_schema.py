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
