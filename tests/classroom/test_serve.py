"""tightrope serve: the game in web browsers through textual-serve.

The servers run in subprocesses on 127.0.0.1 and a free port and are
stopped at the end of each test.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from game.classroom.serve import banner, game_command, page_template, public_url_for

from .conftest import ROOT, STARTER

ANSI = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    with NO_PROXY.open(url, timeout=5) as r:
        return r.status, r.read().decode("utf-8")


@contextmanager
def server(args: list[str], port: int, timeout: float = 20) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server in its own process group; wait until it answers; stop it (and its games) at the end."""
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"server exited with {proc.returncode}: {out}")
            try:
                fetch(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("server did not answer in time")
                time.sleep(0.1)
        yield proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


async def session_text(port: int, needle: str, timeout: float = 30) -> str:
    """Open a game session as the browser page does; return the screen text once it contains needle."""
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=32") as ws:
            await ws.send_str(json.dumps(["resize", {"width": 100, "height": 32}]))
            raw = b""
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while True:
                text = ANSI.sub(b"", raw).decode("utf-8", "replace")
                if needle in text:
                    return text
                remaining = deadline - loop.time()
                if remaining <= 0:
                    pytest.fail(f"{needle!r} did not arrive in {timeout} s; got {text[-400:]!r}")
                msg = await asyncio.wait_for(ws.receive(), remaining)
                if msg.type == aiohttp.WSMsgType.BINARY:
                    raw += msg.data
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    pytest.fail(f"the session closed before {needle!r} arrived; got {text[-400:]!r}")


# ------------------------------------------------------------------ units
def test_game_command_runs_play_per_player(tmp_path: Path) -> None:
    saves = tmp_path / "class saves 'quoted'"
    cmd = game_command(saves, STARTER)
    argv = shlex.split(cmd)
    assert argv[:4] == [sys.executable, "-m", "game", "play"]
    assert "--per-player-saves" in argv
    assert argv[argv.index("--saves") + 1] == str(saves.resolve())
    assert argv[argv.index("--story") + 1] == str(STARTER.resolve())
    assert "--story" not in shlex.split(game_command(saves, None))


def test_public_url() -> None:
    assert public_url_for("127.0.0.1", 8000, None) == ("http://127.0.0.1:8000", False)
    assert public_url_for("::1", 8000, None) == ("http://[::1]:8000", False)
    assert public_url_for("0.0.0.0", 8000, "http://room12.local:8000/") == ("http://room12.local:8000", False)
    url, guessed = public_url_for("0.0.0.0", 9000, None)
    assert guessed and url.endswith(":9000") and "0.0.0.0" not in url


def test_banner_says_what_is_exposed(tmp_path: Path) -> None:
    local = " ".join(banner("T", "127.0.0.1", "http://127.0.0.1:8000", False, tmp_path, 60))
    assert "Only this computer can connect" in local and "--host 0.0.0.0" in local
    shared = " ".join(banner("T", "0.0.0.0", "http://10.0.0.5:8000", True, tmp_path, 30))
    assert "Anyone who can reach this computer on port 8000" in shared and "no password" in shared and "30" in shared


def test_page_makes_no_outside_request() -> None:
    page = page_template()
    assert "googleapis" not in page and "<title>{{ application.name }}</title>" in page
    assert "data-session-websocket-url" in page


@pytest.mark.parametrize(
    "args, message", [(["--port", "0"], "--port must be from 1 to 65535"), (["--max-sessions", "0"], "at least 1")]
)
def test_bad_options(args: list[str], message: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "game", "serve", "--saves", str(tmp_path), "--story", str(STARTER), *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "game", "serve", "--port", str(port), "--saves", str(tmp_path), "--story", str(STARTER)],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=ROOT,
        )
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "Traceback" not in proc.stderr


# ------------------------------------------------------------------ servers
FAKE_SERVER = """
import sys
from game.classroom.serve import ClassroomServer
command = f"{sys.executable} tests/classroom/fake_app.py"
ClassroomServer(command, "127.0.0.1", int(sys.argv[1]), None, max_sessions=1).serve()
"""


def test_server_plumbing_with_a_stand_in_app() -> None:
    """Page, session and the session cap, with a tiny Textual app standing in for the game."""
    port = free_port()
    with server([sys.executable, "-c", FAKE_SERVER, str(port)], port):
        status, page = fetch(f"http://127.0.0.1:{port}/")
        assert status == 200 and "<title>Tightrope</title>" in page and "googleapis" not in page
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page

        async def scenario() -> None:
            async with aiohttp.ClientSession() as http:
                async with http.ws_connect(f"http://127.0.0.1:{port}/ws") as first:
                    await first.send_str(json.dumps(["resize", {"width": 80, "height": 24}]))
                    msg = await asyncio.wait_for(first.receive(), 30)
                    assert msg.type == aiohttp.WSMsgType.BINARY
                    with pytest.raises(aiohttp.WSServerHandshakeError) as full:
                        await http.ws_connect(f"http://127.0.0.1:{port}/ws")
                    assert full.value.status == 503

        asyncio.run(scenario())
        # the slot is free again once the first game has exited
        deadline = time.monotonic() + 15
        while True:
            try:
                text = asyncio.run(session_text(port, "Fake classroom app is running"))
                break
            except aiohttp.WSServerHandshakeError as exc:
                assert exc.status == 503 and time.monotonic() < deadline
                time.sleep(0.2)
        assert "Fake classroom app is running" in text


def test_tightrope_serve_starts_the_game(tmp_path: Path) -> None:
    port = free_port()
    saves = tmp_path / "saves"
    args = [sys.executable, "-m", "game", "serve", "--port", str(port), "--saves", str(saves), "--story", str(STARTER)]
    with server(args, port):
        status, page = fetch(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert "textual.js" in page and f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
        status, _ = fetch(f"http://127.0.0.1:{port}/static/js/textual.js")
        assert status == 200
        # the starter story's title: the game runs, and with the story the server was given
        text = asyncio.run(session_text(port, "a first scene", timeout=60))
        assert "Tightrope" in text
    assert saves.is_dir()
