from __future__ import annotations

import time

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, Node, SequenceNode

from game.story.yamlsafe import (
    MAX_DEPTH,
    YamlProblem,
    YMap,
    YScalar,
    YSeq,
    as_tree,
    compose,
    compose_tree,
    plain_value,
)


def problem(text: str) -> YamlProblem:
    with pytest.raises(YamlProblem) as info:
        compose(text, "f.yaml")
    return info.value


def test_positions_are_one_based() -> None:
    root = compose("a: 1\nb:\n  - x\n", "f.yaml")
    assert isinstance(root, YMap)
    key, value = root.items["b"]
    assert (key.pos.line, key.pos.column) == (2, 1)
    assert isinstance(value, YSeq)
    item = value.items[0]
    assert isinstance(item, YScalar)
    assert (item.pos.line, item.pos.column) == (3, 5)


def test_yaml11_surprises_keep_their_text() -> None:
    root = compose("a: no\nb: 12:30\nc: 1.10\nd: '1.10'\ne: 2025-11-20\n", "f.yaml")
    assert plain_value(root) == {"a": False, "b": 750, "c": 1.1, "d": "1.10", "e": "2025-11-20"}
    assert isinstance(root, YMap)
    scalar = root.items["a"][1]
    assert isinstance(scalar, YScalar) and scalar.text == "no" and scalar.plain


@pytest.mark.parametrize(
    "text, code",
    [
        ("a: 1\na: 2\n", "Y002"),
        ("a: !!python/object/apply:os.system ['true']\n", "Y003"),
        ("a: !custom x\n", "Y003"),
        ("a: &a [1, *a]\n", "Y006"),
        ("a: *nothing\n", "Y001"),
        ("a: 1\n---\nb: 2\n", "Y010"),
        ("[a, b: [c]\n", "Y001"),
        ("? [a]\n: 1\n", "Y011"),
    ],
)
def test_refused(text: str, code: str) -> None:
    assert problem(text).problem.code == code


def test_alias_bomb_is_refused_before_expansion() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = "\n".join(lines) + "\n"
    assert len(text) < 1000
    started = time.process_time()
    assert problem(text).problem.code == "Y005"
    assert time.process_time() - started < 5  # generous: catches a hang, not a benchmark


def test_deep_nesting_is_refused_without_recursion() -> None:
    err = problem("[" * 50_000 + "]" * 50_000)
    assert err.problem.code == "Y004"
    assert f"{MAX_DEPTH}" in err.problem.message


def test_empty_document() -> None:
    assert compose("# only a comment\n", "f.yaml") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_only_raises_yaml_problem(text: str) -> None:
    try:
        compose(text, "f.yaml")
    except YamlProblem as exc:
        assert exc.problem.pos.file == "f.yaml"
        assert "\n" not in exc.problem.message


@settings(max_examples=300, deadline=None)
@given(
    word=st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,8}", fullmatch=True) | st.sampled_from(["yes", "No", "OFF", "null", "y", "n"])
)
def test_plain_words_resolve_as_yaml_1_1_says(word: str) -> None:
    # a word that starts with a letter skips the resolver unless it is a bool or null word
    root = compose(f"a: {word}\n", "f.yaml")
    expected = yaml.safe_load(f"a: {word}\n")["a"]
    assert isinstance(root, YMap)
    value = root.items["a"][1]
    assert isinstance(value, YScalar)
    if isinstance(expected, str) or expected is None or isinstance(expected, bool):
        assert value.value == expected and type(value.value) is type(expected)


@pytest.mark.parametrize(
    "text, code, where, fragment",
    [
        ("a:\n\tb: 1\n", "Y017", (2, 1), "replace the tab with spaces"),
        (
            "a:\n  e: {us: 8, d: -6\n  goto: b\n",
            "Y001",
            (2, 6),
            'the "{" opened here is not closed (the parser gave up at line 3',
        ),
        ("a:\n  s: [x, y\n  goto: b\n", "Y001", (2, 6), 'the "[" opened here is not closed'),
        ('a:\n  t: "hello\n  goto: b\n', "Y001", (2, 6), 'the quote (") opened here is not closed'),
        (
            "a:\n  text: [bold] Hello\n",
            "Y001",
            (2, 9),
            'a value that starts with "[" is read as a list: put the whole text in quotes',
        ),
        ("a: *nope\n", "Y001", (1, 4), "an alias repeats a value anchored (&nope) earlier in the same file"),
    ],
)
def test_syntax_errors_say_what_to_do(text: str, code: str, where: tuple[int, int], fragment: str) -> None:
    for loader in (yaml.CSafeLoader, yaml.SafeLoader):
        with pytest.raises(YamlProblem) as info:
            compose(text, "f.yaml", loader)
        p = info.value.problem
        assert (p.code, (p.pos.line, p.pos.column)) == (code, where), (loader, str(p))
        assert fragment in p.message


@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_the_fast_tree_read_from_bytes_has_the_positions_of_the_bounded_one(bom: str) -> None:
    """libyaml reads a file's bytes as they are (compose_tree's data): lines
    and columns still count characters, after a byte-order mark and after
    letters that take several bytes, as compose() counts them."""
    text = bom + "a: «Ünïcode» — ✓\nb:\n  - x: 😀😀\n    y: [ü, z]\n"
    fast, checked = compose_tree(text, "f.yaml", text.encode("utf-8"))
    assert not checked
    slow = as_tree(compose(text, "f.yaml"))
    assert fast is not None and slow is not None

    def marks(node: Node) -> list[tuple[str, int, int]]:
        out = [(type(node).__name__, node.start_mark.line, node.start_mark.column)]
        items = node.value if isinstance(node, (SequenceNode, MappingNode)) else []
        for item in items:
            for part in item if isinstance(item, tuple) else (item,):
                out += marks(part)
        return out

    assert marks(fast) == marks(slow)
    assert marks(fast)[-2:] == [("ScalarNode", 3, 8), ("ScalarNode", 3, 11)]  # ü, and z after it: one column for ü
