"""docs/authoring.md is run, block by block, so the tutorial never goes stale.

The page's markers (HTML comments, invisible when rendered) say what to do
with the fenced block that follows:

* ``<!-- file: PATH -->`` before a yaml block: write the block to PATH;
* ``<!-- edit: PATH | OLD | NEW -->`` before a yaml block: replace the one
  OLD in PATH with NEW, and the block must then appear in PATH as shown;
* ``<!-- exit: N -->`` before a console block: its commands exit with N
  (otherwise 0);
* ``<!-- output -->`` before a text block: every line of it appears in the
  output of the command just run.

Every ``$ `` line of a console block runs in a fresh folder with the
installed ``tightrope`` first on the PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from game.cli import build_parser

from .conftest import ROOT, TIGHTROPE

DOC = ROOT / "docs" / "authoring.md"
_BLOCK = re.compile(r"(?:<!--[ \t]*(?P<marker>[^\n]*?)[ \t]*-->[ \t]*\n)?```(?P<lang>[a-z]*)\n(?P<body>.*?)^```", re.S | re.M)


@dataclass
class Block:
    marker: str
    lang: str
    body: str


def blocks() -> list[Block]:
    return [
        Block(m.group("marker") or "", m.group("lang"), m.group("body")) for m in _BLOCK.finditer(DOC.read_text(encoding="utf-8"))
    ]


def run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{TIGHTROPE.parent}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    return subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command}"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_tutorial_runs(tmp_path: Path) -> None:
    ran = files = edits = outputs = 0
    skipped: list[str] = []
    last = ""
    for block in blocks():
        marker = block.marker
        if marker.startswith("file:"):
            path = tmp_path / marker.removeprefix("file:").strip()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.body, encoding="utf-8")
            files += 1
        elif marker.startswith("edit:"):
            target, old, new = (part.strip() for part in marker.removeprefix("edit:").split("|"))
            path = tmp_path / target
            text = path.read_text(encoding="utf-8")
            assert text.count(old) == 1, f"{target}: the edit needs exactly one {old!r}"
            path.write_text(text.replace(old, new), encoding="utf-8")
            assert block.body in path.read_text(encoding="utf-8"), f"after the edit, {target} does not read as the page shows"
            edits += 1
        elif block.lang == "console":
            want = int(marker.removeprefix("exit:").strip()) if marker.startswith("exit:") else 0
            for line in block.body.splitlines():
                assert line.startswith("$ "), f"a console block holds only commands: {line!r}"
                command = line[2:]
                if command.split()[0] == "dot" and shutil.which("dot") is None:
                    skipped.append(command)
                    continue
                proc = run(command, tmp_path)
                assert proc.returncode == want, (
                    f"$ {command}\nexit {proc.returncode}, expected {want}\n{proc.stdout}\n{proc.stderr}"
                )
                assert "Traceback" not in proc.stderr
                last = proc.stdout + proc.stderr
                ran += 1
        elif marker == "output":
            for line in block.body.splitlines():
                if line.strip():
                    assert line.strip() in last, f"the page shows {line.strip()!r}, the command printed:\n{last}"
            outputs += 1
    assert ran >= 12 and files >= 8 and edits == 2 and outputs >= 4
    # what the tutorial promised exists
    for name in ("mystory.dot", "debate.mmd", "report.json", "mystory/branch.yaml", "mystory/cast.yaml", "plans/debate.yaml"):
        assert (tmp_path / name).is_file(), name
    if skipped:
        warnings.warn(f"Graphviz is not installed; not run: {skipped}", stacklevel=1)
    else:
        assert (tmp_path / "mystory.svg").read_text(encoding="utf-8").rstrip().endswith("</svg>")


def test_the_reference_names_every_option() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    text = DOC.read_text(encoding="utf-8")
    for command in ("explore", "graph", "replay"):
        for action in sub.choices[command]._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert f"`{option}" in text, f"docs/authoring.md does not document {command} {option}"
