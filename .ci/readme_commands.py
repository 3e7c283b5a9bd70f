"""Run every command in the README's ```sh blocks, the way a reader would.

Each command runs in a scratch copy of the checkout (so nothing it writes
lands in the real one), with the checkout's .venv and TIGHTROPE_SAVES
pointing at a scratch folder:

* the quick-start "install and start the game" line runs in a fresh copy of
  the committed tree, in tmux, and must draw the title screen;
* the quick-start test line is what CI itself runs next, so it is skipped
  here (as are the lint and type lines CI has just run);
* commands that start the terminal app run in tmux and must draw it;
* `tightrope serve` must answer HTTP on localhost, and its teacher view
  (the address it prints) must answer with its key and refuse without it;
* everything else must exit 0.

Usage: python3 .ci/readme_commands.py [--list]
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def kind(cmd: str) -> str:
    if "pip install . " in cmd or cmd.endswith("pip install ."):
        return "fresh-install"
    if "pip install -e" in cmd or cmd in (".venv/bin/pytest", ".venv/bin/ruff check .", ".venv/bin/mypy"):
        return "ci-step"
    if " serve" in cmd:
        return "serve"
    m = re.search(r"\.venv/bin/tightrope(\s+(\S+))?", cmd)
    if m and "|" not in cmd:
        sub = m.group(2)
        if sub is None or sub.startswith("-") or (sub == "play" and "--plain" not in cmd):
            return "tui"
    return "run"


def tmux_screen(cmd: str, cwd: Path, env: dict[str, str], want: str, timeout: float) -> str:
    name = f"readme{os.getpid()}"
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    full = f"cd {cwd} && {' '.join(f'{k}={v}' for k, v in env.items() if k == 'TIGHTROPE_SAVES')} {cmd}"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "30", full], check=True)
    screen = ""
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            time.sleep(1)
            screen = subprocess.run(["tmux", "capture-pane", "-t", name, "-p"], capture_output=True, text=True).stdout
            if want in screen:
                return screen
        raise SystemExit(f"readme: `{cmd}` did not show {want!r} within {timeout:.0f} s; the screen was:\n{screen}")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group proc leads (as Ctrl+C would reach it), SIGKILL after 15 s; then nothing is left."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever of the group is still there
        except ProcessLookupError:
            pass
        proc.wait()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def check_teacher_view(cmd: str, banner: str) -> None:
    """The teacher address serve printed answers 200 with its key and 403 without it."""
    found = re.search(r"(http://\S+/teacher)\?key=(\S+)", banner)
    if found is None:
        raise SystemExit(f"readme: `{cmd}` printed no teacher address:\n{banner[-2000:]}")
    page, key = found.group(1), found.group(2)
    if status(f"{page}?key={key}") != 200 or status(page) != 403:
        raise SystemExit(f"readme: `{cmd}`: the teacher view did not answer 200 with its key and 403 without")


def main() -> int:
    cmds = commands()
    if "--list" in sys.argv:
        for c in cmds:
            print(f"{kind(c):14} {c}")
        return 0
    have_tmux = shutil.which("tmux") is not None
    with tempfile.TemporaryDirectory(prefix="tightrope-readme-") as tmp:
        scratch = Path(tmp) / "checkout"
        shutil.copytree(ROOT, scratch, ignore=shutil.ignore_patterns(".venv", ".git", "saves", "__pycache__", ".*_cache"))
        (scratch / ".venv").symlink_to(ROOT / ".venv")
        env = {**os.environ, "TIGHTROPE_SAVES": str(Path(tmp) / "saves"), "NO_COLOR": "1"}
        for cmd in cmds:
            k = kind(cmd)
            print(f"readme [{k}] {cmd}", flush=True)
            if k == "ci-step":
                continue
            if k in ("tui", "fresh-install") and not have_tmux:
                print("  skipped: tmux is not installed")
                continue
            if k == "fresh-install":
                fresh = Path(tmp) / "fresh"
                subprocess.run(["git", "clone", "-q", str(ROOT), str(fresh)], check=True)
                tmux_screen(cmd, fresh, env, "New game", timeout=600)
            elif k == "tui":
                tmux_screen(cmd, scratch, env, "New game", timeout=60)
            elif k == "serve":
                port = free_port()
                local = shlex.split(re.sub(r"--host \S+", "--host 127.0.0.1", cmd)) + ["--port", str(port)]
                log = Path(tmp) / "serve.log"
                # no shell, and a process group of its own: stopping it stops the server and its warm process
                with log.open("wb") as out:
                    proc = subprocess.Popen(
                        local, cwd=scratch, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                    )
                try:
                    for _ in range(60):
                        time.sleep(0.5)
                        try:
                            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                                if resp.status == 200:
                                    break
                        except OSError:
                            continue
                    else:
                        print(log.read_text(errors="replace")[-3000:])
                        raise SystemExit(f"readme: `{cmd}` did not answer on 127.0.0.1:{port}")
                    check_teacher_view(cmd, log.read_text(errors="replace"))
                finally:
                    stop_group(proc)
            else:
                done = subprocess.run(
                    cmd, shell=True, cwd=scratch, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600
                )
                # plain mode given no input shows the first scene, then says the input ended (exit 3, documented)
                ran_out = done.returncode == 3 and "--plain" in cmd and "|" not in cmd
                if ran_out and ("Choices:" not in done.stdout or "the input ended" not in done.stderr):
                    ran_out = False
                if done.returncode != 0 and not ran_out:
                    print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
                    raise SystemExit(f"readme: `{cmd}` exited {done.returncode}")
    print(f"readme: {len(cmds)} commands ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
