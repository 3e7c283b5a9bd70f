"""Presentation shared by every front end and record (no Textual, no I/O).

The centre is one *described decision* (:class:`Decision`, made by
:func:`describe_step`, :func:`describe` and :func:`decisions`): the choice
taken, the outcome drawn, the choice's own meter changes, each event that
fired with its own changes, thresholds crossed and the ending. Plain mode,
the Textual app, the transcript and the class report all render it. Around
it, small helpers: effect hints on choices, scene headings, warnings. Every
string that comes from a story passes through :func:`~game.story.text.clean`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from .engine.core import Changes, GameState, Step, near_thresholds, states_from_start
from .story.model import Choice, Ending, Event, Node, Story, Term
from .story.text import clean, clean_line

UP, DOWN, MIXED = "▲", "▼", "?"


@dataclass(frozen=True, slots=True)
class Hint:
    meter: str  # meter id
    label: str
    sign: str  # UP, DOWN or MIXED


def effect_hints(story: Story, choice: Choice) -> list[Hint]:
    """The shape of a choice's effects: which meters rise or fall, not by how much.

    With random outcomes, a meter whose direction depends on the draw is
    marked MIXED.
    """
    signs: dict[int, set[int]] = {}
    base = dict(choice.effects)
    if choice.outcomes:
        for o in choice.outcomes:
            merged = dict(base)
            for i, d in o.effects:
                merged[i] = merged.get(i, 0) + d
            for i in set(base) | {i for i, _ in o.effects}:
                d = merged.get(i, 0)
                signs.setdefault(i, set()).add((d > 0) - (d < 0))
    else:
        for i, d in base.items():
            signs.setdefault(i, set()).add((d > 0) - (d < 0))
    out = []
    for i, meter in enumerate(story.meters):
        s = signs.get(i)
        if not s or s == {0}:
            continue
        sign = UP if s == {1} else DOWN if s == {-1} else MIXED
        out.append(Hint(meter.id, clean_line(meter.label), sign))
    return out


def hint_text(story: Story, choice: Choice) -> str:
    return ", ".join(f"{h.label} {h.sign}" for h in effect_hints(story, choice))


SIGN_WORDS = {UP: "up", DOWN: "down", MIXED: "up or down by chance"}


def hint_words(story: Story, choice: Choice) -> str:
    """The effect hints in words, for a screen reader: 'US relations up, Gulf ties down'."""
    return ", ".join(f"{h.label} {SIGN_WORDS[h.sign]}" for h in effect_hints(story, choice))


def signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def node_title(story: Story, node_id: str) -> str:
    """A scene's or an ending's title (a scenario's endings too, whichever scenario is played); else the id."""
    node = story.nodes.get(node_id)
    if node is not None:
        return clean_line(node.title)
    ending = story.endings.get(node_id) or story.scenario_endings.get(node_id)
    return clean_line(ending.title) if ending else node_id


def scene_heading(node: Node) -> str:
    """'20 November 2025 · Islamabad · Hypothetical'."""
    bits = [clean_line(b) for b in (node.date, node.place) if b]
    bits.append(BASIS_LABEL[node.basis])
    return " · ".join(bits)


def warnings(story: Story, state: GameState) -> list[str]:
    return [clean_line(w) for _, w in near_thresholds(story, state)]


@dataclass(frozen=True, slots=True)
class MeterWarning:
    """A meter near a threshold: the text of the level it has reached, and how far the warning has escalated.

    ``level`` counts from 1 (the first, outermost warning) to ``levels`` (the
    closest one, shown just before the meter crosses).
    """

    meter: str
    label: str
    text: str
    level: int
    levels: int

    @property
    def severity(self) -> str:
        """'Warning', then 'Serious warning', then 'Final warning' as the meter nears its threshold."""
        if self.levels > 1 and self.level == self.levels:
            return "Final warning"
        if self.level > 1:
            return "Serious warning"
        return "Warning"


def threshold_warnings(story: Story, state: GameState) -> list[MeterWarning]:
    """Every meter near a threshold, with the level its warning has reached (in the order of the meters)."""
    out = []
    for i, m in enumerate(story.meters):
        for t in m.thresholds:
            distance = t.distance(state.meters[i])
            if distance == 0:
                continue
            levels = t.levels or (((t.warn_within, t.warning),) if t.warning else ())
            for k, (within, text) in enumerate(levels):  # the closest level first
                if distance <= within and text:
                    out.append(MeterWarning(m.id, clean_line(m.label), clean_line(text), len(levels) - k, len(levels)))
                    break
    return out


@dataclass(frozen=True, slots=True)
class Speaker:
    """An advisor of a scene: the character's name (when the advisor names one), the role shown, the words."""

    name: str  # "" for an office that is no one in particular
    role: str
    says: str
    character: str | None  # the character's id

    @property
    def heading(self) -> str:
        """'Hamza Siddiqui, Private secretary' (or the role alone)."""
        return f"{self.name}, {self.role}" if self.name and self.role else self.name or self.role


def speakers(story: Story, node: Node, state: GameState) -> list[Speaker]:
    """The advisors of a scene whose condition holds, with the names of the characters they are."""
    out = []
    for a in node.advisors:
        if a.cond is not None and not a.cond(state):
            continue
        character = story.characters.get(a.who) if a.who else None
        out.append(Speaker(clean_line(character.name) if character else "", clean_line(a.role), clean_line(a.says), a.who))
    return out


BASIS_LABEL = {
    "reported": "Reported fact",
    "hypothetical": "Hypothetical",
    "mixed": "Reported facts, invented scene",
}


# ------------------------------------------------------------------ one described decision
@dataclass(frozen=True, slots=True)
class Change:
    """One meter's change in one part of a decision."""

    meter: str  # meter id
    label: str
    delta: int
    after: int | None  # the meter's value right after this part (None when not known)


@dataclass(frozen=True, slots=True)
class EventReport:
    """An event that fired on the way, with its own changes."""

    id: str
    title: str
    basis: str  # a BASIS_LABEL text ("" when the story does not know the event)
    text: str  # rendered for the game's state, cleaned ("" when it cannot be rendered)
    changes: tuple[Change, ...] | None  # None: an older save that did not keep them apart


@dataclass(frozen=True, slots=True)
class Crossing:
    """A meter past a threshold: the reason the game ended where it did."""

    meter: str
    label: str
    value: int
    ending: str


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything one decision did, as every front end and record shows it.

    ``changes`` is what the choice and its random outcome changed, each
    event keeps its own; ``total`` is the whole decision. ``changes`` and
    the events' ``changes`` are None when they cannot be told apart (a save
    older than format 3 read without its story).
    """

    turn: int
    node: str  # where it was made
    scene: str  # that scene's title (the id when the story does not know it)
    key: bool | None  # a key decision (None when the story does not know the scene)
    choice: str
    choice_text: str
    note: str  # the author's note on the choice
    outcome: str | None
    outcome_text: str
    changes: tuple[Change, ...] | None
    events: tuple[EventReport, ...]
    total: tuple[Change, ...]
    crossed: tuple[Crossing, ...]
    target: str  # where it led (a node or an ending)
    ending: str | None
    ending_title: str
    rationale: str
    meters: dict[str, int]  # every meter after the decision

    @property
    def split_known(self) -> bool:
        return self.changes is not None


@dataclass
class Lookup:
    """Looks ids up in a story (or none), remembering what it could not find."""

    story: Story | None
    missing: list[str] = field(default_factory=list)
    _events: dict[str, Event] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.story is not None:
            self._events = {e.id: e for e in self.story.events}

    def miss(self, what: str) -> None:
        if what not in self.missing:
            self.missing.append(what)

    def node(self, node_id: str) -> Node | None:
        node = self.story.nodes.get(node_id) if self.story else None
        if node is None:
            self.miss(f'scene "{node_id}"')
        return node

    def node_title(self, node_id: str) -> str:
        node = self.node(node_id)
        return clean_line(node.title) if node else node_id

    def choice(self, node_id: str, choice_id: str) -> Choice | None:
        node = self.story.nodes.get(node_id) if self.story else None
        choice = node.choice(choice_id) if node else None
        if choice is None:
            self.miss(f'choice "{choice_id}" at scene "{node_id}"')
        return choice

    def outcome_text(self, choice: Choice | None, choice_id: str, outcome_id: str | None) -> str:
        if outcome_id is None:
            return ""
        for o in choice.outcomes if choice else ():
            if o.id == outcome_id:
                return clean(o.text).strip()
        self.miss(f'outcome "{outcome_id}" of choice "{choice_id}"')
        return ""

    def event(self, event_id: str) -> Event | None:
        event = self._events.get(event_id)
        if event is None:
            self.miss(f'event "{event_id}"')
        return event

    def meter(self, meter_id: str) -> tuple[str, int, int]:
        """(label, min, max) of a meter."""
        if self.story is not None and meter_id in self.story.meter_index:
            m = self.story.meter(meter_id)
            return clean_line(m.label), m.min, m.max
        self.miss(f'meter "{meter_id}"')
        return meter_id, 0, 100

    def ending(self, ending_id: str) -> Ending | None:
        ending = self.story.endings.get(ending_id) if self.story else None
        if ending is None:
            self.miss(f'ending "{ending_id}"')
        return ending


def _changes(look: Lookup, changes: Changes, after: Mapping[str, int]) -> tuple[Change, ...]:
    return tuple(Change(mid, look.meter(mid)[0], delta, after.get(mid)) for mid, delta in changes)


def _before(after: Mapping[str, int], later: Sequence[Changes]) -> dict[str, int]:
    """Meter values before the parts in ``later`` were applied."""
    out = dict(after)
    for part in later:
        for mid, delta in part:
            if mid in out:
                out[mid] -= delta
    return out


def describe_step(
    look: Lookup,
    turn: int,
    step: Step,
    after: Mapping[str, int],
    state: GameState | None = None,
    *,
    split_known: bool = True,
    ending: str | None = None,
) -> Decision:
    """Describe one decision.

    ``after`` holds the meters after it; ``state`` (the state the decision
    led to) renders the events' texts, which are left empty without it.
    ``ending`` is the ending the decision reached, if any. Without
    ``split_known`` the step's ``own`` and ``event_changes`` are ignored.
    """
    node = look.node(step.node)
    choice = look.choice(step.node, step.choice)
    player = state.player if state is not None else ""
    own: tuple[Change, ...] | None = None
    if split_known:
        own = _changes(look, step.own, _before(after, step.event_changes))
    events = []
    for k, eid in enumerate(step.events):
        event = look.event(eid)
        text = clean(event.text.render(state, player)).strip() if event is not None and state is not None else ""
        part: tuple[Change, ...] | None = None
        if split_known and k < len(step.event_changes):
            part = _changes(look, step.event_changes[k], _before(after, step.event_changes[k + 1 :]))
        events.append(
            EventReport(
                eid,
                clean_line(event.title) if event else eid,
                BASIS_LABEL.get(event.basis, event.basis) if event else "",
                text,
                part,
            )
        )
    crossed: list[Crossing] = []
    ending_title = ""
    if ending is not None:
        found = look.ending(ending)
        ending_title = clean_line(found.title) if found else ending
        for m in look.story.meters if look.story else ():
            value = after.get(m.id)
            if value is not None and any(t.ending == ending and t.crossed(value) for t in m.thresholds):
                crossed.append(Crossing(m.id, clean_line(m.label), value, ending))
    return Decision(
        turn=turn,
        node=step.node,
        scene=clean_line(node.title) if node else step.node,
        key=node.key if node else None,
        choice=step.choice,
        choice_text=clean_line(choice.text) if choice else step.choice,
        note=clean(choice.note).strip() if choice else "",
        outcome=step.outcome,
        outcome_text=look.outcome_text(choice, step.choice, step.outcome),
        changes=own,
        events=tuple(events),
        total=_changes(look, step.changes, after),
        crossed=tuple(crossed),
        target=step.target,
        ending=ending,
        ending_title=ending_title,
        rationale=clean(step.rationale).strip(),
        meters=dict(after),
    )


def meters_of(story: Story, state: GameState) -> dict[str, int]:
    return {m.id: state.meters[i] for i, m in enumerate(story.meters)}


def describe(story: Story, state: GameState) -> Decision | None:
    """The decision that led to ``state`` (None at the start)."""
    if state.step is None:
        return None
    return describe_step(Lookup(story), state.turn, state.step, meters_of(story, state), state, ending=state.ending)


def decisions(story: Story, state: GameState) -> list[Decision]:
    """Every decision of a game, oldest first."""
    look = Lookup(story)
    out = []
    for s in states_from_start(state)[1:]:
        assert s.step is not None
        out.append(describe_step(look, s.turn, s.step, meters_of(story, s), s, ending=s.ending))
    return out


def change_text(changes: Sequence[Change], after: bool = True) -> str:
    """'US relations +8 (58), Domestic stability -6 (49)'."""
    return ", ".join(f"{c.label} {signed(c.delta)}" + (f" ({c.after})" if after and c.after is not None else "") for c in changes)


# ------------------------------------------------------------------ glossary, cast, sources
@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    term: str
    definition: str
    source: str  # the source's title ("" when the term cites none)


def glossary(story: Story, query: str = "") -> list[GlossaryEntry]:
    """The glossary in alphabetical order; with a query, the terms whose term or definition contains it."""
    q = " ".join(query.lower().split())
    out = []
    for t in sorted(story.glossary, key=lambda t: t.term.lower()):
        term, definition = clean_line(t.term), clean_line(t.definition)
        if q and q not in term.lower() and q not in definition.lower():
            continue
        source = story.sources.get(t.source) if t.source else None
        out.append(GlossaryEntry(term, definition, clean_line(source.title) if source else ""))
    return out


def lookup(story: Story, query: str) -> list[GlossaryEntry]:
    """The entries a player asking for ``query`` means: the term itself (or its short form) if there is one, else every match."""
    q = " ".join(query.lower().split())
    found = glossary(story, query)
    exact = [e for e in found if q in (f.lower() for f in term_forms(e.term))]
    return exact or found


def _acronym(text: str) -> bool:
    return len(text) > 1 and text.isupper() and text.replace("-", "").isalnum()


def term_forms(term: str) -> list[str]:
    """How a term may appear in text.

    'ISF (International Stabilization Force)' is also 'ISF' and, since ISF is
    an acronym, 'International Stabilization Force'; 'Palestinian Authority
    (PA)' is also both; 'Abstention (Security Council)' is also 'Abstention'
    (a qualifier in brackets is not another name).
    """
    forms = [term]
    head, sep, rest = term.partition(" (")
    if sep and rest.endswith(")"):
        head, rest = head.strip(), rest[:-1].strip()
        forms.append(head)
        if _acronym(head) or _acronym(rest):
            forms.append(rest)
    return [f for f in dict.fromkeys(forms) if len(f) > 1]


# the only characters outside ASCII that a pattern ignoring case matches to an ASCII letter
# (İ ı to i, ſ to s, the Kelvin sign to k): folded before the quick test in find_terms
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


@lru_cache(maxsize=4)
def _term_patterns(glossary: tuple[Term, ...]) -> list[list[tuple[str | None, re.Pattern[str]]]]:
    """For each glossary term, each of its forms: a quick test (the form in lower case, when it is ASCII)
    and its pattern, compiled once per story rather than once per scene."""
    return [
        [
            (
                form.lower() if form.isascii() else None,
                # matching ignores case, except an acronym's: "PA" is an acronym, "pa" is not
                re.compile(r"(?<!\w)" + re.escape(form) + r"s?(?!\w)", 0 if _acronym(form) else re.IGNORECASE),
            )
            for form in term_forms(clean_line(t.term))
        ]
        for t in glossary
    ]


def find_terms(story: Story, text: str) -> list[tuple[int, int, int]]:
    """Where glossary terms first appear in ``text``: (start, end, index in story.glossary), in order, never overlapping.

    Matching ignores case (not an acronym's) and allows a plural "s"; each term is marked once.
    """
    spans: list[tuple[int, int, int]] = []
    lower = text.translate(_FOLD).lower()
    for k, forms in enumerate(_term_patterns(story.glossary)):
        best: tuple[int, int] | None = None
        for needle, pattern in forms:
            # most terms are not in a given scene: a substring test says so faster than the pattern
            m = pattern.search(text) if needle is None or needle in lower else None
            if m and (best is None or m.start() < best[0] or (m.start() == best[0] and m.end() > best[1])):
                best = (m.start(), m.end())
        if best is not None:
            spans.append((best[0], best[1], k))
    return apart(spans)


def apart(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The spans in order of where they start (the longest first at one place), each overlapping none before it."""
    spans = sorted(spans, key=lambda s: (s[0], -s[1]))
    out: list[tuple[int, int, int]] = []
    for span in spans:
        if not out or span[0] >= out[-1][1]:
            out.append(span)
    return out


@dataclass(frozen=True, slots=True)
class CastMember:
    name: str
    role: str
    description: str


def cast(story: Story) -> list[CastMember]:
    """The story's recurring characters, in the order the story lists them (every one of them invented)."""
    return [CastMember(clean_line(c.name), clean_line(c.role), clean_line(c.description)) for c in story.characters.values()]


def source_line(story: Story, source_id: str) -> str:
    """'Title. Publisher, date. Note' for one source (the id when the story does not know it)."""
    src = story.sources.get(source_id)
    if src is None:
        return clean_line(source_id)
    bits = [clean_line(src.title), ", ".join(clean_line(b) for b in (src.publisher, src.date) if b)]
    line = ". ".join(b for b in bits if b) + "."
    if src.note:
        line += " " + clean_line(src.note)
    return line


def change_words(changes: Sequence[Change]) -> str:
    """'US relations up 8 to 58, Domestic stability down 6 to 49': changes in words, for a screen reader."""
    out = []
    for c in changes:
        way = "up" if c.delta > 0 else "down" if c.delta < 0 else "unchanged"
        out.append(f"{c.label} {way} {abs(c.delta)}" + (f" to {c.after}" if c.after is not None else ""))
    return ", ".join(out)


def when(iso: str) -> str:
    """A save's time as local 'YYYY-MM-DD HH:MM'."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except (ValueError, TypeError):
        return clean_line(str(iso))[:16]
