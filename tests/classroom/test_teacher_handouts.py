"""The printable handouts in docs/teaching/handouts: built from the pack's Markdown, self-contained,
well-formed HTML with a print stylesheet that fits A4 and Letter."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ..scripts import load_script
from .conftest import ROOT

PACK = ROOT / "docs" / "teaching"
HANDOUTS = PACK / "handouts"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements that would load something, run something or embed another page.
FORBIDDEN = {"script", "link", "img", "iframe", "object", "embed", "video", "audio", "source", "base", "form"}


build = load_script("handouts_build", HANDOUTS / "build.py")
NAMES = sorted(build.HANDOUTS)


class Checker(HTMLParser):
    """Collects what a well-formedness check needs: the element stack, problems, attributes and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.seen: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.doctype = ""
        self.title = ""
        self.style = ""
        self.text: list[str] = []

    def handle_decl(self, decl: str) -> None:
        if self.seen or self.doctype:
            self.problems.append("the doctype is not first")
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        for name, value in attrs:
            self.attrs.append((tag, name, value or ""))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.problems.append(f"<{tag} /> is not a void element")
        self.seen.append(tag)
        for name, value in attrs:
            self.attrs.append((tag, name, value or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.problems.append(f"</{tag}> closes a void element")
        elif not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> does not close <{self.stack[-1] if self.stack else ''}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "title":
            self.title += data
        elif self.stack and self.stack[-1] == "style":
            self.style += data
        else:
            self.text.append(data)


def check(text: str) -> Checker:
    checker = Checker()
    checker.feed(text)
    checker.close()
    return checker


def test_every_handout_is_built_and_listed() -> None:
    assert {"student-brief.html", "rationale-worksheet.html", "role-cards.html"} <= set(NAMES)
    assert {p.name for p in HANDOUTS.glob("*.html")} == set(NAMES)  # nothing stale, nothing unbuilt
    index = (PACK / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"\]\(handouts/([\w-]+\.html)\)", index)) == set(NAMES)
    for source, _layout in build.HANDOUTS.values():
        assert (PACK / source).is_file(), source


@pytest.mark.parametrize("name", NAMES)
def test_handout_is_up_to_date(name: str) -> None:
    assert (HANDOUTS / name).read_text(encoding="utf-8") == build.render(name), (
        f"{name} is out of date: run .venv/bin/python docs/teaching/handouts/build.py"
    )


def test_the_check_mode_finds_a_stale_handout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert build.main(["--check"]) == 0
    monkeypatch.setattr(build, "HERE", tmp_path)
    assert build.main(["--check"]) == 1  # nothing built in an empty folder
    assert "out of date" in capsys.readouterr().err
    assert build.main([]) == 0 and build.main(["--check"]) == 0
    page = tmp_path / NAMES[0]
    page.write_text(page.read_text(encoding="utf-8").replace("</h1>", " (edited)</h1>"), encoding="utf-8")
    assert build.main(["--check"]) == 1


@pytest.mark.parametrize("name", NAMES)
def test_handout_is_well_formed(name: str) -> None:
    text = (HANDOUTS / name).read_text(encoding="utf-8")
    page = check(text)
    assert not page.problems, page.problems
    assert not page.stack, f"never closed: {page.stack}"
    assert page.doctype.lower() == "doctype html"
    assert page.seen[:3] == ["html", "head", "meta"]
    assert ("html", "lang", "en") in page.attrs and ("meta", "charset", "utf-8") in page.attrs
    assert page.title.strip() and page.seen.count("h1") == 1 and page.seen.count("body") == 1
    source, _layout = build.HANDOUTS[name]
    title = (PACK / source).read_text(encoding="utf-8").splitlines()[0].removeprefix("# ")
    assert page.title == title  # the handout is the document it says it is


@pytest.mark.parametrize("name", NAMES)
def test_handout_is_self_contained(name: str) -> None:
    text = (HANDOUTS / name).read_text(encoding="utf-8")
    page = check(text)
    assert not FORBIDDEN & set(page.seen), FORBIDDEN & set(page.seen)
    for tag, attr, value in page.attrs:
        assert attr not in {"src", "href", "srcset", "action", "data"}, f"<{tag} {attr}={value!r}>"
        assert not attr.startswith("on"), f"<{tag} {attr}>: no scripts"
        assert not re.search(r"https?:|//", value), f"<{tag} {attr}={value!r}>"
    assert "@import" not in page.style and "url(" not in page.style and "http" not in page.style
    # an address may be printed as text (the checklist shows one to type), never as something to load
    assert not re.search(r"""["'(=]\s*(?:https?:)?//""", text.replace("<code>", "").replace("</code>", ""))


@pytest.mark.parametrize("name", NAMES)
def test_handout_prints_on_a4_and_letter(name: str) -> None:
    style = check((HANDOUTS / name).read_text(encoding="utf-8")).style
    assert "@media print" in style and "@page" in style
    page_rules = re.findall(r"@page\s*\{([^}]*)\}", style)
    assert page_rules and not any(re.search(r"\bsize\s*:", rule) for rule in page_rules)  # the printer's paper
    assert not re.search(r"\b\d{3,}px\b", style)  # nothing wider than a page in fixed pixels


def test_the_checker_finds_what_is_wrong() -> None:
    assert check("<p><b>x</p></b>").problems  # closed out of order
    assert check("<p>x").stack == ["p"]  # never closed
    assert check("<div/>").problems and check("<br></br>").problems
    assert check("<html><!DOCTYPE html>").problems  # the doctype is not first
    assert not check("<!DOCTYPE html><html><body><p>x<br />y</p></body></html>").problems


def test_markdown_cannot_become_markup() -> None:
    """The handouts print Markdown as text: raw HTML in a document is escaped, links print as their text."""
    rendered = build._markdown().render('A <script>alert(1)</script> and <b>bold</b>, [a link](https://example.org "t").')
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered and "<b>" not in rendered
    assert "<a" not in rendered and "https://" not in rendered and "a link" in rendered


def test_the_cards_handout_leaves_the_teachers_notes_out() -> None:
    text = (HANDOUTS / "role-cards.html").read_text(encoding="utf-8")
    assert "For the teacher" not in text and "Why there is no card for Hamas" not in text
    cards = re.findall(r"<section>\s*<h2>(.+?)</h2>", text)
    source = (PACK / "role-cards.md").read_text(encoding="utf-8").split("<!-- handout starts -->")[1]
    assert cards == re.findall(r"^## (.+)$", source, re.M)  # every card, in order, and nothing else
    roles = ["Islamabad", "Washington", "Gulf", "Cairo", "Amman", "Ankara", "Doha", "Jakarta", "Palestinian Authority"]
    roles += ["Gaza's civilians and doctors", "parties and streets", "army", "Israel, as reported"]
    for role in roles:
        assert any(role in card for card in cards), role


def test_the_worksheet_has_lines_to_write_on() -> None:
    text = (HANDOUTS / "rationale-worksheet.html").read_text(encoding="utf-8")
    source = (PACK / "rationale-worksheet.md").read_text(encoding="utf-8")
    wanted = sum(int(n) for n in re.findall(r"<!-- lines (\d+) -->", source))
    assert wanted and text.count("<span></span>") == wanted
    assert "&lt;!--" not in text and "@@LINES" not in text
