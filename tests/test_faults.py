"""Disk full and read-only save folders: a message, never a crash, and the game goes on.

Faults are made four ways, from the most real to the most targeted:

* a real, tiny tmpfs filled to the last byte (ENOSPC from the kernel) and
  the same filesystem remounted read-only (EROFS, which stops root too);
  these need mount(2) and are skipped where it is not allowed;
* a save folder under a regular file (ENOTDIR: works as root, where chmod
  does not stop writes) and, when not root, chmod 0o555;
* /dev/full as the temporary file (ENOSPC from the kernel on write);
* os.fsync / os.link / Path.write_bytes patched to raise, in-process or in
  the real CLI through a sitecustomize module.

Every CLI run must exit 0 after reaching an ending, print "Could not save:"
with the reason, leave no traceback, no temporary file, and the previous
save byte for byte as it was.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from game.cli import main
from game.engine import new_game
from game.engine.core import choose
from game.plain import Plain
from game.saves import read_save, write_save
from game.session import Session, Settings
from game.story import Story

STARTER = Path(__file__).resolve().parent / "stories" / "starter"
THREE_DECISIONS = "1\n1\n1\n"


def tightrope(args: list[str], stdin: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("tightrope")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "game"]
    env = {**os.environ, "NO_COLOR": "1", **(env_extra or {})}
    return subprocess.run([*command, *args], input=stdin, capture_output=True, text=True, timeout=60, env=env, check=False)


def play(
    saves: Path, *extra: str, stdin: str = THREE_DECISIONS, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    args = ["play", "--plain", "--story", str(STARTER), "--saves", str(saves), "--seed", "1", *extra]
    return tightrope(args, stdin, env)


def assert_went_on(run: subprocess.CompletedProcess[str], reason: str, saves_tried: int = 3) -> None:
    """The game printed the save failure and carried on to an ending."""
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    failures = [line for line in run.stdout.splitlines() if line.startswith("Could not save: ")]
    assert len(failures) == saves_tried, run.stdout
    assert all(reason in line for line in failures), failures
    assert "Discussion questions" in run.stdout  # reached an ending


def good_save(folder: Path, story: Story) -> tuple[Path, bytes]:
    path = folder / "slot.json"
    write_save(path, story, new_game(story, 9, "Student"))
    return path, path.read_bytes()


def no_temporaries(folder: Path) -> None:
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


# ------------------------------------------------------------------ real filesystems
def _mount(*args: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs of our own, unmounted afterwards."""
    point = tmp_path / "fs"
    point.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=64k,mode=0755", "tightrope-test", str(point)):
        pytest.skip("cannot mount a tmpfs here (needs root and mount permission)")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def fill(folder: Path) -> None:
    """Write until the filesystem says ENOSPC."""
    with open(folder / "filler.bin", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    with pytest.raises(OSError) as info:
        (folder / "probe.bin").write_bytes(b"x" * 8192)
    assert info.value.errno == errno.ENOSPC
    (folder / "probe.bin").unlink(missing_ok=True)


def test_disk_full_on_a_real_filesystem(small_fs: Path, starter: Story) -> None:
    saves = small_fs / "saves"
    saves.mkdir()
    slot, before = good_save(saves, starter)
    fill(small_fs)
    run = play(saves, "--autosave", "slot")
    assert_went_on(run, "No space left on device")
    assert slot.read_bytes() == before
    no_temporaries(saves)
    assert read_save(slot, starter) == new_game(starter, 9, "Student")


def test_read_only_filesystem_stops_root_too(small_fs: Path, starter: Story) -> None:
    saves = small_fs / "saves"
    saves.mkdir()
    slot, before = good_save(saves, starter)
    if not _mount("-o", "remount,ro", str(small_fs)):
        pytest.skip("cannot remount read-only here")
    run = play(saves, "--autosave", "slot", stdin="s mine\n" + THREE_DECISIONS)
    assert_went_on(run, "Read-only file system", saves_tried=4)
    assert slot.read_bytes() == before
    # loading needs no write: a save on a read-only medium still loads
    run = play(saves, "--load", "slot", stdin="q\n")
    assert run.returncode == 0 and run.stderr == "", run.stderr


# ------------------------------------------------------------------ what works as root
def test_save_folder_under_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the save folder's parent should be\n")
    run = play(blocker / "saves", "--autosave", "slot", stdin="s mine\n" + THREE_DECISIONS)
    assert_went_on(run, "Not a directory", saves_tried=4)
    assert blocker.read_text() == "a file where the save folder's parent should be\n"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="chmod does not stop root (CI runs as root)")
def test_read_only_folder_by_permissions(tmp_path: Path, starter: Story) -> None:  # pragma: no cover - not as root
    saves = tmp_path / "saves"
    saves.mkdir()
    slot, before = good_save(saves, starter)
    saves.chmod(0o555)
    try:
        run = play(saves, "--autosave", "slot")
        assert_went_on(run, "Permission denied")
        assert slot.read_bytes() == before
    finally:
        saves.chmod(0o755)


SITECUSTOMIZE = """
import errno, os
_real_fsync = os.fsync
def _full(fd):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
if os.environ.get("TIGHTROPE_TEST_FAULT") == "enospc":
    os.fsync = _full
"""


def test_disk_full_in_the_real_cli_by_fault_injection(tmp_path: Path, starter: Story) -> None:
    """os.fsync fails with ENOSPC inside the real CLI (through sitecustomize)."""
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(SITECUSTOMIZE)
    saves = tmp_path / "saves"
    saves.mkdir()
    slot, before = good_save(saves, starter)
    path = os.pathsep.join([str(inject), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    run = play(saves, "--autosave", "slot", env={"PYTHONPATH": path, "TIGHTROPE_TEST_FAULT": "enospc"})
    assert_went_on(run, "No space left on device")
    assert slot.read_bytes() == before
    no_temporaries(saves)


# ------------------------------------------------------------------ in-process faults
def _plain(story: Story, saves: Path, script: str, autosave: str | None = "slot") -> tuple[Plain, io.StringIO]:
    out = io.StringIO()
    settings = Settings(story_path=Path("unused"), saves_root=saves, autosave=autosave)
    session = Session(story, settings, new_game(story, 1, "Student"), keep_autosave=False)
    game = Plain(session, out, io.StringIO(script))
    return game, out


def test_disk_full_then_space_again(tmp_path: Path, starter: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first two saves hit ENOSPC at fsync; the third works and loads."""
    saves = tmp_path / "saves"
    saves.mkdir()
    slot, before = good_save(saves, starter)
    real_fsync = os.fsync
    calls = {"n": 0}

    def fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr("game.saves.os.fsync", fsync)
    game, out = _plain(starter, saves, "s mine\n1\n1\n")
    assert game.run() == 3  # the game went on until the input ended (before an ending)
    text = out.getvalue()
    assert text.count("Could not save: ") == 2 and "No space left on device" in text
    assert "Saved to slot.json." in text  # space came back: the autosave after the second decision worked
    no_temporaries(saves)
    assert not (saves / "mine.json").exists()
    assert slot.read_bytes() != before
    assert read_save(slot, starter) == game.state
    assert (saves / "slot.json.bak").read_bytes() == before  # the good save became the backup


def test_dev_full_as_the_temporary_file(tmp_path: Path, starter: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes go to /dev/full, so the kernel itself answers ENOSPC."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    saves = tmp_path / "saves"
    saves.mkdir()
    slot, before = good_save(saves, starter)

    def mkstemp(prefix: str = "", suffix: str = "", dir: str | None = None) -> tuple[int, str]:
        return os.open("/dev/full", os.O_WRONLY), os.path.join(dir or ".", prefix + "devfull" + suffix)

    monkeypatch.setattr("game.saves.tempfile.mkstemp", mkstemp)
    game, out = _plain(starter, saves, "1\n")
    assert game.run() == 3  # the game went on until the input ended (before an ending)
    assert "Could not save: cannot save to" in out.getvalue() and "No space left on device" in out.getvalue()
    assert slot.read_bytes() == before


def test_backup_copy_fails_when_the_disk_fills(tmp_path: Path, starter: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    """No hard links (another filesystem) and no room to copy the backup: the save is refused whole."""
    saves = tmp_path / "saves"
    saves.mkdir()
    slot, before = good_save(saves, starter)

    def no_link(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    def full(self: Path, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("game.saves.os.link", no_link)
    monkeypatch.setattr(Path, "write_bytes", full)
    game, out = _plain(starter, saves, "1\n")
    assert game.run() == 3  # the game went on until the input ended (before an ending)
    assert "Could not save: cannot save to" in out.getvalue()
    assert slot.read_bytes() == before
    no_temporaries(saves)


def test_unreadable_save_is_a_message(
    tmp_path: Path, starter: Story, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    saves = tmp_path / "saves"
    saves.mkdir()
    good_save(saves, starter)
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "slot.json":
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code = main(["play", "--plain", "--story", str(STARTER), "--saves", str(saves), "--load", "slot"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "cannot read save: Permission denied" in err


def test_state_after_failed_saves_is_untouched(tmp_path: Path, starter: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed save changes nothing in the game: the same decisions give the same state."""

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("game.saves.os.fsync", full)
    game, _ = _plain(starter, tmp_path / "saves", "1\n1\n")
    game.run()
    expected = choose(starter, choose(starter, new_game(starter, 1, "Student"), "commit"), "address")
    assert game.state == expected
