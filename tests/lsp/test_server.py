"""`tightrope lsp` driven end to end, as an editor drives it (pytest-lsp over stdio)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException

from game.story import check_story, load_story

from .conftest import ROOT, Editor, apply_edit, line_text

STORIES = ROOT / "tests" / "stories"

pytestmark = pytest.mark.asyncio(loop_scope="module")


def codes(diagnostics: object) -> list[str]:
    return [str(d.code) for d in diagnostics]  # type: ignore[attr-defined]


async def test_misspelt_goto_gives_r001_on_its_line_with_did_you_mean(editor: Editor, story: Path, tmp_path: Path) -> None:
    nodes = story / "nodes.yaml"
    typed = nodes.read_text().replace("goto: decision", "goto: decisoin", 1)
    uri = editor.open(nodes, typed)  # typed, not saved: the buffer counts, not the disk
    got = await editor.diagnostics(uri, lambda d: "R001" in codes(d))
    (r001,) = [d for d in got if d.code == "R001"]
    where = editor.at(uri, "goto: decisoin", 6)
    assert r001.range.start == where
    assert r001.range.end.character == where.character + len("decisoin")
    assert r001.severity == t.DiagnosticSeverity.Error
    assert r001.source == "tightrope"
    # the same message as `tightrope check` gives for the same text on disk
    saved = tmp_path / "saved"
    shutil.copytree(story, saved)
    (saved / "nodes.yaml").write_text(typed)
    (checked,) = [p for p in check_story(saved).problems if p.code == "R001"]
    assert r001.message == checked.message == '"decisoin" is not a node or ending of this story (did you mean "decision"?)'
    assert checked.pos.line == where.line + 1
    # fixing it clears it
    editor.change(uri, nodes.read_text())
    await editor.diagnostics(uri, lambda d: "R001" not in codes(d))


async def test_a_cross_file_problem_is_refreshed_in_the_other_open_file(editor: Editor, story: Path) -> None:
    meters = editor.open(story / "story.yaml")  # a threshold there names the ending street_crisis
    endings = editor.open(story / "endings.yaml")
    await editor.diagnostics(meters)
    text = editor.texts[endings]
    editor.change(endings, text.replace("- id: street_crisis", "- id: street_crises"))
    got = await editor.diagnostics(meters, lambda d: "R001" in codes(d))
    (r001,) = [d for d in got if d.code == "R001"]
    assert 'did you mean "street_crises"' in r001.message
    assert line_text(editor.texts[meters], r001.range.start.line).strip() == "ending: street_crisis"
    editor.change(endings, text)
    await editor.diagnostics(meters, lambda d: "R001" not in codes(d))


async def test_completion_after_goto_lists_the_node_ids(editor: Editor, story: Path) -> None:
    uri = editor.open(story / "nodes.yaml")
    labels = await editor.complete(uri, editor.at(uri, "goto: the_street", len("goto: ")))
    loaded = load_story(story)
    assert set(loaded.nodes) <= set(labels)
    assert set(loaded.endings) <= set(labels)
    assert labels[: len(loaded.nodes)] == list(loaded.nodes)  # nodes first, in story order
    assert "us" not in labels  # a meter is not a goto target


async def test_completion_offers_meters_flags_fields_and_sources_where_they_belong(editor: Editor, story: Path) -> None:
    uri = editor.open(story / "nodes.yaml")
    text = editor.texts[uri]
    effects = await editor.complete(uri, editor.at(uri, "effects: {us: 8, ", len("effects: {us: 8, ")))
    assert effects == ["us", "gulf", "domestic"]
    condition = await editor.complete(uri, editor.at(uri, "if: us >= 50", len("if: ")))
    assert {"us", "gulf", "domestic", "revisions_tabled", "turn", "and", "not"} <= set(condition)
    typed = text.replace("        goto: decision\n", "        goto: decision\n        se\n", 1)
    editor.change(uri, typed)
    fields = await editor.complete(uri, editor.at(uri, "        se\n", len("        se")))
    assert fields == ["if", "locked", "set", "outcomes", "note"]  # not id, text, effects or goto: they are there
    typed = typed.replace("        se\n", "        set: {rev\n", 1)
    editor.change(uri, typed)
    assert await editor.complete(uri, editor.at(uri, "set: {rev", len("set: {rev"))) == ["revisions_tabled"]
    sources = await editor.complete(uri, editor.at(uri, "sources: [", len("sources: [")))
    assert sources == ["unsc_2803", "dar_parliament"]


async def test_definition_of_a_goto_target_jumps_to_its_id_line_in_another_file(editor: Editor, story: Path) -> None:
    uri = editor.open(story / "nodes.yaml")
    location = await editor.definition(uri, editor.at(uri, "goto: contingent", len("goto: con")))
    assert location is not None
    endings = story / "endings.yaml"
    assert location.uri == endings.as_uri()
    line = line_text(endings.read_text(), location.range.start.line)
    assert line == "  - id: contingent"
    assert line[location.range.start.character : location.range.end.character] == "contingent"


async def test_definition_from_conditions_text_and_sources(editor: Editor, story: Path) -> None:
    uri = editor.open(story / "nodes.yaml")
    story_yaml = (story / "story.yaml").as_uri()
    for needle, offset, target in [
        ("if: us >= 50 and not revisions_tabled", len("if: us >= 50 and not rev"), "  - id: revisions_tabled"),
        ("{us}", 2, "  - id: us"),
        ("sources: [unsc_2803", len("sources: [un"), "  - id: unsc_2803"),
    ]:
        location = await editor.definition(uri, editor.at(uri, needle, offset))
        assert location is not None and location.uri == story_yaml, needle
        assert line_text((story / "story.yaml").read_text(), location.range.start.line) == target


async def test_hover_on_a_meter_shows_its_label_range_and_thresholds(editor: Editor, story: Path) -> None:
    uri = editor.open(story / "nodes.yaml")
    text = await editor.hover(uri, editor.at(uri, "effects: {us: 8, domestic: -6}", len("effects: {us: 8, dom")))
    assert text is not None
    assert "Domestic stability" in text
    assert "Range 0 to 100; starts at 55." in text
    assert "Ends the game below 15: `street_crisis`" in text


async def test_hover_explains_a_condition_a_node_a_flag_and_a_field(editor: Editor, story: Path) -> None:
    uri = editor.open(story / "nodes.yaml")
    condition = await editor.hover(uri, editor.at(uri, "us >= 50 and not revisions_tabled", len("us >= 50 an")))
    assert condition is not None
    assert (
        "Holds when (US relations (us) is at least 50 and revisions\\_tabled is not set) or "
        "(revisions\\_tabled is set and Gulf ties (gulf) is at least 55)." in condition
    )
    assert "- `revisions_tabled`: flag, Pakistan has put written revisions" in condition
    node = await editor.hover(uri, editor.at(uri, "goto: decision", len("goto: dec")))
    assert node is not None and "**Node** `decision`: The decision" in node
    flag = await editor.hover(uri, editor.at(uri, "revisions_tabled: true", 3))
    assert flag is not None and "Pakistan has put written revisions" in flag and "Starts false." in flag
    field = await editor.hover(uri, editor.at(uri, "    basis:", 5))
    assert field is not None and "**basis**: a field of node, required" in field


async def test_references_of_a_flag_across_files(editor: Editor, story: Path) -> None:
    uri = editor.open(story / "nodes.yaml")
    found = await editor.references(uri, editor.at(uri, "revisions_tabled: true", 3))
    places = sorted((Path(loc.uri).name, loc.range.start.line) for loc in found)
    files = {name for name, _ in places}
    assert files == {"story.yaml", "nodes.yaml"}
    nodes_text = (story / "nodes.yaml").read_text()
    written = [i for i, line in enumerate(nodes_text.split("\n")) if re.search(r"\brevisions_tabled\b", line)]
    assert sorted(line for name, line in places if name == "nodes.yaml") == sorted(
        line for line in written for _ in range(len(re.findall(r"\brevisions_tabled\b", nodes_text.split("\n")[line])))
    )
    without = await editor.references(uri, editor.at(uri, "revisions_tabled: true", 3), declaration=False)
    assert len(without) == len(found) - 1


async def test_rename_changes_every_reference_and_nothing_else(editor: Editor, story: Path) -> None:
    uri = editor.open(story / "nodes.yaml")
    before = {p.name: p.read_text() for p in story.glob("*.yaml")}
    edit = await editor.rename(uri, editor.at(uri, "effects: {us: 8", len("effects: {u")), "washington")
    assert edit is not None
    counts = apply_edit(edit)
    assert counts == {"story.yaml": 1, "nodes.yaml": 9, "endings.yaml": 3}
    result = check_story(story)
    assert not result.errors, result.errors
    assert result.story is not None and "washington" in result.story.meter_index
    after = (story / "nodes.yaml").read_text()
    assert "keep us out of anyone's war" in after and "from us first" in after  # prose is left alone
    assert "{washington}" in after and "if: washington >= 50" in after
    for name, text in before.items():  # only the id changed, nothing around it
        assert re.sub(r"\bwashington\b", "us", (story / name).read_text()) == text


async def test_rename_of_a_node_across_files_and_refusals(editor: Editor, story: Path) -> None:
    uri = editor.open(story / "nodes.yaml")
    where = editor.at(uri, "- id: decision", len("- id: dec"))
    prepared = await editor.client.text_document_prepare_rename_async(
        t.PrepareRenameParams(text_document=editor.doc(uri), position=where)
    )
    assert isinstance(prepared, t.PrepareRenamePlaceholder) and prepared.placeholder == "decision"
    for bad, why in [("The Vote", "not a valid id"), ("turn", "reserved"), ("the_street", "already the id of a node")]:
        with pytest.raises(JsonRpcException, match=why):
            await editor.rename(uri, where, bad)
    edit = await editor.rename(uri, where, "the_vote")
    assert edit is not None
    assert apply_edit(edit) == {"nodes.yaml": 3, "endings.yaml": 1}  # an event's `before:` is in endings.yaml
    assert not check_story(story).errors
    assert "before: [the_vote]" in (story / "endings.yaml").read_text()
    # nothing to rename on a word that is not an id
    prose = editor.at(uri, "Crowds gather", 2)
    assert (
        await editor.client.text_document_prepare_rename_async(
            t.PrepareRenameParams(text_document=editor.doc(uri), position=prose)
        )
        is None
    )


async def test_document_symbols_outline_nodes_with_their_choices(editor: Editor, story: Path) -> None:
    uri = editor.open(story / "nodes.yaml")
    symbols = await editor.client.text_document_document_symbol_async(t.DocumentSymbolParams(text_document=editor.doc(uri)))
    assert symbols is not None
    outline = [(s.name, s.detail, [c.name for c in s.children or []]) for s in symbols]  # type: ignore[union-attr]
    assert outline == [
        ("the_cable", "The cable from Washington", ["commit", "revise", "wait"]),
        ("the_street", "Friday", ["address", "quiet"]),
        ("decision", "The decision", ["deploy", "stay_out", "push_hard"]),
    ]
    endings_uri = editor.open(story / "endings.yaml")
    symbols = await editor.client.text_document_document_symbol_async(
        t.DocumentSymbolParams(text_document=editor.doc(endings_uri))
    )
    assert [(s.name, s.kind) for s in symbols or []] == [  # type: ignore[union-attr]
        ("photo", t.SymbolKind.Event),
        ("contingent", t.SymbolKind.Struct),
        ("aid_only", t.SymbolKind.Struct),
        ("street_crisis", t.SymbolKind.Struct),
    ]


async def _still_answers(editor: Editor, uri: str) -> None:
    """Every kind of request gets an answer (possibly empty), not an error."""
    here = t.Position(line=0, character=0)
    await editor.complete(uri, here)
    await editor.hover(uri, here)
    await editor.definition(uri, here)
    await editor.references(uri, here)
    await editor.client.text_document_document_symbol_async(t.DocumentSymbolParams(text_document=editor.doc(uri)))


async def test_a_file_broken_mid_typing_gives_diagnostics_and_the_server_keeps_answering(editor: Editor, story: Path) -> None:
    nodes = story / "nodes.yaml"
    good = nodes.read_text()
    uri = editor.open(nodes)
    await editor.diagnostics(uri)
    other = editor.open(story / "endings.yaml")
    await editor.diagnostics(other)
    unclosed = good.replace("effects: {us: 8, domestic: -6}", "effects: {us: 8, dom", 1)  # typing, mid-file
    tab = good.replace("    title: Friday", "\ttitle: Friday")
    for text, code, line in [
        (unclosed, "Y001", next(i for i, x in enumerate(unclosed.split("\n")) if "{us: 8, dom" in x)),  # where it opened
        (tab, "Y017", good.split("\n").index("    title: Friday")),
        ("", "Y016", 0),
    ]:
        editor.change(uri, text)
        got = await editor.diagnostics(
            uri, lambda d, code=code, line=line: (code, line) in [(x.code, x.range.start.line) for x in d]
        )
        assert [d.code for d in got] == [code]
        await _still_answers(editor, uri)
        # ids defined in a file that does not read as YAML just now are still offered (an empty file defines none)
        offered = await editor.complete(other, editor.at(other, "before: [", len("before: [")))
        assert ("the_street" in offered) == (code != "Y016")
    # and in the broken file itself, completion inside the half-written mapping offers meters
    editor.change(uri, unclosed)
    assert "domestic" in await editor.complete(uri, editor.at(uri, "{us: 8, dom", len("{us: 8, dom")))
    editor.change(uri, good)
    await editor.diagnostics(uri, lambda d: not [x for x in d if x.severity == t.DiagnosticSeverity.Error])


async def test_a_file_outside_any_story_folder_and_an_unnamed_buffer(editor: Editor, tmp_path: Path) -> None:
    lone = tmp_path / "loose" / "notes.yaml"
    lone.parent.mkdir()
    lone.write_text("nodes:\n  - id: a\n    titel: x\n")
    uri = editor.open(lone)
    got = await editor.diagnostics(uri, lambda d: "S020" in codes(d))
    assert "S002" in codes(got)  # titel: did you mean title?
    await _still_answers(editor, uri)
    untitled = editor.open(lone, "story: [\n", uri="untitled:Untitled-1")
    got = await editor.diagnostics(untitled, lambda d: "Y001" in codes(d))
    await _still_answers(editor, untitled)
    editor.close(untitled)


async def test_the_story_folder_is_the_nearest_one_holding_the_story_section(editor: Editor, story: Path) -> None:
    deeper = story / "acts" / "act9.yaml"
    deeper.parent.mkdir()
    deeper.write_text(
        "nodes:\n  - id: act9\n    title: Nine\n    basis: hypothetical\n    text: Nine.\n    choices:\n      - id: go\n        text: Go.\n        goto: the_cable\n"
    )
    uri = editor.open(deeper)
    got = await editor.diagnostics(uri)
    assert sorted(codes(got)) == ["W001", "W006"]  # nothing leads here, no modeline: the rest of the story was found
    location = await editor.definition(uri, editor.at(uri, "goto: the_cable", len("goto: the")))
    assert location is not None and location.uri == (story / "nodes.yaml").as_uri()


async def test_saving_a_file_outside_the_editor_is_seen_on_save(editor: Editor, story: Path) -> None:
    uri = editor.open(story / "story.yaml")
    await editor.diagnostics(uri)
    (story / "endings.yaml").write_text((story / "endings.yaml").read_text().replace("id: street_crisis", "id: crisis"))
    editor.client.diagnostics.pop(uri, None)
    editor.client.text_document_did_save(t.DidSaveTextDocumentParams(text_document=editor.doc(uri)))
    await editor.diagnostics(uri, lambda d: "R001" in codes(d))


async def test_hover_shows_explored_meter_ranges_when_they_match_the_story(editor: Editor, story: Path) -> None:
    explored = {
        "format": "tightrope-explore/1",
        "story": {"hash": load_story(story).hash},
        "meter_ranges": {"decision": {"us": [31, 66]}},
    }
    (story / ".explore.json").write_text(json.dumps(explored))
    uri = editor.open(story / "nodes.yaml")
    await editor.diagnostics(uri)  # the check gives the story's hash
    text = await editor.hover(uri, editor.at(uri, "goto: decision", len("goto: dec")))
    assert text is not None and "Meters here, as explored: `us` 31..66." in text
    editor.change(uri, editor.texts[uri].replace("The decision", "The choice"))  # the story changed since
    await editor.diagnostics(uri)
    text = await editor.hover(uri, editor.at(uri, "goto: decision", len("goto: dec")))
    assert text is not None and "as explored" not in text


async def test_characters_and_scenarios(editor: Editor, tmp_path: Path) -> None:
    story = tmp_path / "cast"
    shutil.copytree(STORIES / "cast", story)
    uri = editor.open(story / "story.yaml")
    assert await editor.complete(uri, editor.at(uri, "who: sana", len("who: "))) == ["sana", "tariq"]
    about = await editor.hover(uri, editor.at(uri, "who: tariq", len("who: ta")))
    assert about is not None and "**Character** `tariq`: Lt Gen Tariq Hayat" in about and "role: Corps commander" in about
    location = await editor.definition(uri, editor.at(uri, "scenario: short", len("scenario: sh")))
    assert location is not None and location.range.start.line == editor.at(uri, "- id: short", 6).line
    location = await editor.definition(uri, editor.at(uri, "at: vote", len("at: vo")))
    assert location is not None and location.range.start.line == editor.at(uri, "- id: vote", 6).line
    edit = await editor.rename(uri, editor.at(uri, "- id: sana", 7), "sana_mirza")
    assert edit is not None and apply_edit(edit) == {"story.yaml": 3}
    result = check_story(story)
    assert not result.errors and result.story is not None and "sana_mirza" in result.story.characters


async def test_incremental_changes_and_utf16_positions(editor: Editor, story: Path) -> None:
    nodes = story / "nodes.yaml"
    text = nodes.read_text().replace("        goto: aid_only\n", '        note: "Keep 🙂 calm"\n        goto: aid_only\n', 1)
    uri = editor.open(nodes, text)
    await editor.diagnostics(uri)
    # an editor sends what changed, not the whole text: type "x" into the goto after the emoji line
    where = editor.at(uri, "goto: aid_only", len("goto: aid"))
    editor.client.diagnostics.pop(uri, None)
    editor.versions[uri] += 1
    editor.client.text_document_did_change(
        t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=editor.versions[uri]),
            content_changes=[t.TextDocumentContentChangePartial(range=t.Range(start=where, end=where), text="x")],
        )
    )
    editor.texts[uri] = text.replace("goto: aid_only", "goto: aidx_only", 1)
    got = await editor.diagnostics(uri, lambda d: "R001" in codes(d))
    assert [d.range.start.line for d in got if d.code == "R001"] == [where.line]
    # a character outside the Basic Multilingual Plane counts two UTF-16 units, as the protocol says
    flow = text.replace(
        "        goto: decision\n", '        goto: decision\n      - {id: smile, text: "🙂 Go", goto: decisoin}\n', 1
    )
    editor.change(uri, flow)
    got = await editor.diagnostics(uri, lambda d: "R001" in codes(d))
    (r001,) = [d for d in got if d.code == "R001"]
    line = line_text(flow, r001.range.start.line)
    assert line.startswith("      - {id: smile")
    utf16 = len(line[: line.index("decisoin")].encode("utf-16-le")) // 2
    assert (r001.range.start.character, r001.range.end.character) == (utf16, utf16 + len("decisoin"))
    # and positions from the editor are read in UTF-16 units too
    fixed = flow.replace("goto: decisoin}", "goto: decision}")
    editor.change(uri, fixed)
    await editor.diagnostics(uri, lambda d: "R001" not in codes(d))
    here = r001.range.start
    location = await editor.definition(uri, here)
    assert location is not None and line_text(fixed, location.range.start.line) == "  - id: decision"
    assert await editor.definition(uri, t.Position(line=here.line, character=here.character - 1)) is None  # the space before


async def test_a_file_with_carriage_returns(editor: Editor, story: Path) -> None:
    nodes = story / "nodes.yaml"
    crlf = nodes.read_text().replace("\n", "\r\n").replace("goto: decision", "goto: decisoin", 1)
    uri = editor.open(nodes, crlf)
    got = await editor.diagnostics(uri, lambda d: "R001" in codes(d))
    (r001,) = [d for d in got if d.code == "R001"]
    assert crlf.split("\r\n")[r001.range.start.line].strip() == "goto: decisoin"
    target = crlf.split("\r\n").index("        goto: the_street")
    location = await editor.definition(uri, t.Position(line=target, character=len("        goto: the_")))
    assert location is not None and location.range.start.line == crlf.split("\r\n").index("  - id: the_street")


async def test_a_word_in_prose_is_not_an_id(editor: Editor, story: Path) -> None:
    uri = editor.open(story / "nodes.yaml")
    prose = editor.at(uri, "keep us out", len("keep u"))  # "us" is also a meter's id
    assert await editor.hover(uri, prose) is None
    assert await editor.definition(uri, prose) is None
    assert await editor.references(uri, prose) == []


async def test_a_big_story_completes_what_is_typed(editor: Editor, tmp_path: Path) -> None:
    big = tmp_path / "big"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gen_story.py"), str(big), "--nodes", "300"], check=True)
    path = max(big.glob("*.yaml"), key=lambda p: p.stat().st_size)
    uri = editor.open(path)
    await editor.diagnostics(uri)
    where = editor.at(uri, "goto: ", len("goto: "))
    result = await editor.client.text_document_completion_async(t.CompletionParams(text_document=editor.doc(uri), position=where))
    assert isinstance(result, t.CompletionList) and result.is_incomplete and len(result.items) == 200
    typed = editor.texts[uri].replace("goto: ", "goto: n2", 1)
    editor.change(uri, typed)
    result = await editor.client.text_document_completion_async(
        t.CompletionParams(text_document=editor.doc(uri), position=editor.at(uri, "goto: n2", len("goto: n2")))
    )
    assert isinstance(result, t.CompletionList)
    labels = [i.label for i in result.items]
    assert "n2" in labels and "n21" in labels and all("2" in label for label in labels)
