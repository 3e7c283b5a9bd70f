"""The warm process of tightrope serve: hand-over, lifetimes and exit status, with a stand-in for the game.

A real warm process (game/classroom/warm.py's loop, in a subprocess) forks
a small stand-in ``main`` instead of the game, so that what reaches a
forked game (arguments, environment, folder, descriptors) and how it ends
can be checked exactly. tests/classroom/test_serve.py runs the real game.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from game.classroom.serve import CappedReader, WarmGame, fork_warm, play_arguments, start_warm
from game.classroom.warm import LENGTH, Refused, check_request, encode_request, read_request
from game.story import loader
from game.story.loader import keep_loaded, load_story

from .conftest import ROOT, STARTER

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the warm start is POSIX only (Windows starts sessions plain)")

STAND_IN = """
import json, os, signal, socket, sys, time
from game.classroom.warm import Warm

def main(argv):
    what = argv[1]
    if what == "echo":
        info = {"argv": argv, "columns": os.environ.get("COLUMNS"), "cwd": os.getcwd(), "leads_group": os.getpgid(0) == os.getpid()}
        sys.stdout.write(json.dumps(info) + "\\n")
        sys.stdout.flush()
        sys.stderr.write("a line on standard error\\n")
        return int(argv[2])
    if what == "wait":  # until its standard input closes, like a game whose tab went away
        sys.stdout.write("waiting\\n")
        sys.stdout.flush()
        sys.stdin.read()
        return 0
    if what == "stubborn":  # ignores SIGTERM
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sys.stdout.write("waiting\\n")
        sys.stdout.flush()
        time.sleep(120)
    return 9

listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[1])
listener.listen()
Warm(listener, main).serve(sys.argv[1])
"""


def gone(pid: int, within: float) -> bool:
    """True once pid no longer exists (it has ended and been reaped)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def warm() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    folder = tempfile.mkdtemp(prefix="warm-test-")
    path = os.path.join(folder, "warm.sock")
    proc = subprocess.Popen(
        [sys.executable, "-c", STAND_IN, path], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        yield path, proc
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


def session_env(**changes: str) -> dict[str, str]:
    return {**os.environ, **changes}


async def start(path: str, *argv: str, **env: str) -> WarmGame:
    game = await fork_warm(path, ["play", *argv], session_env(**env))
    assert game is not None
    return game


def test_a_forked_game_gets_the_arguments_environment_folder_and_streams(warm: tuple[str, subprocess.Popen[bytes]]) -> None:
    path, _ = warm

    async def scenario() -> None:
        game = await start(path, "echo", "3", "--saves", "a folder with spaces", COLUMNS="123")
        line = await asyncio.wait_for(game.stdout.readline(), 10)
        err = await asyncio.wait_for(game.stderr.readline(), 10)
        assert await asyncio.wait_for(game.wait(), 10) == 3
        info = json.loads(line)
        assert info["argv"] == ["play", "echo", "3", "--saves", "a folder with spaces"]
        assert info["columns"] == "123" and info["cwd"] == os.getcwd() and info["leads_group"]
        assert err == b"a line on standard error\n"

    asyncio.run(scenario())


def test_a_game_killed_by_a_signal_reports_it(warm: tuple[str, subprocess.Popen[bytes]]) -> None:
    path, _ = warm

    async def scenario() -> None:
        game = await start(path, "wait")
        assert await asyncio.wait_for(game.stdout.readline(), 10) == b"waiting\n"
        os.killpg(game.pid, signal.SIGKILL)  # the game leads its own group: serve ends it this way
        assert await asyncio.wait_for(game.wait(), 10) == -signal.SIGKILL

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", ["wait", "stubborn"])
def test_a_game_ends_itself_when_serve_drops_the_session(kind: str, warm: tuple[str, subprocess.Popen[bytes]]) -> None:
    """serve gone or the connection dropped: the game gets SIGTERM, and SIGKILL a second later if it ignores that."""
    path, _ = warm

    async def scenario() -> None:
        game = await start(path, kind)
        assert await asyncio.wait_for(game.stdout.readline(), 10) == b"waiting\n"
        game._conn.shutdown(socket.SHUT_WR)  # what serve's end closing looks like to the game
        expected = -signal.SIGTERM if kind == "wait" else -signal.SIGKILL
        assert await asyncio.wait_for(game.wait(), 10) == expected

    asyncio.run(scenario())


def test_the_warm_process_ends_its_games_when_serve_closes_its_input(warm: tuple[str, subprocess.Popen[bytes]]) -> None:
    path, proc = warm

    async def scenario() -> int:
        game = await start(path, "stubborn")
        assert await asyncio.wait_for(game.stdout.readline(), 10) == b"waiting\n"
        return game.pid

    pid = asyncio.run(scenario())
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(10) == 0
    assert gone(pid, within=5) and not os.path.exists(path)


def test_a_session_whose_environment_textual_reads_at_import_differs_is_refused(
    warm: tuple[str, subprocess.Popen[bytes]],
) -> None:
    path, _ = warm

    async def scenario() -> None:
        assert await fork_warm(path, ["play", "echo", "0"], session_env(TEXTUAL_FPS="7")) is None
        assert await fork_warm(path, ["report", "x"], session_env()) is None  # a session plays, nothing else
        game = await start(path, "echo", "0")  # the warm process still serves
        assert await asyncio.wait_for(game.wait(), 10) == 0

    asyncio.run(scenario())


def test_no_warm_process_means_no_game() -> None:
    async def scenario() -> None:
        assert await fork_warm("/nonexistent/warm.sock", ["play"], session_env()) is None

    asyncio.run(scenario())


# ------------------------------------------------------------------ units
def test_requests_are_checked() -> None:
    env = {"TEXTUAL_FPS": "60", "HOME": "/h"}
    assert check_request({"argv": ["play", "--seed", "7"], "env": {**env, "HOME": "/x"}, "cwd": "/"}, env)[0] == [
        "play",
        "--seed",
        "7",
    ]
    for bad, why in [
        ({"argv": ["serve"], "env": env, "cwd": "/"}, "nothing else"),
        ({"argv": ["play", 3], "env": env, "cwd": "/"}, "nothing else"),
        ({"argv": ["play"], "env": {"TEXTUAL_FPS": 60}, "cwd": "/"}, "table of strings"),
        ({"argv": ["play"], "env": env}, "working folder"),
        ({"argv": ["play"], "env": {**env, "TEXTUAL_DRIVER": "x"}, "cwd": "/"}, "differs in TEXTUAL_DRIVER"),
        ({"argv": ["play"], "env": {}, "cwd": "/"}, "differs in TEXTUAL_FPS"),
        (["play"], "not a session request"),
    ]:
        with pytest.raises(Refused, match=why):
            check_request(bad, env)


def test_a_request_travels_with_its_descriptors() -> None:
    env = {"PATH": "/bin", "ODD": "caf\udce9"}  # a variable that is not UTF-8 survives as its bytes
    message = encode_request(["play", "--name", "Amina Q"], env, "/tmp")
    a, b = socket.socketpair()
    r, w = os.pipe()
    try:
        socket.send_fds(a, [message[: LENGTH.size]], [r, w, w])
        a.sendall(message[LENGTH.size :])
        fds, body = read_request(b)
        assert len(fds) == 3
        os.write(fds[1], b"through")
        assert os.read(r, 7) == b"through"
        for fd in fds:
            os.close(fd)
        assert check_request(json.loads(body), env) == (["play", "--name", "Amina Q"], env, "/tmp")
    finally:
        for fd in (r, w):
            os.close(fd)
        a.close()
        b.close()


def test_play_arguments_pass_extra_settings_to_every_session(tmp_path: Path) -> None:
    args = play_arguments(tmp_path / "saves", STARTER, ["--classroom", "--seed", "7"])
    assert args == [
        "play",
        "--per-player-saves",
        "--saves",
        str((tmp_path / "saves").resolve()),
        "--story",
        str(STARTER.resolve()),
        "--classroom",
        "--seed",
        "7",
    ]
    assert "--story" not in play_arguments(tmp_path, None)


def test_a_kept_story_is_reused_while_its_files_are_unchanged(tmp_path: Path) -> None:
    story_dir = tmp_path / "story"
    shutil.copytree(STARTER, story_dir)
    try:
        kept = keep_loaded(story_dir)
        assert load_story(story_dir) is kept and load_story(str(story_dir)) is kept
        first = sorted(story_dir.glob("*.yaml"))[0]
        first.write_bytes(first.read_bytes() + b"\n# an author's edit\n")
        edited = load_story(story_dir)
        assert edited is not kept and edited.hash != kept.hash
        assert load_story(story_dir) is not edited  # only the kept version is reused
    finally:
        loader._KEPT.pop(story_dir, None)


def test_a_games_error_output_is_capped_to_its_start_and_end() -> None:
    async def read_all(data: bytes) -> bytes:
        inner = asyncio.StreamReader()
        inner.feed_data(data)
        inner.feed_eof()
        capped, out = CappedReader(inner), b""
        while chunk := await capped.read(4096):
            out += chunk
        return out

    short = b"Traceback: one line\n"
    assert asyncio.run(read_all(short)) == short
    long = b"".join(b"line %06d\n" % i for i in range(30_000))  # 330,000 bytes, as a crashed app's locals
    out = asyncio.run(read_all(long))
    assert out.startswith(long[: CappedReader.HEAD]) and out.endswith(long[-CappedReader.TAIL :])
    dropped = len(long) - CappedReader.HEAD - CappedReader.TAIL
    assert f"[... {dropped:,} bytes of this game's error output left out ...]".encode() in out
    assert len(out) < CappedReader.HEAD + CappedReader.TAIL + 100


def test_a_warm_process_that_cannot_start_says_why_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # the warm process's scratch folders
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # and this process's (its socket's folder)
    warm, problem = start_warm(STARTER, [*play_arguments(tmp_path, STARTER), "--no-such-option"])
    assert warm is None and problem is not None
    assert "the warm-up game exited with 2" in problem and "--no-such-option" in problem
    assert not list(scratch.iterdir())
