"""Draw a story as a graph: Graphviz DOT or a Mermaid flowchart.

Scenes (nodes) are rounded boxes, the start scene has a double border,
endings are double octagons (stadiums in Mermaid; red when a meter
threshold leads to them), events are hexagons and a random draw is a small
diamond with one edge per outcome. Edges carry choice ids; a conditional
choice is dashed and shows its condition; an event's ``before`` nodes are
joined to it by a dotted line and its diversion (``goto``) by a thick red
edge. A note lists the meter thresholds, with an edge to each threshold
ending.

``focus`` keeps only what leads to and from one node, ending or event (its
ancestors and descendants, following choices, outcomes, events and the
thresholds that choices can push a meter across).

All story text is cleaned of control characters and escaped for the output
language; ids are safe already (lower-case letters, digits and ``_``) and get
a prefix per kind so that no id can clash with a keyword.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..story.diagnostics import did_you_mean
from ..story.model import Story
from ..story.text import clean_line

LABEL_WIDTH = 40


@dataclass(frozen=True, slots=True)
class GNode:
    gid: str
    kind: str  # scene, start, ending, threshold_ending, event, random, note
    lines: tuple[str, ...]
    tooltip: str
    ref: str | None  # the story id drawn (None for random draws and the note)


@dataclass(frozen=True, slots=True)
class GEdge:
    src: str
    dst: str
    kind: str  # choice, conditional, outcome, before, divert, threshold
    label: str
    tooltip: str = ""


@dataclass
class Graph:
    title: str
    nodes: dict[str, GNode] = field(default_factory=dict)
    edges: list[GEdge] = field(default_factory=list)


def short(text: str, width: int = LABEL_WIDTH) -> str:
    text = clean_line(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def gid(story: Story, ref: str) -> str:
    if ref in story.endings:
        return "e_" + ref
    if ref in story.nodes:
        return "n_" + ref
    return "v_" + ref


NOTE = "t_thresholds"


def build(story: Story) -> Graph:
    """The whole story as a graph of drawable parts."""
    g = Graph(clean_line(story.meta.title))
    thresholds = {t.ending for m in story.meters for t in m.thresholds}
    for nid, node in story.nodes.items():
        kind = "start" if nid == story.start else "scene"
        g.nodes[gid(story, nid)] = GNode(gid(story, nid), kind, (nid, short(node.title)), clean_line(node.title), nid)
    for eid, ending in story.endings.items():
        kind = "threshold_ending" if eid in thresholds else "ending"
        g.nodes[gid(story, eid)] = GNode(gid(story, eid), kind, (eid, short(ending.title)), clean_line(ending.title), eid)
    hubs = 0
    for nid, node in story.nodes.items():
        for c in node.choices:
            cond = clean_line(c.cond.source) if c.cond else ""
            kind = "conditional" if c.cond else "choice"
            label = c.id + (f"\nif {short(cond)}" if cond else "")
            tip = f"{c.id}: {clean_line(c.text)}" + (f" (if {cond})" if cond else "")
            if c.goto is not None:
                g.edges.append(GEdge(gid(story, nid), gid(story, c.goto), kind, label, tip))
                continue
            hubs += 1
            hub = f"r{hubs}"
            g.nodes[hub] = GNode(hub, "random", ("?",), f"random outcome of {c.id} at {nid}", None)
            g.edges.append(GEdge(gid(story, nid), hub, kind, label, tip))
            for o in c.outcomes:
                weight = clean_line(o.weight.source)
                g.edges.append(
                    GEdge(hub, gid(story, o.goto), "outcome", f"{o.id} ({short(weight, 24)})", f"{o.id}: weight {weight}")
                )
    for e in story.events:
        lines = [e.id, short(e.title), f"chance {short(clean_line(e.chance.source), 30)}%"]
        if e.effects:
            lines.append(", ".join(f"{story.meters[i].id} {d:+d}" for i, d in e.effects))
        if e.cond is not None:
            lines.append(f"if {short(e.cond.source)}")
        if not e.before:
            lines.append("(on the way into any node)")
        tip = clean_line(e.title) + (f" (if {clean_line(e.cond.source)})" if e.cond else "")
        g.nodes[gid(story, e.id)] = GNode(gid(story, e.id), "event", tuple(lines), tip, e.id)
        for nid in sorted(e.before):
            g.edges.append(GEdge(gid(story, e.id), gid(story, nid), "before", "before"))
        if e.goto is not None:
            g.edges.append(GEdge(gid(story, e.id), gid(story, e.goto), "divert", "diverts"))
    if thresholds:
        lines = ["Thresholds"]
        for m in story.meters:
            for t in m.thresholds:
                rule = f"{m.id} < {t.below}" if t.below is not None else f"{m.id} > {t.above}"
                lines.append(f"{rule}: {t.ending}")
                g.edges.append(GEdge(NOTE, gid(story, t.ending), "threshold", rule))
        g.nodes[NOTE] = GNode(NOTE, "note", tuple(lines), "meter thresholds end the game", None)
    return g


def flow(story: Story) -> dict[str, set[str]]:
    """Which story ids can lead directly to which (for --focus).

    An event fires on the way from one scene into another, so it gets one
    flow node per scene it can fire before (``EVENT@NODE``): it follows the
    scenes that lead there and leads on into that scene, or to its ``goto``.
    A threshold ending follows every choice and event that can push its
    meter across.
    """
    out: dict[str, set[str]] = {i: set() for i in [*story.nodes, *story.endings]}
    entered: dict[str, set[str]] = {}  # node id -> nodes with a choice or outcome into it
    for nid, node in story.nodes.items():
        for c in node.choices:
            for target in c.targets:
                out[nid].add(target)
                entered.setdefault(target, set()).add(nid)
    crossing: dict[int, list[tuple[int, str]]] = {}  # meter index -> (direction, threshold ending)
    for i, m in enumerate(story.meters):
        crossing[i] = [(-1 if t.below is not None else 1, t.ending) for t in m.thresholds]

    def pushes(effects: Iterable[tuple[int, int]]) -> set[str]:
        return {ending for i, d in effects for sign, ending in crossing[i] if d * sign > 0}

    for nid, node in story.nodes.items():
        for c in node.choices:
            out[nid] |= pushes([*c.effects, *(x for o in c.outcomes for x in o.effects)])
    for e in story.events:
        into = e.before or frozenset(t for t in entered if t in story.nodes)
        for target in into:
            instance = f"{e.id}@{target}"
            for pred in entered.get(target, ()):
                out[pred].add(instance)
            out[instance] = ({e.goto} if e.goto else {target}) | pushes(e.effects)
    return out


def _closure(starts: Iterable[str], edges: dict[str, set[str]]) -> set[str]:
    seen = set(starts)
    todo = list(seen)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def focus(story: Story, g: Graph, ref: str) -> Graph:
    """Only the ancestors and descendants of one node, ending or event."""
    fwd = flow(story)
    starts = [k for k in fwd if k == ref or k.startswith(ref + "@")]
    if not starts and ref not in {e.id for e in story.events}:
        raise KeyError(ref)
    back: dict[str, set[str]] = {}
    for src, dsts in fwd.items():
        for d in dsts:
            back.setdefault(d, set()).add(src)
    reached = _closure(starts, fwd) | _closure(starts, back)
    keep_refs = {k.partition("@")[0] for k in reached} | {ref}
    keep = {n.gid for n in g.nodes.values() if n.ref in keep_refs}
    # random draws: kept when their scene and one of their outcomes are
    outcomes: dict[str, list[str]] = {}
    for e in g.edges:
        if e.kind == "outcome":
            outcomes.setdefault(e.src, []).append(e.dst)
    for e in g.edges:
        if e.src in keep and g.nodes[e.dst].kind == "random" and any(d in keep for d in outcomes.get(e.dst, ())):
            keep.add(e.dst)
    if any(e.src == NOTE and e.dst in keep for e in g.edges):
        keep.add(NOTE)
    out = Graph(g.title + f" (focus: {ref})")
    out.nodes = {k: v for k, v in g.nodes.items() if k in keep}
    out.edges = [e for e in g.edges if e.src in keep and e.dst in keep]
    return out


def focus_error(story: Story, ref: str) -> str:
    pool = [*story.nodes, *story.endings, *(e.id for e in story.events)]
    return f'--focus: "{ref}" is not a node, ending or event of this story{did_you_mean(ref, pool)}'


# ----------------------------------------------------------------- DOT
def dot_quote(text: str) -> str:
    """A DOT double-quoted string; newlines become line breaks in labels."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "")
    return '"' + text.replace("\n", "\\n") + '"'


_DOT_NODE = {
    "scene": 'shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#5b7db1"',
    "start": 'shape=box, style="rounded,filled,bold", fillcolor="#eef3fb", color="#1b3b6f", peripheries=2',
    "ending": 'shape=doubleoctagon, style=filled, fillcolor="#e3f4e1", color="#3c763d"',
    "threshold_ending": 'shape=doubleoctagon, style=filled, fillcolor="#f8e1e1", color="#a94442"',
    "event": 'shape=hexagon, style=filled, fillcolor="#fff4d6", color="#b8860b"',
    "random": "shape=diamond, width=0.3, height=0.3, fixedsize=true, fontsize=9",
    "note": 'shape=note, style=filled, fillcolor="#f5f5f5", color="#999999"',
}
_DOT_EDGE = {
    "choice": "",
    "conditional": "style=dashed",
    "outcome": 'color="#555555", fontcolor="#555555"',
    "before": 'style=dotted, color="#999999", arrowhead=odot, fontcolor="#777777"',
    "divert": "color=firebrick, penwidth=2, fontcolor=firebrick",
    "threshold": 'style=dashed, color="#a94442", fontcolor="#a94442"',
}


def to_dot(g: Graph, legend: bool = True) -> str:
    out = [
        "digraph story {",
        f"  graph [label={dot_quote(g.title)}, labelloc=t, fontname=Helvetica, rankdir=TB];",
        "  node [fontname=Helvetica, fontsize=10];",
        "  edge [fontname=Helvetica, fontsize=9];",
    ]
    for n in g.nodes.values():
        out.append(f"  {n.gid} [{_DOT_NODE[n.kind]}, label={dot_quote(chr(10).join(n.lines))}, tooltip={dot_quote(n.tooltip)}];")
    for e in g.edges:
        attrs = [a for a in (_DOT_EDGE[e.kind], f"label={dot_quote(e.label)}") if a]
        if e.tooltip:
            attrs.append(f"tooltip={dot_quote(e.tooltip)}")
        out.append(f"  {e.src} -> {e.dst} [{', '.join(attrs)}];")
    if legend:
        out += _dot_legend()
    out.append("}")
    return "\n".join(out) + "\n"


_LEGEND = (
    ("scene", "scene"),
    ("start", "start scene"),
    ("ending", "ending"),
    ("threshold_ending", "threshold ending"),
    ("event", "event"),
    ("random", "?"),
)


def _dot_legend() -> list[str]:
    out = ["  subgraph cluster_legend {", '    label="Legend"; fontsize=10; color="#cccccc";']
    for kind, text in _LEGEND:
        out.append(f"    legend_{kind} [{_DOT_NODE[kind]}, label={dot_quote(text)}];")
    out.append('    legend_scene -> legend_start [label="choice"];')
    out.append(f'    legend_start -> legend_ending [{_DOT_EDGE["conditional"]}, label="if …"];')
    out.append(f'    legend_random -> legend_threshold_ending [{_DOT_EDGE["outcome"]}, label="outcome"];')
    out.append(f'    legend_event -> legend_scene [{_DOT_EDGE["divert"]}, label="diverts"];')
    out.append("  }")
    return out


# ----------------------------------------------------------------- Mermaid
_MERMAID_ESCAPE = {'"': "#34;", "#": "#35;", "&": "#38;", "<": "#60;", ">": "#62;", "%": "#37;", "`": "#96;", "\\": "#92;"}


def mermaid_text(text: str) -> str:
    """A Mermaid quoted label: special characters as entity codes, lines joined with <br>."""
    lines = [clean_line(line) for line in text.split("\n")]
    return '"' + "<br>".join("".join(_MERMAID_ESCAPE.get(ch, ch) for ch in line) for line in lines) + '"'


_MERMAID_SHAPE = {
    "scene": ("[", "]"),
    "start": ("[", "]"),
    "ending": ("([", "])"),
    "threshold_ending": ("([", "])"),
    "event": ("{{", "}}"),
    "random": ("{", "}"),
    "note": ("[", "]"),
}
_MERMAID_LINK = {
    "choice": "-->",
    "conditional": "-.->",
    "outcome": "-->",
    "before": "-.-",
    "divert": "==>",
    "threshold": "-.->",
}
_MERMAID_CLASSES = (
    "classDef k_scene fill:#eef3fb,stroke:#5b7db1",
    "classDef k_start fill:#eef3fb,stroke:#1b3b6f,stroke-width:3px",
    "classDef k_ending fill:#e3f4e1,stroke:#3c763d",
    "classDef k_threshold_ending fill:#f8e1e1,stroke:#a94442",
    "classDef k_event fill:#fff4d6,stroke:#b8860b",
    "classDef k_random fill:#ffffff,stroke:#555555",
    "classDef k_note fill:#f5f5f5,stroke:#999999",
)


def to_mermaid(g: Graph, legend: bool = True) -> str:
    # the front matter is YAML: a JSON string is a valid YAML double-quoted scalar
    out = ["---", f"title: {json.dumps(g.title)}", "---", "flowchart TD"]
    out += [f"  {c}" for c in _MERMAID_CLASSES]
    for n in g.nodes.values():
        left, right = _MERMAID_SHAPE[n.kind]
        out.append(f"  {n.gid}{left}{mermaid_text(chr(10).join(n.lines))}{right}:::k_{n.kind}")
    for e in g.edges:
        out.append(f"  {e.src} {_MERMAID_LINK[e.kind]}|{mermaid_text(e.label)}| {e.dst}")
    if legend:
        out.append('  subgraph legend ["Legend"]')
        for kind, text in _LEGEND:
            left, right = _MERMAID_SHAPE[kind]
            out.append(f"    legend_{kind}{left}{mermaid_text(text)}{right}:::k_{kind}")
        out.append('    legend_scene -->|"choice"| legend_start')
        out.append('    legend_start -.->|"if …"| legend_ending')
        out.append('    legend_random -->|"outcome"| legend_threshold_ending')
        out.append('    legend_event ==>|"diverts"| legend_scene')
        out.append("  end")
    return "\n".join(out) + "\n"


def render(story: Story, fmt: str, focus_on: str | None = None, legend: bool = True) -> str:
    """The story drawn in ``fmt`` ("dot" or "mermaid"); KeyError for an unknown focus id."""
    g = build(story)
    if focus_on is not None:
        g = focus(story, g, focus_on)
    return to_dot(g, legend) if fmt == "dot" else to_mermaid(g, legend)
