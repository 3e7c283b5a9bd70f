"""Static warnings over a compiled story (W001-W005, W007-W009).

They run only on a story without errors. Each follows the story's static
graph of gotos; whether a node can really be reached once conditions and
meter values are taken into account is what ``tightrope explore`` answers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping

from .codes import problem
from .conditions import Expr, names
from .dates import parse_span, runs_backwards
from .diagnostics import Pos, Problem
from .model import Story
from .text import clean_line


def static_warnings(story: Story) -> list[Problem]:
    """Every warning about a story that loaded without errors."""
    out: list[Problem] = []
    graph, event_targets = _graph(story)
    out += _unreachable(story, graph, event_targets)
    out += _flags_and_meters(story)
    out += _unsourced(story)
    out += _scenario_warnings(story, graph, event_targets)
    out += _time_warnings(story)
    out += _silent_characters(story)
    out += _crowded_scenes(story)
    out += _uncited(story)
    return out


def _graph(story: Story) -> tuple[dict[str, set[str]], set[str]]:
    """Each node's choice and outcome targets; and every event's goto."""
    graph: dict[str, set[str]] = {}
    for nid, node in story.nodes.items():
        targets = graph[nid] = set()
        for c in node.choices:
            if c.goto is not None:  # Choice.targets, without making a tuple per choice
                targets.add(c.goto)
            else:
                targets.update([o.goto for o in c.outcomes])
    return graph, {e.goto for e in story.events if e.goto}


def _walk(graph: Mapping[str, set[str]], start: str, event_targets: set[str], stops: Collection[str] = ()) -> set[str]:
    """What the gotos reach from ``start`` (not going on past ``stops``).

    An event may send the story to its goto from any node, so its targets
    are reachable once any node is; they join the walk once, instead of
    being copied into every node's edges (nodes x events: gigabytes).
    """
    seen = {start}
    todo = [start]
    extra: set[str] | None = set(event_targets)
    while todo:
        here = todo.pop()
        if here in stops:
            continue
        after: Iterable[str] = graph.get(here, ())
        if extra is not None and here in graph:
            after = [*after, *extra]
            extra = None
        for nxt in after:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _unreachable(story: Story, graph: Mapping[str, set[str]], event_targets: set[str]) -> Iterator[Problem]:
    seen = _walk(graph, story.start, event_targets)
    seen |= {t.ending for m in story.meters for t in m.thresholds}
    for nid, node in story.nodes.items():
        if nid not in seen:
            yield problem("W001.node", node.pos, id=nid)
    for eid, ending in story.endings.items():
        if eid not in seen:
            yield problem("W001.ending", ending.pos, id=eid)


def _exprs(story: Story) -> Iterator[Expr]:
    for node in story.nodes.values():
        for a in node.advisors:
            if a.cond:
                yield a.cond
        for c in node.choices:
            if c.cond:
                yield c.cond
            for o in c.outcomes:
                yield o.weight
    for e in story.events:
        if e.cond:
            yield e.cond
        yield e.chance


def read_names(story: Story) -> set[str]:
    """Every name a condition, a number expression or a text of the story
    reads, the scenarios' endings and ends included."""
    found: set[str] = set()
    # the loader compiles each text once: many objects share one expression
    for expr in {id(expr): expr for expr in _exprs(story)}.values():
        found |= names(expr.tree)
    for node in story.nodes.values():
        node.text.add_names(found)
    for e in story.events:
        e.text.add_names(found)
    for ending in (*story.endings.values(), *story.scenario_endings.values()):
        ending.text.add_names(found)
    for sc in story.scenarios.values():
        for end in sc.ends:
            if end.cond is not None:
                found |= names(end.cond.tree)
    return found


def _flags_and_meters(story: Story) -> Iterator[Problem]:
    read = read_names(story)
    set_flags: set[int] = set()
    moved: set[int] = set()
    for n in story.nodes.values():
        for c in n.choices:
            if c.sets:
                set_flags.update(i for i, _ in c.sets)
            if c.effects:
                moved.update(i for i, _ in c.effects)
            for o in c.outcomes:
                set_flags.update(i for i, _ in o.sets)
                moved.update(i for i, _ in o.effects)
    for e in story.events:
        set_flags.update(i for i, _ in e.sets)
        moved.update(i for i, _ in e.effects)
    for i, flag in enumerate(story.flags):
        if flag.id not in read:
            yield problem("W002.read", flag.pos, id=flag.id)
        elif i not in set_flags:
            yield problem("W002.set", flag.pos, id=flag.id)
    for i, meter in enumerate(story.meters):
        if i not in moved:
            yield problem("W003", meter.pos, id=meter.id)


def _unsourced(story: Story) -> Iterator[Problem]:
    for nid, node in story.nodes.items():
        if node.basis != "hypothetical" and not node.sources:
            yield problem("W005", node.pos, kind="node", id=nid, basis=node.basis)
    for ending in story.endings.values():
        if ending.basis != "hypothetical" and not ending.sources:
            yield problem("W005", ending.pos, kind="ending", id=ending.id, basis=ending.basis)


def _scenario_warnings(story: Story, graph: Mapping[str, set[str]], event_targets: set[str]) -> Iterator[Problem]:
    """Each scenario's ends are reached from its start, and each scenario ending is named by an end."""
    named = {e.ending for sc in story.scenarios.values() for e in sc.ends}
    for eid, ending in story.scenario_endings.items():
        if eid not in named:
            yield problem("W001.scenario_ending", ending.pos, id=eid, scenario=ending.scenario)
    for sc in story.scenarios.values():
        seen = _walk(graph, sc.start, event_targets, {e.at for e in sc.ends})
        for end in sc.ends:
            if end.at not in seen:
                yield problem("W001.scenario_end", end.pos, scenario=sc.id, at=end.at, start=sc.start)


def _time_warnings(story: Story) -> Iterator[Problem]:
    """W007: a choice, outcome or event that leads to a scene dated earlier than the one it leaves."""
    spans = {nid: span for nid, n in story.nodes.items() if n.date and (span := parse_span(n.date)) is not None}
    out: list[Problem] = []

    def backwards(source: str, target: str) -> bool:
        a, z = spans.get(source), spans.get(target)
        return a is not None and z is not None and runs_backwards(a, z)

    def report(source: str, target: str, what: str, pos: Pos) -> None:
        src, dst = story.nodes[source], story.nodes[target]
        out.append(
            problem(
                "W007",
                pos,
                what=what,
                source=source,
                source_date=clean_line(src.date),
                source_pos=src.pos,
                target=target,
                target_date=clean_line(dst.date),
                target_pos=dst.pos,
            )
        )

    # the dated scenes that lead into each scene (an undated scene runs back to
    # none, and an event's check below reads only dated scenes)
    into: dict[str, list[str]] = {}
    for nid, node in story.nodes.items():
        if nid not in spans:
            continue
        for c in node.choices:
            if c.goto is not None:
                if backwards(nid, c.goto):
                    report(nid, c.goto, f'choice "{c.id}"', c.pos)
                into.setdefault(c.goto, []).append(nid)
            for o in c.outcomes:
                if backwards(nid, o.goto):
                    report(nid, o.goto, f'outcome "{o.id}" of choice "{c.id}"', o.pos)
                into.setdefault(o.goto, []).append(nid)
    for e in story.events:
        if e.goto is None or e.goto not in spans:
            continue
        # the event fires on the way out of a scene that leads into one of its
        # "before" nodes (any scene, without "before"); the latest such scene counts
        sources = {src for t in e.before for src in into.get(t, ())} if e.before else {n for v in into.values() for n in v}
        dated = {src: span for src in sources if (span := spans.get(src)) is not None}
        if dated:
            latest = max(dated, key=lambda n: dated[n][0])
            if backwards(latest, e.goto):
                report(latest, e.goto, f'event "{e.id}"', e.pos)
    return iter(out)


def _silent_characters(story: Story) -> Iterator[Problem]:
    if not story.characters:
        return
    spoken = {a.who for n in story.nodes.values() for a in n.advisors if a.who}
    for cid, character in story.characters.items():
        if cid not in spoken:
            yield problem("W008", character.pos, id=cid)


MAX_VOICES = 5  # the writing guide's limit: more than five people in one room is a chorus, not a cast


def _crowded_scenes(story: Story) -> Iterator[Problem]:
    """W009: a scene whose advisors speak in more than MAX_VOICES voices.

    A voice is a character (``who:``) or, for an unnamed advisor, its role;
    conditional variants of one voice's line count once.
    """
    for nid, node in story.nodes.items():
        if len(node.advisors) <= MAX_VOICES:  # no more voices than advisors
            continue
        voices = list(dict.fromkeys(a.who or a.role for a in node.advisors))
        if len(voices) > MAX_VOICES:
            names = ", ".join(clean_line(v) for v in voices)
            yield problem("W009", node.advisors[0].pos, id=nid, count=len(voices), voices=names, limit=MAX_VOICES)


def _uncited(story: Story) -> Iterator[Problem]:
    if not story.sources:
        return
    cited = {s for n in story.nodes.values() for s in n.sources} | {s for e in story.events for s in e.sources}
    endings = (*story.endings.values(), *story.scenario_endings.values())
    cited |= {s for e in endings for s in e.sources} | {t.source for t in story.glossary if t.source}
    for sid, source in story.sources.items():
        if sid not in cited:
            yield problem("W004", source.pos, id=sid)
