"""The ``tightrope`` command: one console script, one subcommand per task.

Every subcommand is registered here, explicitly: ``play``, ``check`` and
``schema`` below, the author tools by :func:`game.author.cli.register` and
the classroom tools by :func:`game.classroom.cli.register`. Each parser
carries its handler (``set_defaults(handler=...)``), a few lines that call
the layers below. Nothing imports this module but ``game/__main__.py`` (and
the console script, which calls :func:`main`).

Errors the user can fix (:class:`~game.errors.UsageError`) are printed as one
line on standard error with exit 2; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence

from . import __version__
from .errors import UsageError
from .paths import story_dir

DEFAULT_COMMAND = "play"  # what `tightrope` does with no command word (`tightrope --seed 3` plays)
# the session's DEFAULT_MIN_RATIONALE and MAX_MIN_RATIONALE, written out so that playing does not
# import the session before the title screen is drawn (tests/test_plain.py checks they agree)
MIN_RATIONALE_HELP = "shortest rationale accepted in classroom mode (characters, default 40, at most 10000)"


def build_parser(play_only: bool = False) -> argparse.ArgumentParser:
    """The command line's parser; ``play_only`` leaves out every other command (and their imports)."""
    parser = argparse.ArgumentParser(
        prog="tightrope",
        description="Tightrope: a decision game about Pakistan's choice on the Gaza stabilization force. "
        "Run without a command to play in the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"tightrope {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _register_play(sub)
    if play_only:
        return parser
    from .author import cli as author_cli
    from .classroom import cli as classroom_cli
    from .lsp import cli as lsp_cli

    p = sub.add_parser("check", help="check a story folder and report every problem")
    p.add_argument("story", nargs="?", default=None, metavar="STORY_DIR", help="story folder (default: the shipped story)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(handler=cmd_check)
    sub.add_parser("schema", help="print the JSON Schema (draft-07) of story files").set_defaults(handler=cmd_schema)
    author_cli.register(sub)
    classroom_cli.register(sub)
    lsp_cli.register(sub)
    return parser


def _register_play(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("play", help="play the game (the terminal app, or --plain line mode)")
    p.add_argument("--story", default=None, metavar="DIR", help="story folder (default: the shipped story)")
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
    p.add_argument("--min-rationale", type=int, default=None, metavar="N", help=MIN_RATIONALE_HELP)
    p.add_argument("--hide-effects", action="store_true", help="do not show the direction of each choice's effects")
    p.add_argument("--no-undo", action="store_true", help="turn undo off (every undo is kept in the save when it is on)")
    p.add_argument(
        "--scenario",
        default=None,
        metavar="NAME",
        help="play one of the story's scenarios (lesson, ...) instead of the full story",
    )
    p.add_argument(
        "--per-player-saves",
        action="store_true",
        help="keep each player's saves in their own sub-folder (used by tightrope serve)",
    )
    p.add_argument("--debug", action="store_true", help="for authors: the app shows a watch of every flag and visit count")
    p.add_argument("--start", default=None, metavar="NODE", help="start a new game at this scene (for trying a scene)")
    p.add_argument(
        "--set",
        action="append",
        default=None,
        metavar="NAME=VALUE",
        help="a meter (us=40) or flag (consulted=true) value at the start; repeat for several",
    )
    p.set_defaults(handler=cmd_play)
    p.epilog = (
        "Exit status: 0 when the game ends or you quit, 2 for a problem with the options, the story or a save; "
        "in --plain mode, 3 when the input ends before the game reaches an ending."
    )


def cmd_check(args: argparse.Namespace) -> int:
    import json

    from .story import check_story
    from .story.diagnostics import one_line, plural

    root = story_dir(args.story)
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
    shown = ((k.replace("_", " "), v) for k, v in result.stats.items())  # stats' keys are plural nouns
    stats = ", ".join(plural(v, name.removesuffix("s"), name) for name, v in shown)
    verdict = "ok" if not result.errors else "FAILED"
    print(
        f"{one_line(str(root), 4096)}: {verdict}: {plural(len(result.errors), 'error')}, {plural(len(result.warnings), 'warning')}"
        + (f" ({stats})" if stats else "")
    )
    return result.exit_code


def cmd_schema(args: argparse.Namespace) -> int:
    import json

    from .story.spec import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    if args.plain:
        from .plain import run_plain
        from .session import Settings

        return run_plain(Settings.from_args(args))  # raises UsageError for settings no session accepts
    from .tui.app import run_tui

    return run_tui(args)  # the app draws its title first, then reads the settings and the story


def commands(parser: argparse.ArgumentParser) -> list[str]:
    """The command words the parser knows, in the order of its help."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def with_command(argv: Sequence[str], known: Sequence[str]) -> list[str]:
    """The arguments with the command word first.

    No arguments, or options first (``tightrope --seed 3``), play. A first
    word that is not a command is refused with the nearest command, never
    played: ``tightrope chek story`` is a typo, not a game.
    """
    args = list(argv)
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help", "--version")):
        return [DEFAULT_COMMAND, *args]
    word = args[0]
    if word.startswith("-") or word in known:
        return args
    near = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    hint = f'did you mean "{near[0]}"?' if near else "commands: " + ", ".join(known)
    raise UsageError(f'unknown command "{word}" ({hint})')


def _say(exc: BaseException) -> None:
    from .story.diagnostics import one_line

    # messages quote saves and story files: one printable line, always
    print(f"tightrope: {one_line(str(exc), 4096)}", file=sys.stderr)


def plays(argv: Sequence[str]) -> bool:
    """True when the arguments play (no command word, options first, or "play"): the parser needs nothing else."""
    return not argv or argv[0] == DEFAULT_COMMAND or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"))


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(play_only=plays(raw))
    try:
        args_list = with_command(raw, commands(parser))
    except UsageError as exc:
        _say(exc)
        return 2
    args = parser.parse_args(args_list)
    try:
        result: int = args.handler(args)
        return result
    except UsageError as exc:
        _say(exc)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
