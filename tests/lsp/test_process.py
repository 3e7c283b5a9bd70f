"""The server's processes: its worker never outlives it, and nothing is left behind."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import pytest
from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[2]
NODES = ROOT / "tests" / "stories" / "starter" / "nodes.yaml"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads child processes from /proc")


def children(pid: int) -> list[int]:
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


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


async def start_and_check(client: LanguageClient) -> None:
    await client.start_io(sys.executable, "-m", "game", "lsp")
    await client.initialize_async(t.InitializeParams(capabilities=t.ClientCapabilities()))
    client.initialized(t.InitializedParams())
    published: asyncio.Future[t.PublishDiagnosticsParams] = asyncio.get_running_loop().create_future()
    client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda p: published.done() or published.set_result(p))
    client.text_document_did_open(
        t.DidOpenTextDocumentParams(
            text_document=t.TextDocumentItem(uri=NODES.as_uri(), language_id="yaml", version=1, text=NODES.read_text())
        )
    )
    await asyncio.wait_for(published, 60)


@pytest.mark.asyncio
async def test_the_worker_goes_when_the_server_is_killed_and_its_folder_is_swept_later() -> None:
    client = LanguageClient("test", "1")
    await start_and_check(client)
    assert client._server is not None
    pid = client._server.pid
    workers = children(pid)
    assert workers, "the check ran in a worker process"
    os.kill(pid, signal.SIGKILL)
    await client._server.wait()
    deadline = time.monotonic() + 20
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not [w for w in workers if alive(w)]
    left = list(Path(tempfile.gettempdir()).glob(f"tightrope-lsp-{pid}-*"))
    assert left  # a killed server cannot clean up...
    # ...the next server does, when it makes its own
    client2 = LanguageClient("test", "1")
    await start_and_check(client2)
    assert not [p for p in left if p.exists()]
    await client2.shutdown_async(None)
    client2.exit(None)
    await client2.stop()


@pytest.mark.asyncio
async def test_a_server_that_exits_leaves_nothing_behind() -> None:
    client = LanguageClient("test", "1")
    await start_and_check(client)
    assert client._server is not None
    pid = client._server.pid
    workers = children(pid)
    await client.shutdown_async(None)
    client.exit(None)
    assert await asyncio.wait_for(client._server.wait(), 30) == 0
    await client.stop()
    deadline = time.monotonic() + 20
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not [w for w in workers if alive(w)]
    assert not list(Path(tempfile.gettempdir()).glob(f"tightrope-lsp-{pid}-*"))
