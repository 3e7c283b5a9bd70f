"""The teacher pack in docs/teaching: present, consistent with the facts brief and with the story.

The facts brief (/work/shared/brief/facts.md) is copied to tests/classroom/data/facts.md so
these tests run anywhere; a test checks the copy is current when the shared brief is present.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from game.present import BASIS_LABEL
from game.story import load_story

from .conftest import ROOT

PACK = ROOT / "docs" / "teaching"
FACTS = Path(__file__).parent / "data" / "facts.md"
SHARED_FACTS = Path("/work/shared/brief/facts.md")
STORY = ROOT / "story"
BRIEF = PACK / "student-brief.md"

MONTHS = "January February March April May June July August September October November December".split()
NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million"
).split()
DATE_RE = re.compile(r"\b(?:(\d{1,2}) )?(" + "|".join(m[:3] for m in MONTHS) + r")[a-z]* (\d{4})\b")
NUMBER_RE = re.compile(r"\d(?:[\d,]*\d)?")
QUOTE_RE = re.compile(r"[\"“]([^\"”\n]+)[\"”]")


def facts_text() -> str:
    return FACTS.read_text(encoding="utf-8")


def usable_facts() -> str:
    """The facts brief without its "Handle with care" section (which quotes a sentence not to build on)."""
    text = facts_text()
    return text[: text.index("## Handle with care")]


def dates(text: str) -> set[tuple[str, str, str]]:
    return {(day or "", month[:3], year) for day, month, year in DATE_RE.findall(text)}


def fact_lines(path: Path) -> list[str]:
    """The lines of a pack file that state facts: before the end marker, without source lines and comments."""
    text = path.read_text(encoding="utf-8").split("<!-- end of facts -->")[0]
    return [line for line in text.splitlines() if not line.startswith(("Sources:", "<!--"))]


def sentences(path: Path) -> list[str]:
    """Sentences of the fact lines (list items and paragraphs joined, then split at full stops)."""
    blocks = re.split(r"\n\s*\n|\n(?=- )", "\n".join(fact_lines(path)))
    out = []
    for block in blocks:
        block = re.sub(r"^\s*(-|\d+\.)\s+", "", block)
        out += re.split(r"(?<=[.!?])\s+(?=[A-Z*])", " ".join(block.split()))
    return out


# ------------------------------------------------------------------ the pack exists
def test_the_pack_is_complete() -> None:
    index = (PACK / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in index and "creativecommons.org/licenses/by/4.0" in index
    linked = set(re.findall(r"\]\(([\w-]+\.md)\)", index))
    files = {p.name for p in PACK.glob("*.md")} - {"README.md"}
    assert files and linked == files  # the index links every document, and nothing missing
    for name in ("student-brief.md", "debrief-guide.md", "rubric.md", "sensitive-topics.md", "how-the-model-works.md"):
        assert name in files
    plans = (PACK / "lesson-plans.md").read_text(encoding="utf-8")
    assert "Learning objectives" in plans and "45 minutes" in plans and "Two periods" in plans


def test_fact_copy_is_current() -> None:
    if not SHARED_FACTS.is_file():
        pytest.skip("the shared facts brief is not on this machine")
    assert FACTS.read_text(encoding="utf-8") == SHARED_FACTS.read_text(encoding="utf-8")


# ------------------------------------------------------------------ every fact matches the brief
def test_every_date_is_in_the_facts_brief() -> None:
    known = dates(facts_text())
    found = dates("\n".join(fact_lines(BRIEF)))
    assert found, "the student brief gives dates"
    assert found <= known, sorted(found - known)


def test_every_number_is_in_the_facts_brief() -> None:
    facts = facts_text()
    digits = set(re.findall(NUMBER_RE, facts))
    words = {w for w in NUMBER_WORDS if re.search(rf"\b{w}\b", facts, re.I)}
    text = "\n".join(re.sub(r"^\s*(\d+\.|-)\s", "", line) for line in fact_lines(BRIEF))
    found = set(re.findall(NUMBER_RE, text))
    assert found and found <= digits, sorted(found - digits)
    said = {w for w in NUMBER_WORDS if re.search(rf"\b{w}\b", text, re.I)}
    assert said <= words, sorted(said - words)


def quote_speakers() -> dict[str, str]:
    """Each quotation in the usable facts brief -> who it is attributed to (the first bold name of its bullet)."""
    out = {}
    for bullet in re.split(r"\n(?=- )", usable_facts()):
        bold = re.findall(r"\*\*(.+?)\*\*", bullet)
        for quote in QUOTE_RE.findall(bullet):
            assert bold, f"no attribution for {quote!r} in the facts brief"
            out[" ".join(quote.split())] = re.findall(r"[A-Za-z]+", bold[0])[-1]
    return out


@pytest.mark.parametrize("doc", sorted(p.name for p in PACK.glob("*.md")))
def test_every_quotation_is_exact_and_attributed(doc: str) -> None:
    speakers = quote_speakers()
    labels = set(BASIS_LABEL.values())
    for sentence in sentences(PACK / doc):
        for quote in QUOTE_RE.findall(sentence):
            quote = " ".join(quote.split())
            if quote in labels or not re.search(r"[a-z]", quote):
                continue  # the game's own labels, or a key name
            if doc != "student-brief.md" and quote not in speakers:
                continue  # other documents quote the game, students or the story, not public figures
            assert quote in speakers, f"{doc}: {quote!r} is not a quotation in the facts brief"
            assert speakers[quote] in sentence, f"{doc}: {quote!r} is not attributed to {speakers[quote]}: {sentence!r}"


def test_names_are_spelled_as_in_the_brief_or_the_story() -> None:
    """Every capitalised word that does not start a sentence appears in the facts brief or the story files."""
    vocabulary = set(re.findall(r"[\w’'.-]+", facts_text()))
    for path in STORY.glob("*.yaml"):
        vocabulary |= set(re.findall(r"[\w’'.-]+", path.read_text(encoding="utf-8")))
    vocabulary = {w.strip(".'’-").removesuffix("'s").removesuffix("’s") for w in vocabulary}
    unknown = set()
    for sentence in sentences(BRIEF):
        text = QUOTE_RE.sub(" ", re.sub(r"[*#>]|\(|\)|\[|\]", " ", sentence))
        words = [w for w in re.split(r"[\s–—/]+", text) if w]
        for i, word in enumerate(words):
            w = word.strip(".,;:!?'’").removesuffix("'s").removesuffix("’s")
            if not w or not w[0].isupper() or i == 0 or words[i - 1].endswith((":", ".")):
                continue
            if w not in vocabulary:
                unknown.add(w)
    assert not unknown, sorted(unknown)


def test_brief_sources_are_the_storys_sources() -> None:
    story = yaml.safe_load((STORY / "story.yaml").read_text(encoding="utf-8"))
    titles = [s["title"] for s in story["sources"]]
    lines = [line for line in BRIEF.read_text(encoding="utf-8").splitlines() if line.startswith("Sources:")]
    assert len(lines) >= 2
    cited = set()
    for line in lines:
        for item in line.removeprefix("Sources:").strip().rstrip(".").split("; "):
            match = [t for t in titles if item.startswith(t)]
            assert match, f"{item!r} is not a source of the story"
            cited |= set(match)
    assert len(cited) == len(titles)  # every source behind the story is given to students


def test_nothing_from_the_garbled_sentence() -> None:
    for path in PACK.glob("*.md"):
        assert "predisposed" not in path.read_text(encoding="utf-8"), path.name


# ------------------------------------------------------------------ consistent with the story
def test_model_page_matches_the_meters() -> None:
    page = (PACK / "how-the-model-works.md").read_text(encoding="utf-8")
    story = yaml.safe_load((STORY / "story.yaml").read_text(encoding="utf-8"))
    for meter in story["meters"]:
        row = next((line for line in page.splitlines() if line.startswith(f"| {meter['label']} |")), None)
        assert row is not None, meter["label"]
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == str(meter["start"])
        thresholds = meter.get("thresholds", [])
        for t in thresholds:
            assert f"below {t['below']}" in cells[3]
        if not thresholds:
            assert cells[3] == "none"


def test_debrief_guide_has_every_endings_questions() -> None:
    story = load_story(STORY)
    guide = (PACK / "debrief-guide.md").read_text(encoding="utf-8")
    flat = " ".join(guide.split())
    for ending in story.endings.values():
        assert f"### {ending.title}" in guide, ending.title
        for q in ending.questions:
            assert " ".join(q.split()) in flat, q
