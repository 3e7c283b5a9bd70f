"""serve for a class (issue 13): the teacher's settings reach every session; the teacher's view, in a real browser."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import aiohttp
import pytest

from game.saves import read_envelope, slug

from .conftest import ROOT, STARTER
from .test_serve import free_port, needs_proc, read_until, serve_args, server, wait_until
from .webdriver import CHROMEDRIVER, CHROMIUM, Browser

TODAY = date.today().isoformat()
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
CLASS_ARGS = ("--classroom", "--seed", "7", "--min-rationale", "30", "--no-undo")
needs_chromium = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromedriver installed")


def get(url: str) -> tuple[int, str]:
    try:
        with NO_PROXY.open(url, timeout=10) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def teacher_url(output: str) -> str:
    found = re.search(r"http://\S+/teacher\?key=[A-Za-z0-9_-]+", output)
    assert found, output
    return found.group(0)


async def student(port: int, name: str, reason: str, leave_open: asyncio.Event | None = None) -> str:
    """A browser tab: New game (the class settings shown fixed), a key decision with its rationale, an undo refused."""
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=32") as ws:
            await ws.send_str(json.dumps(["resize", {"width": 100, "height": 32}]))
            await read_until(ws, "a first scene")
            await ws.send_str(json.dumps(["stdin", "n"]))
            dialog = await read_until(ws, "Undo is off")
            await ws.send_str(json.dumps(["stdin", name]))
            await read_until(ws, name)
            await ws.send_str(json.dumps(["stdin", "\r"]))
            await read_until(ws, "The cable from Washington")
            await ws.send_str(json.dumps(["stdin", "1"]))
            await read_until(ws, "at least 30")
            await ws.send_str(json.dumps(["stdin", reason]))
            await ws.send_str(json.dumps(["stdin", "\r"]))
            await read_until(ws, "Friday")
            await ws.send_str(json.dumps(["stdin", "u"]))
            await read_until(ws, "turned off")
            if leave_open is not None:
                await leave_open.wait()
            return dialog


@needs_proc
@pytest.mark.parametrize("start", ["warm", "plain"])
def test_the_teachers_settings_reach_every_session_and_the_teacher_sees_them(start: str, tmp_path: Path) -> None:
    port = free_port()
    saves = tmp_path / "saves"
    args = serve_args(port, saves, *CLASS_ARGS, *(["--no-warm"] if start == "plain" else []))
    reasons = {
        "Amina Q": "Goodwill now keeps a seat where the rules are written.",
        "Bilal R": "Ask the eight first; a joint answer weighs more.",
    }
    with server(args, port) as srv:
        out = srv.output()
        assert "Every game: classroom mode (rationales of at least 30 characters), seed 7, undo off." in out
        url = teacher_url(out)
        assert get(url.split("?")[0])[0] == 403 and get(url.split("?")[0] + "?key=wrong")[0] == 403
        data = url.replace("/teacher?", "/teacher/data?")
        wrong = data[:-1] + ("y" if data.endswith("x") else "x")  # one character off (never the key itself)
        assert get(wrong)[0] == 403
        seen: dict[str, object] = {}

        async def lesson() -> None:
            done = asyncio.Event()
            tabs = [asyncio.create_task(student(port, name, why, done)) for name, why in reasons.items()]

            def both_in() -> bool:
                status, text = get(url.replace("/teacher?", "/teacher/data?"))
                rows = json.loads(text)["students"] if status == 200 else []
                seen["rows"] = rows
                return len(rows) == 2 and all(r["connected"] and r["decisions"] == 1 and r["rationales"] == 1 for r in rows)

            assert await asyncio.to_thread(wait_until, both_in, 60), seen
            done.set()
            seen["dialogs"] = await asyncio.gather(*tabs)

        asyncio.run(lesson())
        for dialog in seen["dialogs"]:  # type: ignore[union-attr]
            assert "Set for this class" in dialog and "Seed 7" in dialog and "Undo is off" in dialog  # type: ignore[operator]
        assert "Classroom mode: a rationale" not in str(seen["dialogs"])  # no box to untick

        def all_left() -> bool:
            rows = json.loads(get(url.replace("/teacher?", "/teacher/data?"))[1])["students"]
            return not any(r["connected"] for r in rows)

        assert wait_until(all_left, 15)  # the tabs are closed: nobody is playing now
        status, page = get(url)
        assert status == 200 and "Amina Q" in page and "Bilal R" in page
        link = re.search(r'href="(/teacher/record\?[^"]+)"', page)
        assert link
        status, record = get(url.split("/teacher")[0] + link.group(1).replace("&amp;", "&"))
        assert status == 200 and "Decision record: Amina Q" in record and reasons["Amina Q"] in record
        assert get(url.split("/teacher")[0] + f"/teacher/record?key={url.split('key=')[1]}&save=../../etc/passwd")[0] == 404
    for name, why in reasons.items():
        data = read_envelope(saves / slug(name) / f"{slug(name)}-{TODAY}.json")
        assert data.seed == 7 and [e.rationale for e in data.history] == [why]
        assert data.settings is not None and data.settings.classroom and data.settings.no_undo
        assert data.settings.min_rationale == 30 and data.undone == ()  # the undo was refused, not made


def test_serve_refuses_settings_no_game_would_take(tmp_path: Path) -> None:
    for extra, message in (
        (["--scenario", "lesso"], '--scenario: unknown scenario "lesso"'),
        (["--min-rationale", "-1"], "--min-rationale must be from 0 to 10000"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "game", "serve", "--saves", str(tmp_path), "--story", str(ROOT / "story"), *extra],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


# ------------------------------------------------------------------ the teacher's view in Chromium
class Playing:
    """A student playing in plain mode into the server's save folder (per-player), kept open until finished."""

    def __init__(self, saves: Path, name: str, lines: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "TIGHTROPE_SAVES"}
        args = [
            sys.executable,
            "-m",
            "game",
            "play",
            "--plain",
            "--per-player-saves",
            "--saves",
            str(saves),
            "--story",
            str(STARTER),
        ]
        args += ["--name", name, *CLASS_ARGS]
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(lines)
        self.proc.stdin.flush()

    def finish(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        # 3: the input ended before an ending (an unfinished game, kept in its save)
        assert self.proc.wait(30) in (0, 3), self.proc.stderr.read() if self.proc.stderr else ""


@needs_proc
@needs_chromium
def test_a_students_tab_has_the_keyboard_and_shows_the_keys_without_a_click(tmp_path: Path) -> None:
    """Textual's web driver starts a game blurred, and a blurred game draws an
    empty footer: the page focuses its terminal once the game has drawn."""
    port = free_port()
    with server(serve_args(port, tmp_path / "saves"), port):
        browser = Browser(1000, 600)
        try:
            browser.go(f"http://127.0.0.1:{port}/")
            assert browser.wait_for("return document.body.classList.contains('-first-byte')", within=60)
            assert browser.wait_for(
                "return document.activeElement && document.activeElement.className === 'xterm-helper-textarea'"
            )

            def footer_text() -> int:  # the footer is the bottom row: light text on it once the keys are drawn
                rows = browser.pixels()
                band = rows[len(rows) * 9 // 10 :]
                return sum(1 for row in band for r, g, b in row if 600 < r + g + b < 740)

            deadline = time.monotonic() + 20
            while footer_text() < 200 and time.monotonic() < deadline:
                time.sleep(0.3)
            assert footer_text() >= 200, "the footer's keys are not drawn"
        finally:
            browser.close()


@needs_proc
@needs_chromium
def test_the_teacher_view_in_headless_chromium(tmp_path: Path) -> None:
    port = free_port()
    saves = tmp_path / "saves"
    shots = Path(os.environ.get("TIGHTROPE_SHOTS", tmp_path))
    done = Playing(saves, "Amina Q", "1\nGoodwill now keeps a seat where the rules are written.\n1\n1\n")
    done.finish()
    with server(serve_args(port, saves, *CLASS_ARGS, "--no-warm"), port) as srv:
        url = teacher_url(srv.output())
        browser = Browser()
        try:
            browser.go(url)
            assert browser.wait_for("return document.querySelectorAll('#students tr').length === 1")
            assert "Amina Q" in browser.run("return document.getElementById('students').innerText")
            browser.run("window.stayed = 'this page was not reloaded';")
            # a second student starts playing: the page shows them, without a reload
            late = Playing(saves, "Bilal <b>R</b>", "3\nParliament must own this before we promise anything at all.\n")
            try:
                rows = browser.wait_for(
                    "var r = document.querySelectorAll('#students tr');"
                    "return r.length === 2 && r[1].cells[1].textContent === 'yes' && r[1].cells[5].textContent === '1'"
                    " ? document.getElementById('students').innerText : '';",
                    within=30,
                )
                assert rows and "Bilal <b>R</b>" in rows  # shown as text, never as markup
                assert browser.run("return document.querySelectorAll('#students b').length") == 0
                assert browser.run("return window.stayed") == "this page was not reloaded"
                assert "refreshes itself" in browser.run("return document.getElementById('status').textContent")
                browser.screenshot(shots / "teacher-view.png")
                browser.print_pdf(shots / "teacher-view.pdf")
            finally:
                late.finish()
            # each student's record is linked and opens
            browser.run("document.querySelector('#students tr a').click();")
            assert browser.wait_for("return document.title.indexOf('Decision record: Amina Q') === 0 ? document.title : ''")
            browser.screenshot(shots / "teacher-record.png")
            # nothing was asked of any other address
            hosts = browser.run(
                "return performance.getEntriesByType('resource').map(function (e) { return new URL(e.name).host; });"
            )
            assert all(h == f"127.0.0.1:{port}" for h in hosts), hosts
        finally:
            browser.close()
    assert (shots / "teacher-view.pdf").read_bytes().startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")  # poppler-utils: .ci/run installs it
    if pdftotext is not None:  # the print has the table, not the refresh line
        printed = subprocess.run([pdftotext, str(shots / "teacher-view.pdf"), "-"], capture_output=True, text=True)
        assert printed.returncode == 0, printed.stderr
        assert "Amina Q" in printed.stdout and "refreshes itself" not in printed.stdout


def test_a_game_started_without_a_decision_is_listed_from_its_lock(tmp_path: Path) -> None:
    from game.classroom.teacher import class_status
    from game.saves import SlotLock
    from game.story import load_story

    lock = SlotLock.acquire(tmp_path / "Chen-L" / f"Chen-L-{TODAY}.json", "Chen L")
    try:
        (row,) = class_status(tmp_path, load_story(STARTER))
        assert (row.student, row.connected, row.decisions, row.save) == ("Chen L", True, 0, "")
        assert row.scene == "The cable from Washington (no decision yet)"
    finally:
        lock.release()
    assert class_status(tmp_path, load_story(STARTER)) == []
