"""Escaping and charts: untrusted text can never become markup."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from game.records.render import bar_chart, csv_cell, h, line_chart, md, md_block, md_line, md_quote, page
from game.story.text import clean, clean_line

# text that leans on the characters markup cares about
MARKUP = st.text(
    alphabet=st.sampled_from(list("<>&\"'`*_[]()!#+-=|~\\.:/ 0123456789abcXYZ\n\t\x1b\u202eé")) | st.characters(),
    max_size=60,
)
CM = MarkdownIt("commonmark")


def example_each(texts: list[str]) -> Callable[[Any], Any]:
    """Run a property test on each of these texts as well as on generated ones."""

    def wrap(fn: Any) -> Any:
        for t in texts:
            fn = example(t)(fn)
        return fn

    return wrap


TRICKY = [
    "[a](http://x)",
    "![i](http://x/i.png)",
    "<b>bold</b>",
    "<http://x>",
    "`code`",
    "*em* and __strong__",
    "# heading",
    "1. item",
    "12) item",
    "- item",
    "+ item",
    "> quote",
    "&amp; &#60;",
    "[a]: /url",
    "***",
    "~~~",
    "a | b",
    "back\\slash\\",
]


@settings(max_examples=300, deadline=None)
@given(MARKUP)
@example_each(TRICKY)
def test_markdown_line_renders_as_exactly_its_text(text: str) -> None:
    rendered = CM.render(md_line(text))
    expected = clean_line(text)
    if not expected:
        assert rendered == ""
        return
    assert rendered.startswith("<p>") and rendered.endswith("</p>\n")
    inner = rendered[3:-5]
    assert "<" not in inner  # no tag of any kind: no link, image, emphasis, code or raw HTML
    assert html.unescape(inner) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(MARKUP, min_size=1, max_size=4))
def test_markdown_blocks_and_quotes_stay_text(paras: list[str]) -> None:
    text = "\n\n".join(paras)
    expected = [" ".join(p.split()) for p in re.split(r"\n\s*\n", clean(text)) if p.split()]
    rendered = CM.render(md_block(text))
    assert re.findall(r"<(/?\w+)", rendered) == ["p", "/p"] * len(expected)
    assert [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", rendered, re.S)] == expected
    quoted = CM.render(md_quote(text))
    assert set(re.findall(r"<(/?\w+)", quoted)) <= {"blockquote", "/blockquote", "p", "/p"}


@given(MARKUP)
def test_html_escape_round_trips(text: str) -> None:
    out = h(text)
    assert not re.search(r"[<>\"']", out)
    assert html.unescape(out) == clean(text)


@given(MARKUP)
def test_inline_markdown_escapes_every_active_character(text: str) -> None:
    out = md(text)
    i = 0
    while i < len(out):
        if out[i] == "\\":
            i += 2
            continue
        assert out[i] not in "\\`*_[]<>|~&#", out
        i += 1


@given(st.text(max_size=30))
def test_csv_cells_never_start_a_formula(text: str) -> None:
    cell = csv_cell(text)
    assert not cell or cell[0] not in "=+-@" or re.fullmatch(r"-?\d+(\.\d+)?", cell)


def test_csv_numbers_stay_numbers() -> None:
    assert csv_cell(-12) == "-12" and csv_cell("3.5") == "3.5" and csv_cell("-cmd") == "'-cmd"


def test_line_chart_maps_values_to_the_plot() -> None:
    svg = line_chart([("a", [0, 50, 100]), ("b", [100, None, 100])], 0, 100, "t")
    points = [p.split(",") for p in re.search(r'<polyline points="([^"]+)"', svg).group(1).split()]  # type: ignore[union-attr]
    ys = [float(y) for _, y in points]
    xs = [float(x) for x, _ in points]
    assert ys[0] > ys[1] > ys[2] and ys[0] - ys[1] == ys[1] - ys[2]
    assert xs[0] < xs[1] < xs[2]
    # a gap (None) splits a line: "b" has two single points, drawn as dots
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 2


def test_bar_chart_lengths_follow_counts() -> None:
    svg = bar_chart([("<one>", 1), ("two", 2), ("none", 0)], "t")
    widths = [float(w) for w in re.findall(r'<rect x="4" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths[1] == 2 * widths[0] and widths[2] < widths[0]
    assert "&lt;one&gt;" in svg and "<one>" not in svg
    assert "1 (33%)" in svg and "2 (67%)" in svg


def test_page_forbids_scripts_and_fetches() -> None:
    doc = page("<T>", "<p>x</p>")
    assert "<title>&lt;T&gt;</title>" in doc
    assert "default-src 'none'" in doc and "script" not in doc
