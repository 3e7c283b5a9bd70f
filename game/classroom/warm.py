"""The warm process of ``tightrope serve`` (POSIX): every browser session forks from it.

Started once by ``serve`` (``python -m game --warm-process SOCKET [--story DIR] -- PLAY_ARGS``)
with the environment textual-serve gives its sessions, it loads the story
and keeps it, plays one game to its first screen (so that every module a
session imports is imported and the caches a first screen fills are
filled), freezes what it holds out of the garbage collector's sight
(``gc.freeze``) and listens on a Unix socket in a private folder.

For each session, ``serve`` connects and sends, in one message, the three
pipe ends that are the game's standard input, output and error (as file
descriptors) with the session's environment, working folder and play
arguments. This process forks; the child takes the descriptors as 0, 1 and
2 and the session's environment and runs ``tightrope play ARGS...`` through
the same ``main`` as the command line. A forked game shares this process's
memory until it writes to it, and starts without importing or loading
anything.

Lifetimes:

* the child leads its own process group (``serve`` may signal it directly);
  this process reaps it and sends its exit status on the connection;
* the child ends itself (SIGTERM, and SIGKILL a second later) when the
  connection's other end closes: ``serve`` has ended or dropped the session
  (tether.py);
* when ``serve`` closes this process's standard input (or ends, however it
  ends), this process ends every game it started and exits.

A session whose environment differs from this process's in a variable read
while Textual is imported (``TEXTUAL*``, ``PYTHON*``, ``TERM_PROGRAM``...) is
refused; ``serve`` starts that session as a fresh process instead.

The wire format, serve -> warm: a 4-byte big-endian length sent with the
three descriptors, then that many bytes of JSON ``{"argv", "env", "cwd"}``.
warm -> serve: ``R`` (refused: nothing was started), or ``S`` and the
game's process id as 4 bytes once it is forked, then ``E`` and a 4-byte
signed status once it has ended (a negative status is the signal that
ended it).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import select
import selectors
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import NoReturn

from .tether import tether_to_connection

READY = "ready"
STARTED = b"S"
REFUSED = b"R"
ENDED = b"E"
STATUS = struct.Struct(">i")  # a process id after STARTED, an exit status after ENDED
LENGTH = struct.Struct(">I")
REQUEST_LIMIT = 1 << 20  # a session's environment fits easily; anything bigger is refused
WARM_UP_LIMIT = 30.0  # seconds the warm-up game has to draw its first screen
WARM_UP_QUIET = 0.3  # seconds without output after which a drawn screen has settled
WARM_UP_FRAME = 4096  # bytes of output that make a first screen
THREADS_END = 10.0  # seconds the warm-up game's threads have to end after it has
EXACT_NAMES = frozenset({"ESCDELAY", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "LC_TERMINAL"})
EXACT_PREFIXES = ("TEXTUAL", "PYTHON")
SHUTDOWN_GRACE = 2.0  # the same when the warm process ends every game
REQUEST_TIMEOUT = 5.0


Main = Callable[[list[str]], int]  # tightrope's command line: arguments in, exit status out


class Refused(Exception):
    """A session this process will not start (serve starts it as a fresh process instead)."""


# ------------------------------------------------------------------ start-up
def preload(story: str | None, play_args: list[str], main: Main) -> None:
    """Load the story and play one game to its first screen here, so that every forked game starts with both.

    The story is kept (``keep_loaded``): a game's own load finds it unchanged
    and reuses it. The warm-up game imports every module a session uses and
    fills the process-wide caches a first screen fills (Textual's parsed
    selectors, Rich's styles and cell widths...); it runs with the sessions'
    arguments and a scratch save folder. (Each app still parses its own
    stylesheet: Textual keeps that cache per app.)
    """
    from ..paths import default_story
    from ..story.loader import keep_loaded

    keep_loaded(Path(story) if story else default_story())
    with tempfile.TemporaryDirectory(prefix="tightrope-warm-up-") as scratch:
        warm_up(main, [*play_args, "--saves", scratch])
    deadline = time.monotonic() + THREADS_END
    for thread in threading.enumerate():  # a game's threads see its end a moment after it returns
        if thread is not threading.main_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
    if threading.active_count() != 1:  # forking with threads running would copy them half-way through
        raise WarmUpFailed(f"{threading.active_count() - 1} threads still run {THREADS_END:.0f} s after the warm-up")
    gc.enable()  # the game pauses collection until its first screen; the warm-up may have quit before
    gc.collect()
    gc.freeze()


class WarmUpFailed(Exception):
    """The warm-up game did not start or end as a game does."""


def warm_up(main: Main, argv: list[str]) -> None:
    """Run main(argv) as a browser session would, on pipes, until its first screen has settled; then quit it."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    saved = [os.dup(0), os.dup(1), os.dup(2)]
    seen: list[int] = [0]

    def driver() -> None:
        with os.fdopen(out_r, "rb", buffering=0) as out, os.fdopen(in_w, "wb", buffering=0) as inp:
            deadline = time.monotonic() + WARM_UP_LIMIT
            while time.monotonic() < deadline:
                ready, _, _ = select.select([out], [], [], WARM_UP_QUIET)
                if not ready:
                    if seen[0] >= WARM_UP_FRAME:
                        break  # drawn, and quiet since
                    continue
                data = out.read(65536)
                if not data:
                    return
                seen[0] += len(data)
            with contextlib.suppress(OSError):
                inp.write(packet(b"M", json.dumps({"type": "quit"}).encode()))
            deadline = time.monotonic() + WARM_UP_LIMIT
            while time.monotonic() < deadline:
                ready, _, _ = select.select([out], [], [], 1.0)
                if ready and not out.read(65536):
                    return  # the game has ended
        # the game neither drew its screen and settled nor ended when asked: no warm start
        os.write(saved[1], f"failed: the warm-up game did not end within {2 * WARM_UP_LIMIT:.0f} s\n".encode())
        os._exit(1)

    thread = threading.Thread(target=driver, name="tightrope-warm-up")
    with tempfile.TemporaryFile() as log:
        os.dup2(in_r, 0)
        os.dup2(out_w, 1)
        os.dup2(log.fileno(), 2)
        os.close(in_r)
        os.close(out_w)
        thread.start()
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refusing the arguments, for one
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            for target, fd in enumerate(saved):
                os.dup2(fd, target)
                os.close(fd)
            thread.join()
        if code != 0 or seen[0] < WARM_UP_FRAME:
            log.seek(0)
            lines = [line.strip() for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
            raise WarmUpFailed(f"the warm-up game exited with {code}" + (f": {lines[-1][:300]}" if lines else ""))


def packet(kind: bytes, payload: bytes) -> bytes:
    """One packet of textual-serve's protocol on a game's standard input."""
    return kind + len(payload).to_bytes(4, "big") + payload


def encode_request(argv: list[str], env: dict[str, str], cwd: str) -> bytes:
    """A session request: the length header (sent with the descriptors), then the JSON body."""
    # ASCII: json escapes every other character (the lone surrogates of undecodable bytes too)
    body = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode("ascii")
    return LENGTH.pack(len(body)) + body


def import_time_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The variables that Textual and Python read once, when they start or are imported."""
    return {k: v for k, v in env.items() if k in EXACT_NAMES or k.startswith(EXACT_PREFIXES)}


def check_request(data: object, expected_env: Mapping[str, str]) -> tuple[list[str], dict[str, str], str]:
    """(argv, env, cwd) of a session request, or Refused."""
    if not isinstance(data, dict):
        raise Refused("not a session request")
    argv, env, cwd = data.get("argv"), data.get("env"), data.get("cwd")
    if not (isinstance(argv, list) and all(isinstance(a, str) for a in argv) and argv[:1] == ["play"]):
        raise Refused("a session runs `play` and nothing else")
    if not (isinstance(env, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())):
        raise Refused("the environment is not a table of strings")
    if not isinstance(cwd, str):
        raise Refused("no working folder")
    ours, theirs = import_time_environment(expected_env), import_time_environment(env)
    if ours != theirs:
        names = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
        raise Refused(f"the session's environment differs in {', '.join(names)}")
    return argv, env, cwd


def read_request(conn: socket.socket) -> tuple[list[int], bytes]:
    """The descriptors and the JSON body of one request (OSError or Refused if it is not one)."""
    conn.settimeout(REQUEST_TIMEOUT)
    header, fds, _flags, _addr = socket.recv_fds(conn, LENGTH.size, 3)
    try:
        while len(header) < LENGTH.size:
            more = conn.recv(LENGTH.size - len(header))
            if not more:
                raise Refused("the request ended early")
            header += more
        (size,) = LENGTH.unpack(header)
        if size > REQUEST_LIMIT:
            raise Refused("the request is too long")
        body = b""
        while len(body) < size:
            more = conn.recv(min(65536, size - len(body)))
            if not more:
                raise Refused("the request ended early")
            body += more
        if len(fds) != 3:
            raise Refused("a session hands over exactly three descriptors")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    conn.settimeout(None)
    return fds, body


# ------------------------------------------------------------------ one game (in the forked child)
def run_game(
    main: Main, conn: socket.socket, fds: list[int], argv: list[str], env: dict[str, str], cwd: str, inherited: list[int]
) -> NoReturn:
    """In the forked child: become the session's game, ``main(argv)``; never returns."""
    code = 1
    try:
        os.setsid()  # its own process group: ending it never touches the warm process
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd in inherited:
            with contextlib.suppress(OSError):
                os.close(fd)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        tether_to_connection(conn)
        sys.argv = ["tightrope", *argv]
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


# ------------------------------------------------------------------ the warm process
class Warm:
    """The loop of the warm process: accept sessions, fork their games, reap them and report their status.

    ``main`` is what a forked game runs (``game.cli.main``).
    """

    def __init__(self, listener: socket.socket, main: Main) -> None:
        self.listener = listener
        self.main = main
        self.env = dict(os.environ)
        self.games: dict[int, socket.socket] = {}
        self.selector = selectors.PollSelector()  # poll holds no descriptor of its own that a fork would inherit
        self.wake_r, self.wake_w = os.pipe()
        for fd in (self.wake_r, self.wake_w):
            os.set_blocking(fd, False)
        self.refusals: set[str] = set()

    def inherited(self, keep: socket.socket) -> list[int]:
        """Descriptors a forked game must close: everything of this process's but its own connection."""
        own = [self.listener.fileno(), self.wake_r, self.wake_w]
        return [*own, *(c.fileno() for c in self.games.values() if c is not keep)]

    def start(self, conn: socket.socket) -> None:
        try:
            fds, body = read_request(conn)
        except (OSError, Refused, ValueError) as exc:
            self.refuse(conn, str(exc))
            return
        try:
            try:
                argv, env, cwd = check_request(json.loads(body), self.env)
            except ValueError as exc:
                raise Refused(f"not JSON: {exc}") from None
        except Refused as exc:
            for fd in fds:
                os.close(fd)
            self.refuse(conn, str(exc))
            return
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as exc:  # out of processes or memory: this session starts plain, if it can at all
            for fd in fds:
                os.close(fd)
            self.refuse(conn, f"cannot fork: {exc.strerror or exc}")
            return
        if pid == 0:
            run_game(self.main, conn, fds, argv, env, cwd, self.inherited(conn))
        for fd in fds:
            os.close(fd)
        self.games[pid] = conn
        with contextlib.suppress(OSError):
            conn.sendall(STARTED + STATUS.pack(pid))

    def refuse(self, conn: socket.socket, reason: str) -> None:
        if reason not in self.refusals:  # once per reason: the teacher's terminal is not a log file
            self.refusals.add(reason)
            print(f"tightrope serve: a session starts as a fresh process: {reason}", file=sys.stderr, flush=True)
        try:
            conn.sendall(REFUSED)
        except OSError:
            pass
        conn.close()

    def reap(self) -> None:
        while self.games:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.games.pop(pid, None)
            if conn is None:
                continue
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            try:
                conn.sendall(ENDED + STATUS.pack(code))
            except OSError:
                pass
            conn.close()

    def run(self) -> None:
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(self.wake_r, selectors.EVENT_READ)
        self.selector.register(0, selectors.EVENT_READ)  # serve's pipe: closed when serve ends
        while True:
            for key, _ in self.selector.select():
                if key.fileobj is self.listener:
                    try:
                        conn, _addr = self.listener.accept()
                    except OSError:
                        continue
                    self.start(conn)
                elif key.fileobj == self.wake_r:
                    try:
                        while os.read(self.wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                    self.reap()
                elif not os.read(0, 512):
                    return

    def serve(self, path: str) -> None:
        """Tell serve this process is ready, run until serve closes its input, then end every game and clean up."""
        print(READY, flush=True)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)  # nobody reads this process's output any more
        os.close(null)
        try:
            self.run()
        finally:
            self.end_games()
            self.listener.close()
            with contextlib.suppress(OSError):
                os.unlink(path)

    def end_games(self) -> None:
        """End every game still running: SIGTERM to each game's group, SIGKILL after a grace."""
        for pid in self.games:
            _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_GRACE
        while self.games and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.05)
        for pid in self.games:
            _signal_group(pid, signal.SIGKILL)
        while self.games:
            self.reap()
            time.sleep(0.01)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def _terminated(warm_pid: int) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != warm_pid:  # a game forked a moment ago, before it set its own handlers
            os._exit(128 + signum)
        raise SystemExit(0)  # out of the loop: end the games, remove the socket

    return handler


def main(args: list[str], game_main: Main) -> int:
    """The warm process: ``game_main`` is the tightrope command's main (given by game/__main__.py)."""
    own, play_args = (args[: args.index("--")], args[args.index("--") + 1 :]) if "--" in args else (args, [])
    parser = argparse.ArgumentParser(prog="python -m game --warm-process", usage="%(prog)s SOCKET [--story DIR] -- play ...")
    parser.add_argument("socket", help="the Unix socket to listen on (in a private folder)")
    parser.add_argument("--story", default=None, help="the story folder the sessions play")
    opts = parser.parse_args(own)
    # Ctrl+C, or the terminal closing, reaches serve too, which ends this process by closing its input
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminated(os.getpid()))
    try:
        preload(opts.story, play_args, game_main)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(opts.socket)
        listener.listen(128)
    except Exception as exc:  # noqa: BLE001 - whatever stops the warm start, serve says why and starts sessions plain
        print(f"failed: {' '.join(str(exc).split())[:500] or type(exc).__name__}", flush=True)
        return 1
    Warm(listener, game_main).serve(opts.socket)
    return 0
