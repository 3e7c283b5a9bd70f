"""How quickly does ``tightrope serve`` start a class's games, and what do they cost? One command:

    .venv/bin/python benchmarks/serve_bench.py [--sessions 30] [--interval 0.15] [--start warm|plain|both]
                                               [--runs 1] [--max-sessions N] [--story DIR] [--json]

For each start (warm: sessions fork from the warm process; plain: ``serve
--no-warm``, a fresh interpreter per session) and each run, it starts a real
``tightrope serve`` on 127.0.0.1 and a free port with an empty save folder,
waits until it answers, then opens N websocket sessions, one every INTERVAL
seconds, as the browser page does (``/ws?width=100&height=32`` and a resize
message). It reports:

* first frame: from opening a session's websocket to the title screen drawn
  (its "New game" menu arrives in the packets), median and max over the
  sessions that got one;
* failures: sessions refused (the cap), closed, or without a title screen
  within --timeout seconds;
* memory of the server's process tree (the server, the warm process, every
  launcher and game), summed over its processes from /proc/PID/smaps_rollup,
  once the server answers (idle) and again with every session open: RSS
  (resident; shared pages counted in every process) and PSS (proportional:
  each shared page divided among the processes sharing it, so the sum is
  the real cost). "a session" is (open - idle) / sessions that started;
* processor time: what the server's process tree used between idle and
  every session open (server, warm process and games), over the sessions;
* start: how long ``serve`` took to answer (the warm start waits for its
  warm process);
* ending: after every websocket is closed, how long until no game or
  launcher process is left (the server and the warm process remain), and
  how many are left after --cleanup seconds.

Linux only (it reads /proc). The client runs on the same machine and uses
some of its processor time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")
TITLE_MARK = b"New game"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Memory:
    processes: int = 0
    rss_kb: int = 0
    pss_kb: int = 0
    cpu_s: float = 0.0  # processor time the processes have used so far (user and system)


@dataclass
class Result:
    start: str
    sessions: int
    interval: float
    first_frames: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    idle: Memory = field(default_factory=Memory)
    open: Memory = field(default_factory=Memory)
    ended_after: float | None = None
    left: int = 0
    load: float = 0.0  # the 1-minute load average when the run started
    ready_after: float = 0.0  # seconds from starting serve to its first answer


# ------------------------------------------------------------------ processes
def children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    kids = children_map()
    found, todo = [pid], [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def memory(pids: list[int]) -> Memory:
    total = Memory()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line and not line.startswith(" "))
        except OSError:
            continue
        total.processes += 1
        total.rss_kb += int(fields.get("Rss", "0 kB").split()[0])
        total.pss_kb += int(fields.get("Pss", "0 kB").split()[0])
        total.cpu_s += cpu_seconds(pid)
    return total


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


# ------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, saves: str, start: str, max_sessions: int, story: str | None) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "game", "serve", "--port", str(port), "--saves", saves, "--max-sessions", str(max_sessions)]
    if story:
        args += ["--story", story]
    if start == "plain":
        args.append("--no-warm")
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve_bench: the server exited with {proc.returncode}")
        try:
            with NO_PROXY.open(f"http://127.0.0.1:{port}/", timeout=5):
                return proc
        except OSError:
            time.sleep(0.1)
    stop_server(proc)
    raise SystemExit("serve_bench: the server did not answer within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# ------------------------------------------------------------------ sessions
async def session(
    http: aiohttp.ClientSession, port: int, timeout: float, opened: asyncio.Event, close: asyncio.Event
) -> tuple[float | None, str | None]:
    """(seconds to the title screen, None) or (None, why not); keeps the websocket open until close is set."""
    t0 = time.perf_counter()
    try:
        async with http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=32") as ws:
            await ws.send_str(json.dumps(["resize", {"width": 100, "height": 32}]))
            raw, checked, first = b"", 0, None
            try:
                while first is None:
                    left = timeout - (time.perf_counter() - t0)
                    if left <= 0:
                        return None, "no title screen in time"
                    msg = await asyncio.wait_for(ws.receive(), left)
                    if msg.type != aiohttp.WSMsgType.BINARY:
                        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                            return None, "closed before the title screen"
                        continue
                    raw += msg.data
                    if TITLE_MARK in ANSI.sub(b"", raw[max(0, checked - 256) :]):
                        first = time.perf_counter() - t0
                    checked = len(raw)
            except TimeoutError:
                return None, "no title screen in time"
            opened.set()
            # keep reading, as a browser does (it answers the server's heartbeat pings), until told to close
            drain = asyncio.create_task(read_on(ws))
            await close.wait()
            if drain.done():
                return None, "closed by the server while open"
            drain.cancel()
            return first, None
    except aiohttp.WSServerHandshakeError as exc:
        return None, f"refused ({exc.status})"
    except (aiohttp.ClientError, OSError) as exc:
        return None, f"connection failed ({type(exc).__name__})"


async def read_on(ws: aiohttp.ClientWebSocketResponse) -> None:
    while (await ws.receive()).type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
        pass


async def open_class(port: int, sessions: int, interval: float, timeout: float, settle: float, pid: int, result: Result) -> None:
    close = asyncio.Event()
    async with aiohttp.ClientSession() as http:
        tasks, drawn = [], []
        for i in range(sessions):
            if i:
                await asyncio.sleep(interval)
            drawn.append(asyncio.Event())
            tasks.append(asyncio.create_task(session(http, port, timeout, drawn[-1], close)))
        # measure once every session has its title screen (its websocket stays open) or has failed
        while not all(t.done() or e.is_set() for t, e in zip(tasks, drawn, strict=True)):
            await asyncio.sleep(0.05)
        await asyncio.sleep(settle)
        result.open = memory(process_tree(pid))
        close.set()
        for first, why in await asyncio.gather(*tasks):
            if first is not None:
                result.first_frames.append(first)
            else:
                result.failures[why or "?"] = result.failures.get(why or "?", 0) + 1


def run_once(
    start: str,
    sessions: int,
    interval: float,
    max_sessions: int,
    story: str | None,
    timeout: float,
    settle: float,
    cleanup: float,
) -> Result:
    result = Result(start, sessions, interval, load=os.getloadavg()[0])
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as saves:
        t0 = time.monotonic()
        proc = start_server(port, saves, start, max_sessions, story)
        result.ready_after = time.monotonic() - t0
        try:
            time.sleep(0.5)
            base = process_tree(proc.pid)
            result.idle = memory(base)
            asyncio.run(open_class(port, sessions, interval, timeout, settle, proc.pid, result))
            t0 = time.monotonic()
            while True:
                extra = [p for p in process_tree(proc.pid) if p not in base]
                if not extra:
                    result.ended_after = time.monotonic() - t0
                    break
                if time.monotonic() - t0 > cleanup:
                    result.left = len(extra)
                    break
                time.sleep(0.1)
        finally:
            stop_server(proc)
    return result


def per_session(result: Result, kb: int) -> float:
    """MB a session: the growth of the tree, over the sessions that started."""
    return kb / 1024 / max(1, len(result.first_frames))


def summary(r: Result) -> str:
    frames = sorted(r.first_frames)
    timing = f"first frame median {statistics.median(frames):.2f} s, max {frames[-1]:.2f} s" if frames else "no first frame"
    failed = sum(r.failures.values())
    why = f" ({', '.join(f'{n} {k}' for k, n in r.failures.items())})" if failed else ""
    pss = per_session(r, r.open.pss_kb - r.idle.pss_kb)
    rss = per_session(r, r.open.rss_kb - r.idle.rss_kb)
    cpu = (r.open.cpu_s - r.idle.cpu_s) / max(1, len(r.first_frames))
    ended = (
        f"all games ended {r.ended_after:.1f} s after their tabs closed"
        if r.ended_after is not None
        else f"{r.left} processes left"
    )
    return (
        f"{r.start:5} serve answered after {r.ready_after:.1f} s; "
        f"{r.sessions} sessions every {r.interval} s: {timing}; {failed} failed{why}; "
        f"PSS {r.idle.pss_kb / 1024:.0f} MB idle, {r.open.pss_kb / 1024:.0f} MB open ({pss:.1f} MB a session); "
        f"RSS {r.idle.rss_kb / 1024:.0f} -> {r.open.rss_kb / 1024:.0f} MB ({rss:.1f} MB a session), "
        f"{r.open.processes} processes; processor time {cpu:.2f} s a session; {ended}; load average {r.load:.1f} at the start"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=30, help="sessions to open (default 30)")
    ap.add_argument("--interval", type=float, default=0.15, help="seconds between sessions (default 0.15)")
    ap.add_argument("--start", choices=["warm", "plain", "both"], default="both", help="how sessions start (default both)")
    ap.add_argument("--runs", type=int, default=1, help="runs of each start (default 1)")
    ap.add_argument("--max-sessions", type=int, default=None, metavar="N", help="serve --max-sessions (default: sessions + 10)")
    ap.add_argument("--story", default=None, metavar="DIR", help="story folder (default: the shipped story)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds a session may take to its title screen (default 60)")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds to wait before measuring memory (default 1)")
    ap.add_argument("--cleanup", type=float, default=15.0, help="seconds to wait for the games to end (default 15)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)
    if not Path("/proc/self/smaps_rollup").exists():
        print("serve_bench: needs Linux (/proc/PID/smaps_rollup)", file=sys.stderr)
        return 2
    starts = ["warm", "plain"] if args.start == "both" else [args.start]
    max_sessions = args.max_sessions or args.sessions + 10
    results = []
    for run in range(args.runs):
        for start in starts:
            r = run_once(start, args.sessions, args.interval, max_sessions, args.story, args.timeout, args.settle, args.cleanup)
            results.append(r)
            if not args.json:
                print(f"run {run + 1}: {summary(r)}", flush=True)
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
