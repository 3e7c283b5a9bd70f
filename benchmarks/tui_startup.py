"""How quickly does the Textual game start and answer a key? One command:

    .venv/bin/python benchmarks/tui_startup.py [--runs N] [--keys N] [--story DIR] [--size 100x30]

Runs the installed ``tightrope`` in a pseudo-terminal (the same bytes a real
terminal would get; nothing is drawn on this one) and reports:

* start-up: from starting the process to the title screen drawn (its menu in
  the output), next to a bare Textual hello-world app started the same way
  on the same machine, interleaved run by run so both see the same load; the
  aim is at most 1.2 times the hello-world. The title is drawn before the
  story is loaded (the app loads it in a thread once the title is on
  screen), so the time until the story's content note is shown is reported
  too;
* key to screen: from writing a key to the terminal to the updated game
  screen in the output (a choice, then undo, alternately); the aim is under
  50 ms.

The pseudo-terminal answers Textual's query for synchronized output, so each
frame ends with the "end synchronized update" sequence and a frame is known
to be complete when that arrives.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "tests" / "stories" / "starter"
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"  # supported, currently off
SYNC_END = b"\x1b[?2026l"

HELLO = """\
from textual.app import App, ComposeResult
from textual.widgets import Footer, Static


class Hello(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("Hello, world")
        yield Footer()


Hello().run()
"""


class Term:
    """A child process on a pseudo-terminal of a given size."""

    def __init__(self, argv: list[str], size: tuple[int, int], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True
        )
        os.close(slave)
        self.buffer = b""

    def read_until(self, marker: bytes, timeout: float = 20.0, frame_end: bool = True) -> float:
        """Read until ``marker`` (and the end of its frame) has arrived; return the time then."""
        deadline = time.perf_counter() + timeout
        seen = -1
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                break
            now = time.perf_counter()
            if SYNC_QUERY in self.buffer[-16:] + chunk:
                os.write(self.master, SYNC_REPLY)
            self.buffer += chunk
            if seen < 0:
                at = self.buffer.find(marker)
                if at >= 0:
                    seen = at
            if seen >= 0 and (not frame_end or SYNC_END in self.buffer[seen:]):
                self.buffer = b""
                return now
        raise TimeoutError(f"{marker!r} did not appear within {timeout} s")

    def drain(self) -> None:
        while select.select([self.master], [], [], 0)[0]:
            try:
                if not os.read(self.master, 65536):
                    break
            except OSError:
                break
        self.buffer = b""

    def send(self, keys: bytes) -> float:
        self.buffer = b""
        now = time.perf_counter()
        os.write(self.master, keys)
        return now

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, 15)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
        os.close(self.master)


def environment() -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE (set on some CI machines and sandboxes) would have
    # every start compile the game's own modules from source again, while
    # Textual's come compiled from its install: both are timed with their
    # bytecode cached, as on a player's machine after the first start (the
    # untimed warm-up start writes it)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", LANG=env.get("LANG", "C.UTF-8"))
    env.pop("NO_COLOR", None)
    return env


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (Linux: /proc/PID/schedstat, in ns); NaN elsewhere."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return float("nan")


def startup(
    argv: list[str], marker: bytes, size: tuple[int, int], frame_end: bool, then: bytes = b""
) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds) from starting the process to the marker's frame, and the wall seconds
    until ``then`` appears after it (NaN without ``then``)."""
    term = Term(argv, size, environment())
    try:
        wall = term.read_until(marker, frame_end=frame_end) - term.started
        cpu = cpu_seconds(term.proc.pid)
        later = term.read_until(then, frame_end=frame_end) - term.started if then else float("nan")
        return wall, cpu, later
    finally:
        term.close()


def tightrope_argv(story: Path, saves: Path) -> list[str]:
    exe = Path(sys.executable).with_name("tightrope")
    base = [str(exe)] if exe.exists() else [sys.executable, "-m", "game"]
    return [*base, "play", "--story", str(story), "--saves", str(saves), "--seed", "1"]


def key_latency(story: Path, saves: Path, size: tuple[int, int], rounds: int) -> list[float]:
    """Alternately take the first choice and undo it; time each key to its frame."""
    term = Term(tightrope_argv(story, saves), size, environment())
    try:
        term.read_until(b"Content note")  # the story is loaded
        time.sleep(0.3)
        term.drain()
        term.send(b"n")
        term.read_until(b"Your name")  # the new-game dialog
        term.send(b"\r")
        term.read_until(b"Choices")
        from game.engine import new_game, options
        from game.story import load_story

        st = load_story(story)
        state = new_game(st, 1)
        first = st.nodes[state.node]
        opt = next(o for o in options(st, state) if o.enabled)
        target = opt.choice.targets[0]
        after = st.nodes[target] if target in st.nodes else None
        # what only the new scene shows: its date line (titles also appear in the timeline)
        marks = [(n.date or n.title).encode() if n else st.endings[target].title.encode() for n in (after, first)]
        times = []
        for i in range(rounds):
            time.sleep(0.3)  # let the last frame and any timer settle, then drop what came
            term.drain()
            if i % 2 == 0:
                sent = term.send(str(options(st, state).index(opt) + 1).encode())
                done = term.read_until(marks[0])
            else:
                sent = term.send(b"u")
                done = term.read_until(marks[1])
            times.append(done - sent)
        return times
    finally:
        term.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="start-ups of each app (default 5)")
    parser.add_argument("--keys", type=int, default=30, help="keys timed (default 30)")
    parser.add_argument("--story", type=Path, default=STARTER, help="story folder (default: the starter story)")
    parser.add_argument("--size", default="100x30", help="terminal size COLSxROWS (default 100x30)")
    args = parser.parse_args(argv)
    cols, rows = (int(x) for x in args.size.lower().split("x"))
    size = (cols, rows)
    tmp = Path(tempfile.mkdtemp(prefix="tightrope-bench-"))
    try:
        hello = tmp / "hello.py"
        hello.write_text(HELLO)
        saves = tmp / "saves"
        # one untimed start of each first, so both read warm files
        startup([sys.executable, str(hello)], b"Hello, world", size, True)
        startup(tightrope_argv(args.story, saves), b"New game", size, True)
        base: list[tuple[float, float, float]] = []
        ours: list[tuple[float, float, float]] = []
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            base.append(startup([sys.executable, str(hello)], b"Hello, world", size, True))
            ours.append(startup(tightrope_argv(args.story, saves), b"New game", size, True, then=b"Content note"))
        keys = key_latency(args.story, saves, size, args.keys)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    k = sorted(keys)
    p95 = k[min(len(k) - 1, round(0.95 * (len(k) - 1)))]
    print(f"terminal {cols}x{rows}, story {args.story}, Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    print(f"start-up to a drawn screen ({args.runs} runs each; wall time median and best, and CPU time median):")
    rows_out = []
    for name, runs in (("Textual hello-world", base), ("tightrope title", ours)):
        wall = [w for w, _, _ in runs]
        cpu = [c for _, c, _ in runs]
        rows_out.append((statistics.median(wall), min(wall), statistics.median(cpu)))
        med, best, c = rows_out[-1]
        print(f"  {name:<20} {med * 1000:6.0f} ms  best {best * 1000:6.0f} ms  CPU {c * 1000:6.0f} ms")
    (bm, bb, bc), (om, ob, oc) = rows_out
    print(f"  ratio                {om / bm:6.2f} x    best {ob / bb:6.2f} x    CPU {oc / bc:6.2f} x   (aim: at most 1.2 x)")
    loaded = [t for _, _, t in ours]
    print(
        f"  story shown          {statistics.median(loaded) * 1000:6.0f} ms  best {min(loaded) * 1000:6.0f} ms"
        "   (the title's content note, loaded in a thread after the title is drawn)"
    )
    print(f"key to updated game screen ({len(keys)} keys, choice and undo):")
    print(
        f"  median {statistics.median(keys) * 1000:5.1f} ms   p95 {p95 * 1000:5.1f} ms   max {k[-1] * 1000:5.1f} ms   (aim: under 50 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
