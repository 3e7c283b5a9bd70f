"""The teacher pack in docs/teaching: present, consistent with the facts brief and with the story.

The facts brief (/work/shared/brief/facts.md) is copied to tests/classroom/data/facts.md so
these tests run anywhere; a test checks the copy is current when the shared brief is present.
"""

from __future__ import annotations

import html
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
SIMPLE_BRIEF = PACK / "student-brief-simple.md"
ROLE_CARDS = PACK / "role-cards.md"
BRIEFS = [BRIEF, SIMPLE_BRIEF]  # every fact, number and name in them is the facts brief's
FACT_DOCS = [*BRIEFS, ROLE_CARDS]  # documents that give students reported facts

# Sources the student brief cites for reported facts the story does not cite (yet), each with a phrase
# of the facts brief that the source stands behind. When the story adopts one, it is a story source too.
EXTRA_SOURCES = {
    "Statements of Israel's prime minister and foreign minister on foreign forces in Gaza": "Gideon Saar",
    "Reports of Washington's approaches to possible troop contributors": "Azerbaijan",
    "Statement of the army's spokesman on the decision": "army's spokesman",
    "Pakistan's Foreign Office press release No. 302/2025": "press release No. 302/2025",
}

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
    """The lines of a pack file that state facts: before the end marker (and after the teacher's notes of a
    handout), without source lines and comments."""
    text = path.read_text(encoding="utf-8").split("<!-- end of facts -->")[0].split("<!-- handout starts -->")[-1]
    return [line for line in text.splitlines() if not line.startswith(("Sources:", "<!--"))]


def split_sentences(text: str) -> list[str]:
    """Sentences of a Markdown text (list items and paragraphs joined, then split at full stops)."""
    blocks = re.split(r"\n\s*\n|\n(?=\s*(?:- |\d+\. ))", text)
    out = []
    for block in blocks:
        block = re.sub(r"^\s*(-|\d+\.)\s+", "", block)
        out += re.split(r"(?<=[.!?])\s+(?=[A-Z*\"“(])", " ".join(block.split()))
    return out


def sentences(path: Path) -> list[str]:
    """Sentences of the fact lines of a pack file."""
    return split_sentences("\n".join(fact_lines(path)))


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
    assert "## A 50-minute lesson" in plans
    for act in ("Act 1", "Act 2"):
        assert re.search(rf"### Debrief questions for {act}\b", plans), act


def test_fact_copy_is_current() -> None:
    if not SHARED_FACTS.is_file():
        pytest.skip("the shared facts brief is not on this machine")
    assert FACTS.read_text(encoding="utf-8") == SHARED_FACTS.read_text(encoding="utf-8")


# ------------------------------------------------------------------ every fact matches the brief
@pytest.mark.parametrize("doc", FACT_DOCS, ids=lambda p: p.name)
def test_every_date_is_in_the_facts_brief(doc: Path) -> None:
    known = dates(facts_text())
    found = dates("\n".join(fact_lines(doc)))
    assert found, f"{doc.name} gives dates"
    assert found <= known, sorted(found - known)


@pytest.mark.parametrize("doc", BRIEFS, ids=lambda p: p.name)
def test_every_number_is_in_the_facts_brief(doc: Path) -> None:
    facts = facts_text()
    digits = set(re.findall(NUMBER_RE, facts))
    words = {w for w in NUMBER_WORDS if re.search(rf"\b{w}\b", facts, re.I)}
    text = "\n".join(re.sub(r"^\s*(\d+\.|-)\s", "", line) for line in fact_lines(doc))
    found = set(re.findall(NUMBER_RE, text))
    assert found and found <= digits, sorted(found - digits)
    said = {w for w in NUMBER_WORDS if re.search(rf"\b{w}\b", text, re.I)}
    assert said <= words, sorted(said - words)


def quote_speakers() -> dict[str, str]:
    """Each quotation in the usable facts brief -> who it is attributed to.

    The speaker is the last person named before the quotation in its bullet (people are the bold names
    of the brief, known by their last word); failing that, the first bold name of the bullet.
    """
    bullets = re.split(r"\n(?=- )", usable_facts())
    people = {  # bold names of two or more capitalised words, such as **Gen. Asim Munir**
        b.split()[-1]
        for bullet in bullets
        for b in re.findall(r"\*\*(.+?)\*\*", bullet)
        if len(b.split()) >= 2 and all(re.fullmatch(r"[A-Z][a-z]+\.?", w) for w in b.split())
    }
    out = {}
    for bullet in bullets:
        bold = re.findall(r"\*\*(.+?)\*\*", bullet)
        for match in QUOTE_RE.finditer(bullet):
            before = re.findall(r"[A-Za-z]+", bullet[: match.start()])
            named = [w for w in before if w in people]
            assert named or bold, f"no attribution for {match.group(1)!r} in the facts brief"
            out[" ".join(match.group(1).split())] = named[-1] if named else re.findall(r"[A-Za-z]+", bold[0])[-1]
    return out


def test_quotations_in_the_facts_brief_go_to_their_speakers() -> None:
    speakers = quote_speakers()
    assert speakers["in process"] == "Asif"  # said by Khawaja Asif, in a bullet that starts with its date
    assert speakers["a moment of pride"] == "Asif"
    assert speakers["With the U.S., we can see an end to the war."] == "Dar"
    assert speakers["peacekeeping, not peace enforcement"] == "Dar"


@pytest.mark.parametrize("doc", sorted(p.name for p in PACK.glob("*.md")))
def test_every_quotation_is_exact_and_attributed(doc: str) -> None:
    speakers = quote_speakers()
    labels = set(BASIS_LABEL.values())
    strict = doc in {p.name for p in BRIEFS}
    for sentence in sentences(PACK / doc):
        for quote in QUOTE_RE.findall(sentence):
            quote = " ".join(quote.split())
            if quote in labels or not re.search(r"[a-z]", quote):
                continue  # the game's own labels, or a key name
            if not strict and quote not in speakers:
                continue  # other documents quote the game, students or the story, not public figures
            assert quote in speakers, f"{doc}: {quote!r} is not a quotation in the facts brief"
            assert speakers[quote] in sentence, f"{doc}: {quote!r} is not attributed to {speakers[quote]}: {sentence!r}"


@pytest.mark.parametrize("doc", FACT_DOCS, ids=lambda p: p.name)
def test_names_are_spelled_as_in_the_brief_or_the_story(doc: Path) -> None:
    """Every capitalised word that does not start a sentence appears in the facts brief or the story files."""
    vocabulary = set(re.findall(r"[\w’'.-]+", facts_text()))
    for path in STORY.glob("*.yaml"):
        vocabulary |= set(re.findall(r"[\w’'.-]+", path.read_text(encoding="utf-8")))
    vocabulary = {w.strip(".'’-").removesuffix("'s").removesuffix("’s") for w in vocabulary}
    unknown = set()
    for sentence in sentences(doc):
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
    facts = facts_text()
    cited = set()
    for line in lines:
        for item in line.removeprefix("Sources:").strip().rstrip(".").split("; "):
            match = [t for t in titles if item.startswith(t)]
            extra = [t for t in EXTRA_SOURCES if item.startswith(t)]
            assert match or extra, f"{item!r} is not a source of the story nor a source of the facts brief's"
            for title in extra:
                assert EXTRA_SOURCES[title] in " ".join(facts.split()), f"{title!r}: nothing in the facts brief rests on it"
            cited |= set(match)
    assert len(cited) == len(titles)  # every source behind the story is given to students


def syllables(word: str) -> int:
    word = word.lower()
    if len(word) > 3:
        word = re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", word)
    return max(1, len(re.findall(r"[aeiouy]+", word.removeprefix("y"))))


def reading_grade(path: Path) -> tuple[float, float]:
    """Flesch-Kincaid grade and words per sentence of a pack file's fact lines (headings and tables left out)."""
    lines = [line for line in fact_lines(path) if not line.startswith(("#", "|"))]
    text = re.sub(r"[*_`>\[\]]", "", "\n".join(lines))
    said = [s for s in split_sentences(text) if re.search(r"[A-Za-z]", s)]
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", text)
    per_sentence = len(words) / len(said)
    return 0.39 * per_sentence + 11.8 * sum(map(syllables, words)) / len(words) - 15.59, per_sentence


def test_the_short_brief_is_easier_to_read() -> None:
    """how-the-model-works.md promises a plain-English brief for learners: about grade 6, short sentences."""
    brief, simple = reading_grade(BRIEF), reading_grade(SIMPLE_BRIEF)
    assert simple[0] <= 7.0 and simple[0] <= brief[0] - 2.0, (simple, brief)
    assert simple[1] <= 12 and simple[1] < brief[1], (simple, brief)
    assert syllables("the") == 1 and syllables("stabilization") == 5 and syllables("peace") == 1


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


# ------------------------------------------------------------------ the eight, named right
# Country names as the pack may write them -> one spelling.
COUNTRY_ALIASES = {
    "the United Arab Emirates": "UAE",
    "United Arab Emirates": "UAE",
    "the UAE": "UAE",
    "UAE": "UAE",
    "Turkey": "Türkiye",
    "the United States": "United States",
    "the US": "United States",
}
OTHER_COUNTRIES = "Bahrain Malaysia Azerbaijan Israel Russia China India Iran Oman Kuwait Morocco Lebanon Syria Iraq".split()


def the_eight() -> set[str]:
    """The eight as the facts brief lists them (the bold list in the bullet that says Pakistan is one of eight)."""
    bullet = next(b for b in re.split(r"\n(?=- )", usable_facts()) if "**one of eight**" in b)
    listed = next(b for b in re.findall(r"\*\*(.+?)\*\*", bullet, re.S) if "," in b)
    names = re.split(r",\s*|\s+and\s+", " ".join(listed.split()))
    return {COUNTRY_ALIASES.get(n, n) for n in names if n}


def pack_texts() -> list[tuple[str, str]]:
    """Every teaching file's text: the Markdown documents and the printable handouts (tags stripped)."""
    out = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(PACK.glob("*.md"))]
    for page in sorted((PACK / "handouts").glob("*.html")):
        text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page.read_text(encoding="utf-8"), flags=re.S)
        out.append((f"handouts/{page.name}", html.unescape(text)))
    return out


def country_lists(sentence: str, names: list[str]) -> list[list[str]]:
    """Runs of three or more country names joined by commas and "and" in a sentence."""
    name = "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))
    run = rf"(?:{name})(?:(?:,\s+(?:and\s+)?|\s+and\s+)(?:{name}))+"
    out = []
    for match in re.finditer(run, sentence):
        items = [COUNTRY_ALIASES.get(n, n) for n in re.findall(name, match.group(0))]
        if len(items) >= 3:
            out.append(items)
    return out


def test_the_eight_are_read_from_the_brief() -> None:
    eight = the_eight()
    assert len(eight) == 8 and "Pakistan" in eight and "Bahrain" not in eight


@pytest.mark.parametrize(("doc", "text"), pack_texts(), ids=[name for name, _ in pack_texts()])
def test_the_eight_are_named_as_in_the_brief(doc: str, text: str) -> None:
    eight = the_eight()
    names = sorted(eight | set(COUNTRY_ALIASES) | set(OTHER_COUNTRIES) | {"Egypt", "Jordan"})
    for sentence in split_sentences(text):
        if "Bahrain" in sentence:
            # Bahrain appears only where the pack corrects the reports that put it in Pakistan's place
            listed = country_lists(sentence, names)
            assert "Pakistan" in sentence and not any("Bahrain" in names for names in listed), f"{doc}: {sentence!r}"
        if not re.search(r"\beight\b", sentence, re.I):
            continue
        for listed in country_lists(sentence, names):
            assert set(listed) <= eight, f"{doc}: {listed} are not all of the eight: {sentence!r}"
            if len(listed) >= 6:  # a list this long is meant as the whole group: all eight, each once
                assert sorted(listed) == sorted(eight), f"{doc}: the eight are {sorted(eight)}: {sentence!r}"


@pytest.mark.parametrize(("doc", "text"), pack_texts(), ids=[name for name, _ in pack_texts()])
def test_the_eight_are_not_called_the_ceasefires_brokers(doc: str, text: str) -> None:
    """The ceasefire's mediators were Egypt, Qatar and Türkiye with the United States; the eight backed the plan."""
    for sentence in split_sentences(text):
        if re.search(r"\bbroker", sentence, re.I) and re.search(r"\beight\b|\bGulf\b|\bMuslim", sentence):
            # only a correction may put the two together
            assert re.search(r"\bnot\b|\bnever\b|report|article", sentence), f"{doc}: {sentence!r}"
