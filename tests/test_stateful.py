"""A stateful test of play, undo, save, load and hot reload on the starter story.

Hypothesis drives a RuleBasedStateMachine that mixes decisions, undo, saves
to one slot, loads from it, and reloads the story from disk (load_story
again, then engine.remap), sometimes after an edit that changes only the
text (so the story's hash changes and saves must be replayed). After every
step it checks that

* every meter is within its range;
* the state equals the replay of its own history from its seed;
* the slot loads to a state equal to the one saved last;
* the slot's .bak loads to the state saved before that.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from game.engine import GameState, history, new_game, options, remap, replay, undo
from game.engine.core import choose
from game.saves import read_save, write_save
from game.story import Story, load_story

STARTER = Path(__file__).resolve().parent / "stories" / "starter"
# any text a player may type as a rationale, control characters and lone
# surrogates included
RATIONALES = st.text(max_size=40) | st.sampled_from(["", "Because the Gulf matters.", "\x1b[2J", "a\x00b", "\ud800"])


class PlaySaveLoadReload(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="tightrope-stateful-"))
        self.folder = self.tmp / "story"
        shutil.copytree(STARTER, self.folder)
        self.story: Story = load_story(self.folder)
        self.state: GameState = new_game(self.story, 11, "Student")
        self.slot = self.tmp / "saves" / "slot.json"
        self.saved: GameState | None = None
        self.before_saved: GameState | None = None
        self.edits = 0

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------ rules
    @rule(pick=st.integers(min_value=0, max_value=10), rationale=RATIONALES)
    def decide(self, pick: int, rationale: str) -> None:
        enabled = [o for o in options(self.story, self.state) if o.enabled]
        if self.state.ending is not None or not enabled:
            return
        before = self.state
        self.state = choose(self.story, self.state, enabled[pick % len(enabled)].choice.id, rationale)
        assert self.state.prev is before and self.state.turn == before.turn + 1

    @rule()
    def take_back(self) -> None:
        before = self.state
        self.state = undo(self.state)
        assert self.state is (before.prev or before)

    @rule()
    def save(self) -> None:
        write_save(self.slot, self.story, self.state)
        if self.saved is not None:
            self.before_saved = self.saved
        self.saved = self.state

    @precondition(lambda self: self.saved is not None)
    @rule()
    def load(self) -> None:
        self.state = read_save(self.slot, self.story)

    @rule(edit=st.booleans())
    def reload(self, edit: bool) -> None:
        if edit:  # change only text: the hash changes, every id stays
            self.edits += 1
            nodes = self.folder / "nodes.yaml"
            text, n = re.subn(r"Crowds( \(\d+\))? gather", f"Crowds ({self.edits}) gather", nodes.read_text(), count=1)
            assert n == 1
            nodes.write_text(text)
        new = load_story(self.folder)
        assert (new.hash != self.story.hash) == edit
        self.state = remap(self.story, new, self.state)
        self.story = new

    @rule(seed=st.integers(min_value=0, max_value=2**40), player=st.text(max_size=20))
    def restart(self, seed: int, player: str) -> None:
        self.state = new_game(self.story, seed, player)

    # ------------------------------------------------------------ invariants
    @invariant()
    def meters_in_range(self) -> None:
        for i, meter in enumerate(self.story.meters):
            assert meter.min <= self.state.meters[i] <= meter.max, (meter.id, self.state.meters[i])

    @invariant()
    def state_is_the_replay_of_its_history(self) -> None:
        steps = [(s.choice, s.rationale) for s in history(self.state)]
        assert replay(self.story, self.state.seed, steps, self.state.player) == self.state

    @invariant()
    def slot_loads_to_the_last_save(self) -> None:
        if self.saved is not None:
            assert read_save(self.slot, self.story) == self.saved

    @invariant()
    def backup_loads_to_the_save_before(self) -> None:
        if self.before_saved is not None:
            assert read_save(self.slot.with_name("slot.json.bak"), self.story) == self.before_saved


PlaySaveLoadReload.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestPlaySaveLoadReload = PlaySaveLoadReload.TestCase
