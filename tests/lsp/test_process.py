"""The server's processes: its worker never outlives it, and nothing is left behind."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

from ..scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
NODES = ROOT / "tests" / "stories" / "starter" / "nodes.yaml"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads child processes from /proc")


children = load_script("tightrope_lsp_bench", ROOT / "benchmarks" / "lsp_bench.py").children  # its look at child processes


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


async def gone(pids: list[int], timeout: float = 20.0) -> bool:
    """Wait until none of the processes is alive (a worker looks for its server twice a second)."""
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return not [p for p in pids if alive(p)]


async def start_and_check(client: LanguageClient) -> None:
    await client.start_io(sys.executable, "-m", "game", "lsp")
    await client.initialize_async(t.InitializeParams(capabilities=t.ClientCapabilities()))
    client.initialized(t.InitializedParams())
    # a story file, and an unsaved, unnamed buffer (the only thing kept in the server's temporary folder)
    opened = {NODES.as_uri(): NODES.read_text(), "untitled:Untitled-1": "story: [\n"}
    heard: set[str] = set()
    published: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def hear(params: t.PublishDiagnosticsParams) -> None:
        heard.add(params.uri)
        if heard >= opened.keys() and not published.done():
            published.set_result(None)

    client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(hear)
    for uri, text in opened.items():
        client.text_document_did_open(
            t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text))
        )
    await asyncio.wait_for(published, 60)


async def started() -> tuple[LanguageClient, int, list[int]]:
    """A server that has checked a file: its client, its process id and its worker processes."""
    client = LanguageClient("test", "1")
    await start_and_check(client)
    assert client._server is not None
    return client, client._server.pid, children(client._server.pid)


async def stop(client: LanguageClient) -> int:
    """Shut the server down as an editor does; its exit code."""
    await client.shutdown_async(None)
    client.exit(None)
    assert client._server is not None
    code = await asyncio.wait_for(client._server.wait(), 30)
    await client.stop()
    return code


@pytest.mark.asyncio
async def test_the_worker_goes_when_the_server_is_killed_and_its_folder_is_swept_later() -> None:
    client, pid, workers = await started()
    assert workers, "the check ran in a worker process"
    os.kill(pid, signal.SIGKILL)
    assert client._server is not None
    await client._server.wait()
    assert await gone(workers)
    left = list(Path(tempfile.gettempdir()).glob(f"tightrope-lsp-{pid}-*"))
    assert left  # a killed server cannot clean up...
    # ...the next server does, when it makes its own
    second, _, _ = await started()
    assert not [p for p in left if p.exists()]
    assert await stop(second) == 0


@pytest.mark.asyncio
async def test_a_server_that_exits_leaves_nothing_behind() -> None:
    client, pid, workers = await started()
    assert await stop(client) == 0
    assert await gone(workers)
    assert not list(Path(tempfile.gettempdir()).glob(f"tightrope-lsp-{pid}-*"))


@pytest.mark.asyncio
async def test_a_worker_that_dies_is_replaced() -> None:
    from game.lsp.server import Worker

    said: list[str] = []
    worker = Worker(said.append)
    try:
        assert await worker.run(pow, 2, 10) == 1024
        with pytest.raises(BrokenProcessPool):
            await worker.run(os._exit, 3)  # dies however it is asked, twice
        assert said == ["the worker process stopped; starting another"] * 2
        assert await worker.run(pow, 3, 3) == 27  # and the next job gets a new one
    finally:
        worker.shutdown()


@pytest.mark.asyncio
async def test_the_workers_indexing_stops_for_a_newer_change_and_the_next_index_runs_in_full() -> None:
    from game.lsp.folder import IndexJob
    from game.lsp.server import Worker

    act5 = max((ROOT / "story").glob("*.yaml"), key=lambda p: p.stat().st_size)
    text = act5.read_text(encoding="utf-8")
    worker = Worker(lambda message: None)
    try:
        assert await worker.run(pow, 2, 3) == 8  # started
        many = asyncio.ensure_future(worker.index(IndexJob([(f"{act5}.{i}", text) for i in range(40)])))
        await asyncio.sleep(0.1)
        worker.stop_indexing()  # as a change does while the worker indexes
        assert len(await asyncio.wait_for(many, 30)) < 40
        assert [f.file for f in await worker.index(IndexJob([(str(act5), text)]))] == [str(act5)]
    finally:
        worker.shutdown()


@pytest.mark.asyncio
async def test_a_change_after_a_pause_is_checked_at_once_and_quicker_ones_wait_for_the_pause(tmp_path: Path) -> None:
    from game.lsp.folder import Folder
    from game.lsp.server import StoryServer

    ls = StoryServer(debounce=30.0)
    started: list[Path] = []
    ls.start_check = started.append  # type: ignore[method-assign]
    ls.folders[tmp_path] = Folder(tmp_path)
    ls.changed(tmp_path)
    await asyncio.sleep(0.05)
    assert started == [tmp_path]  # not 30 s later
    ls.changed(tmp_path)  # a keystroke right after: it waits for the typing to pause
    await asyncio.sleep(0.05)
    assert started == [tmp_path] and tmp_path in ls.timers
    ls.timers.pop(tmp_path).cancel()


@pytest.mark.asyncio
async def test_the_worker_collects_cycles_between_jobs_not_during_a_check(tmp_path: Path) -> None:
    import gc
    import shutil

    from game.lsp.folder import Folder, run_check
    from game.lsp.server import Worker

    root = tmp_path / "story"
    shutil.copytree(NODES.parent, root)
    folder = Folder(root)
    worker = Worker(lambda message: None)
    try:
        assert await worker.run(gc.isenabled) is False  # never on its own, in the middle of an answer
        assert await worker.run(gc.get_freeze_count) == 0
        problems, _ = await worker.run(run_check, folder.prepare({}))
        assert not [p for p in problems if p.severity == "error"]
        assert await worker.index(folder.index_job({}))  # after the answer: collected, and the story set aside
        assert await worker.run(gc.get_freeze_count) > 0
        assert await worker.run(gc.collect) < 50  # what the check left in cycles (153 objects) is gone
    finally:
        worker.shutdown()
