"""The help screen's key table is generated from the screens' bindings, so it cannot drift from them."""

from __future__ import annotations

from textual.binding import Binding

from game.tui.help import KEY_NAMES, _places, key_rows, key_table


def test_every_binding_is_in_the_help() -> None:
    rows = key_rows()
    table = str(key_table())
    for place, bindings in _places():
        for item in bindings:
            binding = item if isinstance(item, Binding) else Binding(*item)
            for key in binding.key.split(","):
                name = KEY_NAMES.get(key, key)
                shown = [r for r in rows if place in r[2].split(", ") or r[2] == "everywhere"]
                assert any(name in r[0].split("  ") or (key.isdigit() and "-" in r[0]) for r in shown), (place, key)
                assert name in table or key.isdigit()


def test_the_table_reads_as_before() -> None:
    rows = {(keys, where) for keys, _, where in key_rows()}
    for row in [("1-9", "game"), ("u  ctrl+z", "game, ending"), ("r  ctrl+r", "everywhere"), ("ctrl+p", "everywhere")]:
        assert row in rows
    assert ("e", "export the decision record (classroom)", "ending") in key_rows()
