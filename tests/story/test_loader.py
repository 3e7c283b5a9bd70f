from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.cli import main
from game.story import check_story, load_story
from game.story.diagnostics import StoryError
from game.story.loader import FileCache
from game.story.yamlsafe import MAX_FILE_BYTES

BROKEN = Path(__file__).resolve().parent.parent / "stories" / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())


def test_starter_is_clean(starter_path: Path) -> None:
    result = check_story(starter_path)
    assert result.problems == []
    assert result.exit_code == 0
    assert result.stats["nodes"] == 3 and result.stats["endings"] == 3 and result.stats["events"] == 1


@pytest.mark.parametrize("case", CASES)
def test_broken_story_names_code_and_position(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, where = (BROKEN / case / "EXPECT").read_text().split()
    assert main(["check", str(BROKEN / case)]) == 1
    out = capsys.readouterr().out
    first_error = next(line for line in out.splitlines() if ": error " in line)
    assert first_error.startswith(f"{BROKEN / case}/{where}: error {code}: "), first_error


@pytest.mark.parametrize("case", CASES)
def test_broken_story_json(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, where = (BROKEN / case / "EXPECT").read_text().split()
    assert main(["check", str(BROKEN / case), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"errors", "warnings", "stats"}
    first = data["errors"][0]
    file, line, column = where.split(":")
    assert first["code"] == code
    assert first["file"].endswith(file) and first["line"] == int(line) and first["column"] == int(column)
    assert set(first) >= {"code", "message", "file", "line", "column"}


def test_check_json_stats(starter_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(starter_path), "--format", "json"]) == 0
    stats = json.loads(capsys.readouterr().out)["stats"]
    for key in ("nodes", "choices", "endings", "meters", "events", "words"):
        assert isinstance(stats[key], int) and stats[key] > 0


def test_missing_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope")]) == 2
    assert "F001" in capsys.readouterr().out


def test_unreadable_file_exits_2(starter_copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod cannot stop root (CI runs as root), so make reading fail instead
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "nodes.yaml":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert main(["check", str(starter_copy)]) == 2
    assert "nodes.yaml: error Y100: cannot read file: Permission denied" in capsys.readouterr().out


def test_load_story_raises_with_every_error(tmp_path: Path) -> None:
    with pytest.raises(StoryError) as info:
        load_story(BROKEN / "unknown_target")
    assert info.value.problems[0].code == "R001"


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_warnings_unreachable_and_unused(starter_copy: Path) -> None:
    (starter_copy / "extra.yaml").write_text(
        "# yaml-language-server: $schema=x\n"
        "flags:\n  - {id: lonely, description: never read}\n"
        "meters:\n  - {id: idle, label: Idle, description: never moved, start: 1}\n"
        "nodes:\n  - id: orphan\n    title: Orphan\n    basis: hypothetical\n    text: Nobody comes here.\n"
        "    choices:\n      - {id: leave, text: Leave., goto: aid_only}\n"
    )
    result = check_story(starter_copy)
    assert result.exit_code == 0
    codes = {(p.code, p.message.split('"')[1]) for p in result.warnings}
    assert ("W001", "orphan") in codes
    assert ("W002", "lonely") in codes
    assert ("W003", "idle") in codes


def test_missing_modeline_warns(starter_copy: Path) -> None:
    _edit(starter_copy, "endings.yaml", "# yaml-language-server: $schema=../../../docs/story.schema.json\n", "")
    assert any(p.code == "W006" for p in check_story(starter_copy).warnings)


def test_ids_unique_across_files(starter_copy: Path) -> None:
    (starter_copy / "more.yaml").write_text(
        "endings:\n  - {id: the_street, title: X, basis: hypothetical, text: x, debrief: x, questions: [x]}\n"
    )
    errors = check_story(starter_copy).errors
    assert [e.code for e in errors] == ["S010"]
    assert "nodes.yaml" in errors[0].message


def test_yaml_surprise_in_version(starter_copy: Path) -> None:
    _edit(starter_copy, "story.yaml", 'version: "0.1.0"', "version: 1.10")
    errors = check_story(starter_copy).errors
    assert errors[0].code == "S001"
    assert "put it in quotes" in errors[0].message


def test_threshold_ending_must_exist(starter_copy: Path) -> None:
    _edit(starter_copy, "story.yaml", "ending: street_crisis", "ending: street_crisiss")
    errors = check_story(starter_copy).errors
    assert errors[0].code == "R001" and 'did you mean "street_crisis"' in errors[0].message


def test_symlink_outside_is_refused(starter_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("glossary: []\n")
    (starter_copy / "link.yaml").symlink_to(outside)
    result = check_story(starter_copy)
    assert any(p.code == "Y012" for p in result.errors)


def test_content_hash_changes_with_text(starter_copy: Path) -> None:
    before = load_story(starter_copy).hash
    _edit(starter_copy, "nodes.yaml", "Crowds gather", "Crowds assemble")
    assert load_story(starter_copy).hash != before


def test_cli_runs_as_module(starter_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "game", "check", str(starter_path)], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "ok: 0 errors, 0 warnings" in proc.stdout


def test_check_summary_counts_in_words(starter_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(starter_copy, "story.yaml", "thresholds:", "tresholds:")
    assert main(["check", str(starter_copy)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "S002" in out[0] and "tresholds" in out[0]
    assert ": FAILED: 1 error, 0 warnings (3 nodes," in out[-1], out[-1]
    assert "1 errors" not in out[-1]


# ---------------------------------------------------------------- properties
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.text(max_size=30))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.dictionaries(
        st.sampled_from(["story", "meters", "flags", "nodes", "events", "endings", "glossary", "sources", "x"]),
        _values,
        max_size=5,
    )
)
def test_arbitrary_structures_give_problems_not_crashes(tmp_path: Path, data: dict[str, object]) -> None:
    folder = tmp_path / "s"
    folder.mkdir(exist_ok=True)
    (folder / "story.yaml").write_text(yaml.safe_dump(data))
    result = check_story(folder)
    assert result.exit_code in (0, 1, 2)
    for p in result.problems:
        assert p.code and "\n" not in p.message


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_arbitrary_text_files_give_problems_not_crashes(tmp_path: Path, text: str) -> None:
    folder = tmp_path / "t"
    folder.mkdir(exist_ok=True)
    (folder / "story.yaml").write_bytes(text.encode("utf-8", "replace"))
    result = check_story(folder)
    assert result.exit_code in (1, 2) or result.story is not None


def _lines(result: object) -> list[str]:
    return [str(p) for p in result.problems]  # type: ignore[attr-defined]


def test_overrides_are_read_in_place_of_files_and_nothing_is_written(starter_copy: Path, tmp_path: Path) -> None:
    nodes = starter_copy / "nodes.yaml"
    typed = nodes.read_text(encoding="utf-8").replace("Crowds gather", "Crowds {gather", 1)
    new = "flags:\n  - id: extra\n    description: an unsaved file\n"
    before = {p: p.read_bytes() for p in starter_copy.iterdir()}
    # by absolute path, and by path relative to the folder
    got = check_story(starter_copy, overrides={nodes: typed.encode(), "acts/new.yaml": new.encode()})
    assert {p: p.read_bytes() for p in starter_copy.iterdir()} == before and not (starter_copy / "acts").exists()
    saved = tmp_path / "saved"
    shutil.copytree(starter_copy, saved)
    (saved / "nodes.yaml").write_text(typed, encoding="utf-8")
    (saved / "acts").mkdir()
    (saved / "acts" / "new.yaml").write_text(new, encoding="utf-8")
    expected = check_story(saved)
    assert [(p.code, Path(p.pos.file).name) for p in got.problems] == [("T001", "nodes.yaml"), ("W006", "new.yaml")]
    assert _lines(got) == [line.replace(str(saved), str(starter_copy)) for line in _lines(expected)]
    assert got.exit_code == expected.exit_code == 1
    # without overrides, the files on disk
    assert check_story(starter_copy).exit_code == 0


def test_overrides_keep_the_bounds_and_ignore_what_is_not_a_story_file(starter_copy: Path, tmp_path: Path) -> None:
    big = check_story(starter_copy, overrides={"big.yaml": b"#" * (MAX_FILE_BYTES + 1)})
    assert [(p.code, p.pos.file) for p in big.errors] == [("Y007", str(starter_copy / "big.yaml"))]
    ignored = {
        tmp_path / "outside.yaml": b"nodes: [",
        starter_copy / ".hidden.yaml": b"nodes: [",
        starter_copy / "notes.txt": b"nodes: [",
        "../escape.yaml": b"nodes: [",
    }
    assert check_story(starter_copy, overrides=ignored).problems == []
    (tmp_path / "outside.yaml").write_text("glossary: []\n")
    (starter_copy / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    linked = check_story(starter_copy, overrides={"link.yaml": b"nodes: ["})
    assert [(p.code, p.pos.file) for p in linked.errors] == [("Y012", str(starter_copy / "link.yaml"))]


def test_a_file_cache_gives_the_same_answers_as_a_fresh_check(tmp_path: Path) -> None:
    root = tmp_path / "story"
    shutil.copytree(BROKEN.parent / "starter", root)
    nodes = (root / "nodes.yaml").read_text(encoding="utf-8")
    story = (root / "story.yaml").read_text(encoding="utf-8")
    nodes_versions = [
        nodes,
        nodes.replace("  - id: the_street", "  - id: the_cable", 1),  # a duplicate id
        nodes.replace("choices:", "choises:", 1),  # a misspelt field: a suggestion, never cached
        nodes.replace("title: Friday", "title: [Friday]", 1),  # a node lost: gotos to it fold into its problem
        nodes + "\n  - [",  # cannot be parsed
    ]
    extra_versions = [
        None,
        "flags:\n  - id: extra\n    description: x\n",
        "story: {id: x}\n",  # a story section that cannot be read: what needs it folds into it
        "nodes: [{id: 3}]\n",
        "endings:\n  - id: late\n    title: [x]\n",
    ]
    story_versions = [story, "story: [broken]\n"]  # a story section that cannot be read: what needs it folds into it
    # each file changes while the others stay, in every combination
    plan = [(n, e, s) for n in range(len(nodes_versions)) for e in range(len(extra_versions)) for s in range(2)]
    plan += sorted(plan, key=lambda p: (p[2], p[1], p[0])) + sorted(plan, key=lambda p: (p[1], p[2], p[0]))
    cache = FileCache()
    for n, e, s in plan:
        (root / "nodes.yaml").write_text(nodes_versions[n], encoding="utf-8")
        (root / "story.yaml").write_text(story_versions[s], encoding="utf-8")
        extra = extra_versions[e]
        if extra is None:
            (root / "extra.yaml").unlink(missing_ok=True)
        else:
            (root / "extra.yaml").write_text(extra, encoding="utf-8")
        fresh, cached = check_story(root), check_story(root, cache=cache)
        assert _lines(cached) == _lines(fresh), (n, e, s)
        assert cached.exit_code == fresh.exit_code
        assert (cached.story is None) == (fresh.story is None)
    # an unchanged file is not read again
    (root / "nodes.yaml").write_text(nodes_versions[1], encoding="utf-8")
    fresh = check_story(root, cache=cache)
    assert fresh.exit_code == 1
    with pytest.MonkeyPatch.context() as m:
        m.setattr("game.story.loader._read_file", lambda *a: pytest.fail("read again"))
        assert _lines(check_story(root, cache=cache)) == _lines(fresh)
