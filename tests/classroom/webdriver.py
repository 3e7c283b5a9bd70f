"""A headless Chromium driven through chromedriver's W3C WebDriver protocol (JSON over HTTP), with the standard library only.

Used to test the teacher's page in a real browser: its script runs, its
table refreshes itself, and it prints.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import struct
import subprocess
import time
import urllib.request
import zlib
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """One headless Chromium session; close() ends the browser and chromedriver."""

    def __init__(self, width: int = 1200, height: int = 900) -> None:
        assert CHROMIUM and CHROMEDRIVER, "chromium and chromedriver are needed"
        self.port = _free_port()
        self.driver = subprocess.Popen(
            [CHROMEDRIVER, f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.driver.kill()
                    raise
                time.sleep(0.1)
        options = {
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                f"--window-size={width},{height}",
            ],
        }
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: object | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        with NO_PROXY.open(req, timeout=60) as r:
            return json.loads(r.read().decode()).get("value")

    def _s(self, method: str, path: str, body: object | None = None) -> Any:
        return self._call(method, f"/session/{self.session}{path}", body)

    def go(self, url: str) -> None:
        self._s("POST", "/url", {"url": url})

    def run(self, script: str, *args: object) -> Any:
        return self._s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait_for(self, script: str, within: float = 20, every: float = 0.2) -> Any:
        """Poll a script until it returns something truthy; return that."""
        deadline = time.monotonic() + within
        while True:
            value = self.run(script)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(every)

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self._s("GET", "/screenshot")))
        return path

    def pixels(self) -> list[list[tuple[int, int, int]]]:
        """The page as it looks now: rows of (red, green, blue)."""
        return png_pixels(base64.b64decode(self._s("GET", "/screenshot")))

    def print_pdf(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self._s("POST", "/print", {"background": False, "shrinkToFit": True})))
        return path

    def close(self) -> None:
        try:
            self._call("DELETE", f"/session/{self.session}")
        except OSError:
            pass
        finally:
            self.driver.terminate()
            try:
                self.driver.wait(10)
            except subprocess.TimeoutExpired:
                self.driver.kill()
                self.driver.wait(5)


def png_pixels(data: bytes) -> list[list[tuple[int, int, int]]]:
    """Decode an 8-bit RGB or RGBA PNG without interlacing (what Chromium's screenshots are) into rows of pixels."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, packed, width, height, step = 8, b"", 0, 0, 0
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace or colour not in (2, 6):
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
            step = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            packed += body
    raw, stride = zlib.decompress(packed), width * step
    rows: list[list[tuple[int, int, int]]] = []
    prev, i = bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - step] if x >= step else 0
            b = prev[x]
            c = prev[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                guess = a + b - c
                pa, pb, pc = abs(guess - a), abs(guess - b), abs(guess - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([(line[x], line[x + 1], line[x + 2]) for x in range(0, stride, step)])
        prev = line
    return rows
