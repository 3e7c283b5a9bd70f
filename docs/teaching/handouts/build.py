"""Build the printable handouts in this folder from the teacher pack's Markdown.

Each handout is one self-contained HTML file (no scripts, no fonts, images or styles from the
internet) with a print stylesheet that fits A4 and Letter: the Markdown document is the one source
of its text, and this script only lays it out.

    .venv/bin/python docs/teaching/handouts/build.py          # write the handouts
    .venv/bin/python docs/teaching/handouts/build.py --check  # exit 1 if a handout is out of date

Layout rules, kept small on purpose:
- `<!-- handout starts -->` in a document: the handout has the document's title and only what
  follows the marker (what comes before is for the teacher).
- `<!-- lines N -->` becomes N ruled lines to write on; other comments are left out.
- A list item that starts with `[ ]` is printed with a box to tick.
- Links are printed as their text (a link cannot be followed on paper); code breaks only at spaces.
- A paragraph that starts with "Sources:" is set small.
- The pack's closing licence line is replaced by the handout footer.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

HERE = Path(__file__).resolve().parent
PACK = HERE.parent

# handout file name -> (Markdown source in the pack, layout)
HANDOUTS: dict[str, tuple[str, str]] = {
    "student-brief.html": ("student-brief.md", "brief"),
    "student-brief-simple.html": ("student-brief-simple.md", "brief easy"),
    "rationale-worksheet.html": ("rationale-worksheet.md", "worksheet"),
    "role-cards.html": ("role-cards.md", "cards"),
    "running-it-in-class.html": ("running-it-in-class.md", "checklist"),
}

STARTS = "<!-- handout starts -->"
LINES_RE = re.compile(r"^<!-- lines (\d+) -->$", re.M)
COMMENT_LINE_RE = re.compile(r"^[ \t]*<!--.*?-->[ \t]*\n", re.S | re.M)  # a comment on a line of its own
COMMENT_RE = re.compile(r"[ \t]*<!--.*?-->", re.S)  # a comment at the end of a line of text
LICENCE_LINE = "*Tightrope teaching materials, CC BY 4.0"
FOOTER = (
    "Tightrope teaching materials, CC BY 4.0 (creativecommons.org/licenses/by/4.0): "
    "share and adapt with credit to the Tightrope developers."
)

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
html { font-size: 11pt; }
body {
  margin: 0 auto; padding: 1.5rem; max-width: 46rem; color: #111; background: #fff;
  font-family: Georgia, "Times New Roman", Times, serif; line-height: 1.45;
}
h1, h2, h3, th, .kicker, footer { font-family: "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 0.4rem; line-height: 1.2; }
h2 { font-size: 1.15rem; margin: 1.1rem 0 0.35rem; border-bottom: 1px solid #999; padding-bottom: 0.1rem; }
h3 { font-size: 1rem; margin: 0.8rem 0 0.25rem; }
h1 + p em, h1 + p { color: #333; }
p { margin: 0.35rem 0; }
ul, ol { margin: 0.3rem 0 0.5rem; padding-left: 1.3rem; }
li { margin: 0.15rem 0; }
p.sources { font-size: 0.82rem; color: #333; margin-top: 0.4rem; }
body.easy { font-size: 1.1rem; line-height: 1.55; }
li.todo { list-style: "☐  "; }
code { font-family: "DejaVu Sans Mono", Consolas, "Liberation Mono", monospace; font-size: 0.86em; overflow-wrap: break-word; }
code span { white-space: nowrap; }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #777; padding: 0.25rem 0.4rem; text-align: left; vertical-align: top; }
th { background: #eee; }
blockquote { margin: 0.4rem 0; padding: 0.2rem 0.8rem; border-left: 3px solid #777; color: #222; }
hr { border: 0; border-top: 1px solid #999; margin: 0.8rem 0; }
.lines { margin: 0.3rem 0 0.7rem; }
.lines span { display: block; height: 2.1em; border-bottom: 1px solid #888; }
section { margin: 0; }
body.cards section {
  border: 1.5px dashed #555; border-radius: 6px; padding: 0.2rem 0.9rem 0.6rem; margin: 0 0 1rem;
}
body.cards section h2 { border-bottom: 0; font-size: 1.2rem; }
body.cards section h3 { font-size: 0.95rem; text-transform: uppercase; letter-spacing: 0.03em; color: #333; }
footer { margin-top: 1.2rem; padding-top: 0.3rem; border-top: 1px solid #999; font-size: 0.75rem; color: #444; }
@page { margin: 14mm 13mm 15mm; }
@media print {
  html { font-size: 10.5pt; }
  body { padding: 0; max-width: none; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  li, tr, blockquote, p.sources, .lines { break-inside: avoid; page-break-inside: avoid; }
  body.cards section, body.worksheet section { break-inside: avoid; page-break-inside: avoid; }
  body.checklist { font-size: 0.86rem; line-height: 1.3; }
  body.checklist main { columns: 2; column-gap: 7mm; }
  body.checklist h1, body.checklist h1 + p { column-span: all; }
  body.checklist h2 { margin-top: 0.5rem; font-size: 1.02rem; }
  body.checklist section { break-inside: avoid-column; }
  body.cards { font-size: 0.93rem; line-height: 1.32; }
  body.cards section { margin-bottom: 4mm; padding-bottom: 0.4rem; }
  body.cards section h2 { margin-top: 0.6rem; }
  body.cards section h3 { margin-top: 0.45rem; }
  a { color: inherit; text-decoration: none; }
}
""".strip()


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")

    def no_link(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        return ""  # a link is printed as its text

    md.add_render_rule("link_open", no_link)
    md.add_render_rule("link_close", no_link)
    return md


def _source(text: str) -> tuple[str, str]:
    """The title and the body Markdown a handout prints, from a pack document."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError("a handout's source must start with a '# ' title")
    title = lines[0][2:].strip()
    body = "\n".join(lines[1:])
    if STARTS in body:
        body = body.split(STARTS, 1)[1]
    body = "\n".join(line for line in body.splitlines() if not line.startswith(LICENCE_LINE))
    body = LINES_RE.sub(lambda m: f"@@LINES {m.group(1)}@@", body)
    return title, COMMENT_RE.sub("", COMMENT_LINE_RE.sub("", body))


def _sections(body_html: str) -> str:
    """Wrap each h2 and what follows it in a <section> (a card, or a block kept on one page)."""
    parts = re.split(r"(?=<h2>)", body_html)
    out = [parts[0]]
    out += [f"<section>\n{part.rstrip()}\n</section>\n" for part in parts[1:]]
    return "".join(out)


def _unbroken_words(match: re.Match[str]) -> str:
    """Code whose lines may break only between words, never inside one (`--no-undo` must not print as `--no-` `undo`)."""
    words = match.group(1).split(" ")
    return "<code>" + " ".join(f"<span>{w}</span>" if "-" in w else w for w in words) + "</code>"


def render(name: str) -> str:
    """The HTML text of one handout."""
    source, layout = HANDOUTS[name]
    title, body = _source((PACK / source).read_text(encoding="utf-8"))
    body_html = _markdown().render(body)
    body_html = re.sub(
        r"<p>@@LINES (\d+)@@</p>",
        lambda m: '<div class="lines">' + "<span></span>" * int(m.group(1)) + "</div>",
        body_html,
    )
    body_html = body_html.replace("<p>Sources:", '<p class="sources">Sources:')
    body_html = body_html.replace("<li>[ ] ", '<li class="todo">')
    body_html = re.sub(r"<code>(.*?)</code>", _unbroken_words, body_html, flags=re.S)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>\n{CSS}\n</style>\n</head>\n"
        f'<body class="{layout}">\n<main>\n<h1>{html.escape(title)}</h1>\n'
        f"{_sections(body_html)}</main>\n<footer>{html.escape(FOOTER)}</footer>\n</body>\n</html>\n"
    )


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in HANDOUTS:
        text = render(name)
        path = HERE / name
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    for name in stale:
        print(
            f"docs/teaching/handouts/{name}: out of date; run .venv/bin/python docs/teaching/handouts/build.py", file=sys.stderr
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
