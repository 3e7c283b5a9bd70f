"""A browser session's game ends when the server that started it is gone.

``tightrope serve`` ends a tab's game itself when the tab closes. These
tethers cover the server ending without doing so (killed, crashed): the
game then ends itself, SIGTERM first (it quits as it would on Ctrl+C) and
SIGKILL ``END_GRACE`` seconds later if it is still there.

* a game forked by the warm process watches its connection to the server
  (``tether_to_connection``): the server never writes to it after the
  request, so anything read, or its end, means the session is over;
* a game started plain runs as ``python -m game.classroom.tether play
  ARGS...``: the same ``main`` as ``python -m game``, with a thread that
  watches for the server, its parent, to be gone (``tether_to_parent``).
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable

END_GRACE = 1.0  # seconds between SIGTERM and SIGKILL
PARENT_POLL = 1.0  # seconds between looks at the parent


def end_this_process() -> None:
    """SIGTERM to this process, then SIGKILL after END_GRACE (from a thread: the main one may be stuck)."""
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(END_GRACE)
    os.kill(os.getpid(), signal.SIGKILL)


def tether_to_connection(conn: socket.socket) -> None:
    """End this process once conn's other end closes (or sends anything)."""

    def watch() -> None:
        try:
            conn.recv(1)
        except OSError:
            pass
        end_this_process()

    threading.Thread(target=watch, name="tightrope-tether", daemon=True).start()


def tether_to_parent() -> None:
    """End this process once its parent has ended (it is then adopted by another process)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL)
        end_this_process()

    threading.Thread(target=watch, name="tightrope-tether", daemon=True).start()


def main(argv: list[str], game_main: Callable[[list[str]], int]) -> int:
    """A game tethered to its parent: ``game_main`` is the tightrope command's main (given by game/__main__.py)."""
    if os.name == "posix":  # elsewhere a process is not adopted when its parent ends: nothing to watch for
        tether_to_parent()
    return game_main(argv)
