"""Where the story and the saves live."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent


def in_checkout() -> bool:
    """True when running from a source checkout (pyproject.toml and story/ beside game/)."""
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "story").is_dir()


def default_story() -> Path:
    if in_checkout():
        return CHECKOUT / "story"
    return PACKAGE / "bundled_story"


def story_dir(value: str | Path | None) -> Path:
    """A story folder given on the command line, or the default story."""
    return Path(value) if value else default_story()


def user_data_dir() -> Path:
    """$TIGHTROPE_DATA, else the platform's data folder for Tightrope (saves, endings found)."""
    env = os.environ.get("TIGHTROPE_DATA")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "tightrope"


def default_saves(cli_value: str | None = None) -> Path:
    """--saves DIR, else $TIGHTROPE_SAVES, else saves/ in a checkout, else the user data folder."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get("TIGHTROPE_SAVES")
    if env:
        return Path(env)
    if in_checkout():
        return CHECKOUT / "saves"
    return user_data_dir() / "saves"
