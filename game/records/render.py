"""Safe output helpers shared by transcripts and class reports.

Everything a student typed and everything a story pack says is untrusted:

* :func:`h` escapes text for HTML (and inline SVG);
* :func:`md` / :func:`md_block` escape text for Markdown, so a rationale can
  never become a link, an image, raw HTML or a heading;
* :func:`csv_cell` stops a spreadsheet from reading a cell as a formula.

The HTML pages are single self-contained files: inline CSS, inline SVG
charts, no scripts, no external resources (a Content-Security-Policy meta
tag forbids them), and a print stylesheet.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from ..story.text import clean, clean_line

# ------------------------------------------------------------------ escaping


def h(text: object) -> str:
    """HTML-escape any value (quotes too, so it is safe in attributes)."""
    return html.escape(clean(str(text)), quote=True)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")
_MD_LINE_START = re.compile(r"^([#+=-]|\d+(?=[.)]))")


def md(text: str) -> str:
    """Markdown-safe inline text (one line): every active character is escaped."""
    return _MD_SPECIAL.sub(r"\\\1", clean_line(text))


def md_line(text: str) -> str:
    """Like :func:`md`, for text that starts a line: it cannot begin a heading or a list."""
    out = md(text)
    m = _MD_LINE_START.match(out)
    if m is None:
        return out
    if m.group(1)[0].isdigit():
        return m.group(1) + "\\" + out[m.end() :]
    return "\\" + out


def md_block(text: str) -> str:
    """Paragraphs of Markdown-safe text (blank lines separate paragraphs)."""
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", clean(text))]
    return "\n\n".join(md_line(p) for p in paras if p)


def md_quote(text: str) -> str:
    """A Markdown block quote of untrusted text."""
    return "\n>\n".join(f"> {line}" for line in md_block(text).split("\n\n")) if text.strip() else "> (empty)"


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = clean_line(str(value)) if value is not None else ""
    if text and text[0] in "=+-@\t\r" and not re.fullmatch(r"-?\d+(\.\d+)?", text):
        return "'" + text
    return text


def signed(n: int | float) -> str:
    if isinstance(n, float):
        return f"{n:+.1f}"
    return f"+{n}" if n > 0 else str(n)


# ------------------------------------------------------------------ page

CSS = """
:root { --ink: #1d232a; --muted: #5b6570; --rule: #d5dbe1; --accent: #1f5f8b; --soft: #f3f6f9; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  color: var(--ink); max-width: 54rem; margin: 2rem auto; padding: 0 1.2rem; }
h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; border-bottom: 2px solid var(--rule); padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .3rem; }
.meta { color: var(--muted); margin: 0 0 1rem; }
.meta dt { font-weight: 600; float: left; clear: left; width: 8.5rem; }
.meta dd { margin: 0 0 .1rem 8.5rem; }
.note { background: #fff7e0; border-left: 4px solid #d9a400; padding: .5rem .8rem; margin: 1rem 0; }
.decision { border: 1px solid var(--rule); border-radius: 6px; padding: .6rem .9rem; margin: .8rem 0; }
.decision h3 { margin-top: 0; }
.decision .event { margin: .4rem 0 .4rem 1rem; }
.decision .turn { color: var(--muted); font-weight: normal; }
.key { font-size: .8rem; background: var(--accent); color: #fff; border-radius: 3px; padding: 0 .35rem; margin-left: .4rem; }
.rationale { background: var(--soft); border-left: 4px solid var(--accent); margin: .5rem 0 0; padding: .4rem .8rem; white-space: pre-wrap; }
.up { color: #1b6e20; } .down { color: #a32020; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .95rem; }
th, td { border: 1px solid var(--rule); padding: .25rem .55rem; text-align: left; vertical-align: top; }
th { background: var(--soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; }
.scroll { overflow-x: auto; }
figcaption { color: var(--muted); font-size: .9rem; }
svg { max-width: 100%; height: auto; }
.legend { list-style: none; padding: 0; margin: .3rem 0; display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; font-size: .9rem; }
.legend svg { vertical-align: middle; margin-right: .3rem; }
.memo { border: 2px solid var(--ink); padding: .8rem 1.1rem; }
.memo ol { padding-left: 1.3rem; }
.memo li { margin-bottom: .6rem; }
blockquote { margin: .3rem 0 .8rem; padding: .3rem .8rem; border-left: 4px solid var(--accent); background: var(--soft); }
blockquote p { margin: .2rem 0; white-space: pre-wrap; }
blockquote .who { color: var(--muted); white-space: normal; }
footer { color: var(--muted); font-size: .85rem; margin-top: 2.5rem; border-top: 1px solid var(--rule); padding-top: .5rem; }
@media print {
  @page { margin: 1.6cm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
  .decision, figure, table, .memo, blockquote { break-inside: avoid; }
  .note, .rationale, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .pagebreak { break-before: page; }
  .scroll { overflow: visible; }
}
"""

# no scripts, no external fetches; inline styles and data: images only
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def page(title: str, body: str, lang: str = "en") -> str:
    """A complete, self-contained HTML document."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{h(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{h(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


# ------------------------------------------------------------------ charts

# colours and dash patterns that stay apart in greyscale print
PALETTE = ("#1f5f8b", "#c2571a", "#2e7d32", "#7b3fa0", "#a32020", "#00838f", "#6d5d00", "#444444")
DASHES = ("", "7 4", "2 3", "10 3 2 3", "5 5", "1 2", "12 4", "3 3 8 3")


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def legend(labels: Sequence[str]) -> str:
    items = []
    for i, label in enumerate(labels):
        colour, dash = PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)]
        swatch = (
            '<svg width="28" height="10" aria-hidden="true">'
            f'<line x1="1" y1="5" x2="27" y2="5" stroke="{colour}" stroke-width="3"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/></svg>"
        )
        items.append(f"<li>{swatch}{h(label)}</li>")
    return '<ul class="legend">' + "".join(items) + "</ul>"


def line_chart(
    series: Sequence[tuple[str, Sequence[float | None]]],
    lo: float,
    hi: float,
    title: str,
    x_label: str = "decision",
    x_ticks: Sequence[str] | None = None,
) -> str:
    """An inline SVG line chart: one line a series, x = index (0 = start; ``x_ticks`` names the points)."""
    width, height = 640, 280
    left, right, top, bottom = 44, 16, 14, 38
    n = max((len(values) for _, values in series), default=0)
    if hi <= lo:
        hi = lo + 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (hi - v) / (hi - lo)

    out = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{h(title)}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{h(title)}</title>",
    ]
    for k in range(5):
        tick = lo + (hi - lo) * k / 4
        out.append(
            f'<line x1="{left}" y1="{_fmt(y(tick))}" x2="{width - right}" y2="{_fmt(y(tick))}" stroke="#d5dbe1" stroke-width="1"/>'
        )
        out.append(f'<text x="{left - 6}" y="{_fmt(y(tick) + 4)}" text-anchor="end" fill="#5b6570">{_fmt(tick)}</text>')
    step = max(1, (n + 11) // 12)
    for i in range(0, n, step):
        label = x_ticks[i] if x_ticks is not None and i < len(x_ticks) else ("start" if i == 0 else str(i))
        out.append(f'<text x="{_fmt(x(i))}" y="{height - bottom + 16}" text-anchor="middle" fill="#5b6570">{h(label)}</text>')
    out.append(f'<text x="{left + plot_w / 2:.0f}" y="{height - 6}" text-anchor="middle" fill="#5b6570">{h(x_label)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#98a2ad" stroke-width="1"/>')
    for s, (label, values) in enumerate(series):
        colour, dash = PALETTE[s % len(PALETTE)], DASHES[s % len(DASHES)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{_fmt(x(i))},{_fmt(y(v))}")
        for run in runs:
            if len(run) > 1:
                out.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2.5" '
                    'stroke-linejoin="round"'
                    + (f' stroke-dasharray="{dash}"' if dash else "")
                    + f"><title>{h(label)}</title></polyline>"
                )
            elif run:
                cx, cy = run[0].split(",")
                out.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"><title>{h(label)}</title></circle>')
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(rows: Sequence[tuple[str, int]], title: str, total: int | None = None) -> str:
    """An inline SVG horizontal bar chart with the label above each bar."""
    width, row_h, label_h, left = 640, 40, 15, 4
    total = total if total is not None else sum(c for _, c in rows)
    biggest = max((c for _, c in rows), default=0) or 1
    height = row_h * len(rows) + 6
    out = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{h(title)}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">',
        f"<title>{h(title)}</title>",
    ]
    bar_max = width - left - 90
    for i, (label, count) in enumerate(rows):
        top = i * row_h + 2
        shown = label if len(label) <= 95 else label[:94] + "…"
        share = f" ({100 * count / total:.0f}%)" if total else ""
        w = bar_max * count / biggest
        out.append(f'<text x="{left}" y="{top + label_h - 3}" fill="#1d232a">{h(shown)}<title>{h(label)}</title></text>')
        out.append(
            f'<rect x="{left}" y="{top + label_h}" width="{_fmt(max(w, 1.5))}" height="16" '
            f'fill="{PALETTE[0] if count else "#c9d1d9"}"/>'
        )
        out.append(f'<text x="{_fmt(left + max(w, 1.5) + 6)}" y="{top + label_h + 12}" fill="#1d232a">{count}{share}</text>')
    out.append("</svg>")
    return "\n".join(out)
