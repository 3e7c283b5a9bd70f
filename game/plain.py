"""Plain line mode: for screen readers, pipes and scripted play.

Prints the scene, the meters and numbered choices; reads one line at a
time. Commands: a number chooses; ``m`` meters; ``u`` undo; ``s NAME`` save;
``h`` help; ``q`` quit. At an ending it prints the ending, the debrief and
the discussion questions and exits 0; at end of input it exits 0.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import TextIO

from .engine import EngineError, GameState, new_game, options, undo
from .engine.core import choose
from .paths import default_saves, default_story
from .present import BASIS_LABEL, change_lines, hint_text, outcome_text, scene_heading, warnings
from .saves import SaveError, read_save, resolve_save, slot_path, slug, write_save
from .story import Story, StoryError, load_story
from .story.text import clean, clean_line

HELP = """Commands:
  1, 2, 3 ...   take that choice
  m             show the meters and what they mean
  u             undo the last decision
  s NAME        save to the slot NAME
  h             this help
  q             quit"""


class Plain:
    def __init__(
        self,
        story: Story,
        state: GameState,
        out: TextIO,
        inp: TextIO,
        saves: Path,
        autosave: str | None = None,
        classroom: bool = False,
        min_rationale: int = 40,
        show_effects: bool = True,
    ) -> None:
        self.story = story
        self.state = state
        self.out = out
        self.inp = inp
        self.saves = saves
        self.autosave = autosave
        self.classroom = classroom
        self.min_rationale = min_rationale
        self.show_effects = show_effects
        self.color = out.isatty() and not os.environ.get("NO_COLOR")

    # -- output
    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.color else text

    def para(self, text: str) -> None:
        for block in clean(text).strip().split("\n\n"):
            self.say(textwrap.fill(" ".join(block.split()), width=78))
            self.say()

    def meters(self) -> None:
        parts = [f"{clean_line(m.label)} {self.state.meters[i]}" for i, m in enumerate(self.story.meters)]
        self.say("Meters: " + " · ".join(parts))
        for w in warnings(self.story, self.state):
            self.say(f"  Warning: {w}")

    def meters_long(self) -> None:
        for i, m in enumerate(self.story.meters):
            self.say(f"{clean_line(m.label)}: {self.state.meters[i]} (from {m.min} to {m.max})")
            self.say(textwrap.indent(textwrap.fill(clean_line(m.description), 74), "    "))

    def scene(self) -> None:
        node = self.story.nodes[self.state.node]
        self.say(self.bold(f"== {clean_line(node.title)} =="))
        self.say(scene_heading(node))
        self.say()
        self.para(node.text.render(self.state, self.state.player))
        advisors = [a for a in node.advisors if a.cond is None or a.cond(self.state)]
        if advisors:
            self.say("Advisors:")
            for a in advisors:
                self.say(
                    textwrap.fill(
                        f"{clean_line(a.role)}: {clean_line(a.says)}", 78, initial_indent="  ", subsequent_indent="    "
                    )
                )
            self.say()
        self.meters()
        if node.key:
            self.say("This is a key decision.")
        self.say("Choices:")
        for n, opt in enumerate(options(self.story, self.state), 1):
            line = f"  {n}. {clean_line(opt.choice.text)}"
            if not opt.enabled:
                line += f" (unavailable: {clean_line(opt.reason)})"
            elif self.show_effects:
                hint = clean_line(hint_text(self.story, opt.choice))  # meter labels are story text
                if hint:
                    line += f" [{hint}]"
            self.say(line)

    def happened(self) -> None:
        step = self.state.step
        if step is None:
            return
        text = outcome_text(self.story, step)
        if text:
            self.say()
            self.para(text)
        for eid in step.events:
            event = next(e for e in self.story.events if e.id == eid)
            self.say()
            self.say(self.bold(f"-- {clean_line(event.title)} --") + f" ({BASIS_LABEL[event.basis]})")
            self.para(event.text.render(self.state, self.state.player))
        lines = change_lines(self.story, self.state)
        if lines:
            self.say("Changes: " + clean_line(", ".join(lines)))
        self.say()

    def ending(self) -> None:
        assert self.state.ending is not None
        ending = self.story.endings[self.state.ending]
        self.say(self.bold(f"== Ending: {clean_line(ending.title)} =="))
        self.say(f"({BASIS_LABEL[ending.basis]})")
        self.say()
        self.para(ending.text.render(self.state, self.state.player))
        self.meters()
        self.say()
        self.say(self.bold("Debrief"))
        self.para(ending.debrief)
        self.say(self.bold("Discussion questions"))
        for n, q in enumerate(ending.questions, 1):
            self.say(textwrap.fill(f"{n}. {clean_line(q)}", 78, subsequent_indent="   "))

    # -- input
    def ask(self, prompt: str) -> str | None:
        self.out.write(prompt)
        self.out.flush()
        line = self.inp.readline()
        if not line:
            self.say()
            return None
        if not self.inp.isatty():
            self.say(clean_line(line))  # echo scripted input so transcripts read well (never raw controls)
        return line.strip()

    def save(self, name: str) -> bool:
        try:
            path = write_save(slot_path(self.saves, name), self.story, self.state)
        except SaveError as exc:
            self.say(f"Could not save: {clean_line(str(exc))}")
            return False
        self.say(f"Saved to {path.name}.")
        return True

    def run(self) -> int:
        if self.state.turn == 0:
            self.say(self.bold(clean_line(self.story.meta.title)))
            self.say()
            self.say("Content note:")
            self.para(self.story.meta.content_note)
        shown = True
        while True:
            if self.state.ending is not None:
                self.ending()
                return 0
            if shown:
                self.say()
                self.scene()
            shown = False
            line = self.ask("> ")
            if line is None:
                return 0
            if not line:
                continue
            cmd = line.split()[0].lower()
            if cmd.isdigit():
                opts = options(self.story, self.state)
                n = int(cmd)
                if not 1 <= n <= len(opts):
                    self.say(f"Choose a number from 1 to {len(opts)}, or h for help.")
                    continue
                opt = opts[n - 1]
                if not opt.enabled:
                    self.say(f"That choice is unavailable: {clean_line(opt.reason)}")
                    continue
                rationale = ""
                if self.classroom and self.story.nodes[self.state.node].key:
                    got = self.rationale()
                    if got is None:
                        return 0
                    rationale = got
                try:
                    self.state = choose(self.story, self.state, opt.choice.id, rationale)
                except EngineError as exc:  # pragma: no cover - options() already filtered
                    self.say(str(exc))
                    continue
                self.happened()
                if self.autosave:
                    self.save(self.autosave)
                shown = True
            elif cmd == "m":
                self.meters_long()
            elif cmd == "u":
                if self.state.prev is None:
                    self.say("Nothing to undo.")
                else:
                    self.state = undo(self.state)
                    self.say("Undone.")
                    shown = True
            elif cmd == "s":
                parts = line.split(maxsplit=1)
                if len(parts) < 2:
                    self.say("Give a name: s NAME")
                else:
                    self.save(parts[1])
            elif cmd in ("h", "?", "help"):
                self.say(HELP)
            elif cmd in ("q", "quit", "exit"):
                self.say("Goodbye.")
                return 0
            else:
                self.say("Type a choice number, or h for help.")

    def rationale(self) -> str | None:
        self.say(f"Key decision: write why you choose this (at least {self.min_rationale} characters).")
        while True:
            text = self.ask("Rationale: ")
            if text is None:
                return None
            if len(text) >= self.min_rationale:
                return text
            self.say(f"Please write a little more ({len(text)} of {self.min_rationale} characters).")


def open_story(value: str | None) -> Story:
    from .cli import UsageError

    path = Path(value) if value else default_story()
    try:
        return load_story(path)
    except StoryError as exc:
        raise UsageError(exc.summary(path)) from None


def start_state(args: argparse.Namespace, story: Story, saves: Path) -> GameState:
    from .cli import UsageError

    if args.load:
        try:
            return read_save(resolve_save(saves, args.load), story)
        except SaveError as exc:
            raise UsageError(str(exc)) from None
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    return new_game(story, seed, args.name or "")


def classroom_slot(name: str, today: date | None = None) -> str:
    return f"{slug(name)}-{(today or date.today()).isoformat()}"


def run_plain(args: argparse.Namespace) -> int:
    from .cli import UsageError

    story = open_story(args.story)
    saves = default_saves(args.saves)
    state = start_state(args, story, saves)
    autosave = args.autosave
    if autosave:
        try:
            slot_path(saves, autosave)
        except SaveError as exc:
            raise UsageError(str(exc)) from None
    if args.classroom:
        if not (args.name or state.player):
            raise UsageError("classroom mode needs --name NAME")
        autosave = autosave or classroom_slot(args.name or state.player)
    game = Plain(story, state, sys.stdout, sys.stdin, saves, autosave, args.classroom, args.min_rationale, not args.hide_effects)
    return game.run()
