"""Hover text: conditions in words, and story text that never acts as markup."""

from __future__ import annotations

import re

import pytest

from game.lsp.describe import Writer, describe_condition, describe_field, describe_id
from game.lsp.index import FolderIndex, Site, Span, index_file

STORY = """\
meters:
  - id: us
    label: US relations
    description: How Washington reads us.
    start: 50
    min: -10
    max: 90
    thresholds:
      - below: 10
        ending: rupture
flags:
  - id: tabled
    description: Revisions are on the table.
nodes:
  - id: cairo
    title: "![pixel](http://tracker.invalid/p.png) <img src=x onerror=alert(1)> [@click=app.quit] *bold*"
    date: 1 December 2025
    place: "Cairo\\x1b[31m"
    basis: mixed
events:
  - id: clash
    title: A clash
endings:
  - id: rupture
    title: The line goes quiet
"""
INDEX = FolderIndex([index_file("story.yaml", STORY)])


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ("us >= 40", "US relations (us) is at least 40"),
        ("tabled", "tabled is set"),
        ("not tabled", "tabled is not set"),
        ("tabled == false", "tabled is not set"),
        ("us > 40 and not tabled or tabled", "(US relations (us) is more than 40 and tabled is not set) or tabled is set"),
        ("cairo > 0", "cairo has been visited"),
        ("cairo == 0", "cairo has not been visited"),
        ("clash >= 1", "clash has fired"),
        ("cairo > 2", "the number of visits to cairo is more than 2"),
        ("turn * 2 < us - 5", "the number of decisions made so far times 2 is less than US relations (us) minus 5"),
        ("not (us < 3)", "not (US relations (us) is less than 3)"),
        ("nobody > 1", "nobody is more than 1"),
    ],
)
def test_conditions_in_words(condition: str, words: str) -> None:
    text = describe_condition(condition, "bool", INDEX, Writer(markdown=False))
    assert f"Holds when {words}." in text


def test_names_are_listed_and_mistakes_are_said_plainly() -> None:
    text = describe_condition("us > 3 and tabled and nobody", "bool", INDEX, Writer(markdown=False))
    assert "nobody: not defined in this story" in text
    assert "tabled: flag, Revisions are on the table." in text
    assert "us: meter, US relations" in text
    broken = describe_condition("us => 3", "bool", INDEX, Writer(markdown=False))
    assert 'Does not read as a condition yet: use "==" to compare; "=" alone is not allowed (column 4).' in broken
    number = describe_condition("10 + us", "number", INDEX, Writer(markdown=False))
    assert "Worth 10 plus US relations (us)." in number


def test_a_meter_says_its_range_and_thresholds() -> None:
    us = INDEX.lookup("us", ("meter",))
    assert us is not None
    text = describe_id(us, INDEX, Writer(markdown=False))
    assert text.splitlines()[0] == "Meter us: US relations"
    assert "Range -10 to 90; starts at 50." in text
    assert "Ends the game below 10: rupture (The line goes quiet)." in text


def test_story_text_never_reaches_the_editor_as_markup() -> None:
    cairo = INDEX.lookup("cairo", ("node",))
    assert cairo is not None
    text = describe_id(cairo, INDEX, Writer(markdown=True))
    # what could start markup is escaped: no image, no link, no HTML, no emphasis
    assert r"\!\[pixel\](http://tracker.invalid/p.png) \<img src=x onerror=alert(1)\> \[@click=app.quit\] \*bold\*" in text
    assert "\x1b" not in text  # control characters are gone
    unescaped = re.sub(r"\\.", "", text.split("\n")[0])
    assert not re.search(r"[\[\]<>!*&`]", unescaped.replace("**Node**", "").replace("`cairo`", ""))
    # nor can a description make a heading, a list or a quote
    writer = Writer(markdown=True)
    assert [writer.text(s) for s in ["# Big", "- item", "> quote", "3. third"]] == [
        r"\# Big",
        r"\- item",
        r"\> quote",
        r"3\. third",
    ]
    plain = describe_id(cairo, INDEX, Writer(markdown=False))
    assert "![pixel](http://tracker.invalid/p.png) <img src=x onerror=alert(1)>" in plain  # plain text, as written


def test_a_field_says_what_it_is_for() -> None:
    site = Site("choice", "goto", Span(0, 0, 0, 4), Span(0, 6, 0, 10))
    text = describe_field(site, Writer(markdown=False))
    assert text == "goto: a field of choice, optional; id.\n\nId of the next node or ending."
    assert describe_field(Site("story_file", "nodes", Span(0, 0, 0, 5), Span(0, 0, 0, 5)), Writer(False)) is not None
    assert describe_field(Site("choice", "nonsense", Span(0, 0, 0, 4), Span(0, 0, 0, 4)), Writer(False)) is None
