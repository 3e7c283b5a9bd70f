"""What a player has found across games: the endings reached ("Endings found: N of M").

Kept in one small JSON file in the data folder (:func:`game.paths.user_data_dir`,
``$TIGHTROPE_DATA`` to move it), or in a ``.progress`` sub-folder of a player's own
save folder when each player's saves are kept apart. A file that cannot be read counts as nothing
found and is never overwritten: it is kept beside the new one as
``NAME.unreadable``. No Textual here: plain mode and the app both record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .paths import user_data_dir
from .saves import SaveError, atomic_write

FILE_NAME = "endings-found.json"
PROGRESS_FOLDER = ".progress"  # where a player's own save folder keeps it (a list of saves never looks inside)
FORMAT = 1
MAX_BYTES = 1024 * 1024


def default_file() -> Path:
    return user_data_dir() / FILE_NAME


def today() -> str:
    """Today's date (UTC) as the gallery records it: 2026-12-02."""
    return datetime.now(UTC).date().isoformat()


@dataclass
class EndingsFound:
    """The endings found in each story (by story id and ending id), with the day each was first found."""

    path: Path

    def read(self) -> dict[str, dict[str, str]]:
        """story id -> ending id -> the date it was first found; {} when there is no readable file."""
        return self._load() or {}

    def _load(self) -> dict[str, dict[str, str]] | None:
        """What the file holds; None when a file is there but cannot be read as ours."""
        try:
            if not self.path.is_file():
                return {}
            if self.path.stat().st_size > MAX_BYTES:
                return None
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        stories = data.get("stories") if isinstance(data, dict) and data.get("format") == FORMAT else None
        if not isinstance(stories, dict):
            return None
        out: dict[str, dict[str, str]] = {}
        for sid, found in stories.items():
            if isinstance(sid, str) and isinstance(found, dict):
                out[sid] = {str(e): str(d) for e, d in found.items() if isinstance(e, str) and isinstance(d, str)}
        return out

    def found(self, story_id: str) -> dict[str, str]:
        """The endings found in one story: ending id -> the date first found."""
        return self.read().get(story_id, {})

    def add(self, story_id: str, ending_id: str) -> bool:
        """Record an ending reached; True when it is newly found. Raises SaveError when the file cannot be written."""
        everything = self._load()
        if everything is None:
            self._keep_unreadable()
            everything = {}
        if ending_id in everything.get(story_id, {}):
            return False
        everything.setdefault(story_id, {})[ending_id] = today()
        atomic_write(self.path, json.dumps({"format": FORMAT, "stories": everything}, indent=2, sort_keys=True) + "\n")
        return True

    def _keep_unreadable(self) -> None:
        """A file that is there but unreadable (or from a newer Tightrope) is moved aside, never overwritten."""
        aside = self.path.with_name(self.path.name + ".unreadable")
        try:
            self.path.replace(aside)
        except OSError as exc:
            raise SaveError(f"cannot keep the unreadable {self.path} aside: {exc.strerror or exc}") from None
