"""Nothing in game/ uses eval, exec, pickle, or a YAML loader other than the safe one."""

from __future__ import annotations

import ast
from pathlib import Path

GAME = Path(__file__).resolve().parent.parent / "game"
BANNED_CALLS = {"eval", "exec", "compile", "__import__"}
BANNED_MODULES = {"pickle", "cPickle", "marshal", "shelve", "dill"}
SAFE_YAML = {"safe_load", "safe_load_all", "parse", "compose", "safe_dump", "dump", "YAMLError", "MarkedYAMLError"}


def _sources() -> list[Path]:
    files = sorted(GAME.rglob("*.py"))
    assert len(files) > 10
    return files


def test_no_eval_exec_or_pickle() -> None:
    problems = []
    for path in _sources():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in BANNED_CALLS:
                problems.append(f"{path}:{node.lineno}: {node.func.id}()")
            if isinstance(node, ast.Import):
                problems += [
                    f"{path}:{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in BANNED_MODULES
                ]
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in BANNED_MODULES:
                problems.append(f"{path}:{node.lineno}: from {node.module} import ...")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "yaml":
                if node.attr in {"load", "load_all", "unsafe_load", "full_load", "FullLoader", "UnsafeLoader", "Loader"}:
                    problems.append(f"{path}:{node.lineno}: yaml.{node.attr}")
    assert problems == []


def test_the_scan_would_catch_a_violation(tmp_path: Path) -> None:
    bad = "import pickle\nimport yaml\nyaml.load(x)\neval('1')\n"
    tree = ast.parse(bad)
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    attrs = [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)]
    assert "eval" in calls and "load" in attrs
