"""Records keep the positions the builder asks for, and no others."""

from __future__ import annotations

import re
from pathlib import Path

from game.story import check_story, spec


def test_every_field_the_builder_asks_the_position_of_keeps_it() -> None:
    """Rec.at(name) gives the field's own position only where the spec keeps
    it (free text, lists of objects and tables keep none): every name the
    builder asks for must be kept, or its messages would point at the object."""
    source = (Path(spec.__file__).parent / "build.py").read_text(encoding="utf-8")
    asked = set(re.findall(r'\.at\("([a-z_]+)"\)', source)) | {"goto", "warning", "warn_within", "below", "above"}
    kept: dict[str, set[int]] = {}
    for obj in _objects(spec.FILE):
        if obj is spec.FILE:  # its fields are the sections: each object has its own position
            continue
        for name, how in obj._read.items():
            kept.setdefault(name, set()).add(how[2])
    missing = sorted(name for name in asked if name in kept and 0 in kept[name])
    assert missing == []
    assert asked - kept.keys() == set()


def _objects(t: spec.T, seen: set[int] | None = None) -> list[spec.Obj]:
    seen = set() if seen is None else seen
    if id(t) in seen:
        return []
    seen.add(id(t))
    out: list[spec.Obj] = []
    if isinstance(t, spec.Obj):
        out.append(t)
        for f in t.fields.values():
            out += _objects(f.type, seen)
    elif isinstance(t, spec.List):
        out += _objects(t.item, seen)
    elif isinstance(t, spec.Table):
        out += _objects(t.value, seen)
    return out


def test_a_wrong_goto_in_a_big_file_points_at_its_line(tmp_path: Path) -> None:
    story = Path(__file__).parents[2] / "story"
    for f in story.iterdir():
        if f.suffix == ".yaml":
            (tmp_path / f.name).write_bytes(f.read_bytes())
    target = next(p for p in sorted(tmp_path.glob("*.yaml")) if "goto: " in p.read_text(encoding="utf-8"))
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("goto: "))
    column = lines[at].index("goto: ") + len("goto: ") + 1
    lines[at] = lines[at][: column - 1] + "nowhere_at_all\n"
    target.write_text("".join(lines), encoding="utf-8")
    result = check_story(tmp_path)
    r001 = [p for p in result.problems if p.code == "R001"]
    assert [(p.pos.file, p.pos.line, p.pos.column) for p in r001] == [(str(target), at + 1, column)]


def test_a_record_made_through_a_draft_is_the_frozen_record() -> None:
    import dataclasses

    import pytest

    from game.story.diagnostics import Pos
    from game.story.drafts import quick
    from game.story.model import Advisor

    make_pos, make_advisor = quick(Pos), quick(Advisor)
    assert make_pos is not Pos  # the draft's layout matched: the quicker way is taken
    pos = make_pos("a.yaml", 3, 4)
    assert type(pos) is Pos and pos == Pos("a.yaml", 3, 4) and hash(pos) == hash(Pos("a.yaml", 3, 4))
    assert make_pos("a.yaml") == Pos("a.yaml", 0, 0) and make_pos("b", 2) == Pos("b", 2, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pos.line = 5  # type: ignore[misc]
    assert dataclasses.replace(pos, line=9) == Pos("a.yaml", 9, 4)
    advisor = make_advisor("Army", "Hold.", None, pos)
    assert type(advisor) is Advisor and advisor.who is None and repr(advisor).startswith("Advisor(role='Army'")
    with pytest.raises(TypeError):
        make_advisor("Army")  # type: ignore[call-arg]  # the same required parameters

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        a: list[int] = dataclasses.field(default_factory=list)

    assert quick(WithFactory) is WithFactory  # nothing it cannot copy is made another way
