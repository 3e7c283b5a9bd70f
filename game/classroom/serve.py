"""Browser play for a class: ``tightrope serve``.

textual-serve runs one game process per browser connection, so students
need only a browser, and every tab is its own game. Every game runs the
same ``tightrope`` arguments (``play_arguments``): ``play
--per-player-saves --saves DIR [--story DIR]`` (the save folder gets one
sub-folder per player) and whatever more ``serve`` is given for every
session.

What this adds to textual-serve's Server:

* the page makes no request outside this computer (textual-serve's page
  asks Google Fonts for a font; that link is removed, the terminal falls back
  to a local monospace font) and gets a proper <title>;
* a cap on the games running at once, so a room of open tabs cannot
  exhaust the teacher's laptop;
* when listening on every interface (0.0.0.0), the address students type
  is guessed from this computer's network address, because the page tells
  the browser where to open the game's websocket and 0.0.0.0 is not an
  address a browser can reach;
* sessions that start warm (POSIX): a process started once (warm.py) has
  imported Textual and the game, kept the story loaded and drawn one title
  screen; for each session the server makes the game's three pipes and
  hands them, with the session's environment and arguments, to that process
  over a Unix socket, and it forks the game. To textual-serve the game looks
  like any process (``WarmGame``: pipes, a pid, an exit status). No launcher
  process stands in between: one would cost about 5 MB and 20 ms a session.
  ``--no-warm``, Windows, a warm process that did not start, has ended or
  refuses a session give the plain start: ``python -m game --tethered
  ARGS...`` (the game, ending itself if this server is gone);
* no game outlives its tab: every session is started without a shell, in a
  process group of its own; when its websocket closes the game is asked to
  quit, then its group gets SIGTERM and then SIGKILL, and only then is the
  session no longer counted against ``--max-sessions``;
* the teacher's settings for every game (``--classroom``, ``--seed``,
  ``--min-rationale``, ``--no-undo``, ``--scenario``, ``--hide-effects``)
  are play arguments every session runs with (``extra_play_args``); the
  game's New game dialog shows them as fixed (game/session.py, ``Fixed``);
* the teacher's view (teacher.py) at ``/teacher?key=KEY``, with a random
  key printed at start: without the key, 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import aiohttp_jinja2
import jinja2
import textual_serve
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager
from textual_serve.server import Server, to_int

from .teacher import class_status, new_key, nonce, record_page, same_key, status_json, teacher_page
from .warm import ENDED, LENGTH, STARTED, STATUS, encode_request

if TYPE_CHECKING:
    from ..story import Story

TITLE = "Tightrope"
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}
FULL_MESSAGE = "This Tightrope server is running as many games as it allows. Close a tab or try again in a minute."
QUIT_GRACE = 2.0  # seconds a game has to quit after its tab closed, before SIGTERM
TERM_GRACE = 2.0  # and after SIGTERM, before SIGKILL (longer than tether.END_GRACE)
WARM_START_TIMEOUT = 60.0  # seconds the warm process has to get ready
HANDOVER_TIMEOUT = 10.0  # seconds the warm process has to fork a session's game
CAN_WARM = os.name == "posix" and hasattr(socket, "send_fds") and hasattr(os, "fork")

log = logging.getLogger("textual-serve")


def play_arguments(saves: Path, story: Path | None, extra: Sequence[str] = ()) -> list[str]:
    """The ``tightrope`` arguments every session runs: ``play`` with per-player saves, the story, and ``extra``.

    However a session starts (warm or plain), it runs exactly these
    arguments; further settings for every session go in ``extra``.
    """
    args = ["play", "--per-player-saves", "--saves", str(saves.resolve())]
    if story is not None:
        args += ["--story", str(story.resolve())]
    return [*args, *extra]


def game_command(play_args: Sequence[str], python: str = sys.executable) -> list[str]:
    """A session started plain: a fresh interpreter running the game, tethered to this server (tether.py)."""
    return [python, "-m", "game", "--tethered", *play_args]


def lan_address() -> str | None:
    """This computer's address on its local network, or None if it has none.

    Connecting a UDP socket only picks the route; it sends nothing.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed on the internet
            ip = str(s.getsockname()[0])
    except OSError:
        ip = ""
    if not ip or ip.startswith("127.") or ip == "0.0.0.0":
        try:
            ip = socket.gethostbyname(socket.gethostname())
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


def url_host(host: str) -> str:
    """A host as it goes into a URL (IPv6 addresses in brackets)."""
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def public_url_for(host: str, port: int, given: str | None) -> tuple[str, bool]:
    """(the URL students open, whether it was guessed)."""
    if given:
        return given.rstrip("/"), False
    if host in WILDCARD_HOSTS:
        ip = lan_address()
        return f"http://{ip or 'localhost'}:{port}", True
    return f"http://{url_host(host)}:{port}", False


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# the page gives the game the keyboard once the game has drawn its first
# screen, so a student can press n without clicking first and sees the keys in
# the footer (Textual's web driver starts the game blurred, with an empty
# footer, until the page says it has focus; xterm.js reads keys from its
# hidden textarea and says "focus" when that textarea gets it)
FOCUS_SCRIPT = """    <script>
      (function () {
        var tries = 0;
        function focusTerminal() {
          var input = document.querySelector(".xterm-helper-textarea");
          if (input && document.body.classList.contains("-first-byte")) {
            setTimeout(function () { input.blur(); input.focus(); }, 300);
          } else if (++tries < 600) {
            setTimeout(focusTerminal, 100);
          }
        }
        window.addEventListener("load", focusTerminal);
      })();
    </script>
"""


def page_template() -> str:
    """textual-serve's page without the external font, with a title, and with the terminal focused on load."""
    original = (Path(textual_serve.__file__).parent / "templates" / "app_index.html").read_text(encoding="utf-8")
    text = re.sub(r"[ \t]*<link[^>]*fonts\.googleapis\.com[^>]*>\n?", "", original)
    text = text.replace("</body>", FOCUS_SCRIPT + "  </body>", 1)
    return text.replace("<head>", "<head>\n    <title>{{ application.name }}</title>", 1)


def check_port(host: str, port: int) -> None:
    """OSError if the server could not listen on host:port (bound and let go again, as the server will bind it)."""
    for family, kind, proto, _name, address in socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    ):
        with socket.socket(family, kind, proto) as probe:
            if os.name == "posix":
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
            probe.bind(address)


def signal_group(pid: int, sig: int) -> None:
    """Send sig to the process group pid leads (POSIX), or end the process (Windows)."""
    try:
        if os.name == "posix":
            os.killpg(pid, sig)
        else:  # pragma: no cover - Windows has neither groups nor SIGTERM
            os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


class GameService(AppService):
    """textual-serve's AppService, started without a shell, forked warm where it can be, and ended for certain.

    With a warm process, the game is forked from it (``fork_warm``); without
    one, or when it cannot take the session, ``argv`` runs directly (no
    ``/bin/sh -c``) in a new session. Either way the game leads its own
    process group, and ``stop`` returns only once the game has ended: asked
    to quit, then SIGTERM to its group after ``QUIT_GRACE``, then SIGKILL
    after ``TERM_GRACE``.
    """

    def __init__(self, argv: Sequence[str], warm: WarmProcess | None = None, **kwargs: Any) -> None:
        super().__init__(subprocess.list2cmdline(argv) if os.name == "nt" else " ".join(argv), **kwargs)
        self.argv = list(argv)
        self.warm = warm
        self._ending: asyncio.Future[None] | None = None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        env = self._build_environment(width=width, height=height)
        game: WarmGame | asyncio.subprocess.Process | None = None
        if self.warm is not None and self.warm.alive():
            game = await fork_warm(self.warm.socket, self.warm.play_args, env)
        if game is None:
            game = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        assert game.stderr is not None
        game.stderr = cast(asyncio.StreamReader, CappedReader(game.stderr))  # AppService prints it all when the game ends
        # a WarmGame has everything of a Process that AppService and this class use
        self._process = process = cast(asyncio.subprocess.Process, game)
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    def ended(self) -> asyncio.Future[None]:
        """Done once the game has ended (after ``stop``)."""
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._end())
        return self._ending

    async def stop(self) -> None:
        await asyncio.shield(self.ended())

    async def _end(self) -> None:
        process = self._process
        if process is None:
            return
        await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        if process.returncode is None:
            await self.send_meta({"type": "quit"})
        for sig, grace in ((signal.SIGTERM, QUIT_GRACE), (signal.SIGKILL if os.name == "posix" else signal.SIGTERM, TERM_GRACE)):
            try:
                await asyncio.wait_for(process.wait(), grace)
                break
            except TimeoutError:
                signal_group(process.pid, sig)
        await process.wait()
        if self._task is not None:
            # the pipes close with the game; give the reader a moment to pass on its last packets
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._task, 2)
            self._task = None


class CappedReader:
    """A game's standard error as textual-serve reads it, but at most HEAD + TAIL bytes of it.

    textual-serve prints a session's standard error in the server's terminal
    when the session ends; a crashed Textual app writes a traceback with every
    local variable (hundreds of kilobytes). The start and the end are kept
    (the end names the error), with a line saying how much was left out.
    """

    HEAD = 2048
    TAIL = 2048

    def __init__(self, inner: asyncio.StreamReader) -> None:
        self.inner = inner
        self.given = 0
        self.tail = b""
        self.dropped = 0
        self.done = False

    async def read(self, n: int = -1) -> bytes:
        while not self.done:
            data = await self.inner.read(65536)
            if not data:
                self.done = True
                note = f"\n[... {self.dropped:,} bytes of this game's error output left out ...]\n" if self.dropped else ""
                return note.encode() + self.tail
            if self.given < self.HEAD:
                head = data[: self.HEAD - self.given]
                self.given += len(head)
                self._keep(data[len(head) :])
                return head
            self._keep(data)
        return b""

    def _keep(self, data: bytes) -> None:
        self.tail += data
        if len(self.tail) > self.TAIL:
            self.dropped += len(self.tail) - self.TAIL
            self.tail = self.tail[-self.TAIL :]


class WarmGame:
    """A game forked by the warm process, with what textual-serve uses of a Process.

    ``pid`` leads the game's own process group; ``wait`` returns the exit
    status the warm process reports (1 if it ended without reporting one).
    Closing the connection (which ``wait`` does once the status is in) is
    what a game watches for: a game whose connection closes ends itself.
    """

    def __init__(
        self,
        pid: int,
        conn: socket.socket,
        stdin: asyncio.StreamWriter,
        stdout: asyncio.StreamReader,
        stderr: asyncio.StreamReader,
    ) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self._conn = conn
        self._status = asyncio.ensure_future(self._read_status())

    async def _read_status(self) -> None:
        try:
            data = await recv_exactly(self._conn, 1 + STATUS.size)
        except OSError:
            data = b""
        finally:
            self._conn.close()
            self.stdin.close()
        ok = len(data) == 1 + STATUS.size and data[:1] == ENDED
        self.returncode = int(STATUS.unpack(data[1:])[0]) if ok else 1

    async def wait(self) -> int:
        await asyncio.shield(self._status)
        assert self.returncode is not None
        return self.returncode


async def recv_exactly(conn: socket.socket, size: int) -> bytes:
    """size bytes from a non-blocking socket, or fewer if it closes first."""
    loop = asyncio.get_running_loop()
    data = b""
    while len(data) < size:
        chunk = await loop.sock_recv(conn, size - len(data))
        if not chunk:
            break
        data += chunk
    return data


async def fork_warm(path: str, argv: list[str], env: dict[str, str]) -> WarmGame | None:
    """Have the warm process fork a game on three new pipes; None if it cannot (the caller starts one plain)."""
    loop = asyncio.get_running_loop()
    stdin_r, stdin_w = os.pipe()
    stdout_r, stdout_w = os.pipe()
    stderr_r, stderr_w = os.pipe()
    ours = [stdin_w, stdout_r, stderr_r]
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    reply = b""
    try:
        conn.setblocking(False)
        await loop.sock_connect(conn, path)
        message = encode_request(argv, env, os.getcwd())
        socket.send_fds(conn, [message[: LENGTH.size]], [stdin_r, stdout_w, stderr_w])
        await loop.sock_sendall(conn, message[LENGTH.size :])
        reply = await asyncio.wait_for(recv_exactly(conn, 1 + STATUS.size), HANDOVER_TIMEOUT)
    except (OSError, TimeoutError):
        pass
    finally:
        for fd in (stdin_r, stdout_w, stderr_w):
            os.close(fd)  # the game has its own copies now (or there is no game)
    if len(reply) != 1 + STATUS.size or reply[:1] != STARTED:
        conn.close()
        for fd in ours:
            os.close(fd)
        return None
    (pid,) = STATUS.unpack(reply[1:])
    stdin = await _pipe_writer(stdin_w)
    stdout = await _pipe_reader(stdout_r)
    stderr = await _pipe_reader(stderr_r)
    return WarmGame(pid, conn, stdin, stdout, stderr)


async def _pipe_reader(fd: int) -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", 0))
    return reader


async def _pipe_writer(fd: int) -> asyncio.StreamWriter:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, os.fdopen(fd, "wb", 0))
    return asyncio.StreamWriter(transport, protocol, None, loop)


class WarmProcess:
    """The warm process (game/classroom/warm.py): started once, before the server listens."""

    def __init__(self, story: Path | None, play_args: Sequence[str], env: dict[str, str]) -> None:
        self.play_args = list(play_args)
        self.folder = tempfile.mkdtemp(prefix="tightrope-serve-")  # private: mode 0700
        self.socket = os.path.join(self.folder, "warm.sock")
        args = [sys.executable, "-m", "game", "--warm-process", self.socket]
        if story is not None:
            args += ["--story", str(story.resolve())]
        args += ["--", *play_args]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def wait_ready(self, timeout: float = WARM_START_TIMEOUT) -> str | None:
        """None once the warm process listens, or why it does not."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            line = self.proc.stdout.readline().decode("utf-8", "replace").strip()
            if line == "ready":
                return None
            if line.startswith("failed: "):
                self.proc.wait()
                return line.removeprefix("failed: ")
            if not line:
                self.proc.wait()
                return f"it exited with status {self.proc.returncode}"
        return f"it was not ready within {timeout:.0f} s"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """Close its input (it then ends the games it started and exits); make sure it has ended."""
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        with contextlib.suppress(OSError):
            os.unlink(self.socket)
        with contextlib.suppress(OSError):
            os.rmdir(self.folder)


FORBIDDEN = "The teacher's view needs the key that tightrope serve printed when it started."
# the key is in the address: it must not leak to another site, or stay in a cache
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
RECORD_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class Teacher:
    """What the teacher's view reads: the save folder and the story, behind a key."""

    def __init__(self, saves: Path, story: Story, key: str) -> None:
        self.saves = saves.resolve()
        self.story = story
        self.key = key

    def url(self, base: str) -> str:
        return f"{base.rstrip('/')}/teacher?key={self.key}"


class ClassroomServer(Server):
    """textual-serve's Server with a cap on live games, games that end with their tab, and an offline page.

    ``command`` is the argv a session runs when it starts plain (no shell is
    involved); with ``warm``, sessions fork from the warm process instead.
    """

    def __init__(
        self,
        command: Sequence[str],
        host: str,
        port: int,
        public_url: str | None = None,
        max_sessions: int = 60,
        warm: WarmProcess | None = None,
    ) -> None:
        super().__init__(" ".join(command), host=host, port=port, title=TITLE, public_url=public_url)
        self.argv = list(command)
        self.max_sessions = max_sessions
        self.warm = warm
        self.live: set[GameService] = set()  # sessions whose game has not ended yet
        self.sockets: dict[GameService, web.WebSocketResponse] = {}
        self.banner: list[str] = []
        self.teacher: Teacher | None = None

    @property
    def sessions(self) -> int:
        """Games running now (a closed tab's game counts until its process has ended)."""
        return len(self.live)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        aiohttp_jinja2.setup(app, loader=jinja2.DictLoader({"app_index.html": page_template()}))
        app.router.add_get("/teacher", self.handle_teacher)
        app.router.add_get("/teacher/data", self.handle_teacher_data)
        app.router.add_get("/teacher/record", self.handle_teacher_record)
        return app

    def _teacher(self, request: web.Request) -> Teacher:
        """The teacher's view, or 403 without the right key."""
        if self.teacher is None or not same_key(request.query.get("key"), self.teacher.key):
            raise web.HTTPForbidden(text=FORBIDDEN, headers=PRIVATE)
        return self.teacher

    async def handle_teacher(self, request: web.Request) -> web.Response:
        teacher = self._teacher(request)
        rows = await asyncio.to_thread(class_status, teacher.saves, teacher.story)
        once = nonce()
        text = teacher_page(rows, teacher.story, teacher.saves, teacher.key, once)
        csp = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'nonce-{once}'; connect-src 'self'"
        return web.Response(text=text, content_type="text/html", headers={**PRIVATE, "Content-Security-Policy": csp})

    async def handle_teacher_data(self, request: web.Request) -> web.Response:
        teacher = self._teacher(request)
        rows = await asyncio.to_thread(class_status, teacher.saves, teacher.story)
        return web.json_response(status_json(rows), headers=PRIVATE)

    async def handle_teacher_record(self, request: web.Request) -> web.Response:
        teacher = self._teacher(request)
        text = await asyncio.to_thread(record_page, teacher.saves, request.query.get("save", ""), teacher.story)
        if text is None:
            raise web.HTTPNotFound(text="No such save in this class's folder.", headers=PRIVATE)
        return web.Response(text=text, content_type="text/html", headers={**PRIVATE, "Content-Security-Policy": RECORD_CSP})

    def warm_for_session(self) -> WarmProcess | None:
        """The warm process, while it runs (said once when it has ended: sessions then start plain)."""
        if self.warm is not None and not self.warm.alive():
            self.console.print(
                f"The warm process ended (status {self.warm.proc.returncode}); sessions now start as fresh processes.",
                highlight=False,
                markup=False,
            )
            self.warm = None
        return self.warm

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if self.sessions >= self.max_sessions:
            raise web.HTTPServiceUnavailable(text=FULL_MESSAGE)
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service = GameService(
            self.argv,
            self.warm_for_session(),
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        self.live.add(service)
        self.sockets[service] = websocket
        try:
            await websocket.prepare(request)
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.exception(error)
        finally:
            self.sockets.pop(service, None)
            ending = service.ended()
            ending.add_done_callback(lambda _: self.live.discard(service))
            await asyncio.shield(ending)
        return websocket

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppService) -> None:
        """Pass the browser's messages to the game; a malformed one is ignored, not a traceback."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
                kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
                if kind == "stdin" and isinstance(data, str):
                    await app_service.send_bytes(data.encode("utf-8"))
                elif kind == "resize" and isinstance(data, dict):
                    await app_service.set_terminal_size(int(data["width"]), int(data["height"]))
                elif kind == "ping":
                    await websocket.send_json(["pong", data])
                elif kind == "blur":
                    await app_service.blur()
                elif kind == "focus":
                    await app_service.focus()
            except (ValueError, TypeError, KeyError, IndexError):
                continue

    async def on_startup(self, app: web.Application) -> None:
        with contextlib.suppress(NotImplementedError, AttributeError):  # no SIGHUP on Windows
            # the teacher's terminal closing ends the server as Ctrl+C does: every game first
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.request_exit)
        for line in self.banner:
            self.console.print(line, highlight=False, markup=False, soft_wrap=True)  # an address is never cut in two

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every tab's connection, so that every game ends before the server does."""
        for websocket in list(self.sockets.values()):
            await websocket.close()
        await asyncio.gather(*(service.ended() for service in list(self.live)), return_exceptions=True)


def session_environment() -> dict[str, str]:
    """The environment textual-serve gives every session (for the default size): the warm process starts with it."""

    async def unused(*args: Any) -> None:  # pragma: no cover - this service only builds an environment
        raise AssertionError

    service = AppService("", write_bytes=unused, write_str=unused, close=unused, download_manager=DownloadManager())
    return service._build_environment()


def start_warm(story: Path | None, play_args: Sequence[str]) -> tuple[WarmProcess | None, str | None]:
    """(the warm process, None), or (None, why sessions start plain)."""
    warm = WarmProcess(story, play_args, session_environment())
    problem = warm.wait_ready()
    if problem is not None:
        warm.stop()
        return None, problem
    return warm, None


def serve(
    host: str,
    port: int,
    saves: Path,
    story: str | None,
    public_url: str | None,
    max_sessions: int,
    warm: bool = True,
    extra_play_args: Sequence[str] = (),
    scenario: str | None = None,
    settings: str = "",
) -> int:
    """Run the server until Ctrl+C; return the exit code.

    Every session runs ``play_arguments(saves, story, extra_play_args)``;
    with ``warm`` (and on POSIX) sessions fork from a warm process.
    ``scenario`` (one of the play arguments) is checked here, once;
    ``settings`` says in words what every game is given, for the banner.
    """
    from ..errors import UsageError
    from ..records.transcript import TranscriptError, open_story

    if not 0 < port < 65536:
        raise UsageError(f"--port must be from 1 to 65535, not {port}")
    if max_sessions < 1:
        raise UsageError("--max-sessions must be at least 1")
    story_dir = Path(story) if story else None
    try:
        loaded = open_story(story_dir)  # fail here, once, rather than in every browser tab
    except TranscriptError as exc:
        raise UsageError(str(exc)) from None
    try:
        loaded.scenario_named(scenario)
    except ValueError as exc:
        raise UsageError(f"--scenario: {exc}") from None
    try:
        saves.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot use the save folder {saves}: {exc.strerror or exc}") from None
    url, guessed = public_url_for(host, port, public_url)
    try:
        check_port(host, port)  # before the warm process is started for nothing
    except OSError as exc:
        raise UsageError(f"cannot listen on {url_host(host)}:{port}: {exc.strerror or exc}") from None
    play_args = play_arguments(saves, story_dir, extra_play_args)
    warm_process, why_plain = None, None if warm else "started with --no-warm"
    if warm and not CAN_WARM:
        why_plain = "this system cannot fork a warm process"
    elif warm:
        warm_process, problem = start_warm(story_dir, play_args)
        if problem is not None:
            why_plain = f"the warm process did not start: {problem}"
    server = ClassroomServer(game_command(play_args), host, port, url, max_sessions, warm_process)
    server.teacher = Teacher(saves, loaded, new_key())
    server.banner = banner(loaded.meta.title, host, url, guessed, saves, max_sessions, why_plain)
    server.banner[2:2] = [
        "Teacher view (keep this address to yourself; without its key the page is refused):",
        f"  {server.teacher.url(url)}",
        f"Every game: {settings}." if settings else "Every game: the player's own settings (no --classroom).",
    ]
    try:
        server.serve()
    except OSError as exc:
        raise UsageError(f"cannot listen on {url_host(host)}:{port}: {exc.strerror or exc}") from None
    finally:
        if warm_process is not None:
            warm_process.stop()
    return 0


def banner(
    title: str, host: str, url: str, guessed: bool, saves: Path, max_sessions: int, why_plain: str | None = None
) -> list[str]:
    """What serve prints at start; why_plain is None when sessions start warm."""
    lines = [f"Serving {title} to web browsers.", f"Open: {url}"]
    if guessed:
        lines.append("  (guessed from this computer's network address; if students cannot connect, give --public-url)")
    lines.append(f"Saves: {saves.resolve()} (one folder per player name)")
    if why_plain is None:
        lines.append("Sessions start warm: each game is forked from a process that has the game and the story loaded.")
    else:
        lines.append(f"Sessions start as fresh processes (about 1 s of processor time each): {why_plain}.")
    if is_loopback(host):
        lines.append("Only this computer can connect. For a classroom network, use --host 0.0.0.0.")
    else:
        lines.append(
            f"Anyone who can reach this computer on port {url.rsplit(':', 1)[-1]} can open a game: there is no password. "
            f"At most {max_sessions} games run at once."
        )
    lines.append("Press Ctrl+C to stop.")
    return lines
