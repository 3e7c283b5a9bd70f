"""The hostile-input corpus, driven through the real command line.

Each case of ``cases.toml`` is laid out in a fresh folder and run as a real
``tightrope`` subprocess (in-process through ``game.cli.main`` only where an
argument holds a NUL byte, which no process argument can carry). For every
case the test checks the safe outcome the corpus states:

* the exit code, the problem code and the file:line:column in the message;
* one printable line per message: no traceback, no control character;
* the child's peak memory (``ru_maxrss`` from ``os.wait4``) under 200 MB and
  its end within a generous timeout (a hang guard, not a benchmark);
* no file written or changed anywhere under the case's folder (story copy,
  save folder with a good save and its backup, working directory, home),
  except the paths the case names in ``may_change``.

``python tests/hostile/test_corpus.py`` prints the time and memory of every
case (the figures quoted in docs/security.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
STARTER = ROOT / "tests" / "stories" / "starter"
CASES: list[dict[str, Any]] = tomllib.loads((HERE / "cases.toml").read_text(encoding="utf-8"))["case"]
TIMEOUT = 20.0  # seconds: only catches hangs
MEMORY_LIMIT_MB = 200.0
MB = 1024 * 1024
# what must never reach a terminal: C0 controls but newline, DEL, C1, bidi overrides
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# ------------------------------------------------------------------ running
@dataclass
class Run:
    args: list[str]
    exit: int
    out: str
    err: str
    seconds: float
    memory_mb: float  # peak resident memory of the child (or tracemalloc peak in-process)
    in_process: bool = False


# What the `tightrope` console script does (main() and sys.exit), plus a note
# of the program's own peak memory: ru_maxrss from wait4 would count this
# pytest process too (Linux carries a parent's peak into a child across fork
# and exec), while VmHWM in /proc/self/status counts only the program's.
MEASURED_MAIN = """
import os, sys
from game.cli import main
try:
    code = main(sys.argv[1:])
finally:
    try:
        with open("/proc/self/status") as status, open(os.environ["TIGHTROPE_TEST_PEAK"], "w") as out:
            out.write(next((line.split()[1] for line in status if line.startswith("VmHWM:")), ""))
    except OSError:
        pass
sys.exit(code)
"""


def run_cli(args: list[str], cwd: Path, env: dict[str, str], stdin: bytes = b"") -> Run:
    """Run the tightrope CLI in a subprocess; note its time and its own peak memory."""
    if any("\x00" in a for a in args):
        return run_in_process(args, cwd, env, stdin)
    with (
        tempfile.TemporaryFile() as inp,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r") as peak,
    ):
        inp.write(stdin)
        inp.seek(0)
        started = time.perf_counter()
        env = {**env, "TIGHTROPE_TEST_PEAK": peak.name}
        proc = subprocess.Popen([sys.executable, "-c", MEASURED_MAIN, *args], stdin=inp, stdout=out, stderr=err, cwd=cwd, env=env)
        timer = threading.Timer(TIMEOUT, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Run(
            args,
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            int(peak.read().strip() or usage.ru_maxrss) / 1024,  # kilobytes, both
        )
    assert seconds < TIMEOUT, f"tightrope {args} did not finish within {TIMEOUT} s (killed)"
    return result


def run_in_process(args: list[str], cwd: Path, env: dict[str, str], stdin: bytes = b"") -> Run:
    """game.cli.main in this process, for arguments no subprocess can carry."""
    from game.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_stdin = sys.stdin
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return Run(args, code, out.getvalue(), err.getvalue(), seconds, peak / MB, in_process=True)


# ------------------------------------------------------------------ snapshots
def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every path under root with its kind and content (hash, or size and
    mtime for big files); links are recorded, never followed."""
    out: dict[str, tuple[object, ...]] = {}
    todo = [root]
    while todo:
        folder = todo.pop()
        for entry in os.scandir(folder):
            path = Path(entry.path)
            rel = str(path.relative_to(root))
            st = entry.stat(follow_symlinks=False)
            if entry.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif entry.is_dir(follow_symlinks=False):
                out[rel] = ("dir",)
                todo.append(path)
            elif entry.is_file(follow_symlinks=False):
                if st.st_size <= MB:
                    out[rel] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
                else:
                    out[rel] = ("file", st.st_size, st.st_mtime_ns)
            else:
                out[rel] = ("other", st.st_mode)
    return out


def changes(before: dict[str, tuple[object, ...]], after: dict[str, tuple[object, ...]]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


# ------------------------------------------------------------------ layout
@dataclass
class Layout:
    root: Path  # everything the case may touch lives under here
    story: Path
    saves: Path
    cwd: Path
    env: dict[str, str]
    good_save: bytes = b""
    substitutions: dict[str, str] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)


def layout(tmp: Path) -> Layout:
    story = tmp / "story"
    shutil.copytree(STARTER, story)
    saves = tmp / "saves"
    saves.mkdir()
    cwd = tmp / "cwd"
    cwd.mkdir()
    home = tmp / "home"
    home.mkdir()
    (tmp / "outside").mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "TIGHTROPE_SAVES": str(tmp / "default-saves"),
        "LANG": "C.UTF-8",
        "PYTHONUTF8": "1",
        "NO_COLOR": "1",
    }
    if "PYTHONPATH" in os.environ:  # lets the corpus run against another checkout of game/
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return Layout(tmp, story, saves, cwd, env)


def yaml_quote(text: str) -> str:
    """A YAML double-quoted scalar for any text (control characters escaped)."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or code in (0xFEFF, 0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def make_good_save(lay: Layout) -> None:
    """A real save after one decision, saved twice so that a backup exists."""
    from game.engine import new_game
    from game.engine.core import choose
    from game.saves import write_save
    from game.story import load_story

    story = load_story(lay.story)
    state = new_game(story, 7, "Student")
    path = lay.saves / "good.json"
    write_save(path, story, state)
    write_save(path, story, choose(story, state, "commit"))
    lay.good_save = path.read_bytes()


def good_dict(lay: Layout) -> dict[str, Any]:
    return dict(json.loads(lay.good_save))


# ------------------------------------------------------------------ generators
# `make` functions: each writes what a case needs that is too big, too
# special or too machine-dependent to commit.
MAKERS: dict[str, Callable[[Layout], None]] = {}


def maker(fn: Callable[[Layout], None]) -> Callable[[Layout], None]:
    MAKERS[fn.__name__] = fn
    return fn


def _hostile(lay: Layout) -> Path:
    return lay.story / "hostile.yaml"


@maker
def nesting_50000(lay: Layout) -> None:
    _hostile(lay).write_text("[" * 50_000 + "]" * 50_000 + "\n")


@maker
def nesting_dashes(lay: Layout) -> None:
    _hostile(lay).write_text("- " * 50_000 + "x\n")


@maker
def yaml_50mb(lay: Layout) -> None:
    line = "  - {term: word, definition: a definition long enough to fill the file quickly}\n"
    with _hostile(lay).open("w") as fh:
        fh.write("glossary:\n")
        fh.write(line * (50 * MB // len(line) + 1))


@maker
def huge_scalar(lay: Layout) -> None:
    _hostile(lay).write_text("glossary:\n  - term: long\n    definition: " + "x" * 300_000 + "\n")


@maker
def empty_story(lay: Layout) -> None:
    for path in lay.story.iterdir():
        path.unlink()
    (lay.story / "story.yaml").write_bytes(b"")


@maker
def fifo(lay: Layout) -> None:
    os.mkfifo(_hostile(lay))


@maker
def symlink_outside(lay: Layout) -> None:
    secret = lay.root / "outside" / "secret.yaml"
    secret.write_text("glossary:\n  - term: secret\n    definition: read from outside the story folder\n")
    _hostile(lay).symlink_to(secret)


@maker
def symlink_loop(lay: Layout) -> None:
    _hostile(lay).symlink_to(lay.story / "other.yaml")
    (lay.story / "other.yaml").symlink_to(_hostile(lay))


@maker
def symlink_folder_outside(lay: Layout) -> None:
    outside = lay.root / "outside" / "more"
    outside.mkdir()
    (outside / "broken.yaml").write_text("nodes: [[[\n")  # would be an error if it were read
    (lay.story / "more").symlink_to(outside, target_is_directory=True)


@maker
def deep_folders(lay: Layout) -> None:
    here = os.getcwd()
    lay.cleanups.append(lambda: remove_chain(lay.story))
    try:
        os.chdir(lay.story)
        for _ in range(1500):  # deeper than Python's recursion limit (1000)
            os.mkdir("a")
            os.chdir("a")
        Path("deep.yaml").write_text("glossary: []\n")
    finally:
        os.chdir(here)


def remove_chain(top: Path) -> None:
    """Remove a deep a/a/a/... chain bottom-up without recursion (shutil.rmtree,
    and so pytest's own clean-up, would overflow the stack on it)."""
    here = os.getcwd()
    try:
        os.chdir(top)
        depth = 0
        while os.path.isdir("a") and not os.path.islink("a"):
            os.chdir("a")
            depth += 1
        for name in os.listdir("."):
            os.unlink(name)
        for _ in range(depth):
            os.chdir("..")
            os.rmdir("a")
    finally:
        os.chdir(here)


@maker
def too_many_files(lay: Layout) -> None:
    for i in range(1001):
        (lay.story / f"extra_{i:04}.yaml").write_text("glossary: []\n")


@maker
def escape_file_name(lay: Layout) -> None:
    (lay.story / "\x1b]0;owned\x07.yaml").write_text("nodes: 5\n")


@maker
def non_utf8_file_name(lay: Layout) -> None:
    (lay.story / os.fsdecode(b"bad\xff.yaml")).write_text("nodes: 5\n")


@maker
def many_unknown_targets(lay: Layout) -> None:
    """6,000 scenes whose 18,000 choices all lead nowhere: every wrong goto used
    to compare itself with every id for a "did you mean" (minutes)."""
    lines = ["nodes:"]
    for i in range(6000):
        lines += [f"  - id: s{i}", f"    title: Scene {i}", "    basis: hypothetical", "    text: A scene.", "    choices:"]
        lines += [f"      - {{id: c{k}, text: Go on., goto: nowhere_{i}_{k}}}" for k in range(3)]
    _hostile(lay).write_text("\n".join(lines) + "\n")


@maker
def many_event_gotos(lay: Layout) -> None:
    """3,000 scenes and 3,000 events that each send the story to one of them:
    the reachability check used to copy every event's goto into every scene
    (nine million entries, about 400 MB)."""
    lines = ["nodes:"]
    for i in range(3000):
        goto = f"s{i + 1}" if i < 2999 else "contingent"
        lines += [f"  - id: s{i}", f"    title: Scene {i}", "    basis: hypothetical", "    text: A scene."]
        lines += [f"    choices: [{{id: go, text: Go on., goto: {goto}}}]"]
    lines.append("events:")
    for i in range(3000):
        lines.append(f"  - {{id: e{i}, title: Event, basis: hypothetical, text: Something happens., chance: 0, goto: s{i}}}")
    _hostile(lay).write_text("\n".join(lines) + "\n")


def _condition(lay: Layout, text: str) -> None:
    template = (HERE / "templates" / "condition.yaml").read_text(encoding="utf-8")
    _hostile(lay).write_text(template.replace("@COND@", text), encoding="utf-8")


@maker
def condition_100kb(lay: Layout) -> None:
    _condition(lay, "us + " * 20_000 + "0 > 1")


@maker
def condition_deep_parentheses(lay: Layout) -> None:
    _condition(lay, "(" * 100 + "us > 1" + ")" * 100)


@maker
def condition_not_chain(lay: Layout) -> None:
    _condition(lay, "not " * 100 + "true")


def _text_story(lay: Layout, text: str) -> None:
    for path in lay.story.iterdir():
        path.unlink()
    template = (HERE / "templates" / "text-story.yaml").read_text(encoding="utf-8")
    body = template.replace("@BARE@", yaml_quote(text)[1:-1]).replace("@TEXT@", yaml_quote(text))
    (lay.story / "story.yaml").write_text(body, encoding="utf-8")


@maker
def long_line(lay: Layout) -> None:
    _text_story(lay, "W" * 99_000)


def _save(lay: Layout, data: bytes | str) -> None:
    target = lay.saves / "hostile.json"
    target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


@maker
def truncated_save(lay: Layout) -> None:
    _save(lay, lay.good_save[:120])


@maker
def huge_int_save(lay: Layout) -> None:
    d = good_dict(lay)
    d["seed"] = "@SEED@"
    _save(lay, json.dumps(d, indent=2).replace('"@SEED@"', "9" * 5000))


@maker
def older_story_save(lay: Layout) -> None:
    from game.engine import new_game
    from game.engine.core import choose
    from game.saves import write_save
    from game.story import load_story

    old = lay.root / "old-story"
    shutil.copytree(STARTER, old)
    (old / "story.yaml").write_text((old / "story.yaml").read_text().replace('version: "0.1.0"', 'version: "0.0.9"'))
    nodes = (old / "nodes.yaml").read_text()
    assert "      - id: wait\n" in nodes
    (old / "nodes.yaml").write_text(nodes.replace("      - id: wait\n", "      - id: delay\n"))
    story = load_story(old)
    assert story.version == "0.0.9"
    write_save(lay.saves / "hostile.json", story, choose(story, new_game(story, 3, "Student"), "delay"))
    shutil.rmtree(old)


@maker
def deep_save(lay: Layout) -> None:
    _save(lay, "[" * 100_000 + "]" * 100_000)


@maker
def long_history_save(lay: Layout) -> None:
    d = good_dict(lay)
    d["history"] = d["history"] * 10_001
    _save(lay, json.dumps(d))


@maker
def save_50mb(lay: Layout) -> None:
    with (lay.saves / "hostile.json").open("wb") as fh:
        fh.write(b"{" + b" " * (50 * MB - 2) + b"}")


@maker
def pickle_save(lay: Layout) -> None:
    _save(lay, pickle.dumps(good_dict(lay), protocol=pickle.HIGHEST_PROTOCOL))


@maker
def empty_save(lay: Layout) -> None:
    _save(lay, b"")


@maker
def array_save(lay: Layout) -> None:
    _save(lay, json.dumps([good_dict(lay)]))


@maker
def bom_save(lay: Layout) -> None:
    _save(lay, b"\xef\xbb\xbf" + lay.good_save)


@maker
def fifo_save(lay: Layout) -> None:
    os.mkfifo(lay.saves / "hostile.json")


@maker
def folder_save(lay: Layout) -> None:
    (lay.saves / "hostile.json").mkdir()


@maker
def long_player_save(lay: Layout) -> None:
    d = good_dict(lay)
    d["player"] = "P" * 201
    _save(lay, json.dumps(d))


@maker
def escaped_player_save(lay: Layout) -> None:
    from game.engine import new_game
    from game.saves import write_save
    from game.story import load_story

    story = load_story(lay.story)
    write_save(lay.saves / "hostile.json", story, new_game(story, 5, "\x1b]0;owned\x07Eve\x1b[2J\u202e"))


@maker
def name_300(lay: Layout) -> None:
    lay.substitutions["@NAME@"] = "n" * 300


@maker
def non_utf8_name(lay: Layout) -> None:
    lay.substitutions["@NAME@"] = os.fsdecode(b"Ev\xffe")  # reaches the program as the byte 0xff


@maker
def slot_symlink_outside(lay: Layout) -> None:
    victim = lay.root / "outside" / "victim.txt"
    victim.write_text("a file the save must not overwrite\n")
    (lay.saves / "slot.json").symlink_to(victim)


@maker
def dangling_backup_link(lay: Layout) -> None:
    (lay.saves / ".slot.json.bak.tmp").symlink_to(lay.root / "outside" / "created-by-save.txt")


def set_path(data: dict[str, Any], dotted: str, marker: str) -> None:
    keys = dotted.split(".")
    node: Any = data
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = marker
    else:
        node[last] = marker


def mutate_save(lay: Layout, case: dict[str, Any]) -> None:
    text = lay.good_save.decode("utf-8")
    if "mutate" in case:
        d = good_dict(lay)
        raw: dict[str, str] = {}
        for i, (dotted, value) in enumerate(case["mutate"].items()):
            marker = f"@@VALUE{i}@@"
            set_path(d, dotted, marker)
            raw[json.dumps(marker)] = value  # the value is JSON text, written as it is
        text = json.dumps(d, indent=2, ensure_ascii=False)
        for marker, value in raw.items():
            text = text.replace(marker, value)
    if "replace" in case:
        old, new = case["replace"]
        assert old in text
        text = text.replace(old, new, 1)
    _save(lay, text)


# ------------------------------------------------------------------ cases
def prepare(case: dict[str, Any], lay: Layout) -> None:
    kind = case["kind"]
    files = HERE / "files" / case["id"]
    if files.is_dir():
        shutil.copytree(files, lay.story, dirs_exist_ok=True)
    if kind == "condition" and "condition" in case:
        _condition(lay, case["condition"])
    if kind == "text" and "text" in case:
        _text_story(lay, case["text"])
    if kind in ("save", "name"):
        make_good_save(lay)
    if "make" in case:
        MAKERS[case["make"]](lay)
    if kind == "save" and "make" not in case:
        mutate_save(lay, case)


def check_args(lay: Layout) -> list[str]:
    return ["check", str(lay.story)]


def play_args(lay: Layout, case: dict[str, Any]) -> list[str]:
    args = ["play", "--plain", "--story", str(lay.story), "--saves", str(lay.saves), "--seed", "1"]
    if case["kind"] == "text" and "name" in case:
        args += ["--name", case["name"]]
    if case["kind"] == "save":
        args += ["--load", "hostile"]
    for arg in case.get("args", []):
        for key, value in lay.substitutions.items():
            arg = arg.replace(key, value)
        args.append(arg)
    return args


def stdin_of(lay: Layout, case: dict[str, Any]) -> bytes:
    text = case.get("stdin", "1\n" * 6 + "m\n") + "q\n"  # quit (exit 0) where the input would end before an ending (exit 3)
    for key, value in lay.substitutions.items():
        text = text.replace(key, value)
    return text.encode("utf-8")


def assert_clean(run: Run) -> None:
    """No traceback, nothing a terminal would act on, within the memory bound."""
    for stream in (run.out, run.err):
        assert "Traceback" not in stream, stream[-2000:]
        bad = CONTROL.search(stream)
        assert bad is None, f"control character {bad.group()!r} in output: {stream[max(0, bad.start() - 80) : bad.end() + 80]!r}"
    assert run.memory_mb < MEMORY_LIMIT_MB, f"{run.memory_mb:.0f} MB used"


def one_line_error(run: Run) -> str:
    """The single line on standard error of a failed command."""
    lines = run.err.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("tightrope: "), run.err
    return lines[0]


def expected_problem(case: dict[str, Any], root: Path) -> str:
    where = f"{root}/{case['where']}: " if "where" in case else ""
    return f"{where}{case.get('severity', 'error')} {case['code']}: "


def verify_check(case: dict[str, Any], lay: Layout, run: Run) -> None:
    assert_clean(run)
    assert run.exit == case.get("exit", 0), run.out
    assert run.err == "", run.err
    if "code" in case:
        lines = [line for line in run.out.splitlines() if expected_problem(case, lay.story) in line]
        assert lines, f"no line with {expected_problem(case, lay.story)!r} in:\n{run.out}"
        if "where" in case:
            assert lines[0].startswith(expected_problem(case, lay.story)), lines[0]
        if "message" in case:
            assert any(case["message"] in line for line in lines), lines


def verify_play_story(case: dict[str, Any], lay: Layout, run: Run) -> None:
    assert_clean(run)
    if case.get("exit", 0) == 0:
        assert run.exit == 0 and run.err == "", run.err
        assert "Choices:" in run.out
        return
    assert run.exit == 2
    line = one_line_error(run)
    assert line.startswith("tightrope: the story cannot be loaded: "), line
    assert f" error {case['code']}: " in line or case["code"] in {"Y015"}, line
    assert run.out == ""


def verify_play(case: dict[str, Any], lay: Layout, run: Run) -> None:
    assert_clean(run)
    assert run.exit == case["exit"], (run.out[-2000:], run.err)
    if case["exit"] != 0:
        line = one_line_error(run)
        if "where" in case:
            assert f"{lay.saves.resolve()}/{case['where']}: " in line, line
        assert case["message"] in line, line
        assert run.out == ""
    else:
        assert run.err == "", run.err
        if "message" in case:
            stream = run.err if case.get("stream", "stderr") == "stderr" else run.out
            assert case["message"] in stream, stream
            # the game goes on after the message: the next scene is shown
            assert "You chose:" in stream[stream.index(case["message"]) :], stream


def run_case(case: dict[str, Any], tmp: Path) -> list[Run]:
    lay = layout(tmp)
    try:
        return _run_case(case, lay)
    finally:
        for cleanup in lay.cleanups:
            cleanup()


def _run_case(case: dict[str, Any], lay: Layout) -> list[Run]:
    prepare(case, lay)
    before = snapshot(lay.root)
    runs: list[Run] = []
    kind = case["kind"]
    if kind in ("story", "condition", "text"):
        run = run_cli(check_args(lay), lay.cwd, lay.env)
        runs.append(run)
        verify_check(case, lay, run)
    if kind in ("story", "text"):
        run = run_cli(play_args(lay, case), lay.cwd, lay.env, stdin_of(lay, case))
        runs.append(run)
        verify_play_story(case, lay, run)
        if kind == "text":
            for literal in case.get("literal", []):
                assert literal in run.out, f"{literal!r} not shown as written"
            assert "Discussion questions" in run.out  # played to an ending
    if kind in ("save", "name"):
        run = run_cli(play_args(lay, case), lay.cwd, lay.env, stdin_of(lay, case))
        runs.append(run)
        verify_play(case, lay, run)
    changed = changes(before, snapshot(lay.root))
    allowed = set(case.get("may_change", []))
    found = "home/data/tightrope/endings-found.json"  # a game played to an ending counts it, in the data folder
    if found in changed:
        allowed |= {"home/data", "home/data/tightrope", found}
        assert json.loads((lay.root / found).read_text(encoding="utf-8"))["format"] == 1
    assert changed <= allowed, f"files written or changed: {sorted(changed - allowed)}"
    if kind in ("save", "name"):
        assert (lay.saves / "good.json").read_bytes() == lay.good_save
    return runs


# ------------------------------------------------------------------ tests
def test_corpus_is_big_and_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(CASES) >= 40
    known = {"story", "condition", "text", "save", "name"}
    for case in CASES:
        assert case["kind"] in known, case["id"]
        assert "make" not in case or case["make"] in MAKERS, case["id"]
        if case["kind"] in ("story", "condition"):
            assert "exit" in case, case["id"]
        if case["kind"] in ("save", "name"):
            assert "exit" in case and ("message" in case or case["exit"] == 0), case["id"]
    for folder in (HERE / "files").iterdir():
        assert folder.name in ids, f"files/{folder.name} belongs to no case"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_case(case: dict[str, Any], tmp_path: Path) -> None:
    runs = run_case(case, tmp_path)
    assert runs


def test_classroom_tools_over_every_hostile_save(tmp_path: Path) -> None:
    """`tightrope report` over a class folder holding every hostile save of the
    corpus (beside good ones), and `tightrope transcript` of the nastiest: a
    line per broken save, no traceback, no control character, no hang."""
    folder = tmp_path / "class"
    folder.mkdir()
    for case in (c for c in CASES if c["kind"] == "save"):
        lay = layout(tmp_path / case["id"])
        try:
            prepare(case, lay)
            source, target = lay.saves / "hostile.json", folder / f"{case['id']}.json"
            if source.is_fifo():
                os.mkfifo(target)
            elif source.is_dir():
                target.mkdir()
            else:
                shutil.copyfile(source, target)
            shutil.copyfile(lay.saves / "good.json", folder / f"good-{case['id']}.json")
        finally:
            for cleanup in lay.cleanups:
                cleanup()
    lay = layout(tmp_path / "run")
    before = snapshot(folder)
    run = run_cli(["report", "--story", str(lay.story), str(folder)], lay.cwd, lay.env)
    assert_clean(run)
    assert run.exit == 0 and "Traceback" not in run.err
    refused = [line for line in run.err.splitlines() if line.startswith("tightrope report: not counted: ")]
    # every broken save is listed (the folder named like a save is searched as a folder)
    broken = {c["id"] for c in CASES if c["kind"] == "save" and c["exit"] != 0} - {"save-folder"}
    assert {line.split("/class/")[1].split(".json:")[0] for line in refused} == broken, run.err
    for name in ("save-escapes-in-ids", "save-player-escapes-loads", "save-lone-surrogate-in-ids"):
        out = tmp_path / f"{name}.md"
        run = run_cli(["transcript", "--story", str(lay.story), "-o", str(out), str(folder / f"{name}.json")], lay.cwd, lay.env)
        assert_clean(run)
        assert run.exit in (0, 2)
        assert run.exit == 2 or CONTROL.search(out.read_text(encoding="utf-8")) is None
    assert changes(before, snapshot(folder)) == set()


# ------------------------------------------------------------------ report
def _report() -> Iterator[str]:
    yield f"{'case':40} {'kind':9} {'exit':>4} {'seconds':>8} {'peak MB':>8}"
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            runs = run_case(case, Path(tmp))
        for run in runs:
            what = f"{case['kind']}/{run.args[0]}" + ("*" if run.in_process else "")
            yield f"{case['id']:40} {what:9} {run.exit:>4} {run.seconds:>8.2f} {run.memory_mb:>8.1f}"


if __name__ == "__main__":
    for row in _report():
        print(row, flush=True)
