"""Every problem the story layer reports, in one registry.

A problem has a stable code (``R002``), a severity, a one-line meaning (the
table in ``docs/story-format.md`` is checked against :data:`CODES` by a test)
and one or more message templates. A template is named ``CODE`` or
``CODE.variant`` (``S006.long``) and filled with :meth:`str.format`; the
loader, the schema, the YAML reader, the condition language and the text
templates all build their messages here, so one file holds every sentence an
author can be shown.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from .diagnostics import Pos, Problem, Severity


@dataclass(frozen=True, slots=True)
class Code:
    """A problem code of the registry: its severity, its meaning, and its messages by variant."""

    code: str
    severity: Severity
    meaning: str  # one line, as in the reference's table
    messages: Mapping[str, str]  # variant ("" for the plain code) -> template

    def fields(self, variant: str = "") -> set[str]:
        """The names a template needs."""
        return {name for _, name, _, _ in string.Formatter().parse(self.messages[variant]) if name}


def _c(code: str, severity: Severity, meaning: str, main: str | None = None, **variants: str) -> Code:
    messages = dict(variants)
    if main is not None:
        messages[""] = main
    return Code(code, severity, meaning, messages)


_E: Severity = "error"
_W: Severity = "warning"

_ALL = [
    # ---------------------------------------------------------------- files
    _c(
        "F001",
        _E,
        "No such story folder, or a file was given instead of a folder.",
        "no such story folder",
        file="expected a story folder, found a file",
    ),
    _c("F002", _E, "The folder holds no `.yaml` story files.", "the folder holds no .yaml or .yml story files"),
    # ---------------------------------------------------------------- YAML
    _c(
        "Y001",
        _E,
        "Invalid YAML (syntax), or an unknown alias.",
        "invalid YAML: {detail}",
        opened="invalid YAML: the {what} opened here is not closed (the parser gave up at line {line}, column {column}: {detail})",
        bracket=(
            'invalid YAML: {detail}; a value that starts with "{bracket}" is read as a {what}: put the whole text in quotes'
        ),
        alias='unknown alias "*{name}": an alias repeats a value anchored (&{name}) earlier in the same file',
    ),
    _c("Y002", _E, "Duplicate key.", 'duplicate key "{key}" (first at line {line})'),
    _c("Y003", _E, "A YAML tag such as `!!python/object`.", 'YAML tags such as "{tag}" are not allowed in a story'),
    _c("Y004", _E, "Nesting deeper than 64 levels.", "nesting is deeper than {limit} levels"),
    _c(
        "Y005",
        _E,
        "More than 1,000,000 values, counting alias expansion.",
        "file has more than {limit:,} values",
        aliases="aliases expand this file past {limit:,} values",
    ),
    _c("Y006", _E, "An alias that refers to the value that contains it.", 'alias "*{name}" refers to the value that contains it'),
    _c(
        "Y007",
        _E,
        "A file over 8 MiB, or a story over 64 MiB.",
        "file is {size:,} bytes; a story file may be at most {limit:,}",
        grew="file is more than {limit:,} bytes",
        story="the story folder holds more than {limit:,} bytes of YAML",
    ),
    _c(
        "Y008",
        _E,
        "A file that is not valid UTF-8.",
        "file is not valid UTF-8 text",
        unicode="text is not valid Unicode",
    ),
    _c("Y009", _E, "A binary file (it contains NUL bytes).", "file contains NUL bytes: it looks binary, not YAML"),
    _c("Y010", _E, "More than one YAML document in a file.", "only one YAML document is allowed per file"),
    _c("Y011", _E, "A key that is a list or mapping.", "a key must be a plain word, not a list or mapping"),
    _c(
        "Y012",
        _E,
        "A link pointing outside the story folder, or a broken link.",
        "broken or looping link",
        outside="link points outside the story folder; it is not read",
    ),
    _c("Y013", _E, "A single text value over 200,000 characters.", "text of {length:,} characters is too long (limit {limit:,})"),
    _c(
        "Y014",
        _E,
        "A folder (or something else) where a YAML file was expected.",
        "expected a YAML file here, found a folder",
        special="not a regular file",
    ),
    _c(
        "Y015",
        _E,
        "More than 1,000 story files, more than 20,000 files and folders in all, or folders nested more than 16 deep.",
        entries="the story folder holds more than {limit:,} entries",
        deep="folders nest more than {limit} levels deep; not read",
        files="a story may have at most {limit} files",
    ),
    _c("Y016", _W, "An empty file.", "file is empty"),
    _c(
        "Y017",
        _E,
        "A tab in indentation: YAML indents with spaces only.",
        "a tab in indentation: YAML indents with spaces only; replace the tab with spaces",
    ),
    _c(
        "Y018",
        _E,
        "A merge key (`<<: *anchor`), which the story format does not read.",
        'a merge key ("<<") is not read in a story: write the fields out in full '
        "(an alias may repeat a whole value, not merge one mapping into another)",
    ),
    _c(
        "Y019",
        _E,
        "An alias to an anchor of another file: anchors work only within one file.",
        'alias "*{name}" names an anchor of another file ({where}); anchors work only within one file: '
        "copy the value here, or move both into one file",
    ),
    _c(
        "Y100",
        _E,
        "A file that cannot be read (the check cannot run: exit 2).",
        "cannot read file: {reason}",
        folder="cannot read folder: {reason}",
    ),
    # ---------------------------------------------------------------- shape
    _c(
        "S001",
        _E,
        "A value of the wrong type (with the YAML 1.1 explanation where it applies).",
        "expected {expected}, found {found}{note}",
        bool='write true or false, not "{text}"',
    ),
    _c("S002", _E, 'An unknown field (with "did you mean").', 'unknown field "{key}" in {obj}{hint}'),
    _c(
        "S003",
        _E,
        "A required field is missing.",
        '{obj} is missing the required field "{field}"',
        any="{obj} needs {names}",
    ),
    _c(
        "S004",
        _E,
        "Exactly one of two fields is needed (`goto` or `outcomes`; `below` or `above`; a threshold's `warnings` or "
        "`warning` and `warn_within`).",
        both="{obj} needs either {names}, not both",
        none="{obj} needs either {names}",
        warnings='a threshold has both "warnings" and "{name}": give the levels in "warnings" only',
    ),
    _c(
        "S005",
        _E,
        "A meter's `start`, `min` and `max` do not fit together.",
        range="min ({lo}) must be below max ({hi})",
        start="start ({start}) is outside min..max ({lo}..{hi})",
    ),
    _c(
        "S006",
        _E,
        "Empty or over-long text.",
        empty="{what} must not be empty",
        long="{what} is {length:,} characters long (limit {limit:,})",
    ),
    _c(
        "S007",
        _E,
        "A value that is not a valid id, date or choice of values.",
        '"{text}" is not a valid {what}',
        enum='expected {expected}, found "{found}"{hint}',
    ),
    _c(
        "S008",
        _E,
        "A number that cannot be: outside its allowed range (effects -100 to 100, a `chance` outside 0-100, "
        "a negative constant `weight`), or a threshold its meter can never cross or always crosses.",
        "{value} is outside the allowed range {lo} to {hi}",
        never='threshold "{side} {value}" can never be crossed: meter "{meter}" stays within {lo}..{hi}',
        always='threshold "{side} {value}" is always crossed: every value of meter "{meter}" ({lo}..{hi}) is {side} {value}',
        start='meter "{meter}" starts at {start}, which already crosses its threshold "{side} {value}": '
        "the first decision would end the game",
        chance="chance {value} is outside 0 to 100: a chance is a percentage",
        weight="weight {value} is below 0: a weight is 0 or more (0 means never, unless every weight is 0)",
    ),
    _c(
        "S009",
        _E,
        "A list with too few or too many items (for example a node without choices).",
        few="the list needs at least {least} item{s}",
        many="the list has {count:,} items (limit {limit:,})",
        choices="a node needs at least one choice: a scene with no way out must be written as an ending",
    ),
    _c(
        "S010",
        _E,
        "A duplicate id.",
        'duplicate id "{id}" (first defined at {first})',
        kind='duplicate {kind} id "{id}" (first defined at {first})',
        choice='duplicate choice id "{id}" in node "{node}" (first at line {line})',
        outcome='duplicate outcome id "{id}" in choice "{choice}"',
        within="two warnings at within: {within}",
    ),
    _c("S011", _E, "A reserved word used as an id.", '"{id}" is a reserved word and cannot be an id (reserved: {words})'),
    _c("S012", _E, "`locked` without `if`.", 'a choice with "locked" needs an "if" condition'),
    _c(
        "S013",
        _E,
        "A scenario's ends that do not fit together: an end naming an ending of the full story or of another "
        "scenario, an end that can never be used, or a last end at a node that has an `if`.",
        full='"{ending}" is an ending of the full story; give scenario "{scenario}" endings of its own '
        "(an ending with scenario: {scenario})",
        other='the ending "{ending}" belongs to scenario "{owner}", not "{scenario}"',
        unused='an end at "{at}" without if: comes before another end at the same node, which is never used',
        last='the last end at "{at}" has an if:; the last one must have none, so the scenario always ends there',
    ),
    _c(
        "S020",
        _E,
        "No file has a `story:` section.",
        'no file has a "story:" section with the story\'s id, title and start node',
    ),
    _c("S021", _E, "More than one `story:` section.", 'a second "story:" section (the first is at {first})'),
    # ---------------------------------------------------------------- references
    _c(
        "R001",
        _E,
        "A `goto`, `before` or threshold `ending` names an unknown node or ending.",
        '"{id}" is not a node or ending of this story{hint}',
        ending='"{id}" is not an ending of this story{hint}',
        before='"{id}" in before is not a node of this story{hint}',
        before_ending='before lists nodes only: "{id}" is an ending (an event fires on the way into a node)',
    ),
    _c("R002", _E, "An effect names an unknown meter.", 'unknown meter "{id}" in effects{hint}'),
    _c("R003", _E, "A `set` names an unknown flag.", 'unknown flag "{id}" in set{hint}'),
    _c("R004", _E, "An unknown source id.", 'unknown source "{id}"{hint}'),
    _c(
        "R005",
        _E,
        "The start node does not exist (or is an ending).",
        'start node "{id}" is not a node of this story{hint}',
        ending='start node "{id}" is an ending; the story must start at a node',
    ),
    _c("R006", _E, "An advisor's `who` names an unknown character.", '"{id}" is not a character of this story{hint}'),
    _c(
        "R007",
        _E,
        "A scenario's `start` or `at` names an unknown node, its `ending` an unknown ending, or an ending's "
        "`scenario` an unknown scenario.",
        scenario='"{id}" is not a scenario of this story{hint}',
        start='scenario "{scenario}" starts at "{id}", which is not a node{hint}',
        at='"{id}" in at: is not a node of this story{hint}',
        ending='"{id}" is not an ending of scenario "{scenario}"{hint}',
    ),
    # ---------------------------------------------------------------- conditions
    _c(
        "C001",
        _E,
        "Condition syntax error.",
        'unexpected "{token}"',
        character='unexpected character "{char}"',
        quote="unterminated text in quotes",
        whole="only whole numbers are allowed",
        empty="condition is empty",
        chain='chained comparisons are not allowed; join two comparisons with "and"',
        paren='missing ")"',
        early="condition ends too early",
        text="a condition must be text",
    ),
    _c("C002", _E, "Unknown name in a condition.", 'unknown name "{unknown}"{hint}'),
    _c(
        "C003",
        _E,
        "Type error in a condition (for example `us and ok`, or a condition that gives a number).",
        unary='"{op}" needs {want}, not {got}',
        logic='"{op}" joins true/false values, not {got}',
        equal="cannot compare {left} with {right}",
        order='"{op}" compares numbers, not {got}',
        arith='"{op}" works on numbers, not {got}',
        result="this must give {want}, but gives {got}",
    ),
    _c(
        "C004",
        _E,
        "`=` written for `==`, or `&&`, `||`, `!` for `and`, `or`, `not`.",
        eq='use "==" to compare; "=" alone is not allowed',
        word='write "{word}" instead of "{op}"',
    ),
    _c(
        "C005",
        _E,
        "Something the language does not have: calls, attributes, subscripts, powers, division.",
        power="powers are not allowed",
        division="division is not allowed",
        percent="the % operator is not allowed",
        attribute="attributes (a dot after a name) are not allowed",
        subscript="subscripts ([...]) are not allowed",
        comma="commas are not allowed: there are no calls or lists",
        call='calls such as "{call}(...)" are not allowed',
    ),
    _c("C006", _E, "Nested more than 32 levels deep.", "expression is nested more than {limit} levels deep"),
    _c(
        "C007",
        _E,
        "Longer than 2,000 characters or 400 tokens.",
        length="condition is {length:,} characters long; the limit is {limit:,}",
        tokens="condition has more than {limit} parts; split it up",
    ),
    _c("C008", _E, "A number over 1,000,000,000.", "number is too large (limit {limit:,})"),
    # ---------------------------------------------------------------- text
    _c(
        "T001",
        _E,
        "A lone `{` or `}` in text (write `{{` or `}}`).",
        'a lone "{brace}": write "{brace}{brace}" for a literal brace',
    ),
    _c(
        "T002",
        _E,
        "`{if}`, `{else}` and `{end}` that do not match.",
        nest="{{if}} passages nest more than {limit} deep",
        stray_else="{{else}} without a matching {{if}}",
        stray_end="{{end}} without a matching {{if}}",
        open="{{if}} without a matching {{end}}",
    ),
    _c(
        "T003",
        _E,
        "An unknown name in `{...}`.",
        'unknown name "{{{name}}}" in text{hint}; write "{{{{" for a literal brace',
    ),
    _c(
        "T004",
        _E,
        "Braces in a field that is not a template: only the `text` of nodes, events and endings fills in `{...}`.",
        '{field} is shown as written, not filled in: "{text}" would appear literally; only the text of nodes, '
        'events and endings is a template (write "{{{{" and "}}}}" for literal braces)',
    ),
    # ---------------------------------------------------------------- warnings
    _c(
        "W001",
        _W,
        "A node or ending that nothing leads to, a scenario ending none of its ends names, or a scenario end never "
        "reached from its start.",
        node='node "{id}" cannot be reached from the start: no choice or event leads to it',
        ending='ending "{id}" cannot be reached: no choice, event or threshold leads to it',
        scenario_ending='ending "{id}" of scenario "{scenario}" cannot be reached: none of its ends names it',
        scenario_end='scenario "{scenario}" never reaches "{at}" from its start "{start}"',
    ),
    _c(
        "W002",
        _W,
        "A flag that is never read, or never set.",
        read='flag "{id}" is never read by a condition or text',
        set='flag "{id}" is never set by a choice or event',
    ),
    _c("W003", _W, "A meter that no choice or event changes.", 'meter "{id}" is never changed by a choice or event'),
    _c("W004", _W, "A source that is never cited.", 'source "{id}" is never cited'),
    _c(
        "W005",
        _W,
        "A reported or mixed node or ending that cites no sources.",
        '{kind} "{id}" is marked {basis} but cites no sources',
    ),
    _c("W006", _W, "A file without the schema modeline.", "file has no yaml-language-server schema modeline on its first line"),
    _c(
        "W007",
        _W,
        "Time runs backwards: a choice, outcome or event leads to a scene dated earlier than the scene it leaves.",
        'time runs backwards: {what} leads from "{source}" ({source_date}, {source_pos}) to "{target}" '
        "({target_date}, {target_pos})",
    ),
    _c("W008", _W, "A character whom no advisor names.", 'character "{id}" never speaks: no advisor names them with who:'),
    _c(
        "W009",
        _W,
        "More than five voices in one scene (a character, or an unnamed advisor's role, counts once however many variants it has).",
        'scene "{id}" has {count} voices ({voices}): at most {limit} keep a scene readable',
    ),
]

CODES: dict[str, Code] = {c.code: c for c in _ALL}


def _split(key: str) -> tuple[Code, str]:
    code, _, variant = key.partition(".")
    entry = CODES[code]
    if variant not in entry.messages:  # a programming error: every key is in the registry
        raise KeyError(f"no message {key!r} in the problem registry")
    return entry, variant


def message(key: str, /, **fields: object) -> str:
    """The message ``key`` (``CODE`` or ``CODE.variant``) filled with ``fields``."""
    entry, variant = _split(key)
    return entry.messages[variant].format(**fields)


def problem(key: str, pos: Pos, /, **fields: object) -> Problem:
    """A problem of the registered code and severity at ``pos``."""
    entry, variant = _split(key)
    return Problem(entry.code, entry.messages[variant].format(**fields), pos, entry.severity)


def code_of(key: str) -> str:
    return key.partition(".")[0]
