"""``python -m game``: the tightrope command, and the two kinds of process ``tightrope serve`` starts.

``python -m game --warm-process ...`` is the warm process browser sessions
fork from (game/classroom/warm.py) and ``python -m game --tethered play ...``
a game started plain that ends with its server (game/classroom/tether.py).
Both are given the CLI's ``main`` here, so that nothing but this entry point
imports game/cli.py.
"""

import sys

from .cli import main


def entry(argv: list[str]) -> int:
    if argv[:1] == ["--warm-process"]:
        from .classroom.warm import main as warm_main

        return warm_main(argv[1:], main)
    if argv[:1] == ["--tethered"]:
        from .classroom.tether import main as tether_main

        return tether_main(argv[1:], main)
    return main(argv)


raise SystemExit(entry(sys.argv[1:]))
