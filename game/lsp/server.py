"""The language server: pygls wiring over the story folder, index, completer and describer.

Every handler is guarded: whatever a file holds, a handler that fails logs
the failure to the editor (``window/logMessage``) and answers with nothing,
and the server keeps answering. Checks (and the indexing of changed files)
run in one worker process, debounced per story folder: typing and
completion never wait for a check, and a check that fails, however badly,
cannot take the server down with it. A check never waits for an index
either: the index the worker is making stops when a check needs it.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import multiprocessing
import re
import threading
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument

from game import __version__
from game.story import Problem, spec
from game.story.spec import RESERVED

from .complete import Completer
from .describe import Writer, describe_condition, describe_field, describe_id
from .folder import (
    CheckOutcome,
    Folder,
    IndexJob,
    RootFinder,
    Scratch,
    has_story_section,
    quiet_worker,
    run_check,
    run_index,
    use_stop,
)
from .index import KIND, Def, FileIndex, FolderIndex, Outline, Span, Target, split_lines

DEBOUNCE = 0.03  # seconds of quiet typing before a folder is checked again (the first change after a pause: at once)
_TOKEN = re.compile(r"""\"[^"\n]*\"?|'[^'\n]*'?|[^\s,\[\]{}#]+""")
_WORD = re.compile(r"[A-Za-z0-9_]+")
REQUEST_FAILED = -32803  # LSP's RequestFailed
EXPLORE_FILE = ".explore.json"  # `tightrope explore --format json` output, saved in the story folder
MAX_EXPLORE_BYTES = 64 * 1024 * 1024
MAX_COMPLETIONS = 200  # items in one answer; past that, only those matching what is typed

F = TypeVar("F", bound=Callable[..., Any])

SYMBOL_KINDS = {
    "story": t.SymbolKind.File,
    "character": t.SymbolKind.Object,
    "scenario": t.SymbolKind.Namespace,
    "meter": t.SymbolKind.Number,
    "flag": t.SymbolKind.Boolean,
    "node": t.SymbolKind.Class,
    "choice": t.SymbolKind.Method,
    "outcome": t.SymbolKind.EnumMember,
    "event": t.SymbolKind.Event,
    "ending": t.SymbolKind.Struct,
    "source": t.SymbolKind.String,
}
COMPLETION_KINDS = {
    "meter": t.CompletionItemKind.Variable,
    "flag": t.CompletionItemKind.Variable,
    "node": t.CompletionItemKind.Module,
    "ending": t.CompletionItemKind.Module,
    "event": t.CompletionItemKind.Event,
    "field": t.CompletionItemKind.Field,
    "value": t.CompletionItemKind.EnumMember,
    "keyword": t.CompletionItemKind.Keyword,
    "name": t.CompletionItemKind.Variable,
}


class RefusedError(JsonRpcException):
    """A request the server declines, with a reason the editor shows."""

    CODE = REQUEST_FAILED


R = TypeVar("R")


class Worker:
    """One worker process for checks, started again if it dies; a thread when
    no process can be started."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.executor: Executor | None = None
        self.stop_flag: threading.Event | EventType | None = None  # set: the worker's indexing stops

    def _executor(self) -> Executor:
        if self.executor is None:
            try:
                ctx = multiprocessing.get_context("spawn")
                self.stop_flag = ctx.Event()
                self.executor = ProcessPoolExecutor(1, mp_context=ctx, initializer=quiet_worker, initargs=(self.stop_flag,))
            except (OSError, ValueError, ImportError) as exc:
                self.log(f"no worker process ({exc}); checking in a thread")
                self.stop_flag = threading.Event()
                self.executor = ThreadPoolExecutor(
                    1, thread_name_prefix="tightrope-check", initializer=use_stop, initargs=(self.stop_flag,)
                )
        return self.executor

    def stop_indexing(self) -> None:
        """Have the index the worker is making (if any) stop soon: a newer change waits."""
        if self.stop_flag is not None:
            self.stop_flag.set()

    async def index(self, job: IndexJob) -> list[FileIndex]:
        """Index files in the worker; :meth:`stop_indexing` cuts it short."""
        self._executor()
        if self.stop_flag is not None:
            self.stop_flag.clear()
        return await self.run(run_index, job)

    async def run(self, fn: Callable[..., R], *args: Any) -> R:
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            executor = self._executor()
            try:
                return await loop.run_in_executor(executor, fn, *args)
            except BrokenProcessPool:
                self.log("the worker process stopped; starting another")
                executor.shutdown(wait=False, cancel_futures=True)
                self.executor = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def start(self) -> None:
        """Start the worker process now, so that the first check does not wait for it."""
        self._executor().submit(int)

    def shutdown(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = None


class StoryServer(LanguageServer):
    def __init__(self, debounce: float = DEBOUNCE) -> None:
        super().__init__("tightrope", __version__)
        self.debounce = debounce
        self.scratch = Scratch()
        atexit.register(self.scratch.remove)
        self.finder = RootFinder()
        self.folders: dict[Path, Folder] = {}
        self.roots: dict[str, Path] = {}  # open document uri -> its story folder
        self.paths: dict[str, Path] = {}  # open document uri -> the path it stands for
        self.has_story: dict[str, bool] = {}  # open document uri -> it holds a story: section
        self.published: dict[Path, set[str]] = {}  # folder -> uris with diagnostics
        self.timers: dict[Path, asyncio.TimerHandle] = {}
        self.last_change: dict[Path, float] = {}  # folder -> when a buffer of it last changed (the loop's clock)
        self.running: set[Path] = set()
        self.again: set[Path] = set()
        self.indexing = False  # the worker is indexing
        self.worker = Worker(self.log)

    # -- documents and folders
    def path_of(self, uri: str) -> Path:
        known = self.paths.get(uri)
        if known is not None:
            return known
        fs = to_fs_path(uri) if uri.startswith("file:") else None
        if fs:
            path = Path(fs)
        else:  # an unsaved, unnamed buffer: a folder of its own
            path = self.scratch.new() / "untitled.yaml"
        self.paths[uri] = path
        return path

    def uri_of(self, path: Path) -> str:
        for uri, known in self.paths.items():
            if known == path:
                return uri
        return from_fs_path(str(path)) or str(path)

    def buffers(self, root: Path | None = None) -> dict[Path, str]:
        out = {}
        for uri in list(self.roots):
            if root is not None and self.roots.get(uri) != root:
                continue
            doc = self.workspace.text_documents.get(uri)
            if doc is not None:
                out[self.path_of(uri)] = doc.source
        return out

    def all_buffers(self) -> dict[Path, str]:
        out = {}
        for uri, doc in self.workspace.text_documents.items():
            if uri in self.paths:
                out[self.paths[uri]] = doc.source
        return out

    def place(self, uri: str) -> Path:
        """Find (again) the story folder of an open document."""
        path = self.path_of(uri)
        doc = self.workspace.text_documents.get(uri)
        self.has_story[uri] = doc is not None and has_story_section(doc.source)
        if uri.startswith("file:"):
            root = self.finder.root_of(path, self.all_buffers())
        else:  # an unnamed buffer is a story folder of its own
            root = path.parent
        old = self.roots.get(uri)
        self.roots[uri] = root
        if root not in self.folders:
            self.folders[root] = Folder(root)
        if old is not None and old != root:
            self.forget_if_unused(old)
        return root

    def forget_if_unused(self, root: Path) -> None:
        if root in self.roots.values():
            self.schedule(root, 0)
            return
        for uri in self.published.pop(root, set()):
            self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        self.folders.pop(root, None)
        self.last_change.pop(root, None)
        timer = self.timers.pop(root, None)
        if timer is not None:
            timer.cancel()

    def document(self, uri: str) -> TextDocument:
        return self.workspace.get_text_document(uri)

    def folder_of(self, uri: str, fresh: bool = True) -> tuple[Folder, FolderIndex, str]:
        """The document's folder and index; ``fresh`` indexes changed files first."""
        root = self.roots.get(uri) or self.place(uri)
        folder = self.folders[root]
        return folder, folder.index(self.buffers(root), fresh), str(self.path_of(uri))

    # -- checking
    def schedule(self, root: Path, delay: float | None = None) -> None:
        timer = self.timers.pop(root, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self.timers[root] = loop.call_later(self.debounce if delay is None else delay, self.start_check, root)

    def changed(self, root: Path) -> None:
        """A buffer of the folder changed: check it at once if the change is the
        first after a quiet time, else when the typing pauses (the debounce)."""
        now = asyncio.get_running_loop().time()
        last = self.last_change.get(root)
        self.last_change[root] = now
        quiet = root not in self.timers and (last is None or now - last >= self.debounce)
        self.schedule(root, 0 if quiet else None)

    def start_check(self, root: Path) -> None:
        self.timers.pop(root, None)
        if root not in self.folders:
            return
        if self.indexing:  # the check needs the worker: the index stops, and is made again after it
            self.worker.stop_indexing()
        if root in self.running:
            self.again.add(root)
            return
        self.running.add(root)
        asyncio.ensure_future(self.run_check(root))

    async def run_check(self, root: Path) -> None:
        try:
            folder = self.folders[root]
            buffers = self.buffers(root)
            docs = self.workspace.text_documents
            versions = {uri: docs[uri].version for uri, r in self.roots.items() if r == root and uri in docs}
            job = folder.prepare(buffers)
            problems, story_hash = await self.worker.run(run_check, job)
            if root in self.folders:
                self.publish(root, folder.finish(job, problems, story_hash), buffers, versions)
                # then index, in the worker too, the files that changed: their ids are
                # offered at once, and their last good index outlives a half-typed change;
                # unless the author has typed again meanwhile: that check comes first
                # (if the author types while it runs, it stops and leaves the worker to that check)
                if root not in self.again:
                    self.indexing = True
                    try:
                        folder.take_indexes(await self.worker.index(folder.index_job(buffers)))
                    finally:
                        self.indexing = False
        except Exception:  # a check that fails must not stop the server
            self.log(f"checking {root} failed:\n{traceback.format_exc()}")
        finally:
            self.running.discard(root)
            if root in self.again:
                self.again.discard(root)
                self.schedule(root, 0)

    def publish(self, root: Path, outcome: CheckOutcome, buffers: dict[Path, str], versions: dict[str, int | None]) -> None:
        folder = self.folders[root]
        by_uri: dict[str, list[t.Diagnostic]] = {}
        for path, problems in outcome.by_file.items():
            text = buffers.get(path)
            if text is None:
                text = folder.text(path, buffers) or ""
            lines = split_lines(text)
            by_uri[self.uri_of(path)] = [self.diagnostic(p, lines) for p in problems]
        if outcome.folder_problems:
            for uri, r in self.roots.items():
                if r == root:
                    lines = split_lines(self.document(uri).source)
                    by_uri.setdefault(uri, []).extend(
                        self.diagnostic(p, lines, whole_folder=True) for p in outcome.folder_problems
                    )
        # every open file of the folder hears the outcome, and files that had problems hear they are gone
        for uri in self.published.get(root, set()) | {uri for uri, r in self.roots.items() if r == root}:
            by_uri.setdefault(uri, [])
        for uri, diagnostics in by_uri.items():
            self.text_document_publish_diagnostics(
                t.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=versions.get(uri))
            )
        self.published[root] = {uri for uri, d in by_uri.items() if d}

    def diagnostic(self, problem: Problem, lines: Sequence[str], whole_folder: bool = False) -> t.Diagnostic:
        line = problem.pos.line - 1 if problem.pos.line and not whole_folder else 0
        line = min(max(line, 0), max(len(lines) - 1, 0))
        text = lines[line] if lines else ""
        if problem.pos.line and not whole_folder:
            col = min(max(problem.pos.column - 1, 0), len(text))
            m = _TOKEN.match(text, col)
            end = m.end() if m and m.end() > col else min(col + 1, len(text))
        else:
            col, end = 0, len(text)
        span = Span(line, col, line, end)
        return t.Diagnostic(
            range=self.range(span, lines),
            message=problem.message,
            severity=t.DiagnosticSeverity.Error if problem.severity == "error" else t.DiagnosticSeverity.Warning,
            code=problem.code,
            source="tightrope",
        )

    # -- positions
    def range(self, span: Span, lines: Sequence[str]) -> t.Range:
        codec = self.workspace.position_codec
        return t.Range(
            start=codec.position_to_client_units(lines, t.Position(line=span.line, character=span.col)),
            end=codec.position_to_client_units(lines, t.Position(line=span.end_line, character=span.end_col)),
        )

    def locations(self, places: Sequence[tuple[str, Span]], folder: Folder) -> list[t.Location]:
        """Places in the folder's files as the editor counts them (each file read once)."""
        buffers = self.buffers(folder.root)
        lines: dict[str, list[str]] = {}
        out = []
        for file, span in places:
            if file not in lines:
                lines[file] = split_lines(folder.text(Path(file), buffers) or "")
            out.append(t.Location(uri=self.uri_of(Path(file)), range=self.range(span, lines[file])))
        return out

    def cursor(self, uri: str, position: t.Position) -> tuple[list[str], int, int]:
        lines = split_lines(self.document(uri).source)
        server = self.workspace.position_codec.position_from_client_units(lines, position)
        return lines, server.line, server.character

    def target(self, uri: str, position: t.Position) -> tuple[Folder, FolderIndex, Target | None]:
        folder, index, file = self.folder_of(uri)
        lines, line, col = self.cursor(uri, position)
        found = index.target_at(file, line, col)
        here = index.files.get(file)
        if found is None and here is not None and not here.ok:  # no YAML just now: go by the word under the cursor
            text = lines[line] if line < len(lines) else ""
            for m in _WORD.finditer(text):
                if m.start() <= col <= m.end():
                    for kind in KIND.values():
                        d = index.lookup(m.group(), (kind.name,))
                        if d is not None:
                            return folder, index, Target(d.id, (d.kind,), Span(line, m.start(), line, m.end()))
        return folder, index, found

    def explored(self, folder: Folder, d: Def) -> dict[str, tuple[int, int]] | None:
        """Meter ranges at a node from ``tightrope explore --format json``, when
        the author saved its output as ``.explore.json`` in the story folder and
        it was made from the story exactly as it is now (same content hash)."""
        if d.kind != "node" or folder.story_hash is None:
            return None
        path = folder.root / EXPLORE_FILE
        try:
            if path.stat().st_size > MAX_EXPLORE_BYTES:
                return None
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("story"), dict):
            return None
        if data["story"].get("hash") != folder.story_hash or not isinstance(data.get("meter_ranges"), dict):
            return None
        ranges = data["meter_ranges"].get(d.id)
        if not isinstance(ranges, dict):
            return None
        out = {}
        for meter, pair in ranges.items():
            if isinstance(pair, list) and len(pair) == 2 and all(type(v) is int for v in pair):
                out[str(meter)] = (pair[0], pair[1])
        return out or None

    def log(self, message: str) -> None:
        try:
            self.window_log_message(t.LogMessageParams(type=t.MessageType.Log, message=message))
        except Exception:  # the editor may be gone
            pass

    def markdown(self) -> bool:
        caps = self.client_capabilities.text_document
        formats = caps.hover.content_format if caps and caps.hover else None
        return bool(formats) and t.MarkupKind.Markdown in (formats or [])


server = StoryServer()


def guarded(default: Any = None) -> Callable[[F], F]:
    """Run a handler; on an unexpected error, log it and answer ``default``."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(ls: StoryServer, params: Any) -> Any:
            try:
                return fn(ls, params)
            except JsonRpcException:
                raise
            except Exception:
                ls.log(f"{fn.__name__} failed:\n{traceback.format_exc()}")
                return default

        return run  # type: ignore[return-value]

    return wrap


# ----------------------------------------------------------------- documents
@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
@server.feature(t.TEXT_DOCUMENT_DID_SAVE)
@guarded()
def did_open_or_save(ls: StoryServer, params: t.DidOpenTextDocumentParams | t.DidSaveTextDocumentParams) -> None:
    """Find the file's story folder (again: a save may move it) and check it now."""
    ls.schedule(ls.place(params.text_document.uri), 0)


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
@guarded()
def did_change(ls: StoryServer, params: t.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    root = ls.roots.get(uri)
    has_story = has_story_section(ls.document(uri).source)
    if root is None or has_story != ls.has_story.get(uri):
        root = ls.place(uri)  # a story: section came or went: the folder may have changed
    ls.changed(root)


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
@guarded()
def did_close(ls: StoryServer, params: t.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    root = ls.roots.pop(uri, None)
    ls.paths.pop(uri, None)
    ls.has_story.pop(uri, None)
    if root is not None:
        ls.forget_if_unused(root)


@server.feature(t.WORKSPACE_DID_CHANGE_WATCHED_FILES)
@guarded()
def watched_files(ls: StoryServer, params: t.DidChangeWatchedFilesParams) -> None:
    for uri in list(ls.roots):
        ls.place(uri)
    for root in set(ls.roots.values()):
        ls.schedule(root, 0)


def _warm(ls: StoryServer) -> None:
    """Have the protocol's converter build its functions for our answers now,
    not on the author's first request (the first completion took 35 ms more)."""
    here = t.Range(start=t.Position(line=0, character=0), end=t.Position(line=0, character=0))
    item = t.CompletionItem(
        label="x", kind=t.CompletionItemKind.Module, detail="x", sort_text="0", text_edit=t.TextEdit(range=here, new_text="x")
    )
    samples: list[Any] = [
        t.CompletionList(is_incomplete=False, items=[item]),
        t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value="x"), range=here),
        [t.Location(uri="file:///x", range=here)],
        t.PublishDiagnosticsParams(uri="file:///x", diagnostics=[t.Diagnostic(range=here, message="x", code="x", source="x")]),
    ]
    for sample in samples:
        ls.protocol._converter.unstructure(sample)


@server.feature(t.INITIALIZED)
@guarded()
def initialized(ls: StoryServer, params: t.InitializedParams) -> None:
    ls.worker.start()
    _warm(ls)
    caps = ls.client_capabilities.workspace
    watch = caps.did_change_watched_files if caps else None
    if watch is not None and watch.dynamic_registration:
        ls.client_register_capability(
            t.RegistrationParams(
                registrations=[
                    t.Registration(
                        id="tightrope-yaml-files",
                        method=t.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=t.DidChangeWatchedFilesRegistrationOptions(
                            watchers=[t.FileSystemWatcher(glob_pattern="**/*.{yaml,yml}")]
                        ),
                    )
                ]
            )
        )


@server.feature(t.SHUTDOWN)
@guarded()
def shutdown(ls: StoryServer, params: None) -> None:
    for timer in ls.timers.values():
        timer.cancel()
    ls.timers.clear()
    ls.worker.shutdown()
    ls.scratch.remove()


# ----------------------------------------------------------------- features
@server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=[" ", "{", "[", ","]))
@guarded()
def completion(ls: StoryServer, params: t.CompletionParams) -> t.CompletionList | None:
    uri = params.text_document.uri
    _, index, _ = ls.folder_of(uri, fresh=False)  # the ids as of the last check: quick
    lines, line, col = ls.cursor(uri, params.position)
    result = Completer(index).complete(lines, line, col)
    edit_range = ls.range(Span(line, result.start, line, col), lines)
    candidates = result.candidates
    incomplete = len(candidates) > MAX_COMPLETIONS
    if incomplete:  # a big story: those that match what is typed, and the editor asks again as it grows
        typed = lines[line][result.start : col].lower()
        candidates = [c for c in candidates if _subsequence(typed, c.label.lower())][:MAX_COMPLETIONS]
    items = []
    for i, c in enumerate(candidates):
        doc = t.MarkupContent(kind=t.MarkupKind.PlainText, value=c.documentation) if c.documentation else None
        items.append(
            t.CompletionItem(
                label=c.label,
                kind=COMPLETION_KINDS.get(c.kind, t.CompletionItemKind.Reference),
                detail=c.detail or None,
                documentation=doc,
                sort_text=f"{i:05d}",
                text_edit=t.TextEdit(range=edit_range, new_text=c.insert or c.label),
            )
        )
    return t.CompletionList(is_incomplete=incomplete, items=items)


def _subsequence(typed: str, label: str) -> bool:
    """Every typed character appears in the label, in order (as editors match)."""
    rest = iter(label)
    return all(ch in rest for ch in typed)


@server.feature(t.TEXT_DOCUMENT_DEFINITION)
@guarded()
def definition(ls: StoryServer, params: t.DefinitionParams) -> t.Location | None:
    folder, index, found = ls.target(params.text_document.uri, params.position)
    d = index.definition(found) if found else None
    return ls.locations([(d.file, d.span)], folder)[0] if d else None


@server.feature(t.TEXT_DOCUMENT_REFERENCES)
@guarded()
def references(ls: StoryServer, params: t.ReferenceParams) -> list[t.Location] | None:
    folder, index, found = ls.target(params.text_document.uri, params.position)
    if found is None:
        return None
    return ls.locations(index.references(found, params.context.include_declaration), folder)


@server.feature(t.TEXT_DOCUMENT_HOVER)
@guarded()
def hover(ls: StoryServer, params: t.HoverParams) -> t.Hover | None:
    uri = params.text_document.uri
    folder, index, found = ls.target(uri, params.position)
    writer = Writer(ls.markdown())
    kind = t.MarkupKind.Markdown if writer.markdown else t.MarkupKind.PlainText
    lines = split_lines(ls.document(uri).source)
    if found is not None:
        d = index.definition(found)
        if d is not None:
            about = describe_id(d, index, writer, ls.explored(folder, d))
            return t.Hover(contents=t.MarkupContent(kind=kind, value=about), range=ls.range(found.span, lines))
    _, line, col = ls.cursor(uri, params.position)
    site = index.site_at(str(ls.path_of(uri)), line, col)
    if site is None:
        return None
    text: str | None
    if site.key.contains(line, col):
        text = describe_field(site, writer)
        span = site.key
    elif site.expr is not None and site.value is not None:
        text = describe_condition(site.expr, site.want, index, writer)
        span = site.value
    else:
        return None
    if not text:
        return None
    return t.Hover(contents=t.MarkupContent(kind=kind, value=text), range=ls.range(span, lines))


@server.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@guarded()
def document_symbols(ls: StoryServer, params: t.DocumentSymbolParams) -> list[t.DocumentSymbol] | None:
    uri = params.text_document.uri
    _, index, file = ls.folder_of(uri)
    found = index.files.get(file)
    if found is None:
        return []
    lines = split_lines(ls.document(uri).source)

    def convert(o: Outline) -> t.DocumentSymbol:
        extent = o.extent
        if (extent.end_line, extent.end_col) < (o.selection.end_line, o.selection.end_col):
            extent = Span(extent.line, extent.col, o.selection.end_line, o.selection.end_col)
        return t.DocumentSymbol(
            name=o.name or "?",
            kind=SYMBOL_KINDS.get(o.kind, t.SymbolKind.Object),
            range=ls.range(extent, lines),
            selection_range=ls.range(o.selection, lines),
            detail=(o.detail[:200] or None),
            children=[convert(c) for c in o.children],
        )

    return [convert(o) for o in found.outline]


@server.feature(t.TEXT_DOCUMENT_PREPARE_RENAME)
@guarded()
def prepare_rename(ls: StoryServer, params: t.PrepareRenameParams) -> t.PrepareRenamePlaceholder | None:
    uri = params.text_document.uri
    _, index, found = ls.target(uri, params.position)
    if found is None or index.definition(found) is None:
        return None
    lines = split_lines(ls.document(uri).source)
    return t.PrepareRenamePlaceholder(range=ls.range(found.span, lines), placeholder=found.id)


@server.feature(t.TEXT_DOCUMENT_RENAME)
@guarded()
def rename(ls: StoryServer, params: t.RenameParams) -> t.WorkspaceEdit | None:
    folder, index, found = ls.target(params.text_document.uri, params.position)
    d = index.definition(found) if found else None
    if found is None or d is None:
        raise RefusedError("there is no story id here to rename")
    new = params.new_name
    if not re.fullmatch(spec.ID_PATTERN, new):
        raise RefusedError(f'"{new}" is not a valid id: lower-case letters, digits and _, starting with a letter')
    if new in RESERVED:
        raise RefusedError(f'"{new}" is a reserved word and cannot be an id')
    if new != d.id and index.defs.get((d.namespace, new)):
        other = index.defs[(d.namespace, new)][0]
        raise RefusedError(f'"{new}" is already the id of a {other.kind} ({Path(other.file).name}, line {other.span.line + 1})')
    broken = index.broken_files()
    if broken:
        raise RefusedError(
            f"{Path(broken[0].file).name} does not read as YAML ({broken[0].problem}); fix it first, so that no reference is missed"
        )
    edits: dict[str, list[t.TextEdit]] = {}
    for loc in ls.locations(index.references(found), folder):
        edits.setdefault(loc.uri, []).append(t.TextEdit(range=loc.range, new_text=new))
    caps = ls.client_capabilities.workspace
    versioned = bool(caps and caps.workspace_edit and caps.workspace_edit.document_changes)
    if not versioned:
        return t.WorkspaceEdit(changes=edits)
    changes: list[t.TextDocumentEdit] = []
    for uri, text_edits in edits.items():
        doc = ls.workspace.text_documents.get(uri)
        changes.append(
            t.TextDocumentEdit(
                text_document=t.OptionalVersionedTextDocumentIdentifier(uri=uri, version=doc.version if doc else None),
                edits=list(text_edits),
            )
        )
    return t.WorkspaceEdit(document_changes=changes)


def serve(debounce: float = DEBOUNCE) -> None:
    """Speak the protocol on standard input and output until the editor says exit."""
    server.debounce = debounce
    server.start_io()
