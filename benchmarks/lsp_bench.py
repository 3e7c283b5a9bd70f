"""How quickly does `tightrope lsp` answer an editor? One command:

    .venv/bin/python benchmarks/lsp_bench.py [--story DIR] [--changes N] [--completions N] [--debounce S] [--key-gap S]

Starts the installed server (``python -m game lsp``) over stdio, as an editor
does, on a copy of the story (the shipped story by default), opens its
largest file and its story.yaml, and reports median and 95th percentile of:

* diagnostics after a change: from sending one ``didChange`` (a goto
  misspelt, then mended, alternately) to the ``publishDiagnostics`` for
  that version of the file; the aim is under 200 ms. This includes a full
  check of the story folder with the unsaved buffer in place of its file
  (the server checks the first change after a pause at once; the debounce,
  ``--debounce``, 0.03 s by default, gathers only changes that come quicker);
* diagnostics after a burst of typing: ten changes ``--key-gap`` apart
  (default 0.1 s, a fast typist), from the last one to its diagnostics;
* completion after ``goto: ``: from the request to the answer, with the
  server idle; the aim is under 50 ms;
* completion while a check runs: the same request sent right after a
  change, so it competes with the check for the interpreter;
* for scale, ``tightrope check``'s own time on the same story in the
  benchmark's process (``check_story``, median of 10), and ``check_story``
  as the server's worker runs it, with the edited file given as an
  override and the other files' readings cached (``FileCache``, median of
  10): the floor under "diagnostics after a change" on this machine at
  this moment;
* the worker process's CPU time per change (the check and the indexing
  of the changed file, unless a change stopped it), which depends less
  than the times above on what else the machine is doing;
* start-up: from starting the process to the first diagnostics of the
  opened files; and the resident memory of the server and of its worker
  processes at the end (RSS, from /proc, Linux only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

from game.story import check_story
from game.story.loader import FileCache

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "story"


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("lsp-bench", "1")
        self.arrived: dict[tuple[str, int | None], float] = {}
        self.waiters: dict[tuple[str, int | None], asyncio.Future[float]] = {}

        @self.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: t.PublishDiagnosticsParams) -> None:
            key = (params.uri, params.version)
            now = time.perf_counter()
            self.arrived[key] = now
            waiter = self.waiters.pop(key, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(now)

        @self.feature(t.CLIENT_REGISTER_CAPABILITY)
        def register(params: t.RegistrationParams) -> None:
            return None

        @self.feature(t.WINDOW_LOG_MESSAGE)
        def log(params: t.LogMessageParams) -> None:
            print(f"server: {params.message}", file=sys.stderr)

    async def diagnostics(self, uri: str, version: int, timeout: float = 30.0) -> float:
        key = (uri, version)
        if key in self.arrived:
            return self.arrived[key]
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters[key] = future
        return await asyncio.wait_for(future, timeout)


def summary(name: str, seconds: list[float], aim: float | None = None) -> str:
    ms = sorted(s * 1000 for s in seconds)
    median = statistics.median(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    verdict = ""
    if aim is not None:
        verdict = f"  (aim < {aim:.0f} ms: {'met' if p95 < aim else 'NOT met'} at p95)"
    return f"{name:<38} median {median:7.1f} ms   p95 {p95:7.1f} ms   max {ms[-1]:7.1f} ms   n={len(ms)}{verdict}"


def children(pid: int) -> list[int]:
    """The live child processes of pid (Linux; the tests use it too)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used (Linux; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.0


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def run(story: Path, changes: int, completions: int, debounce: float | None, key_gap: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="tightrope-lsp-bench-"))
    try:
        copy = work / "story"
        shutil.copytree(story, copy)
        files = sorted(copy.rglob("*.yaml"), key=lambda p: p.stat().st_size)
        big = files[-1]
        meta = next((p for p in files if p.name == "story.yaml"), files[0])
        text = big.read_text(encoding="utf-8")
        goto = text.index("goto: ") + len("goto: ")
        target_end = goto + len(text[goto:].split("\n", 1)[0])
        target = text[goto:target_end]
        typo = text[:goto] + target[::-1] + text[target_end:]
        line = text.count("\n", 0, goto)
        position = t.Position(line=line, character=goto - (text.rfind("\n", 0, goto) + 1))

        floor = []
        for _ in range(10):
            began = time.perf_counter()
            check_story(copy)
            floor.append(time.perf_counter() - began)
        # as the server's worker checks: the changed file in place of its own, the others' readings cached
        cache = FileCache()
        check_story(copy, cache=cache)
        cached = []
        for i in range(10):
            began = time.perf_counter()
            check_story(copy, overrides={big: (typo if i % 2 else text).encode("utf-8")}, cache=cache)
            cached.append(time.perf_counter() - began)

        client = Client()
        argv = [sys.executable, "-m", "game", "lsp"]
        if debounce is not None:
            argv += ["--debounce", str(debounce)]
        started = time.perf_counter()
        await client.start_io(*argv)
        await client.initialize_async(t.InitializeParams(capabilities=t.ClientCapabilities(), process_id=None))
        client.initialized(t.InitializedParams())
        uri, meta_uri = big.as_uri(), meta.as_uri()
        for path, u in ((big, uri), (meta, meta_uri)):
            client.text_document_did_open(
                t.DidOpenTextDocumentParams(
                    text_document=t.TextDocumentItem(uri=u, language_id="yaml", version=1, text=path.read_text(encoding="utf-8"))
                )
            )
        first = await client.diagnostics(uri, 1)
        startup = first - started

        version = 1

        async def change(new_text: str) -> tuple[int, float]:
            nonlocal version
            version += 1
            client.text_document_did_change(
                t.DidChangeTextDocumentParams(
                    text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[t.TextDocumentContentChangeWholeDocument(text=new_text)],
                )
            )
            return version, time.perf_counter()

        async def complete() -> float:
            sent = time.perf_counter()
            result = await client.text_document_completion_async(
                t.CompletionParams(text_document=t.TextDocumentIdentifier(uri=uri), position=position)
            )
            took = time.perf_counter() - sent
            items = result.items if isinstance(result, t.CompletionList) else result or []
            if target not in [i.label for i in items]:
                raise SystemExit(f"completion did not offer {target!r}")
            return took

        server_pid = client._server.pid if client._server else 0
        workers = children(server_pid)
        cpu_before = cpu_seconds(workers)
        single: list[float] = []
        for i in range(changes):
            v, sent = await change(typo if i % 2 == 0 else text)
            single.append(await client.diagnostics(uri, v) - sent)
            await asyncio.sleep(0.05)
        check_cpu = (cpu_seconds(workers) - cpu_before) / changes

        bursts: list[float] = []
        for _ in range(max(changes // 5, 3)):
            for k in range(10):
                v, sent = await change(typo if k % 2 == 0 else text)
                if k < 9:
                    await asyncio.sleep(key_gap)
            bursts.append(await client.diagnostics(uri, v) - sent)
            await asyncio.sleep(0.1)

        idle: list[float] = []
        for _ in range(completions):
            idle.append(await complete())

        busy: list[float] = []
        for i in range(completions):
            v, _ = await change(typo if i % 2 == 0 else text)
            await asyncio.sleep(debounce if debounce is not None else 0.03)  # the check is running
            busy.append(await complete())
            await client.diagnostics(uri, v)

        pid = client._server.pid if client._server else None
        memory = rss_mib(pid) if pid else None
        worker = sum(rss_mib(c) or 0 for c in children(pid)) if pid and memory is not None else None
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()

        lines = sum(p.read_text(encoding="utf-8").count("\n") for p in files)
        print(f"story: {story} ({len(files)} files, {lines:,} lines); editing {big.name} ({len(text):,} characters)")
        print(f"{'start-up to first diagnostics':<38} {startup * 1000:7.1f} ms")
        print(summary("check_story alone, for scale", floor))
        print(summary("check_story, one file changed, cached", cached))
        print(summary("diagnostics after a change", single, 200))
        print(f"{'worker CPU per change (check + index)':<38} {check_cpu * 1000:7.1f} ms")
        print(summary(f"diagnostics after typing ({key_gap * 1000:.0f} ms/key)", bursts, 200))
        print(summary("completion after goto: (idle)", idle, 50))
        print(summary("completion while a check runs", busy, 50))
        if memory is not None:
            print(f"{'server memory at the end (RSS)':<38} {memory:7.1f} MiB, and {worker or 0:.1f} MiB its worker processes")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--story", type=Path, default=SHIPPED, help="story folder (default: the shipped story)")
    parser.add_argument("--changes", type=int, default=60, help="single changes timed (default 60)")
    parser.add_argument("--completions", type=int, default=100, help="completion requests timed, idle and busy (default 100)")
    parser.add_argument("--debounce", type=float, default=None, help="the server's --debounce (default: its own)")
    parser.add_argument("--key-gap", type=float, default=0.1, help="seconds between the changes of a burst (default 0.1)")
    args = parser.parse_args()
    asyncio.run(run(args.story, max(args.changes, 2), max(args.completions, 1), args.debounce, max(args.key_gap, 0.0)))


if __name__ == "__main__":
    main()
