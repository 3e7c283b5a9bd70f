"""Read a story folder, check it, and compile it into an immutable Story.

``check_story`` never raises for problems in the story: it returns every
problem found (errors and warnings) with stable codes and positions, root
causes first, with the errors that follow from an object or a file that
could not be read folded into the line of their cause.
``load_story`` raises :class:`StoryError` when there are errors.

The work is split by stage: this module finds and reads the files
(:mod:`.yamlsafe` composes them), :mod:`.spec` checks their shape,
:mod:`.build` compiles each section, :mod:`.lint` adds the warnings.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import spec
from .build import Builder, build_story, ids_defined_in
from .codes import problem
from .diagnostics import Pos, Problem, StoryError, restore_suggestions, suggestion_budget, suggestions_left
from .lint import static_warnings
from .model import Story
from .yamlsafe import MAX_FILE_BYTES, Tree, Unchecked, YamlProblem, as_tree, compose, compose_tree, decode, read_bytes

MAX_FILES = 1000
MAX_ENTRIES = 20_000  # files and folders looked at under a story folder
MAX_DEPTH = 16  # folder nesting
MAX_TOTAL_BYTES = 64 * 1024 * 1024
EXTENSIONS = (".yaml", ".yml")  # in any case: Act1.YAML is read too


@dataclass
class CheckResult:
    """What a check found: the story (when it has no error) and every problem, root causes first."""

    story: Story | None
    problems: list[Problem] = field(default_factory=list)
    fatal: bool = False  # the check could not run (exit code 2)
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return 2
        return 1 if self.errors else 0


# stories kept by keep_loaded(), by the folder path as given
_KEPT: dict[Path, Story] = {}


def load_story(root: str | Path) -> Story:
    """Load and compile a story; raise StoryError listing every error.

    A story kept by :func:`keep_loaded` for the same path is returned as it
    is while its files hold the same bytes.
    """
    kept = _KEPT.get(Path(root))
    if kept is not None and content_hash(Path(root)) == kept.hash:
        return kept
    result = check_story(root)
    if result.story is None or result.errors:
        raise StoryError(result.errors or result.problems)
    return result.story


def keep_loaded(root: str | Path) -> Story:
    """Load a story and keep it for the life of this process and of the processes forked from it.

    Later ``load_story`` calls for the same path reuse it as long as its
    files hold the same bytes: their content hash is compared, which costs
    reading the files, about a hundredth of a load. ``tightrope serve``'s warm
    process keeps the story it serves, so that no forked game loads it again.
    """
    story = load_story(root)
    _KEPT[Path(root)] = story
    return story


def content_hash(root: Path) -> str | None:
    """The hash a load of root would give its story (Story.hash), or None if its files cannot be read."""
    digest = hashlib.sha256()
    problems: list[Problem] = []
    try:
        for path, display in story_files(root, problems):
            _hash_file(digest, root, path, read_bytes(path, display))
    except (YamlProblem, OSError):
        return None
    return digest.hexdigest()


def _hash_file(digest: hashlib._Hash, root: Path, path: Path, data: bytes) -> None:
    digest.update(os.fsencode(path.relative_to(root)) + b"\0" + data + b"\0")


def _yaml_paths(root: Path, problems: list[Problem]) -> list[Path]:
    """Every *.yaml/*.yml name under root (in any case), hidden names skipped, symlinked
    folders not entered; iterative and bounded in depth and entries, so a
    hostile folder tree cannot exhaust the stack or take forever."""
    found: list[Path] = []
    todo: list[tuple[Path, int]] = [(root, 0)]
    entries = 0
    while todo:
        folder, depth = todo.pop()
        try:
            with os.scandir(folder) as it:
                listing = list(it)
        except OSError as exc:
            problems.append(problem("Y100.folder", Pos(_display(root, folder)), reason=exc.strerror))
            continue
        for entry in listing:
            entries += 1
            if entries > MAX_ENTRIES:
                problems.append(problem("Y015.entries", Pos(str(root)), limit=MAX_ENTRIES))
                return sorted(found)
            if entry.name.startswith("."):
                continue
            path = folder / entry.name
            if entry.name.lower().endswith(EXTENSIONS):
                found.append(path)
            elif entry.is_dir(follow_symlinks=False):
                if depth + 1 > MAX_DEPTH:
                    problems.append(problem("Y015.deep", Pos(_display(root, path)), limit=MAX_DEPTH))
                    continue
                todo.append((path, depth + 1))
    return sorted(found)


def story_files(root: Path, problems: list[Problem]) -> list[tuple[Path, str]]:
    """The YAML files of a story folder, sorted, each with its display name."""
    out: list[tuple[Path, str]] = []
    real_root = root.resolve()
    for path in _yaml_paths(root, problems):
        display = _display(root, path)
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            problems.append(problem("Y012", Pos(display)))
            continue
        if real != real_root and real_root not in real.parents:
            problems.append(problem("Y012.outside", Pos(display)))
            continue
        if path.is_dir():
            problems.append(problem("Y014", Pos(display)))
            continue
        if not path.is_file():
            problems.append(problem("Y014.special", Pos(display)))
            continue
        out.append((path, display))
        if len(out) > MAX_FILES:
            problems.append(problem("Y015.files", Pos(_display(root, root)), limit=MAX_FILES))
            break
    return out


def _display(root: Path, path: Path) -> str:
    try:
        return str(root / path.relative_to(root)) if root != Path(".") else str(path)
    except ValueError:
        return str(path)


def check_story(
    root: str | Path, overrides: Mapping[str, bytes] | Mapping[Path, bytes] | None = None, cache: FileCache | None = None
) -> CheckResult:
    """Check the story in folder ``root``: every problem, and the story if it has no error.

    ``overrides`` gives files' bytes in place of what is on disk (an editor's
    unsaved buffers), by path (absolute, or relative to ``root``); a story file
    given there that is not on disk is read as if it were. Problems name the
    files as they are named without overrides.

    ``cache`` (a :class:`FileCache` kept from one check of the folder to the
    next) spares composing and validating again a file whose bytes have not
    changed: the answer is the same, sooner.
    """
    # a load makes millions of small objects and no reference cycles: the
    # cyclic collector running mid-load only costs time (half of it for a
    # story of 10,000 nodes), so it waits until the load is done
    enabled = gc.isenabled()
    gc.disable()
    try:
        with suggestion_budget():  # "did you mean" stays linear in the story's size
            return _check_story(Path(root), overrides or {}, cache)
    finally:
        if enabled:
            gc.enable()


def _check_story(root: Path, overrides: Mapping[str, bytes] | Mapping[Path, bytes], cache: FileCache | None) -> CheckResult:
    if not root.exists():
        return CheckResult(None, [problem("F001", Pos(str(root)))], fatal=True)
    if not root.is_dir():
        return CheckResult(None, [problem("F001.file", Pos(str(root)))], fatal=True)
    ctx = spec.Ctx()
    files = story_files(root, ctx.problems)
    given = _given(root, overrides)
    if given:
        listed = {path for path, _ in files}
        # a file the walk refused (a link out of the folder...) stays refused
        added = [(path, _display(root, path)) for path in given if path not in listed and not os.path.lexists(path)]
        if added:
            reported = len(files) > MAX_FILES  # the walk stopped there and said so
            files = sorted(files + added)
            if len(files) > MAX_FILES and not reported:
                ctx.problems.append(problem("Y015.files", Pos(_display(root, root)), limit=MAX_FILES))
            files = files[: MAX_FILES + 1]
    if not files and not ctx.problems:
        return CheckResult(None, [problem("F002", Pos(str(root)))], fatal=True)
    read = _Read()
    b = Builder(root, ctx, read.data)
    _read_files(root, files, ctx, read, given, cache)
    if read.fatal:
        return CheckResult(None, _folded(ctx), fatal=True)
    b.unread = read.unread
    story = build_story(b, read.recs, read.digest, [d for _, d in files])
    if story is None:
        return CheckResult(None, _folded(ctx))
    if not any(p.severity == "error" for p in ctx.problems):
        ctx.problems += static_warnings(story)
    problems = _folded(ctx)
    ok = not any(p.severity == "error" for p in problems)
    return CheckResult(story if ok else None, problems, stats=story.stats())


@dataclass
class _Read:
    """The story's files as read: their validated records, raw bytes, the content hash."""

    recs: list[spec.Rec] = field(default_factory=list)
    data: dict[str, bytes] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)  # files that could not be parsed
    digest: str = ""
    fatal: bool = False


def _given(root: Path, overrides: Mapping[str, bytes] | Mapping[Path, bytes]) -> dict[Path, bytes]:
    """The overrides that are story files under root, by the path the folder's walk gives them."""
    out: dict[Path, bytes] = {}
    for name, data in overrides.items():
        rel = Path(name)
        if rel.is_absolute():
            try:
                rel = Path(os.path.abspath(rel)).relative_to(os.path.abspath(root))
            except ValueError:
                continue  # not in this story
        parts = rel.parts
        if not parts or ".." in parts or any(part.startswith(".") for part in parts) or len(parts) > MAX_DEPTH + 1:
            continue
        if rel.name.lower().endswith(EXTENSIONS):
            out[root / rel] = bytes(data)
    return out


def _read_files(
    root: Path,
    files: list[tuple[Path, str]],
    ctx: spec.Ctx,
    out: _Read,
    given: Mapping[Path, bytes] | None = None,
    cache: FileCache | None = None,
) -> None:
    """Read, compose and validate every file, one at a time (a file's tree is
    dropped once its records are made). A file that cannot be parsed is one
    problem, and the ids it seems to define are noted, so references to them
    elsewhere are folded into it."""
    digest = hashlib.sha256()
    total = 0
    failed: dict[str, YamlProblem] = {}
    for path, display in files:
        try:
            data = given.get(path) if given else None
            if data is None:
                data = read_bytes(path, display)
            elif len(data) > MAX_FILE_BYTES:
                raise YamlProblem(problem("Y007", Pos(display), size=len(data), limit=MAX_FILE_BYTES))
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                ctx.problems.append(problem("Y007.story", Pos(display), limit=MAX_TOTAL_BYTES))
                break
            _hash_file(digest, root, path, data)
            out.data[display] = data
            rec = _read_file(data, display, ctx) if cache is None else cache.read(data, display, ctx)
        except YamlProblem as exc:
            if exc.problem.code == "Y100":
                out.fatal = True
            failed[display] = exc
            continue
        except OSError as exc:
            ctx.problems.append(problem("Y100", Pos(display), reason=exc.strerror))
            out.fatal = True
            continue
        if isinstance(rec, spec.Rec):
            out.recs.append(rec)
    for display, failure in failed.items():
        index = len(ctx.problems)
        ctx.problems.append(_across_files(failure, out.data))
        out.unread.append(display)
        text = out.data.get(display, b"").decode("utf-8", "replace")
        for rid in ids_defined_in(text):
            ctx.broken.setdefault(rid, index)
    out.digest = digest.hexdigest()
    if cache is not None:
        cache.keep_only(out.data.keys() - failed.keys())


def _read_file(data: bytes, display: str, ctx: spec.Ctx) -> object:
    """Compose and validate one file: its record (or INVALID, or None for an empty file).

    A tree libyaml composed may hold what only the bounded composer judges
    (the validator raises Unchecked): then what was found in the file is
    dropped, and compose() reads it again and raises the problem, or gives
    the tree to validate.
    """
    text = decode(data, display)
    tree, ctx.checked = compose_tree(text, display, data)
    if tree is None:
        ctx.problems.append(problem("Y016", Pos(display)))
        return None
    since, left = len(ctx.problems), suggestions_left()
    try:
        return _validate(tree, data, display, ctx)
    except Unchecked:
        ctx.rollback(since)
        restore_suggestions(left)
    ctx.checked = True
    return _validate(as_tree(compose(text, display)), data, display, ctx)


@dataclass
class _Found:
    """What reading one file found: its record, its problems, and what they
    explain (indices relative to its first problem)."""

    data: bytes
    rec: object
    problems: list[Problem]
    lost: list[tuple[str, int]]  # (id, problem) as told to Ctx.lost
    folds: dict[int, int]  # problem -> follow-on errors folded into it
    story_lost: int | None


class FileCache:
    """What composing and validating each file of a folder found, kept by
    the file's name with its bytes, for checking the same folder again and
    again (the language server checks after every change). A file whose
    bytes are the same as at the last check is not read again: its record
    and problems are reused as they were. Only the last version of each
    file is kept; a file whose reading spent "did you mean" suggestions, or
    could not be parsed, is read every time (what it says may depend on the
    other files)."""

    def __init__(self) -> None:
        self._files: dict[str, _Found] = {}

    def read(self, data: bytes, display: str, ctx: spec.Ctx) -> object:
        found = self._files.get(display)
        if found is not None and found.data == data:
            base = len(ctx.problems)
            ctx.problems += found.problems
            for rid, at in found.lost:
                ctx.broken.setdefault(rid, base + at)
            for at, n in found.folds.items():
                ctx.fold(base + at, n)
            if found.story_lost is not None:
                ctx.story_lost = base + found.story_lost
            return found.rec
        self._files.pop(display, None)
        since, left = len(ctx.problems), suggestions_left()
        ctx.lost_log = []
        try:
            rec = _read_file(data, display, ctx)
            lost = [(rid, at - since) for rid, at in ctx.lost_log]
        finally:
            ctx.lost_log = None
        if suggestions_left() == left:
            folds = {at - since: n for at, n in ctx.follow_on.items() if at >= since}
            story_lost = ctx.story_lost - since if ctx.story_lost is not None and ctx.story_lost >= since else None
            self._files[display] = _Found(data, rec, ctx.problems[since:], lost, folds, story_lost)
        return rec

    def keep_only(self, displays: Set[str]) -> None:
        """Forget the files that are no longer in the folder."""
        for gone in self._files.keys() - displays:
            del self._files[gone]


def _validate(tree: Tree | None, data: bytes, display: str, ctx: spec.Ctx) -> object:
    assert tree is not None  # a document that is not empty
    if "yaml-language-server: $schema=" not in data[:400].decode("utf-8", "replace"):
        ctx.problems.append(problem("W006", Pos(display, 1, 1)))
    return spec.FILE.validate(tree, ctx)


def _across_files(exc: YamlProblem, data: dict[str, bytes]) -> Problem:
    """An unknown alias whose anchor is in another file gets its own message (Y019)."""
    name = exc.alias
    if name is None:
        return exc.problem
    anchor = re.compile(rb"&" + re.escape(name.encode("utf-8")) + rb"(?![\w-])")
    for display, raw in data.items():
        found = anchor.search(raw) if display != exc.problem.pos.file else None
        if found is not None:
            line = raw.count(b"\n", 0, found.start()) + 1
            return problem("Y019", exc.problem.pos, name=name, where=f"{display}:{line}")
    return exc.problem


# root causes first: a file that cannot be read, then the shape of what was
# read, then references, conditions and text; warnings last
_STAGE = {"F": 0, "Y": 0, "S": 1}


def _folded(ctx: spec.Ctx) -> list[Problem]:
    """The problems as reported: each root cause with the count of the errors
    that follow from it (those are never in the list), in stage order."""
    problems = list(ctx.problems)
    for index, n in ctx.follow_on.items():
        problems[index] = replace(problems[index], follow_on=problems[index].follow_on + n)
    problems.sort(key=lambda p: (p.severity != "error", _STAGE.get(p.code[0], 2), p.pos.file, p.pos.line, p.pos.column))
    return problems
