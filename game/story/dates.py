"""Scene dates as spans of days, so the checker can tell when time runs backwards.

A node's ``date`` is text shown as written. The forms stories use are read
as the span of days they may mean:

* ``20 November 2025`` (also ``November 20, 2025`` and ``2025-11-20``): one day;
* ``November 2025``: the whole month;
* ``Early``/``Mid``/``Mid-``/``Late`` ``March 2026``: days 1-10, 11-20, 21 to the end;
* an optional leading weekday (``Friday 12 December 2025``) is ignored.

Anything else (``The same evening``, ``Day 3``) is not a date this module
reads, and the time check passes over it.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_PARTS = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
_DAY_MONTH = re.compile(_WEEKDAY + r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})")
_MONTH_DAY = re.compile(_WEEKDAY + r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH = re.compile(r"(?:(early|mid|late)[\s-]+)?([a-z]+)\.?,?\s+(\d{4})")

Span = tuple[date, date]


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_span(text: str) -> Span | None:
    """The first and last day a scene date may mean, or None when it is not a date."""
    t = " ".join(text.strip().lower().split())
    if m := _ISO.fullmatch(t):
        d = _day(int(m[1]), int(m[2]), int(m[3]))
        return (d, d) if d else None
    for regex, order in ((_DAY_MONTH, (1, 2, 3)), (_MONTH_DAY, (2, 1, 3))):
        if m := regex.fullmatch(t):
            day, month, year = (m[i] for i in order)
            if month not in MONTHS:
                return None
            d = _day(int(year), MONTHS[month], int(day))
            return (d, d) if d else None
    if m := _MONTH.fullmatch(t):
        part, month, year = m[1], m[2], int(m[3])
        if month not in MONTHS:
            return None
        last = calendar.monthrange(year, MONTHS[month])[1]
        lo, hi = _PARTS.get(part or "", (1, last))
        return date(year, MONTHS[month], lo), date(year, MONTHS[month], min(hi, last))
    return None


def runs_backwards(before: Span, after: Span) -> bool:
    """True when ``after`` is certainly earlier than ``before`` (it ends before ``before`` starts)."""
    return after[1] < before[0]
