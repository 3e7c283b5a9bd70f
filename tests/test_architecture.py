"""The shape of game/ (README, "Architecture"): imports only point down the layers.

Every import in game/ is read with ``ast`` (those inside functions too), so
a lazy import cannot hide a cycle or a front end reaching into another.
Imports under ``if TYPE_CHECKING:`` are left out: they never run, and a
screen may name the app's class in a type.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GAME = Path(__file__).resolve().parent.parent / "game"

# each part and the parts it may import (besides itself and the leaves)
LEAVES = {"game", "game.errors", "game.paths"}
LAYERS: dict[str, set[str]] = {
    "game.story": set(),
    "game.engine": {"game.story"},
    "game.saves": {"game.engine", "game.story"},
    "game.present": {"game.engine", "game.story"},
    "game.records": {"game.present", "game.saves", "game.engine", "game.story"},
    "game.progress": {"game.saves", "game.engine", "game.story"},
    "game.session": {"game.records", "game.progress", "game.present", "game.saves", "game.engine", "game.story"},
}
BELOW_FRONT_ENDS = set(LAYERS)
FRONT_ENDS = ("game.plain", "game.tui", "game.classroom", "game.author", "game.lsp")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(GAME.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of a module except those under ``if TYPE_CHECKING:``."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            todo += node.orelse
            continue
        out.append(node)
        todo += ast.iter_child_nodes(node)
    return out


def imports() -> dict[str, set[str]]:
    """Every module of game/ and the game modules it imports."""
    out: dict[str, set[str]] = {}
    for path in sorted(GAME.rglob("*.py")):
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not name.startswith(target + "."):  # `from . import x` inside a package: its sibling x, not itself
                    found.add(target)
                found |= {f"{target}.{a.name}" for a in node.names}  # `from p import x` may import a module p.x
        out[name] = found
    modules = set(out)
    return {m: {i for i in found if i in modules and i != m} for m, found in out.items()}


def part(module: str) -> str:
    """The part of the table a module belongs to (game.tui.app -> game.tui)."""
    for p in (*LAYERS, *FRONT_ENDS, "game.cli", "game.__main__"):
        if module == p or module.startswith(p + "."):
            return p
    return module


GRAPH = imports()


def test_the_graph_is_read() -> None:
    assert "game.tui.app" in GRAPH["game.cli"]
    assert "game.session" in GRAPH["game.plain"]


def test_no_import_cycle() -> None:
    seen: set[str] = set()
    stack: list[str] = []

    def visit(m: str) -> None:
        if m in stack:
            raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(m) :] + [m]))
        if m in seen:
            return
        stack.append(m)
        for n in sorted(GRAPH[m]):
            visit(n)
        stack.pop()
        seen.add(m)

    for m in sorted(GRAPH):
        visit(m)


def test_only_the_entry_point_imports_the_cli() -> None:
    users = sorted(m for m, found in GRAPH.items() if "game.cli" in found)
    assert users == ["game.__main__"]


@pytest.mark.parametrize("front", FRONT_ENDS)
def test_front_ends_never_import_each_other(front: str) -> None:
    for m, found in GRAPH.items():
        if part(m) != front:
            continue
        for target in found:
            assert part(target) not in set(FRONT_ENDS) - {front}, f"{m} imports {target}"
            assert part(target) not in ("game.cli", "game.__main__"), f"{m} imports {target}"


@pytest.mark.parametrize("layer", list(LAYERS))
def test_layers_import_only_down(layer: str) -> None:
    allowed = LAYERS[layer] | LEAVES | {layer}
    for m, found in GRAPH.items():
        if part(m) != layer:
            continue
        wrong = sorted(t for t in found if part(t) not in allowed)
        assert not wrong, f"{m} imports {wrong}"


def test_errors_is_a_leaf() -> None:
    assert GRAPH["game.errors"] == set()


def test_no_importlib_in_game() -> None:
    for path in GAME.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n.split(".")[0] == "importlib" for n in names), f"{path} imports importlib"


def test_dead_code_stays_gone() -> None:
    from game import engine, saves, session
    from game.engine import GameState

    assert not hasattr(saves, "finite") and not hasattr(engine, "meter_values")
    assert not hasattr(GameState, "over")
    assert not hasattr(session.Session, "needs_name") and not hasattr(session, "change_text")


def test_the_title_screen_needs_little_before_it_is_drawn() -> None:
    """`tightrope` draws its title before it reads the story (benchmarks/tui_startup.py): what playing imports
    up to then leaves out the story layer, the session, the saves, the other front ends and json."""
    import subprocess
    import sys

    probe = (
        "import sys; from game.cli import build_parser; build_parser(play_only=True); import game.tui.app; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('game.', 'json')))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert "game.tui.app" in out and "game.cli" in out  # the probe imported what playing does
    heavy = ("game.story", "game.engine", "game.session", "game.saves", "game.present", "game.lsp", "game.author")
    assert [m for m in out if m.startswith(heavy) or m == "json" or m.startswith("json.")] == []
