"""Shared set-up of the fuzz targets (see docs/security.md, "Fuzzing").

Each target is run as ``python tests/fuzz/fuzz_NAME.py [libFuzzer flags]``.
With no corpus folder on the command line, new inputs go to
``$TIGHTROPE_FUZZ_DIR/NAME`` (default: a folder under the system temp dir)
and the committed seeds in ``tests/fuzz/seeds/NAME`` are read too.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
STARTER = ROOT / "tests" / "stories" / "starter"

if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))


def argv(name: str) -> list[str]:
    """sys.argv with the default corpus folders added when none is given."""
    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):
        work = Path(os.environ.get("TIGHTROPE_FUZZ_DIR", Path(tempfile.gettempdir()) / "tightrope-fuzz")) / name
        work.mkdir(parents=True, exist_ok=True)
        args += [str(work), str(HERE / "seeds" / name)]
    return args


def scratch() -> Path:
    """A private folder for files the target writes on every run (RAM-backed when possible)."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    return Path(tempfile.mkdtemp(prefix="tightrope-fuzz-", dir=base))
