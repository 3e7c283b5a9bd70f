"""Generate a synthetic, valid Tightrope story of N nodes (for benchmarks).

The story is layered: after the start node, nodes sit in layers (three
times wider each, up to about sqrt(N) nodes), every choice leads to the next
layer (or, from the last layer, to an ending), and the first choices of
each node are spread so that every node has a way in: every node is
reachable and every game ends after about sqrt(N) decisions. It uses every
feature the engine has: meters with thresholds, flags, conditional and
locked choices, weighted random outcomes, conditional advisors, text with
``{meter}`` and ``{if ...}`` passages, events with conditions, chance
expressions, ``before`` lists, ``once`` and a diversion to an ending.

As a module::

    from benchmarks.gen_story import generate
    generate(Path("/tmp/big"), nodes=10_000, seed=0)

As a command::

    python benchmarks/gen_story.py /tmp/big --nodes 10000 --seed 0
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
from pathlib import Path
from typing import Any

import yaml

METERS = ("trust", "money", "calm", "reach", "risk")
FLAGS = tuple(f"flag_{i}" for i in range(6))
ENDINGS = tuple(f"end_{i}" for i in range(6))
NODES_PER_FILE = 500
SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "story.schema.json"
WORDS = (
    "the cabinet meets again and the envoy waits while the street grows loud and the partners ask "
    "for an answer before the next vote in New York"
).split()


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _effects(rng: random.Random, k: int) -> dict[str, int]:
    return {m: rng.choice([-8, -5, -3, 3, 5, 8]) for m in rng.sample(METERS, k)}


def _node(rng: random.Random, index: int, layer: int, layers: list[list[int]]) -> dict[str, Any]:
    nid = f"n{index}"
    last = layer == len(layers) - 1
    here = layers[layer]
    nxt = layers[layer + 1] if not last else []
    position = here.index(index)
    # choices 0..need-1 lead to the next layer's positions p, p + len(here), ... (or, from the
    # last layer, to those endings): every node and every ending gets a way in
    after = ENDINGS if last else [f"n{n}" for n in nxt]
    covered = [after[q] for q in range(position, len(after), len(here))]
    need = max(1, len(covered))

    def target(k: int) -> str:
        return covered[k] if k < len(covered) else rng.choice(after)

    choices: list[dict[str, Any]] = []
    for k in range(max(need, rng.randint(2, 4))):
        c: dict[str, Any] = {"id": f"c{k}", "text": _sentence(rng, 6)}
        if k >= need and rng.random() < 0.3:
            meter = rng.choice(METERS)
            c["if"] = f"{meter} >= {rng.randint(30, 60)}" if rng.random() < 0.7 else f"not {rng.choice(FLAGS)}"
            if rng.random() < 0.5:
                c["locked"] = "Needs more support."
        c["effects"] = _effects(rng, rng.randint(1, 2))
        if rng.random() < 0.15:
            c["set"] = {rng.choice(FLAGS): rng.random() < 0.7}
        if k >= need and rng.random() < 0.2:
            c["outcomes"] = [
                {"id": "good", "weight": f"{rng.choice(METERS)} + 10", "text": _sentence(rng, 5), "goto": target(k)},
                {"id": "bad", "weight": rng.randint(1, 20), "effects": _effects(rng, 1), "goto": target(k)},
            ]
        else:
            c["goto"] = target(k)
        choices.append(c)
    text = f"{_sentence(rng, 20)} Trust stands at {{trust}}."
    if rng.random() < 0.3:
        text += f" {{if {rng.choice(FLAGS)}}}{_sentence(rng, 8)}{{else}}{_sentence(rng, 6)}{{end}}"
    node: dict[str, Any] = {
        "id": nid,
        "title": _sentence(rng, 3)[:-1],
        "basis": "hypothetical",
        "text": text,
        "advisors": [
            {"role": "Foreign Office", "says": _sentence(rng, 10)},
            {"role": "Army", "says": _sentence(rng, 8), "if": f"risk > {rng.randint(10, 40)}"},
        ],
        "choices": choices,
    }
    if rng.random() < 0.1:
        node["key"] = True
    return node


def _events(rng: random.Random, node_ids: list[str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for i in range(5):
        e: dict[str, Any] = {
            "id": f"event_{i}",
            "title": _sentence(rng, 3)[:-1],
            "basis": "hypothetical",
            "text": _sentence(rng, 15) + " Calm is {calm}.",
            "chance": rng.choice([5, 10, "risk - 20", 15]),
            "effects": {METERS[i]: rng.choice([-8, -5, 5, 8]), **_effects(rng, 1)},
            "set": {FLAGS[i]: True, **({FLAGS[5]: True} if i == 4 else {})},
        }
        if i % 2 == 0:
            e["if"] = f"{rng.choice(METERS)} < {rng.randint(40, 70)}"
        if i == 1:
            e["before"] = rng.sample(node_ids, min(len(node_ids), 20))
        if i == 3:
            e["once"] = False
        if i == 4:
            e["goto"] = ENDINGS[-1]
            e["chance"] = 2
            e["if"] = "risk > 60"
        events.append(e)
    return events


def _dump(data: dict[str, Any]) -> str:
    # libyaml's safe dumper when PyYAML has it (ten times faster), else the pure-Python one
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=200))


def generate(folder: Path, nodes: int, seed: int = 0) -> Path:
    """Write a valid story of ``nodes`` nodes into ``folder`` (created if needed); return the folder."""
    if nodes < 1:
        raise ValueError("a story needs at least one node")
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    width = max(1, round(math.sqrt(nodes)))
    # the start node alone, then layers three times wider each, up to ``width`` nodes
    layers: list[list[int]] = [[0]]
    i = 1
    while i < nodes:
        size = min(width, 3 * len(layers[-1]), nodes - i)
        layers.append(list(range(i, i + size)))
        i += size
    layer_of = {n: k for k, layer in enumerate(layers) for n in layer}
    node_ids = [f"n{i}" for i in range(nodes)]
    try:
        schema = os.path.relpath(SCHEMA, folder.resolve())
    except ValueError:  # another drive on Windows
        schema = str(SCHEMA)
    modeline = f"# yaml-language-server: $schema={schema}\n"
    main: dict[str, Any] = {
        "story": {
            "id": "generated",
            "title": f"Generated story of {nodes} nodes",
            "version": "1.0",
            "start": "n0",
            "facts_as_of": "2025-11-25",
            "content_note": "A synthetic story for benchmarks.",
        },
        "meters": [
            {
                "id": m,
                "label": m.capitalize(),
                "description": f"The {m} meter.",
                "start": 50 if m != "risk" else 10,
                **({"thresholds": [{"below": 5, "ending": ENDINGS[k], "warning": "Close to the edge."}]} if k < 2 else {}),
            }
            for k, m in enumerate(METERS)
        ],
        "flags": [{"id": f, "description": f"Flag {f}."} for f in FLAGS],
        "events": _events(rng, node_ids),
        "endings": [
            {
                "id": e,
                "title": f"Ending {k}",
                "basis": "hypothetical",
                "text": _sentence(rng, 12) + f" Final trust {{trust}}. {{if {FLAGS[k]}}}{_sentence(rng, 4)}{{end}}",
                "debrief": _sentence(rng, 10),
                "questions": ["What happened?", "Why?"],
            }
            for k, e in enumerate(ENDINGS)
        ],
    }
    (folder / "story.yaml").write_text(modeline + _dump(main), encoding="utf-8")
    for start in range(0, nodes, NODES_PER_FILE):
        chunk = [_node(rng, i, layer_of[i], layers) for i in range(start, min(start + NODES_PER_FILE, nodes))]
        text = modeline + _dump({"nodes": chunk})
        (folder / f"nodes_{start // NODES_PER_FILE:04d}.yaml").write_text(text, encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic, valid Tightrope story of N nodes.")
    parser.add_argument("folder", type=Path, help="where to write the story (created if needed)")
    parser.add_argument("--nodes", type=int, default=1000, help="number of nodes (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.nodes < 1:
        parser.error("--nodes must be at least 1")
    if args.folder.exists() and any(args.folder.iterdir()):
        print(f"gen_story: {args.folder} is not empty; choose a new folder", file=sys.stderr)
        return 2
    generate(args.folder, args.nodes, args.seed)
    print(f"wrote a story of {args.nodes:,} nodes to {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
