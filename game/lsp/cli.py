"""``tightrope lsp``: the language server's subcommand.

``register(sub)`` adds the subcommand to the CLI's subparsers and returns its
handler; pygls is imported only when the server runs.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

HELP = "language server for story folders (diagnostics, completion, navigation) on standard input and output"


def register(sub: Any) -> Callable[[argparse.Namespace], int]:
    """Add ``lsp`` to the subparsers ``sub``; return the handler to run it."""
    p = sub.add_parser(
        "lsp",
        help=HELP,
        description="Speak the Language Server Protocol on standard input and output, for an editor to start. "
        "See docs/editors.md for VS Code, Neovim and Helix.",
    )
    p.add_argument("--stdio", action="store_true", help="use standard input and output (the default and only transport)")
    p.add_argument("--log-file", default=None, metavar="FILE", help="write the server's own log to FILE (for debugging)")
    p.add_argument(
        "--debounce",
        type=float,
        default=None,
        metavar="SECONDS",
        help="quiet time after a change before the folder is checked again, when changes come quicker (default 0.03)",
    )
    p.set_defaults(handler=run)
    return run


def run(args: argparse.Namespace) -> int:
    """Serve until the editor says exit."""
    logging.getLogger("pygls").setLevel(logging.CRITICAL)  # stderr is the editor's log: no tracebacks there
    if args.log_file:
        logging.basicConfig(filename=args.log_file, level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        logging.getLogger("pygls").setLevel(logging.INFO)
    from .server import DEBOUNCE, serve

    debounce = args.debounce if args.debounce is not None and args.debounce >= 0 else DEBOUNCE
    serve(debounce)
    return 0
