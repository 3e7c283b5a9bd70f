"""A story folder as the editor sees it: the files on disk, with the
editor's unsaved buffers in their place.

The story layer checks the folder itself, with the text of each open
buffer in place of its file (``check_story(root, overrides=...)``); nothing
is copied or written. The codes, messages and "did you mean" are therefore
exactly those of ``tightrope check``.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from game.story import Problem, check_story
from game.story.loader import EXTENSIONS, MAX_ENTRIES, FileCache, story_files
from game.story.yamlsafe import MAX_FILE_BYTES

from .index import FileIndex, FolderIndex, IndexStopped, index_file

# a top-level `story:` key marks the folder that holds the story
_STORY_KEY = re.compile(rb"^story[ \t]*:", re.MULTILINE)
_STORY_KEY_TEXT = re.compile(r"^story[ \t]*:", re.MULTILINE)
MAX_SCAN = 1000  # YAML files looked at in one folder while looking for the story folder
WATCH_SECONDS = 0.5  # how often a worker process looks whether the server is still there


def is_story_file(path: Path) -> bool:
    return path.name.endswith(EXTENSIONS) and not path.name.startswith(".")


def has_story_section(text: str) -> bool:
    return _STORY_KEY_TEXT.search(text) is not None


class RootFinder:
    """Finds the story folder of a file: the nearest folder, from the file's
    own upwards, that holds a YAML file with a ``story:`` section; failing
    that, the file's own folder."""

    def __init__(self) -> None:
        self._seen: dict[Path, tuple[int, int, bool]] = {}  # path -> (mtime, size, has story)

    def root_of(self, path: Path, buffers: Mapping[Path, str]) -> Path:
        folder = path.parent
        for candidate in (folder, *folder.parents):
            if self._holds_story(candidate, buffers):
                return candidate
        return folder

    def _holds_story(self, folder: Path, buffers: Mapping[Path, str]) -> bool:
        for path, text in buffers.items():
            if path.parent == folder and is_story_file(path) and has_story_section(text):
                return True
        try:
            with os.scandir(folder) as it:
                names = []
                for count, entry in enumerate(it):
                    if entry.name.endswith(EXTENSIONS) and not entry.name.startswith("."):
                        names.append(entry)
                    if len(names) >= MAX_SCAN or count >= MAX_ENTRIES:
                        break
        except OSError:
            return False
        for entry in names:
            path = folder / entry.name
            if path in buffers:
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            if not entry.is_file() or st.st_size > MAX_FILE_BYTES:
                continue
            seen = self._seen.get(path)
            if seen is None or seen[:2] != (st.st_mtime_ns, st.st_size):
                try:
                    found = _STORY_KEY.search(path.read_bytes()) is not None
                except OSError:
                    found = False
                seen = (st.st_mtime_ns, st.st_size, found)
                self._seen[path] = seen
            if seen[2]:
                return True
        return False


@dataclass
class CheckOutcome:
    """Problems of one check, by real file; ``folder_problems`` are about the folder itself."""

    by_file: dict[Path, list[Problem]] = field(default_factory=dict)
    folder_problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    story_hash: str | None = None


@dataclass
class CheckJob:
    """What a check needs: plain data, so that it can be sent to a worker process."""

    root: str
    walk_problems: list[Problem]
    files: list[Path]
    buffers: dict[str, bytes]  # the open buffers' text, by file


@dataclass
class IndexJob:
    """Files to index again: (the file's name, its text)."""

    files: list[tuple[str, str]]
    # files indexed in full even when the server asks the worker to stop: no
    # index of theirs that read as YAML is known yet, and the next version
    # may not (a file's last good index serves while it is broken)
    finish: frozenset[str] = frozenset()


class StopFlag(Protocol):
    """What the server sets to stop the worker's indexing (a process's or a thread's Event)."""

    def is_set(self) -> bool: ...


# set by the server when a change comes while the worker indexes: the
# change's check comes first, the index is made again later
_STOP: StopFlag | None = None


def use_stop(stop: StopFlag | None) -> None:
    """Start a worker thread: :func:`run_index` stops when ``stop`` is set."""
    global _STOP
    _STOP = stop


def quiet_worker(stop: StopFlag | None = None) -> None:
    """Start a worker process. It must never touch the protocol's pipes, so its
    standard input and output go to the null device (and the editor sees the
    server's output end when the server ends, not when its worker does); and
    it must not outlive the server, even one killed outright, so it watches
    for the server to go. Its indexing stops when ``stop`` is set."""
    use_stop(stop)
    # the worker runs the cyclic collector itself, between jobs (see _collect):
    # left to itself it ran at random points of a check's answer, up to 100 ms
    global _OWN_GC
    _OWN_GC = True
    gc.disable()
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="tightrope-watch-server", daemon=True).start()


# the worker process's own collection of reference cycles (a check leaves a
# few thousand objects in cycles): after the diagnostics are sent (at the
# start of the index that follows them), or before a check when so many
# checks ran without one in between (the author never paused)
_OWN_GC = False
_FROZEN = False
_UNCOLLECTED = 0  # checks since the last collection
COLLECT_EVERY = 8


def _collect() -> None:
    """Collect cycles now. The first time, what survives (the story as first
    read, in the file cache: most of what the worker keeps) is set aside
    from later collections (``gc.freeze``), which then take a few ms, not 100."""
    global _FROZEN, _UNCOLLECTED
    gc.collect()
    if not _FROZEN:
        gc.freeze()
        _FROZEN = True
    _UNCOLLECTED = 0


# what reading each file found, by story folder, in the process that checks
# (the worker): a file unchanged since the last check is not read again
_CACHES: dict[str, FileCache] = {}


def run_check(job: CheckJob) -> tuple[list[Problem], str | None]:
    """The story layer's check of the folder with the buffers in place of their files (run in a worker process)."""
    global _UNCOLLECTED
    if _OWN_GC:
        if _UNCOLLECTED >= COLLECT_EVERY:
            _collect()
        _UNCOLLECTED += 1
    cache = _CACHES.setdefault(job.root, FileCache())
    result = check_story(Path(job.root), overrides=job.buffers, cache=cache)
    return result.problems, result.story.hash if result.story is not None else None


def run_index(job: IndexJob) -> list[FileIndex]:
    """Index the changed files (run in a worker process); if the server asks
    it to stop meanwhile (a newer change is waiting), the files indexed so far.

    Of the files with no index yet (``job.finish``), the first is always
    indexed in full, so that every job gets one further; the others stop too,
    and are in the next job. A change typed while a story is first indexed
    (11 files, about 140 ms for the shipped story) waits for one file at most,
    not for all of them."""
    if _OWN_GC:
        _collect()  # the diagnostics are sent: now is the time
    stop = _STOP.is_set if _STOP is not None else None
    out = []
    finished = False  # one file with no index yet is finished in full, whatever the server asks
    for name, text in job.files:
        must = name in job.finish and not finished
        try:
            out.append(index_file(name, text, None if must else stop))
        except IndexStopped:
            continue  # (the next one stops at once, unless it is to be finished)
        finished = finished or must
    return out


class Folder:
    """One story folder: its last check and its index.

    A check is three steps, so that the middle one can run in another
    process: :meth:`prepare` (list the files, gather the buffers), the story
    layer's check (:func:`run_check`), and :meth:`finish` (the problems by
    file). :meth:`check` does all three.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._indexes: dict[Path, FileIndex] = {}
        self._disk: dict[Path, tuple[int, int, str]] = {}  # path -> (mtime, size, text)
        self._listed: list[Path] | None = None  # the story files the last check found
        self._folder_index: tuple[tuple[int, ...], FolderIndex] | None = None
        self.story_hash: str | None = None  # the content hash of the last check that loaded

    # -- files
    def files(self, buffers: Mapping[Path, str], problems: list[Problem] | None = None, walk: bool = True) -> list[Path]:
        """The folder's story files as the loader lists them, and any open
        buffer inside it that is not saved yet. Without ``walk``, the list the
        last check found is used (the folder is walked again at each check)."""
        if walk or self._listed is None:
            self._listed = [path for path, _ in story_files(self.root, problems if problems is not None else [])]
        found = list(self._listed)
        listed = set(found)
        for path in buffers:
            if path not in listed and is_story_file(path) and self.root in path.parents and not _hidden(path, self.root):
                found.append(path)
        return sorted(found)

    def text(self, path: Path, buffers: Mapping[Path, str]) -> str | None:
        """A file's text: the editor's buffer when it is open, else the disk's."""
        if path in buffers:
            return buffers[path]
        try:
            st = path.stat()
        except OSError:
            return None
        cached = self._disk.get(path)
        if cached is not None and cached[:2] == (st.st_mtime_ns, st.st_size):
            return cached[2]
        if st.st_size > MAX_FILE_BYTES:
            return None
        try:
            text = path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return None
        self._disk[path] = (st.st_mtime_ns, st.st_size, text)
        return text

    # -- checking
    def check(self, buffers: Mapping[Path, str]) -> CheckOutcome:
        """Check the folder with the buffers in place of their files (all in this process)."""
        job = self.prepare(buffers)
        return self.finish(job, *run_check(job))

    def prepare(self, buffers: Mapping[Path, str]) -> CheckJob:
        """List the folder's files and gather the text of its open buffers."""
        walk_problems: list[Problem] = []
        files = self.files(buffers, walk_problems)
        given = {str(path): buffers[path].encode("utf-8", "surrogatepass") for path in files if path in buffers}
        return CheckJob(str(self.root), walk_problems, files, given)

    def finish(self, job: CheckJob, problems: list[Problem], story_hash: str | None) -> CheckOutcome:
        """The check's problems, by real file."""
        outcome = CheckOutcome(files=job.files, story_hash=story_hash)
        seen: set[tuple[str, str, str, int, int]] = set()
        for problem in [*job.walk_problems, *problems]:
            key = (problem.code, problem.message, problem.pos.file, problem.pos.line, problem.pos.column)
            if key in seen:
                continue
            seen.add(key)
            path = Path(problem.pos.file)
            if path == self.root or not problem.pos.file:
                outcome.folder_problems.append(problem)
            else:
                outcome.by_file.setdefault(path, []).append(problem)
        self.story_hash = story_hash
        return outcome

    # -- the index
    def index_job(self, buffers: Mapping[Path, str]) -> IndexJob:
        """The files whose text changed since they were last indexed, with their text."""
        stale = []
        finish = set()
        for path in self.files(buffers, walk=False):
            cached = self._indexes.get(path)
            text = self.text(path, buffers)
            if text is not None and (cached is None or cached.text != text) and len(text) <= MAX_FILE_BYTES:
                stale.append((str(path), text))
                if cached is None or (not cached.ok and cached.previous is None):
                    finish.add(str(path))
        return IndexJob(stale, frozenset(finish))

    def take_indexes(self, indexes: list[FileIndex]) -> None:
        """Keep indexes made elsewhere (by :func:`run_index`)."""
        for fresh in indexes:
            self._keep(Path(fresh.file), fresh)

    def _keep(self, path: Path, fresh: FileIndex) -> FileIndex:
        cached = self._indexes.get(path)
        if not fresh.ok and cached is not None:
            fresh.previous = cached if cached.ok else cached.previous
        self._indexes[path] = fresh
        return fresh

    def index(self, buffers: Mapping[Path, str], fresh: bool = True) -> FolderIndex:
        """Every file's index. With ``fresh``, files whose text changed since
        they were indexed are indexed again here; without, their last index
        serves (completion only needs the ids, and must be quick)."""
        indexes = []
        for path in self.files(buffers, walk=False):
            cached = self._indexes.get(path)
            if cached is None or fresh:
                text = self.text(path, buffers)
                if text is None:
                    continue
                if cached is None or cached.text != text:
                    cached = self._keep(path, index_file(str(path), text))
            indexes.append(cached)
        key = tuple(id(i) for i in indexes)
        if self._folder_index is None or self._folder_index[0] != key:
            self._folder_index = (key, FolderIndex(indexes))
        return self._folder_index[1]


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


class Scratch:
    """The server's private temporary folder (made when first needed), removed
    when it stops; folders left by servers that were killed are removed when
    the next one makes its own."""

    PREFIX = "tightrope-lsp-"

    def __init__(self) -> None:
        self._path: Path | None = None
        self._count = 0

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = Path(tempfile.mkdtemp(prefix=f"{self.PREFIX}{os.getpid()}-"))
            self._sweep(self._path.parent)
        return self._path

    def _sweep(self, where: Path) -> None:
        if os.name != "posix":  # (os.kill(pid, 0) is no harmless probe on Windows)
            return
        try:
            entries = list(os.scandir(where))
        except OSError:
            return
        for entry in entries:
            m = re.match(rf"{self.PREFIX}(\d+)-", entry.name)
            if m is None or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
                continue
            try:
                if entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == os.getuid():
                    shutil.rmtree(entry.path, ignore_errors=True)
            except OSError:
                continue

    def new(self) -> Path:
        self._count += 1
        folder = self.path / str(self._count)
        folder.mkdir()
        return folder

    def remove(self) -> None:
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)
            self._path = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, and is someone else's
        return True
    return True
