"""tightrope serve: the game in web browsers through textual-serve.

The servers run in subprocesses on 127.0.0.1 and a free port; each is
stopped at the end of its test (SIGTERM, as Ctrl+C would), and none of the
processes it started may outlive it. Game processes are found by reading
/proc: a server's descendants other than the warm process.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import aiohttp
import pytest

from game.classroom.serve import banner, game_command, page_template, play_arguments, public_url_for

from ..scripts import load_script
from .conftest import ROOT, STARTER

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> tuple[int, str]:
    with NO_PROXY.open(url, timeout=5) as r:
        return r.status, r.read().decode("utf-8")


bench = load_script("tightrope_serve_bench", ROOT / "benchmarks" / "serve_bench.py")  # its reading of process trees in /proc
ANSI: re.Pattern[bytes] = bench.ANSI
free_port: Callable[[], int] = bench.free_port
needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="finds a server's processes in /proc (Linux)")
children: Callable[[], dict[int, list[int]]] = bench.children_map


def descendants(pid: int) -> list[int]:
    return [p for p in bench.process_tree(pid) if p != pid]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def is_warm(pid: int) -> bool:
    """Whether pid, a child of a server, is its warm process (the games forked from it share its command line)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"--warm-process" in f.read()
    except OSError:
        return False


def games(server_pid: int) -> list[int]:
    """The server's live game processes: its descendants, less the warm process."""
    warm = [p for p in children().get(server_pid, []) if is_warm(p)]
    return [p for p in descendants(server_pid) if p not in warm and alive(p)]


def wait_until(check: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


class Served:
    """A server process and everything it has printed so far (read as it comes, so it never blocks on a full pipe)."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.out = bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := self.proc.stdout.read1(65536):
            self.out += chunk

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.out.decode("utf-8", "replace")


@contextmanager
def server(args: list[str], port: int, timeout: float = 60) -> Iterator[Served]:
    """Start a server; wait until it answers; stop it with SIGTERM and check that nothing it started is left."""
    srv = Served(args)
    proc = srv.proc
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                srv.reader.join(5)
                pytest.fail(f"server exited with {proc.returncode}: {srv.output()}")
            try:
                fetch(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("server did not answer in time")
                time.sleep(0.1)
        yield srv
    finally:
        started = descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        srv.reader.join(5)
        left = [p for p in started if not wait_until(lambda p=p: not alive(p), 5)]
        for pid in left:  # clean up before failing
            os.kill(pid, signal.SIGKILL)
        assert not left, f"processes left after the server stopped: {left}"


async def read_until(ws: aiohttp.ClientWebSocketResponse, needle: str, timeout: float = 60) -> str:
    """The session's screen text once it contains needle."""
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


async def session_text(port: int, needle: str, timeout: float = 30) -> str:
    """Open a game session as the browser page does; return the screen text once it contains needle."""
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=32") as ws:
            await ws.send_str(json.dumps(["resize", {"width": 100, "height": 32}]))
            return await read_until(ws, needle, timeout)


# ------------------------------------------------------------------ units
def test_game_command_runs_play_per_player(tmp_path: Path) -> None:
    saves = tmp_path / "class saves 'quoted'"
    argv = game_command(play_arguments(saves, STARTER))
    assert argv[:5] == [sys.executable, "-m", "game", "--tethered", "play"]  # the game, tethered to the server
    assert "--per-player-saves" in argv
    assert argv[argv.index("--saves") + 1] == str(saves.resolve())  # one argument, however it is spelled: no shell
    assert argv[argv.index("--story") + 1] == str(STARTER.resolve())


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
    assert "Sessions start warm" in local
    plain = " ".join(banner("T", "127.0.0.1", "http://127.0.0.1:8000", False, tmp_path, 60, "started with --no-warm"))
    assert "Sessions start as fresh processes" in plain and "started with --no-warm" in plain and "warm:" not in plain


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
command = [sys.executable, "tests/classroom/fake_app.py", *sys.argv[2:]]
ClassroomServer(command, "127.0.0.1", int(sys.argv[1]), None, max_sessions=1).serve()
"""


@needs_proc
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


TITLE = "a first scene"  # the starter story's title, on its title screen


def serve_args(port: int, saves: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "game", "serve", "--port", str(port), "--saves", str(saves), "--story", str(STARTER), *extra]


@needs_proc
@pytest.mark.parametrize("start", ["warm", "plain"])
def test_sessions_reach_the_title_and_end_with_their_connection(start: str, tmp_path: Path) -> None:
    port = free_port()
    saves = tmp_path / "saves"
    with server(serve_args(port, saves, *(["--no-warm"] if start == "plain" else [])), port) as srv:
        status, page = fetch(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert "textual.js" in page and f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
        status, _ = fetch(f"http://127.0.0.1:{port}/static/js/textual.js")
        assert status == 200
        warm = [p for p in children().get(srv.pid, []) if is_warm(p)]
        assert len(warm) == (1 if start == "warm" else 0), srv.output()
        seen: list[int] = []

        async def scenario() -> None:
            async with aiohttp.ClientSession() as http:
                sockets = [await http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=32") for _ in range(3)]
                for ws in sockets:
                    await ws.send_str(json.dumps(["resize", {"width": 100, "height": 32}]))
                texts = await asyncio.gather(*(read_until(ws, TITLE) for ws in sockets))
                assert all("Tightrope" in t for t in texts)  # the game runs, with the story the server was given
                seen.extend(games(srv.pid))
                if start == "warm":  # forked from the warm process, not started afresh
                    assert sorted(seen) == sorted(children().get(warm[0], [])), srv.output()
                for ws in sockets:
                    await ws.close()

        asyncio.run(scenario())
        assert len(seen) == 3
        assert wait_until(lambda: not games(srv.pid), 10), f"games left after their tabs closed: {games(srv.pid)}"

        async def play_one_decision() -> None:
            async with aiohttp.ClientSession() as http:
                async with http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=32") as ws:
                    await ws.send_str(json.dumps(["resize", {"width": 100, "height": 32}]))
                    await read_until(ws, TITLE)
                    await ws.send_str(json.dumps(["stdin", "n"]))
                    await read_until(ws, "Your name")
                    for key in "Ali Khan":
                        await ws.send_str(json.dumps(["stdin", key]))
                    await read_until(ws, "Ali Khan")
                    await ws.send_str(json.dumps(["stdin", "\r"]))
                    await read_until(ws, "The cable from Washington")
                    await ws.send_str(json.dumps(["stdin", "1"]))
                    slot = saves / "Ali-Khan" / f"Ali-Khan-{date.today().isoformat()}.json"
                    assert await asyncio.to_thread(wait_until, slot.is_file, 20)

        asyncio.run(play_one_decision())  # the play arguments reached the game: per-player saves in the server's folder
    assert [p.name for p in saves.iterdir()] == ["Ali-Khan"]
    out = srv.output()
    assert ("Sessions start warm" in out) == (start == "warm") and "Traceback" not in out


@needs_proc
@pytest.mark.parametrize("start", ["warm", "plain"])
def test_tabs_closed_while_their_game_starts_leave_no_game(start: str, tmp_path: Path) -> None:
    """Five tabs opened and closed within a second each: after a few seconds no game is left, and the cap is free."""
    port = free_port()
    args = serve_args(port, tmp_path / "saves", "--max-sessions", "5", *(["--no-warm"] if start == "plain" else []))
    with server(args, port) as srv:

        async def tab(after: float) -> None:
            async with aiohttp.ClientSession() as http:
                async with http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=32") as ws:
                    await ws.send_str(json.dumps(["resize", {"width": 100, "height": 32}]))
                    await asyncio.sleep(after)

        async def five() -> None:
            await asyncio.gather(*(tab(0.1 + 0.2 * i) for i in range(5)))

        asyncio.run(five())
        assert wait_until(lambda: not games(srv.pid), 8), f"games left after their tabs closed: {games(srv.pid)}"
        # every slot is free again (a moment after the processes, once the server has their exit status):
        # the cap counts live games only

        async def five_more() -> list[str]:
            deadline = asyncio.get_running_loop().time() + 5
            async with aiohttp.ClientSession() as http:
                sockets: list[aiohttp.ClientWebSocketResponse] = []
                while len(sockets) < 5:  # each one stays open while the next is opened
                    try:
                        sockets.append(await http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=32"))
                    except aiohttp.WSServerHandshakeError as exc:
                        assert exc.status == 503 and asyncio.get_running_loop().time() < deadline
                        await asyncio.sleep(0.2)
                for ws in sockets:
                    await ws.send_str(json.dumps(["resize", {"width": 100, "height": 32}]))
                texts = await asyncio.gather(*(read_until(ws, TITLE) for ws in sockets))
                for ws in sockets:
                    await ws.close()
                return list(texts)

        assert all(TITLE in t for t in asyncio.run(five_more()))


@needs_proc
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP], ids=["ctrl-c", "terminal-closed"])
def test_stopping_the_server_ends_the_games_of_open_tabs(sig: signal.Signals, tmp_path: Path) -> None:
    port = free_port()
    with server(serve_args(port, tmp_path / "saves"), port) as srv:

        async def scenario() -> None:
            async with aiohttp.ClientSession() as http:
                sockets = [await http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=32") for _ in range(2)]
                for ws in sockets:
                    await ws.send_str(json.dumps(["resize", {"width": 100, "height": 32}]))
                await asyncio.gather(*(read_until(ws, TITLE) for ws in sockets))
                assert len(games(srv.pid)) == 2
                os.killpg(srv.pid, sig)  # to the server and its warm process, as a terminal does, with the tabs still open
                for ws in sockets:
                    msg = await asyncio.wait_for(ws.receive(), 20)
                    while msg.type == aiohttp.WSMsgType.BINARY:
                        msg = await asyncio.wait_for(ws.receive(), 20)
                    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)

        asyncio.run(scenario())
        assert srv.proc.wait(20) == 0
        # the server fixture checks that neither the games nor the warm process outlive it


@needs_proc
def test_a_game_that_will_not_quit_is_ended_and_counted_until_then() -> None:
    """Asked to quit, then SIGTERM, then SIGKILL: a closed tab's game is gone within a few seconds, and holds its slot till then."""
    port = free_port()
    with server([sys.executable, "-c", FAKE_SERVER, str(port), "--stubborn"], port) as srv:

        async def scenario() -> None:
            async with aiohttp.ClientSession() as http:
                async with http.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
                    await ws.send_str(json.dumps(["resize", {"width": 80, "height": 24}]))
                    await read_until(ws, "Fake classroom app is running")
                    assert len(games(srv.pid)) == 1

        asyncio.run(scenario())
        closed = time.monotonic()
        time.sleep(0.5)
        assert len(games(srv.pid)) == 1  # it ignored the request to quit ...

        async def refused() -> int:
            async with aiohttp.ClientSession() as http:
                with pytest.raises(aiohttp.WSServerHandshakeError) as full:
                    await http.ws_connect(f"http://127.0.0.1:{port}/ws")
                return full.value.status

        assert asyncio.run(refused()) == 503  # ... and still counts against --max-sessions
        assert wait_until(lambda: not games(srv.pid), 8)
        assert time.monotonic() - closed < 8
        text = asyncio.run(session_text(port, "Fake classroom app is running"))
        assert "Fake classroom app is running" in text


@needs_proc
@pytest.mark.parametrize("start", ["warm", "plain"])
def test_games_end_when_the_server_is_killed(start: str, tmp_path: Path) -> None:
    """SIGKILL leaves the server no chance to end its games: they end themselves, within a few seconds."""
    port = free_port()
    with server(serve_args(port, tmp_path / "saves", *(["--no-warm"] if start == "plain" else [])), port) as srv:
        left: list[int] = []

        async def scenario() -> None:
            async with aiohttp.ClientSession() as http:
                async with http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=32") as ws:
                    await ws.send_str(json.dumps(["resize", {"width": 100, "height": 32}]))
                    await read_until(ws, TITLE)
                    left.extend(descendants(srv.pid))  # the game (and the warm process)
                    srv.proc.kill()

        asyncio.run(scenario())
        assert srv.proc.wait(10) == -signal.SIGKILL
        assert len(left) == (2 if start == "warm" else 1)
        assert wait_until(lambda: not any(alive(p) for p in left), 6), [p for p in left if alive(p)]
