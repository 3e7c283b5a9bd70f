"""The story format, declared once.

The same declarations validate an author's YAML (with positions, stable
codes and "did you mean" hints) and generate the JSON Schema (draft-07) that
editors use through the yaml-language-server modeline. ``docs/story-format.md``
documents every field listed here, and a test keeps them in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Pos, Problem, did_you_mean
from .yamlsafe import YMap, YNode, YScalar, YSeq

ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
_ID_RE = re.compile(ID_PATTERN)

INVALID: Any = object()


@dataclass
class Rec:
    """A validated object: its values, its position and each field's position."""

    kind: str
    values: dict[str, Any]
    pos: Pos
    where: dict[str, Pos] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def at(self, name: str) -> Pos:
        return self.where.get(name, self.pos)


@dataclass(frozen=True)
class Located:
    """A scalar value with the position it came from (for map values)."""

    value: Any
    pos: Pos
    node: YScalar | None = None


class Ctx:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # ids of objects that failed validation: references to them are not
        # reported again as unknown
        self.broken_ids: set[str] = set()

    def error(self, code: str, message: str, pos: Pos) -> Any:
        self.problems.append(Problem(code, message, pos))
        return INVALID


def _describe(node: YNode) -> str:
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    v = node.value
    if v is None:
        return "nothing (empty)"
    if isinstance(v, bool):
        return f"true/false ({node.text})"
    if isinstance(v, (int, float)):
        return f"a number ({node.text})"
    return "text"


def _yaml11_note(node: YScalar) -> str:
    if node.plain and not isinstance(node.value, str):
        if isinstance(node.value, bool):
            return f'; YAML reads the bare word "{node.text}" as {str(node.value).lower()}: put it in quotes'
        if node.value is None:
            return "; the value is empty"
        return f'; YAML reads "{node.text}" as the number {node.value}: put it in quotes'
    return ""


class T:
    """A type in the story format."""

    doc = ""

    def validate(self, node: YNode, ctx: Ctx) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def label(self) -> str:
        return "a value"


class Str(T):
    def __init__(
        self, doc: str = "", pattern: str | None = None, min_len: int = 1, max_len: int = 100_000, what: str = "text"
    ) -> None:
        self.doc = doc
        self.pattern = pattern
        self.regex = re.compile(pattern) if pattern else None
        self.min_len = min_len
        self.max_len = max_len
        self.what = what

    def label(self) -> str:
        return self.what

    def validate(self, node: YNode, ctx: Ctx) -> Any:
        if not isinstance(node, YScalar) or not isinstance(node.value, str):
            note = _yaml11_note(node) if isinstance(node, YScalar) else ""
            return ctx.error("S001", f"expected {self.what}, found {_describe(node)}{note}", node.pos)
        value = node.value
        if len(value.strip()) < self.min_len:
            return ctx.error("S006", f"{self.what} must not be empty", node.pos)
        if len(value) > self.max_len:
            return ctx.error("S006", f"{self.what} is {len(value):,} characters long (limit {self.max_len:,})", node.pos)
        if self.regex and not self.regex.match(value):
            return ctx.error("S007", f'"{value[:60]}" is not a valid {self.what}', node.pos)
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if self.pattern:
            out["pattern"] = self.pattern
        if self.min_len:
            out["minLength"] = self.min_len
        if self.doc:
            out["description"] = self.doc
        return out


class Id(Str):
    def __init__(self, doc: str = "") -> None:
        super().__init__(doc, ID_PATTERN, what="id (lower-case letters, digits and _, starting with a letter)")

    def label(self) -> str:
        return "id"


class Int(T):
    def __init__(self, doc: str = "", lo: int = -1_000_000, hi: int = 1_000_000) -> None:
        self.doc = doc
        self.lo = lo
        self.hi = hi

    def label(self) -> str:
        return "a whole number"

    def validate(self, node: YNode, ctx: Ctx) -> Any:
        if not isinstance(node, YScalar) or isinstance(node.value, bool) or not isinstance(node.value, int) or not node.plain:
            return ctx.error("S001", f"expected a whole number, found {_describe(node)}", node.pos)
        if not self.lo <= node.value <= self.hi:
            return ctx.error("S008", f"{node.value} is outside the allowed range {self.lo} to {self.hi}", node.pos)
        return node.value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer", "minimum": self.lo, "maximum": self.hi}
        if self.doc:
            out["description"] = self.doc
        return out


class Bool(T):
    def __init__(self, doc: str = "") -> None:
        self.doc = doc

    def label(self) -> str:
        return "true or false"

    def validate(self, node: YNode, ctx: Ctx) -> Any:
        if not isinstance(node, YScalar) or not isinstance(node.value, bool) or not node.plain:
            return ctx.error("S001", f"expected true or false, found {_describe(node)}", node.pos)
        if node.text not in ("true", "false"):
            return ctx.error("S001", f'write true or false, not "{node.text}"', node.pos)
        return node.value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "boolean"}
        if self.doc:
            out["description"] = self.doc
        return out


class Expr(T):
    """A condition (true/false) or a number expression, written as text.

    Number expressions may also be written as a plain whole number, and
    conditions as a plain true/false.
    """

    def __init__(self, want: str, doc: str = "") -> None:
        self.want = want
        self.doc = doc

    def label(self) -> str:
        return "a condition" if self.want == "bool" else "a number or number expression"

    def validate(self, node: YNode, ctx: Ctx) -> Any:
        if isinstance(node, YScalar):
            if isinstance(node.value, str) and node.value.strip():
                return Located(node.value, node.pos, node)
            if self.want == "number" and isinstance(node.value, int) and not isinstance(node.value, bool):
                return Located(str(node.value), node.pos, node)
            if self.want == "bool" and isinstance(node.value, bool) and node.text in ("true", "false"):
                return Located(node.text, node.pos, node)
        return ctx.error("S001", f"expected {self.label()}, found {_describe(node)}", node.pos)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        types: list[str] = ["string", "integer"] if self.want == "number" else ["string", "boolean"]
        out: dict[str, Any] = {"type": types}
        if self.doc:
            out["description"] = self.doc
        return out


class Enum(T):
    def __init__(self, values: list[str], doc: str = "") -> None:
        self.values = values
        self.doc = doc

    def label(self) -> str:
        return "one of " + ", ".join(self.values)

    def validate(self, node: YNode, ctx: Ctx) -> Any:
        if isinstance(node, YScalar) and isinstance(node.value, str) and node.value in self.values:
            return node.value
        got = node.text if isinstance(node, YScalar) else _describe(node)
        hint = did_you_mean(got, self.values)
        return ctx.error("S007", f'expected {self.label()}, found "{got}"{hint}', node.pos)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "enum": list(self.values)}
        if self.doc:
            out["description"] = self.doc
        return out


class List(T):
    def __init__(self, item: T, doc: str = "", min_items: int = 0, max_items: int = 100_000, too_few: str = "") -> None:
        self.item = item
        self.too_few = too_few
        self.doc = doc
        self.min_items = min_items
        self.max_items = max_items

    def label(self) -> str:
        return "a list"

    def validate(self, node: YNode, ctx: Ctx) -> Any:
        if not isinstance(node, YSeq):
            return ctx.error("S001", f"expected a list, found {_describe(node)}", node.pos)
        if len(node.items) < self.min_items:
            if self.too_few:
                return ctx.error("S009", self.too_few, node.pos)
            return ctx.error(
                "S009", f"the list needs at least {self.min_items} item{'s' if self.min_items > 1 else ''}", node.pos
            )
        if len(node.items) > self.max_items:
            return ctx.error("S009", f"the list has {len(node.items):,} items (limit {self.max_items:,})", node.pos)
        out = [self.item.validate(item, ctx) for item in node.items]
        return [v for v in out if v is not INVALID]

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.schema(defs)}
        if self.min_items:
            out["minItems"] = self.min_items
        if self.doc:
            out["description"] = self.doc
        return out


class Table(T):
    """A mapping from ids to values (effects, flag changes)."""

    def __init__(self, value: T, doc: str = "") -> None:
        self.value = value
        self.doc = doc

    def label(self) -> str:
        return "a mapping of ids to values"

    def validate(self, node: YNode, ctx: Ctx) -> Any:
        if not isinstance(node, YMap):
            return ctx.error("S001", f"expected a mapping of ids to values, found {_describe(node)}", node.pos)
        out: dict[str, Located] = {}
        for key, (knode, vnode) in node.items.items():
            if not _ID_RE.match(key):
                ctx.error("S007", f'"{key}" is not a valid id', knode.pos)
                continue
            value = self.value.validate(vnode, ctx)
            if value is not INVALID:
                out[key] = Located(value, knode.pos)
        return out

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "object",
            "propertyNames": {"pattern": ID_PATTERN},
            "additionalProperties": self.value.schema(defs),
        }
        if self.doc:
            out["description"] = self.doc
        return out


@dataclass
class Field:
    name: str
    type: T
    required: bool = False
    doc: str = ""


class Obj(T):
    def __init__(
        self,
        name: str,
        doc: str,
        fields: list[Field],
        one_of: list[tuple[str, ...]] | None = None,
        any_of: list[tuple[str, ...]] | None = None,
    ) -> None:
        self.name = name
        self.doc = doc
        self.fields = {f.name: f for f in fields}
        # groups of fields of which exactly one must be present
        self.one_of = one_of or []
        # groups of fields of which at least one must be present
        self.any_of = any_of or []

    def label(self) -> str:
        return f"a {self.name} (a mapping)"

    def validate(self, node: YNode, ctx: Ctx) -> Any:
        if not isinstance(node, YMap):
            return ctx.error("S001", f"expected {self.label()}, found {_describe(node)}", node.pos)
        rec = Rec(self.name, {}, node.pos)
        ok = True
        for key, (knode, vnode) in node.items.items():
            spec = self.fields.get(key)
            if spec is None:
                hint = did_you_mean(key, self.fields)
                ctx.error("S002", f'unknown field "{key}" in {self.name}{hint}', knode.pos)
                ok = False
                continue
            value = spec.type.validate(vnode, ctx)
            if value is INVALID:
                ok = False
                continue
            rec.values[key] = value
            rec.where[key] = vnode.pos
        for spec in self.fields.values():
            if spec.required and spec.name not in node.items:
                ctx.error("S003", f'{self.name} is missing the required field "{spec.name}"', node.pos)
                ok = False
        for group in self.one_of:
            present = [g for g in group if g in node.items]
            if len(present) != 1:
                names = " or ".join(f'"{g}"' for g in group)
                what = "has both" if present else "needs one of"
                ctx.error("S004", f"{self.name} {what} {names}", node.pos)
                ok = False
        for group in self.any_of:
            if not any(g in node.items for g in group):
                names = " or ".join(f'"{g}"' for g in group)
                ctx.error("S003", f"{self.name} needs {names}", node.pos)
                ok = False
        if not ok:
            id_node = node.items.get("id")
            if id_node is not None and isinstance(id_node[1], YScalar):
                ctx.broken_ids.add(id_node[1].text)
            return INVALID
        return rec

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        if self.name not in defs:
            defs[self.name] = {}  # placeholder against recursion
            props = {}
            for f in self.fields.values():
                prop = f.type.schema(defs)
                if f.doc:
                    prop = {**prop, "description": f.doc}
                props[f.name] = prop
            body: dict[str, Any] = {
                "type": "object",
                "description": self.doc,
                "additionalProperties": False,
                "properties": props,
            }
            required = [f.name for f in self.fields.values() if f.required]
            if required:
                body["required"] = required
            # each group is its own constraint: one oneOf per group (an object
            # with two groups needs both to hold, so they are combined with allOf)
            groups = [{"oneOf": [{"required": [g]} for g in group]} for group in self.one_of]
            groups += [{"anyOf": [{"required": [g]} for g in group]} for group in self.any_of]
            if len(groups) == 1:
                body.update(groups[0])
            elif groups:
                body["allOf"] = groups
            defs[self.name] = body
        return {"$ref": f"#/definitions/{self.name}"}


# --------------------------------------------------------------------------
# The story format v1
# --------------------------------------------------------------------------
TEXT = "Story text. Plain text, never markup. {meter_id} shows a meter's value, {player} the player's name, {if CONDITION}...{else}...{end} shows a passage only when the condition holds; {{ and }} write literal braces."
BASIS = Enum(
    ["reported", "hypothetical", "mixed"],
    "Whether this rests on reported fact (cite sources), is invented (hypothetical), or mixes both.",
)
SOURCE_IDS = List(Id(), "Ids of entries in the story's source list.")
EFFECTS = Table(Int(lo=-100, hi=100), "Meter changes: meter id to a whole number added to the meter (negative to lower it).")
SETS = Table(Bool(), "Flag changes: flag id to true or false.")

META = Obj(
    "story",
    "Story metadata: exactly one file of the folder has this section.",
    [
        Field("id", Id(), True, "Stable id of the story; saves refer to it."),
        Field("title", Str(), True, "Title shown on the title screen."),
        Field("version", Str(what='version text such as "1.0.0"'), True, 'Version of the story, as text ("1.2.0"); quote it.'),
        Field("start", Id(), True, "Id of the first node."),
        Field(
            "facts_as_of",
            Str(pattern=r"^\d{4}-\d{2}-\d{2}$", what="date (YYYY-MM-DD)"),
            True,
            "The date up to which the story's facts are reported; later events are hypothetical.",
        ),
        Field("content_note", Str(), True, "Shown before the story starts."),
        Field("premise", Str(), False, "One paragraph shown on the title screen."),
        Field("authors", List(Str()), False, "Who wrote the story."),
        Field("license", Str(), False, "Licence of the story text, for example CC BY 4.0."),
    ],
)

THRESHOLD = Obj(
    "threshold",
    "Ends the game when the meter falls below or rises above a value.",
    [
        Field("below", Int(), False, "The game ends when the meter is below this value."),
        Field("above", Int(), False, "The game ends when the meter is above this value."),
        Field("ending", Id(), True, "Id of the ending reached."),
        Field("warning", Str(), False, "Shown while the meter is within warn_within points of the threshold."),
        Field("warn_within", Int(lo=0, hi=1000), False, "How close counts as a warning (default 15)."),
    ],
    one_of=[("below", "above")],
)

METER = Obj(
    "meter",
    "A number that choices move, kept between min and max.",
    [
        Field("id", Id(), True, "Stable id, used in effects, conditions and {id} in text."),
        Field("label", Str(), True, "Name shown to the player."),
        Field("description", Str(), True, "What the meter means, for students."),
        Field("start", Int(), True, "Value at the start."),
        Field("min", Int(), False, "Lowest value (default 0)."),
        Field("max", Int(), False, "Highest value (default 100)."),
        Field("thresholds", List(THRESHOLD), False, "Values that end the game."),
    ],
)

FLAG = Obj(
    "flag",
    "A declared true/false fact about the game so far.",
    [
        Field("id", Id(), True, "Stable id, used in set and in conditions."),
        Field("description", Str(), True, "What the flag records."),
        Field("start", Bool(), False, "Value at the start (default false)."),
    ],
)

CHARACTER = Obj(
    "character",
    "A recurring invented person whom advisors can name with who:. The cast list marks every character as invented.",
    [
        Field("id", Id(), True, "Stable id, used in advisors' who:."),
        Field("name", Str(), True, "The character's name."),
        Field("role", Str(), True, 'Their office or place, for example "Director, UN desk, Foreign Office".'),
        Field("description", Str(max_len=300), True, "One line for the cast list."),
    ],
)

ADVISOR = Obj(
    "advisor",
    "One voice on the decision: who speaks (a character, an office or a group) and what they say.",
    [
        Field("who", Id(), False, "Id of a character from the characters: section; their name and role are shown."),
        Field(
            "role",
            Str(),
            False,
            'Who speaks when no character does: an office or a group, for example "Foreign Office". '
            "With who:, it replaces the character's role for this scene.",
        ),
        Field("says", Str(), True, "What they say, in their own best terms."),
        Field("if", Expr("bool"), False, "Only shown when this condition holds."),
    ],
    any_of=[("who", "role")],
)

OUTCOME = Obj(
    "outcome",
    "One possible result of a choice; one is drawn at random by weight.",
    [
        Field("id", Id(), True, "Stable id, unique within the choice."),
        Field(
            "weight", Expr("number"), True, "Relative chance: a whole number or a number expression (values below 0 count as 0)."
        ),
        Field("text", Str(), False, "Shown after the choice when this outcome is drawn."),
        Field("effects", EFFECTS),
        Field("set", SETS),
        Field("goto", Id(), True, "Id of the next node or ending."),
    ],
)

CHOICE = Obj(
    "choice",
    "One option the player can take.",
    [
        Field("id", Id(), True, "Stable id, unique within the node."),
        Field("text", Str(), True, "One line, starting with a verb."),
        Field("if", Expr("bool"), False, "Only available when this condition holds."),
        Field(
            "locked",
            Str(),
            False,
            "When the condition does not hold, show the choice disabled with this reason (otherwise it is hidden).",
        ),
        Field("effects", EFFECTS),
        Field("set", SETS),
        Field("goto", Id(), False, "Id of the next node or ending."),
        Field("outcomes", List(OUTCOME, min_items=1), False, "Weighted random results, instead of goto."),
        Field("note", Str(), False, "Author's note on why the choice matters; shown in the debrief."),
    ],
    one_of=[("goto", "outcomes")],
)

NODE = Obj(
    "node",
    "A scene with a decision.",
    [
        Field("id", Id(), True, "Stable id, unique in the story."),
        Field("title", Str(), True, "Scene title."),
        Field("date", Str(), False, "Date shown with the scene, as text."),
        Field("place", Str(), False, "Place shown with the scene."),
        Field("basis", BASIS, True),
        Field("sources", SOURCE_IDS),
        Field("text", Str(doc=TEXT), True, TEXT),
        Field("advisors", List(ADVISOR), False, "Voices on this decision."),
        Field("key", Bool(), False, "A key decision: classroom mode asks for a written rationale here."),
        Field(
            "choices",
            List(
                CHOICE,
                min_items=1,
                too_few="a node needs at least one choice: a scene with no way out must be written as an ending",
            ),
            True,
            "The options; at least one.",
        ),
    ],
)

EVENT = Obj(
    "event",
    "An interlude that may fire between two nodes.",
    [
        Field("id", Id(), True, "Stable id; in conditions it counts how often the event fired."),
        Field("title", Str(), True, "Title of the interlude."),
        Field("basis", BASIS, True),
        Field("sources", SOURCE_IDS),
        Field("text", Str(doc=TEXT), True, TEXT),
        Field("if", Expr("bool"), False, "The event can fire only when this holds."),
        Field("chance", Expr("number"), True, "Percent chance (0-100) when eligible: a whole number or a number expression."),
        Field("before", List(Id()), False, "Fire only on the way into one of these nodes."),
        Field("once", Bool(), False, "Fire at most once (default true)."),
        Field("effects", EFFECTS),
        Field("set", SETS),
        Field("goto", Id(), False, "Send the story to this node or ending instead."),
    ],
)

ENDING = Obj(
    "ending",
    "An end of the story, with its debrief.",
    [
        Field("id", Id(), True, "Stable id, unique in the story."),
        Field("title", Str(), True, "Title of the ending."),
        Field("basis", BASIS, True),
        Field("sources", SOURCE_IDS),
        Field("text", Str(doc=TEXT), True, "What happened."),
        Field("debrief", Str(), True, "What was real, what was invented, and what the ending teaches."),
        Field("questions", List(Str(), min_items=1), True, "Discussion questions."),
        Field(
            "scenario",
            Id(),
            False,
            "Id of the scenario this ending belongs to: only that scenario reaches it (through its ends:), never the full story.",
        ),
    ],
)

SCENARIO_END = Obj(
    "scenario_end",
    "Where a scenario stops: when the story would go to the node at:, the scenario ends instead.",
    [
        Field("at", Id(), True, "Id of a node; reaching it ends the scenario."),
        Field("ending", Id(), True, "Id of the ending reached (an ending with scenario: set to this scenario)."),
        Field(
            "if",
            Expr("bool"),
            False,
            "Only when this holds; entries for the same node are tried in order, and the last one has no if.",
        ),
    ],
)

SCENARIO = Obj(
    "scenario",
    "A shorter game inside the story: its own start node, and nodes where it ends with endings of its own.",
    [
        Field("id", Id(), True, "Stable id, as given to --scenario."),
        Field("title", Str(), True, "Title shown where the player chooses what to play."),
        Field("description", Str(), True, "One or two sentences: what it covers and how long it takes."),
        Field("start", Id(), True, "Id of the node the scenario starts at."),
        Field("ends", List(SCENARIO_END, min_items=1), True, "Where the scenario stops, and which ending it gives."),
    ],
)

TERM = Obj(
    "term",
    "A glossary entry.",
    [
        Field("term", Str(), True, "The word or phrase."),
        Field("definition", Str(), True, "A plain explanation."),
        Field("source", Id(), False, "Id of a source for the definition."),
    ],
)

SOURCE = Obj(
    "source",
    "An entry in the source list.",
    [
        Field("id", Id(), True, "Stable id, used in sources lists."),
        Field("title", Str(), True, "Title of the document or report."),
        Field("publisher", Str(), False, "Who published it."),
        Field("date", Str(), False, "Publication date, as text."),
        Field("url", Str(), False, "Where to find it."),
        Field("note", Str(), False, "What it supports."),
    ],
)

FILE = Obj(
    "story_file",
    "One YAML file of a Tightrope story folder. Any file may hold any of these sections.",
    [
        Field("story", META),
        Field("characters", List(CHARACTER)),
        Field("scenarios", List(SCENARIO)),
        Field("meters", List(METER)),
        Field("flags", List(FLAG)),
        Field("nodes", List(NODE)),
        Field("events", List(EVENT)),
        Field("endings", List(ENDING)),
        Field("glossary", List(TERM)),
        Field("sources", List(SOURCE)),
    ],
)

SCHEMA_ID = "https://tightrope.invalid/schema/story-v1.json"


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of one story file."""
    defs: dict[str, Any] = {}
    root = FILE.schema(defs)
    body = defs.pop(FILE.name)
    assert root["$ref"].endswith(FILE.name)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "Tightrope story file (format v1)",
        **body,
        "definitions": dict(sorted(defs.items())),
    }


ALL_OBJECTS = [
    FILE,
    META,
    CHARACTER,
    SCENARIO,
    SCENARIO_END,
    METER,
    THRESHOLD,
    FLAG,
    NODE,
    ADVISOR,
    CHOICE,
    OUTCOME,
    EVENT,
    ENDING,
    TERM,
    SOURCE,
]
