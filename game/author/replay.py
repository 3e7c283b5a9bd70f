"""Replay testplans: story tests that authors write in YAML, without Python.

A plan names a story folder (relative to the plan file), a seed, an optional
player name and a list of steps. Each step is a choice id, or a mapping with
``choice`` and the expectations to check after that decision::

    story: ../../story
    seed: 3
    steps:
      - commit
      - choice: address
        node: decision             # the node reached
        meters: {us: ">= 50", domestic: [40, 60], gulf: 50}
        flags: {revisions_tabled: false}
        events: []                 # exactly the events that fired on this step
        available: [deploy, stay_out]   # what the player sees at the node reached
        locked: []
        hidden: [push_hard]
        text: "The eight-nation group"  # a part of the scene as rendered
      - choice: deploy
        outcome: accepted          # the random outcome drawn (if the choice has outcomes)
        ending: contingent

A plan may start at any node with ``start:`` and ``set:`` (meter and flag
values), to test one scene without playing the way to it; a step without
``choice`` checks the scene where the game stands without playing.

Plans are read with the story layer's bounded YAML composer
(:func:`game.story.yamlsafe.load_file`), so every value keeps its line and
hostile YAML (aliases bombs, deep nesting, huge files) is refused early.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..engine import EngineError, GameState, choose, new_game, options
from ..engine.scene import Value, start_at
from ..story import Story, StoryError, load_story
from ..story.diagnostics import did_you_mean
from ..story.text import clean
from ..story.yamlsafe import YamlProblem, YMap, YNode, YScalar, YSeq, load_file

PLAN_KEYS = ("story", "scenario", "seed", "player", "name", "description", "start", "set", "steps")
STEP_KEYS = ("choice", "node", "ending", "outcome", "meters", "flags", "events", "available", "locked", "hidden", "text")
SEEN = ("available", "locked", "hidden")  # how the choices at the node reached are shown
_COMPARE_RE = re.compile(r"^\s*(==|!=|<=|>=|<|>)?\s*(-?\d+)\s*$")


class PlanError(Exception):
    """The plan cannot be read or does not fit its story (exit 2)."""


@dataclass(frozen=True, slots=True)
class Check:
    """One meter expectation: a comparison or an inclusive range."""

    op: str  # ==, !=, <, <=, >, >=, or "in" for a range
    value: int
    high: int = 0

    def holds(self, v: int) -> bool:
        op = self.op
        if op == "in":
            return self.value <= v <= self.high
        return {
            "==": v == self.value,
            "!=": v != self.value,
            "<": v < self.value,
            "<=": v <= self.value,
            ">": v > self.value,
            ">=": v >= self.value,
        }[op]

    def __str__(self) -> str:
        if self.op == "in":
            return f"in {self.value}..{self.high}"
        return f"{self.op} {self.value}"


@dataclass
class Step:
    number: int  # 1-based
    line: int
    choice: str | None  # None: check the scene where the game stands, without playing
    node: tuple[str, int] | None = None  # expected value and its line
    ending: tuple[str, int] | None = None
    outcome: tuple[str, int] | None = None
    meters: list[tuple[str, Check, int]] = field(default_factory=list)
    flags: list[tuple[str, bool, int]] = field(default_factory=list)
    events: tuple[tuple[str, ...], int] | None = None
    # choice ids shown available, shown locked, or not shown, at the node reached
    seen: dict[str, tuple[tuple[str, ...], int]] = field(default_factory=dict)
    text: list[tuple[str, int]] = field(default_factory=list)  # parts of the scene as rendered


@dataclass
class Plan:
    path: Path
    display: str
    story_dir: Path
    seed: int
    player: str
    steps: list[Step]
    name: str = ""
    scenario: str | None = None  # play this scenario of the story (None: the full story)
    scenario_line: int = 0
    start: tuple[str, int] | None = None  # start at this node (and line) instead of the story's start
    values: dict[str, tuple[Value, int]] = field(default_factory=dict)  # set: meter and flag values at the start


@dataclass
class Result:
    plan: Plan
    failures: list[str]  # "plan.yaml:12: step 3 (choice revise): expected ..."
    state: GameState | None

    @property
    def ok(self) -> bool:
        return not self.failures


def _where(display: str, node: YNode) -> str:
    return f"{display}:{node.pos.line}"


def _wrong(node: YNode, display: str, what: str, wanted: str) -> PlanError:
    found = "a list" if isinstance(node, YSeq) else "a mapping" if isinstance(node, YMap) else repr(node.text)
    return PlanError(f"{_where(display, node)}: {what} must be {wanted}, found {found}")


def _text(node: YNode, display: str, what: str) -> str:
    if isinstance(node, YScalar) and isinstance(node.value, str) and node.value:
        return node.value
    raise _wrong(node, display, what, "text")


def _int(node: YNode, display: str, what: str) -> int:
    if isinstance(node, YScalar) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    raise _wrong(node, display, what, "a whole number")


def _bool(node: YNode, display: str, what: str) -> bool:
    if isinstance(node, YScalar) and isinstance(node.value, bool):
        return node.value
    raise _wrong(node, display, what, "true or false")


def _keys(node: YMap, allowed: tuple[str, ...], display: str, what: str) -> None:
    for key, (knode, _) in node.items.items():
        if key not in allowed:
            raise PlanError(
                f'{_where(display, knode)}: unknown key "{key}" in {what}{did_you_mean(key, allowed)}'
                f" (known: {', '.join(allowed)})"
            )


def _check(node: YNode, display: str, meter: str) -> Check:
    if isinstance(node, YSeq):
        bounds = [
            i.value for i in node.items if isinstance(i, YScalar) and isinstance(i.value, int) and not isinstance(i.value, bool)
        ]
        if len(node.items) == 2 and len(bounds) == 2 and bounds[0] <= bounds[1]:
            return Check("in", bounds[0], bounds[1])
        raise PlanError(f"{_where(display, node)}: meter {meter}: a range is a list of two whole numbers [low, high]")
    if isinstance(node, YScalar):
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            return Check("==", node.value)
        if isinstance(node.value, str):
            m = _COMPARE_RE.match(node.value)
            if m:
                return Check(m.group(1) or "==", int(m.group(2)))
    raise PlanError(
        f'{_where(display, node)}: meter {meter}: expected a number, a comparison such as ">= 40", or a range such as [40, 60]'
    )


def read_plan(path: Path, display: str | None = None) -> Plan:
    """Read and validate a plan file (not yet against its story)."""
    display = display or str(path)
    try:
        tree = load_file(path, display)
    except YamlProblem as exc:
        raise PlanError(str(exc.problem)) from None
    if not isinstance(tree, YMap):
        raise PlanError(f"{display}: a plan is a mapping with story, seed and steps")
    _keys(tree, PLAN_KEYS, display, "the plan")
    items = {k: v for k, (_, v) in tree.items.items()}
    for required in ("story", "steps"):
        if required not in items:
            raise PlanError(f'{display}:{tree.pos.line}: the plan needs "{required}"')
    story_dir = path.parent / _text(items["story"], display, "story")
    seed = _int(items["seed"], display, "seed") if "seed" in items else 0
    player = _text(items["player"], display, "player") if "player" in items else ""
    name = _text(items["name"], display, "name") if "name" in items else ""
    scenario = _text(items["scenario"], display, "scenario") if "scenario" in items else None
    scenario_line = items["scenario"].pos.line if "scenario" in items else 0
    start = (_text(items["start"], display, "start"), items["start"].pos.line) if "start" in items else None
    values = _values(items["set"], display) if "set" in items else {}
    steps_node = items["steps"]
    if not isinstance(steps_node, YSeq) or not steps_node.items:
        raise PlanError(f"{_where(display, steps_node)}: steps must be a list of choice ids (at least one)")
    steps = [_step(n, item, display) for n, item in enumerate(steps_node.items, 1)]
    return Plan(path, display, story_dir, seed, player, steps, name, scenario, scenario_line, start, values)


def _values(node: YNode, display: str) -> dict[str, tuple[Value, int]]:
    """``set: {us: 40, consulted: true}``: meter and flag values at the start."""
    if not isinstance(node, YMap):
        raise PlanError(f"{_where(display, node)}: set must be a mapping such as {{us: 40, consulted: true}}")
    out: dict[str, tuple[Value, int]] = {}
    for name, (knode, value) in node.items.items():
        if not isinstance(value, YScalar) or not isinstance(value.value, int):  # bool is an int too
            raise _wrong(value, display, f"set {name}", "a whole number (a meter) or true/false (a flag)")
        out[name] = (value.value, knode.pos.line)
    return out


def _step(number: int, node: YNode, display: str) -> Step:
    if isinstance(node, YScalar):
        return Step(number, node.pos.line, _text(node, display, f"step {number}"))
    if not isinstance(node, YMap):
        raise PlanError(f"{_where(display, node)}: step {number} must be a choice id or a mapping with choice: ...")
    _keys(node, STEP_KEYS, display, f"step {number}")
    items = {k: v for k, (_, v) in node.items.items()}
    choice = _text(items["choice"], display, "choice") if "choice" in items else None
    if choice is None:
        played = [k for k in ("outcome", "events") if k in items]
        if played:
            raise PlanError(f'{_where(display, node)}: step {number} has {played[0]} but no "choice": nothing is played')
    step = Step(number, node.pos.line, choice)
    for key in ("node", "ending", "outcome"):
        if key in items:
            setattr(step, key, (_text(items[key], display, key), items[key].pos.line))
    if "meters" in items:
        meters = items["meters"]
        if not isinstance(meters, YMap):
            raise PlanError(f'{_where(display, meters)}: meters must be a mapping such as {{us: ">= 40"}}')
        for mid, (knode, value) in meters.items.items():
            step.meters.append((mid, _check(value, display, mid), knode.pos.line))
    if "flags" in items:
        flags = items["flags"]
        if not isinstance(flags, YMap):
            raise PlanError(f"{_where(display, flags)}: flags must be a mapping such as {{revisions_tabled: true}}")
        for fid, (knode, value) in flags.items.items():
            step.flags.append((fid, _bool(value, display, f"flag {fid}"), knode.pos.line))
    if "events" in items:
        events = items["events"]
        if not isinstance(events, YSeq):
            raise PlanError(f"{_where(display, events)}: events must be a list of event ids ([] for none)")
        ids = tuple(_text(e, display, "an event id") for e in events.items)
        step.events = (ids, events.pos.line)
    for key in SEEN:
        if key in items:
            listed = items[key]
            if not isinstance(listed, YSeq):
                raise PlanError(f"{_where(display, listed)}: {key} must be a list of choice ids ([] for none)")
            step.seen[key] = (tuple(_text(c, display, "a choice id") for c in listed.items), listed.pos.line)
    if "text" in items:
        texts = items["text"]
        parts = texts.items if isinstance(texts, YSeq) else [texts]
        step.text = [(_text(t, display, "text"), t.pos.line) for t in parts]
    return step


def check_ids(plan: Plan, story: Story) -> None:
    """Expectations must name ids the story has (a typo is a plan error, not a failure)."""
    events = {e.id for e in story.events}
    choices = {c.id for n in story.nodes.values() for c in n.choices}
    if plan.start is not None and plan.start[0] not in story.nodes:
        raise PlanError(f"{plan.display}:{plan.start[1]}: start: " + _start_problem(story, plan.start[0]))
    for name, (_, line) in plan.values.items():
        if name not in story.meter_index and name not in story.flag_index:
            hint = did_you_mean(name, [*story.meter_index, *story.flag_index])
            raise PlanError(f'{plan.display}:{line}: set: "{name}" is not a meter or flag of this story{hint}')
    first_state(plan, story)  # a start or a value the story cannot take
    for step in plan.steps:
        pairs: list[tuple[str, str, set[str] | dict[str, object], int]] = []
        for ids, line in step.seen.values():
            pairs += [("choice", cid, choices, line) for cid in ids]
        if step.node:
            pairs.append(("node", step.node[0], set(story.nodes), step.node[1]))
        if step.ending:
            pairs.append(("ending", step.ending[0], set(story.endings), step.ending[1]))
        pairs += [("meter", mid, dict(story.meter_index), line) for mid, _, line in step.meters]
        pairs += [("flag", fid, dict(story.flag_index), line) for fid, _, line in step.flags]
        if step.events:
            pairs += [("event", eid, events, step.events[1]) for eid in step.events[0]]
        for kind, value, pool, line in pairs:
            if value not in pool:
                raise PlanError(
                    f'{plan.display}:{line}: step {step.number}: "{value}" is not {_a(kind)} of this story{did_you_mean(value, pool)}'
                )


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def _start_problem(story: Story, node: str) -> str:
    try:
        start_at(story, node)
    except EngineError as exc:
        return str(exc)
    return ""


def first_state(plan: Plan, story: Story) -> GameState:
    """The game a plan starts from: the story's start, or its ``start:`` with its ``set:`` values."""
    if plan.start is None and not plan.values:
        return new_game(story, plan.seed, plan.player)
    node = plan.start[0] if plan.start else story.start
    try:
        return start_at(story, node, {k: v for k, (v, _) in plan.values.items()}, plan.seed, plan.player)
    except EngineError as exc:
        line = plan.start[1] if plan.start else min(line for _, line in plan.values.values())
        raise PlanError(f"{plan.display}:{line}: {exc}") from None


def run_plan(plan: Plan, story: Story) -> Result:
    """Play the plan's steps; stop at the first step that fails."""
    try:
        state = first_state(plan, story)
    except PlanError as exc:
        return Result(plan, [str(exc)], None)
    for step in plan.steps:
        what = f"choice {step.choice}" if step.choice is not None else "no choice"
        head = f"{plan.display}:{step.line}: step {step.number} ({what})"
        if step.choice is not None:
            if state.ending is not None:
                return Result(plan, [f"{head}: the game already ended at ending {state.ending}"], state)
            try:
                state = choose(story, state, step.choice)
            except EngineError as exc:
                return Result(plan, [f"{head}: cannot be taken at node {state.node}: {exc}"], state)
        failures = [f"{plan.display}:{line}: step {step.number} ({what}): {text}" for line, text in _compare(story, step, state)]
        if failures:
            return Result(plan, failures, state)
    return Result(plan, [], state)


def scene_text(story: Story, state: GameState) -> str:
    """The scene where the game stands, as a player reads it: the title, the
    rendered text, the advisors shown and the choices shown (with the reason
    of a locked one); at an ending, its title and text. Control characters
    are removed and every run of spaces and line breaks is one space."""
    if state.ending is not None:
        ending = story.endings[state.ending]
        parts = [ending.title, ending.text.render(state, state.player)]
    else:
        node = story.nodes[state.node]
        parts = [node.title, node.text.render(state, state.player)]
        for a in node.advisors:
            if a.cond is None or a.cond(state):
                character = story.characters.get(a.who) if a.who else None
                speaker = f"{character.name}, {a.role}" if character else a.role
                parts.append(f"{speaker}: {a.says}")
        for option in options(story, state):
            parts.append(option.choice.text if option.enabled else f"{option.choice.text} ({option.reason})")
    return " ".join(clean(" ".join(parts)).split())


def _seen(story: Story, state: GameState) -> dict[str, tuple[str, ...]]:
    """The choice ids at the node reached: available, locked (shown disabled) and hidden."""
    if state.ending is not None:
        return {key: () for key in SEEN}
    shown = options(story, state)
    available = tuple(o.choice.id for o in shown if o.enabled)
    locked = tuple(o.choice.id for o in shown if not o.enabled)
    hidden = tuple(c.id for c in story.nodes[state.node].choices if c.id not in available and c.id not in locked)
    return {"available": available, "locked": locked, "hidden": hidden}


def _compare(story: Story, step: Step, state: GameState) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    played = state.step
    where = state.ending or state.node
    reached = f"ending {state.ending}" if state.ending else f"node {state.node}"
    if step.node and (state.ending is not None or state.node != step.node[0]):
        out.append((step.node[1], f"expected node {step.node[0]}, reached {reached}"))
    if step.ending and state.ending != step.ending[0]:
        out.append((step.ending[1], f"expected ending {step.ending[0]}, reached {reached}"))
    if step.outcome and played is not None and played.outcome != step.outcome[0]:
        got = f"outcome {played.outcome}" if played.outcome else "no random outcome"
        out.append((step.outcome[1], f"expected outcome {step.outcome[0]}, drew {got}"))
    for mid, check, line in step.meters:
        value = state.meters[story.meter_index[mid]]
        if not check.holds(value):
            out.append((line, f"expected meter {mid} {check}, it is {value} (at {where})"))
    for fid, want, line in step.flags:
        value = state.flags[story.flag_index[fid]]
        if value != want:
            out.append((line, f"expected flag {fid} {str(want).lower()}, it is {str(value).lower()}"))
    if step.events is not None and played is not None and tuple(sorted(played.events)) != tuple(sorted(step.events[0])):
        expected = ", ".join(step.events[0]) or "none"
        fired = ", ".join(played.events) or "none"
        out.append((step.events[1], f"expected events [{expected}], fired [{fired}]"))
    if step.seen:
        seen = _seen(story, state)
        for key, (ids, line) in step.seen.items():
            if sorted(ids) != sorted(seen[key]):
                out.append((line, f"expected {key} [{', '.join(ids)}] at {reached}, found [{', '.join(seen[key])}]"))
    if step.text:
        scene = scene_text(story, state)
        for part, line in step.text:
            if " ".join(part.split()) not in scene:
                shown = scene if len(scene) <= 120 else scene[:119] + "…"
                out.append((line, f'expected the scene at {reached} to show "{part}"; it reads: {shown}'))
    return out


def load_plan_story(plan: Plan, cache: dict[Path, Story]) -> Story:
    """The plan's story (in its scenario), loaded once per folder; PlanError when it cannot be loaded."""
    key = plan.story_dir.resolve()
    story = cache.get(key)
    if story is None:
        story = _load(plan)
        cache[key] = story
    try:
        return story.scenario_named(plan.scenario)
    except ValueError as exc:
        raise PlanError(f"{plan.display}:{plan.scenario_line}: {exc}") from None


def _load(plan: Plan) -> Story:
    if not plan.story_dir.is_dir():
        raise PlanError(f"{plan.display}: story folder {plan.story_dir} does not exist (story: is relative to the plan file)")
    try:
        story = load_story(plan.story_dir)
    except StoryError as exc:
        first = "; ".join(str(p) for p in exc.problems[:3])
        more = f" (and {len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
        raise PlanError(f"{plan.display}: the story {plan.story_dir} cannot be loaded: {first}{more}") from None
    return story
