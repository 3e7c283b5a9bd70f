"""Story folders as the editor sees them: which folder, and the buffers in place of the files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from game.lsp.folder import Folder, RootFinder, run_index
from game.story import Problem, check_story
from game.story.yamlsafe import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[2]
STORIES = ROOT / "tests" / "stories"


def flat(problems: list[Problem]) -> list[tuple[str, str, str, int, int, str]]:
    return sorted((p.code, p.message, p.pos.file, p.pos.line, p.pos.column, p.severity) for p in problems)


def outcome_problems(folder: Folder, buffers: dict[Path, str]) -> list[Problem]:
    outcome = folder.check(buffers)
    return [*outcome.folder_problems, *(p for ps in outcome.by_file.values() for p in ps)]


CASES = sorted(p for p in (STORIES / "broken").iterdir() if p.is_dir()) + [STORIES / "starter", STORIES / "cast"]


@pytest.mark.parametrize("story", CASES, ids=[p.name for p in CASES])
def test_a_check_without_buffers_is_tightrope_check(story: Path, tmp_path: Path) -> None:
    root = tmp_path / story.name
    shutil.copytree(story, root)
    assert flat(outcome_problems(Folder(root), {})) == flat(check_story(root).problems)


def test_buffers_take_the_place_of_files_and_messages_name_the_real_files(tmp_path: Path) -> None:
    root = tmp_path / "story"
    shutil.copytree(STORIES / "starter", root)
    folder = Folder(root)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    nodes = root / "nodes.yaml"
    typed = nodes.read_text().replace("  - id: the_street", "  - id: the_cable", 1)
    unsaved = root / "extra.yaml"  # open in the editor, never saved
    buffers = {nodes: typed, unsaved: "flags:\n  - id: extra\n    description: x\n"}
    got = outcome_problems(folder, buffers)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before  # nothing written, nothing copied
    on_disk = tmp_path / "saved"
    shutil.copytree(root, on_disk)
    (on_disk / "nodes.yaml").write_text(typed)
    (on_disk / "extra.yaml").write_text(buffers[unsaved])
    expected = [
        Problem(
            p.code,
            p.message.replace(str(on_disk), str(root)),
            p.pos.__class__(p.pos.file.replace(str(on_disk), str(root)), p.pos.line, p.pos.column),
            p.severity,
        )
        for p in check_story(on_disk).problems
    ]
    assert flat(got) == flat(expected)
    duplicate = next(p for p in got if p.code == "S010")
    assert f"(first defined at {nodes}:" in duplicate.message
    assert nodes.read_text() != typed  # the author's file is never written
    # closing the unsaved buffer takes it out of the folder again
    assert not [p for p in outcome_problems(folder, {}) if Path(p.pos.file) == unsaved]


def test_files_deleted_on_disk_leave_the_check_and_big_files_are_refused_unread(tmp_path: Path) -> None:
    root = tmp_path / "story"
    shutil.copytree(STORIES / "starter", root)
    folder = Folder(root)
    assert not folder.check({}).by_file
    (root / "endings.yaml").unlink()
    assert "R001" in {p.code for ps in folder.check({}).by_file.values() for p in ps}
    big = root / "big.yaml"
    with open(big, "wb") as out:
        out.truncate(MAX_FILE_BYTES + 1)
    problems = folder.check({}).by_file[big]
    assert [p.code for p in problems] == ["Y007"]
    assert problems[0].message == next(p for p in check_story(root).problems if p.code == "Y007").message
    assert big.stat().st_blocks * 512 < 1024 * 1024  # still sparse: refused by its size, unread


def test_the_story_folder_is_the_nearest_holding_a_story_section(tmp_path: Path) -> None:
    story = tmp_path / "work" / "story"
    (story / "acts" / "deep").mkdir(parents=True)
    (story / "story.yaml").write_text("story:\n  id: s\n")
    (story / "acts" / "act1.yaml").write_text("nodes: []\n")
    finder = RootFinder()
    assert finder.root_of(story / "acts" / "deep" / "x.yaml", {}) == story
    assert finder.root_of(story / "acts" / "act1.yaml", {}) == story
    # an unsaved buffer with a story: section makes its folder a story folder
    assert finder.root_of(story / "acts" / "act1.yaml", {story / "acts" / "act1.yaml": "story:\n  id: t\n"}) == story / "acts"
    # a file outside any story folder: its own folder
    loose = tmp_path / "elsewhere" / "notes.yaml"
    loose.parent.mkdir()
    assert finder.root_of(loose, {}) == loose.parent
    # the answer follows the disk
    (story / "story.yaml").write_text("meters: []\n")
    assert finder.root_of(story / "acts" / "act1.yaml", {}) == story / "acts"


def test_the_workers_indexing_stops_when_asked_but_finishes_one_file_it_never_indexed() -> None:
    import threading

    from game.lsp.folder import IndexJob, run_index, use_stop
    from game.lsp.index import IndexStopped, index_file

    shipped = sorted((ROOT / "story").glob("*.yaml"), key=lambda p: p.stat().st_size)
    small, big = shipped[0], shipped[-1]
    job = IndexJob([(str(p), p.read_text(encoding="utf-8")) for p in (small, big)])
    asked = 0

    def stop_midway() -> bool:  # the server sets the flag while the big file is walked
        nonlocal asked
        asked += 1
        return asked > 3

    with pytest.raises(IndexStopped):
        index_file(str(big), job.files[1][1], stop_midway)
    assert asked > 3
    flag = threading.Event()
    use_stop(flag)
    try:
        assert [Path(f.file) for f in run_index(job)] == [small, big]  # not set: every file
        flag.set()
        assert run_index(job) == []  # set before it starts: nothing...
        finish = IndexJob(job.files, frozenset({str(big)}))
        assert [Path(f.file) for f in run_index(finish)] == [big]  # ...but a file with no index yet
        both = IndexJob(job.files, frozenset({str(small), str(big)}))
        assert [Path(f.file) for f in run_index(both)] == [small]  # one of them: the other waits for the next job
        rest = IndexJob(job.files[1:], frozenset({str(big)}))
        assert [Path(f.file) for f in run_index(rest)] == [big]
    finally:
        use_stop(None)


def test_an_index_job_finishes_the_files_with_no_index_that_reads_as_yaml(tmp_path: Path) -> None:
    root = tmp_path / "story"
    shutil.copytree(STORIES / "starter", root)
    folder = Folder(root)
    nodes = root / "nodes.yaml"
    good = nodes.read_text()
    broken = good.replace("goto: decision", "goto: [decision", 1)
    job = folder.index_job({})
    assert job.finish == {name for name, _ in job.files}  # nothing indexed yet
    folder.take_indexes(run_index(job))
    assert folder.index_job({}).files == []
    folder.take_indexes(run_index(folder.index_job({nodes: broken})))
    job = folder.index_job({nodes: good})  # broken, but with the last good index behind it
    assert [name for name, _ in job.files] == [str(nodes)] and not job.finish
