"""Drive `tightrope lsp` as an editor would: one server per test module, over stdio."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = Path(__file__).resolve().parents[2]
SERVER = [sys.executable, "-m", "game", "lsp", "--debounce", "0.02"]
TIMEOUT = 30.0


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient) -> Any:
    # VS Code's capabilities include dynamic registration: accept the server's file watcher
    lsp_client.feature(t.CLIENT_REGISTER_CAPABILITY)(lambda params: None)
    await lsp_client.initialize_session(t.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri=None))
    yield
    await lsp_client.shutdown_session()


class Editor:
    """What an editor does: open, change and close files, and ask things at positions."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}

    def open(self, path: Path, text: str | None = None, uri: str | None = None) -> str:
        uri = uri or path.as_uri()
        text = path.read_text(encoding="utf-8") if text is None else text
        self.client.diagnostics.pop(uri, None)
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(
            t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text))
        )
        return uri

    def change(self, uri: str, text: str) -> None:
        """Replace the whole buffer, as one change event."""
        self.client.diagnostics.pop(uri, None)
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(t.DidCloseTextDocumentParams(text_document=t.TextDocumentIdentifier(uri=uri)))

    async def diagnostics(
        self, uri: str, until: Callable[[Sequence[t.Diagnostic]], bool] = lambda d: True, timeout: float = TIMEOUT
    ) -> Sequence[t.Diagnostic]:
        """The diagnostics published for uri, once they satisfy ``until``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            got = self.client.diagnostics.get(uri)
            if got is not None and until(got):
                return got
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no diagnostics as expected for {uri}; last: {got}")
            try:
                await asyncio.wait_for(self.client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), remaining)
            except TimeoutError:
                pass

    def at(self, uri: str, needle: str, offset: int = 0, nth: int = 0) -> t.Position:
        """The position ``offset`` characters into the nth occurrence of needle."""
        text = self.texts[uri]
        index = -1
        for _ in range(nth + 1):
            index = text.index(needle, index + 1)
        index += offset
        line = text.count("\n", 0, index)
        return t.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))

    @staticmethod
    def doc(uri: str) -> t.TextDocumentIdentifier:
        return t.TextDocumentIdentifier(uri=uri)

    async def complete(self, uri: str, position: t.Position) -> list[str]:
        result = await self.client.text_document_completion_async(
            t.CompletionParams(text_document=self.doc(uri), position=position)
        )
        items = result.items if isinstance(result, t.CompletionList) else (result or [])
        return [i.label for i in items]

    async def hover(self, uri: str, position: t.Position) -> str | None:
        result = await self.client.text_document_hover_async(t.HoverParams(text_document=self.doc(uri), position=position))
        if result is None:
            return None
        assert isinstance(result.contents, t.MarkupContent)
        return result.contents.value

    async def definition(self, uri: str, position: t.Position) -> t.Location | None:
        result = await self.client.text_document_definition_async(
            t.DefinitionParams(text_document=self.doc(uri), position=position)
        )
        if isinstance(result, list):
            assert len(result) == 1
            result = result[0]
        assert result is None or isinstance(result, t.Location)
        return result

    async def references(self, uri: str, position: t.Position, declaration: bool = True) -> list[t.Location]:
        result = await self.client.text_document_references_async(
            t.ReferenceParams(
                text_document=self.doc(uri), position=position, context=t.ReferenceContext(include_declaration=declaration)
            )
        )
        return list(result or [])

    async def rename(self, uri: str, position: t.Position, new_name: str) -> t.WorkspaceEdit | None:
        return await self.client.text_document_rename_async(
            t.RenameParams(text_document=self.doc(uri), position=position, new_name=new_name)
        )


@pytest.fixture
def editor(client: LanguageClient) -> Editor:
    return Editor(client)


@pytest.fixture
def story(starter_copy: Path) -> Path:
    """A copy of the starter story, one per test (the server is shared)."""
    return starter_copy


def line_text(text: str, line: int) -> str:
    return text.split("\n")[line]


def apply_edit(edit: t.WorkspaceEdit) -> dict[str, int]:
    """Apply a rename's edits to the files on disk; return the number of edits per file."""
    from pygls.uris import to_fs_path

    per_file: dict[str, list[t.TextEdit]] = {}
    if edit.document_changes:
        for change in edit.document_changes:
            assert isinstance(change, t.TextDocumentEdit)
            per_file.setdefault(change.text_document.uri, []).extend(e for e in change.edits if isinstance(e, t.TextEdit))
    for uri, edits in (edit.changes or {}).items():
        per_file.setdefault(uri, []).extend(edits)
    counts = {}
    for uri, edits in per_file.items():
        path = Path(to_fs_path(uri) or "")
        lines = path.read_text(encoding="utf-8").split("\n")
        for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            assert e.range.start.line == e.range.end.line
            row = lines[e.range.start.line]
            lines[e.range.start.line] = row[: e.range.start.character] + e.new_text + row[e.range.end.character :]
        path.write_text("\n".join(lines), encoding="utf-8")
        counts[path.name] = len(edits)
    return counts
