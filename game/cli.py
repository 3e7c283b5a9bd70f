"""The ``tightrope`` command: one console script, one subcommand per task.

Each subcommand is a few lines that call the layers below. Errors the user
can fix are printed as one line on standard error with a non-zero exit;
no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .paths import default_story

Handler = Callable[[argparse.Namespace], int]
_HANDLERS: dict[str, Handler] = {}


class UsageError(Exception):
    """A problem with what the user asked for: printed as one line, exit 2."""


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[name] = fn
        return fn

    return register


def _story_arg(p: argparse.ArgumentParser, positional: bool = True) -> None:
    if positional:
        p.add_argument("story", nargs="?", default=None, metavar="STORY_DIR", help="story folder (default: the shipped story)")
    else:
        p.add_argument("--story", default=None, metavar="DIR", help="story folder (default: the shipped story)")


def story_path(value: str | None) -> Path:
    return Path(value) if value else default_story()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tightrope",
        description="Tightrope: a decision game about Pakistan's choice on the Gaza stabilization force. "
        "Run without a command to play in the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"tightrope {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("play", help="play the game (the terminal app, or --plain line mode)")
    _story_arg(p, positional=False)
    p.add_argument("--plain", action="store_true", help="line mode for screen readers, pipes and scripted play")
    p.add_argument("--seed", type=int, default=None, help="random seed (the same seed and choices give the same game)")
    p.add_argument("--name", default=None, help="player name")
    p.add_argument("--load", default=None, metavar="SAVE", help="load a save (a slot name or a file)")
    p.add_argument("--autosave", default=None, metavar="NAME", help="save to this slot after every decision")
    p.add_argument(
        "--saves",
        default=None,
        metavar="DIR",
        help="save folder (default: $TIGHTROPE_SAVES, saves/ in a checkout, or your data folder)",
    )
    p.add_argument(
        "--classroom", action="store_true", help="classroom mode: rationales at key decisions, a save after every decision"
    )
    p.add_argument(
        "--min-rationale",
        type=int,
        default=40,
        metavar="N",
        help="shortest rationale accepted in classroom mode (characters, default 40)",
    )
    p.add_argument("--hide-effects", action="store_true", help="do not show the direction of each choice's effects")
    p.add_argument(
        "--per-player-saves",
        action="store_true",
        help="keep each player's saves in their own sub-folder (used by tightrope serve)",
    )

    p = sub.add_parser("check", help="check a story folder and report every problem")
    _story_arg(p)
    p.add_argument("--format", choices=["text", "json"], default="text")

    sub.add_parser("schema", help="print the JSON Schema (draft-07) of story files")

    from .lsp import cli as lsp_cli

    _HANDLERS["lsp"] = lsp_cli.register(sub)

    for name, register in _EXTRA_PARSERS:
        register(sub.add_parser(name, help=_EXTRA_HELP[name]))
    return parser


# other modules add their subcommands here (explore, graph, replay, ...)
_EXTRA_PARSERS: list[tuple[str, Callable[[argparse.ArgumentParser], None]]] = []
_EXTRA_HELP: dict[str, str] = {}


def subcommand(
    name: str, help: str
) -> Callable[[Callable[[argparse.ArgumentParser], None]], Callable[[argparse.ArgumentParser], None]]:
    def register(fn: Callable[[argparse.ArgumentParser], None]) -> Callable[[argparse.ArgumentParser], None]:
        _EXTRA_PARSERS.append((name, fn))
        _EXTRA_HELP[name] = help
        return fn

    return register


@command("check")
def cmd_check(args: argparse.Namespace) -> int:
    from .story import check_story
    from .story.diagnostics import one_line

    root = story_path(args.story)
    result = check_story(root)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "errors": [p.as_dict() for p in result.errors],
                    "warnings": [p.as_dict() for p in result.warnings],
                    "stats": result.stats,
                },
                indent=2,
            )
        )
        return result.exit_code
    for problem in result.problems:
        print(problem)
    if result.fatal:
        return 2
    stats = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in result.stats.items())
    verdict = "ok" if not result.errors else "FAILED"
    print(
        f"{one_line(str(root), 4096)}: {verdict}: {len(result.errors)} errors, {len(result.warnings)} warnings"
        + (f" ({stats})" if stats else "")
    )
    return result.exit_code


@command("schema")
def cmd_schema(args: argparse.Namespace) -> int:
    from .story.spec import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


@command("play")
def cmd_play(args: argparse.Namespace) -> int:
    if args.plain:
        from .plain import run_plain

        return run_plain(args)
    from .tui.app import run_tui

    return run_tui(args)


def _load_plugins() -> None:
    """Import the modules that register further subcommands."""
    import importlib

    for module in ("game.author.cli", "game.classroom.cli"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def main(argv: Sequence[str] | None = None) -> int:
    _load_plugins()
    parser = build_parser()
    args_list = list(sys.argv[1:] if argv is None else argv)
    known = set(_HANDLERS) | {name for name, _ in _EXTRA_PARSERS}
    if not args_list or (args_list[0] not in known and args_list[0] not in ("-h", "--help", "--version")):
        args_list = ["play", *args_list]  # `tightrope --seed 3` plays
    args = parser.parse_args(args_list)
    handler = _HANDLERS[args.command]
    try:
        return handler(args)
    except UsageError as exc:
        from .story.diagnostics import one_line

        # messages quote saves and story files: one printable line, always
        print(f"tightrope: {one_line(str(exc), 4096)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
