"""Make docs/editors-neovim.png: Neovim with `tightrope lsp`, driven in tmux.

    .venv/bin/python editors/neovim/screenshot.py

Needs nvim (0.7 or later), tmux and rsvg-convert. Opens a copy of the
starter story with a misspelt goto in Neovim (120x30, in a detached tmux
session), waits for the diagnostic, then opens the completion menu after
`goto: ` and, in a second shot, the hover on a meter; each screen is
captured with its colours, drawn as SVG (Rich) and converted to PNG.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.text import Text

ROOT = Path(__file__).resolve().parents[2]
TIGHTROPE = Path(sys.executable).with_name("tightrope")
SIZE = (120, 30)

INIT = """
vim.o.number = true
vim.o.signcolumn = "yes"
vim.o.completeopt = "menuone,noinsert"
vim.o.pumheight = 10
vim.o.laststatus = 2
vim.o.updatetime = 100
dofile({lua!r})
"""


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def wait_for(session: str, needle: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-e", "-t", session)
        if needle in tmux("capture-pane", "-p", "-t", session):
            return screen
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {needle!r}:\n" + tmux("capture-pane", "-p", "-t", session))


def save(screen: str, name: str, title: str) -> Path:
    console = Console(record=True, width=SIZE[0], force_terminal=True, color_system="256", file=open(os.devnull, "w"))
    console.print(Text.from_ansi(screen.rstrip("\n")), crop=True, soft_wrap=False)
    svg = ROOT / "docs" / f"{name}.svg"
    # drawn with a font every Linux has, at its own width; librsvg ignores
    # textLength and collapses spaces unless told to keep them
    body = console.export_svg(title=title, font_aspect_ratio=0.602)
    body = body.replace("Fira Code", "DejaVu Sans Mono").replace("&#160;", " ").replace("<svg ", '<svg xml:space="preserve" ', 1)
    svg.write_text(body, encoding="utf-8")
    png = svg.with_suffix(".png")
    subprocess.run(["rsvg-convert", "-o", str(png), str(svg)], check=True)
    svg.unlink()
    return png


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="tightrope-nvim-"))
    session = f"tightrope-shot-{os.getpid()}"
    try:
        story = work / "story"
        shutil.copytree(ROOT / "tests" / "stories" / "starter", story)
        nodes = story / "nodes.yaml"
        text = nodes.read_text().replace("goto: decision", "goto: decisoin", 1)
        nodes.write_text(text)
        line = text.split("\n").index("        goto: decisoin") + 1
        init = work / "init.lua"
        init.write_text(INIT.format(lua=str(ROOT / "editors" / "neovim" / "tightrope.lua")))
        env = f"TIGHTROPE={TIGHTROPE} TERM=xterm-256color"
        tmux(
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            str(SIZE[0]),
            "-y",
            str(SIZE[1]),
            f"env {env} nvim --clean -u {init} +{line - 6} {nodes}",
        )
        # the misspelt goto, underlined with the server's diagnostic
        wait_for(session, "did you mean")
        tmux("send-keys", "-t", session, f":{line}", "Enter", "zz")
        time.sleep(0.5)
        shots = [save(wait_for(session, "did you mean"), "editors-neovim-diagnostic", "Neovim: tightrope lsp, a misspelt goto")]
        # completion after "goto: "
        tmux("send-keys", "-t", session, "$", "b", "C")
        time.sleep(0.3)
        tmux("send-keys", "-t", session, "C-x", "C-o")
        shots.append(
            save(wait_for(session, "street_crisis"), "editors-neovim-completion", "Neovim: tightrope lsp, completion after goto:")
        )
        tmux("send-keys", "-t", session, "C-e", "Escape", "u")
        time.sleep(0.3)
        # hover on a meter id in effects
        effects = text.split("\n").index("        effects: {us: 8, domestic: -6}") + 1
        tmux("send-keys", "-t", session, f":{effects}", "Enter", "0", "f", "d", ":lua vim.lsp.buf.hover()", "Enter")
        shots.append(save(wait_for(session, "Range 0 to 100"), "editors-neovim-hover", "Neovim: tightrope lsp, hover on a meter"))
        tmux("send-keys", "-t", session, "Escape", ":qa!", "Enter")
        for shot in shots:
            print(shot.relative_to(ROOT))
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
