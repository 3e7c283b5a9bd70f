"""Browser play for a class: ``tightrope serve``.

textual-serve runs one game process per browser connection (the command
below), so students need only a browser, and every tab is its own game.
Saves are kept per player name (``play --per-player-saves``: the save
folder gets one sub-folder per player).

What this adds to textual-serve's Server:

* the page makes no request outside this computer (textual-serve's page
  asks Google Fonts for a font; that link is removed, the terminal falls back
  to a local monospace font) and gets a proper <title>;
* a cap on the games running at once, so a room of open tabs cannot
  exhaust the teacher's laptop;
* when listening on every interface (0.0.0.0), the address students type
  is guessed from this computer's network address, because the page tells
  the browser where to open the game's websocket and 0.0.0.0 is not an
  address a browser can reach.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp_jinja2
import jinja2
import textual_serve
from aiohttp import web
from textual_serve.server import Server

TITLE = "Tightrope"
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}
FULL_MESSAGE = "This Tightrope server is running as many games as it allows. Close a tab or try again in a minute."


def game_command(saves: Path, story: Path | None, python: str = sys.executable) -> str:
    """The shell command textual-serve runs for each browser connection."""
    parts = [python, "-m", "game", "play", "--per-player-saves", "--saves", str(saves.resolve())]
    if story is not None:
        parts += ["--story", str(story.resolve())]
    return subprocess.list2cmdline(parts) if os.name == "nt" else shlex.join(parts)


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


def page_template() -> str:
    """textual-serve's page without the external font and with a title."""
    original = (Path(textual_serve.__file__).parent / "templates" / "app_index.html").read_text(encoding="utf-8")
    text = re.sub(r"[ \t]*<link[^>]*fonts\.googleapis\.com[^>]*>\n?", "", original)
    return text.replace("<head>", "<head>\n    <title>{{ application.name }}</title>", 1)


class ClassroomServer(Server):
    """textual-serve's Server with a session cap and a page that stays offline."""

    def __init__(self, command: str, host: str, port: int, public_url: str | None = None, max_sessions: int = 60) -> None:
        super().__init__(command, host=host, port=port, title=TITLE, public_url=public_url)
        self.max_sessions = max_sessions
        self.sessions = 0
        self.banner: list[str] = []

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        aiohttp_jinja2.setup(app, loader=jinja2.DictLoader({"app_index.html": page_template()}))
        return app

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if self.sessions >= self.max_sessions:
            raise web.HTTPServiceUnavailable(text=FULL_MESSAGE)
        self.sessions += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions -= 1

    async def on_startup(self, app: web.Application) -> None:
        for line in self.banner:
            self.console.print(line, highlight=False, markup=False)


def serve(host: str, port: int, saves: Path, story: str | None, public_url: str | None, max_sessions: int) -> int:
    """Run the server until Ctrl+C; return the exit code."""
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
        saves.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot use the save folder {saves}: {exc.strerror or exc}") from None
    url, guessed = public_url_for(host, port, public_url)
    server = ClassroomServer(game_command(saves, story_dir), host, port, url, max_sessions)
    server.banner = banner(loaded.meta.title, host, url, guessed, saves, max_sessions)
    try:
        server.serve()
    except OSError as exc:
        raise UsageError(f"cannot listen on {url_host(host)}:{port}: {exc.strerror or exc}") from None
    return 0


def banner(title: str, host: str, url: str, guessed: bool, saves: Path, max_sessions: int) -> list[str]:
    lines = [f"Serving {title} to web browsers.", f"Open: {url}"]
    if guessed:
        lines.append("  (guessed from this computer's network address; if students cannot connect, give --public-url)")
    lines.append(f"Saves: {saves.resolve()} (one folder per player name)")
    if is_loopback(host):
        lines.append("Only this computer can connect. For a classroom network, use --host 0.0.0.0.")
    else:
        lines.append(
            f"Anyone who can reach this computer on port {url.rsplit(':', 1)[-1]} can open a game: there is no password. "
            f"At most {max_sessions} games run at once."
        )
    lines.append("Press Ctrl+C to stop.")
    return lines
