"""Plain line mode: for screen readers, pipes and scripted play.

Prints the scene, the meters and numbered choices; reads one line at a
time. Commands: a number chooses; ``m`` meters; ``u`` undo; ``s NAME`` save;
``h`` help; ``q`` quit. At an ending it prints the ending, the debrief and
the discussion questions and exits 0; at end of input it exits 0.

A front end over :class:`~game.session.Session`: the session decides what a
decision needs, what undo may do and where saves go; this module only reads
lines and prints.
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import TextIO

from .engine import EngineError, GameState, options
from .present import BASIS_LABEL, Decision, change_text, hint_text, scene_heading, warnings
from .saves import SaveError
from .session import Session, SessionError, Settings
from .story import Story
from .story.text import clean, clean_line

HELP = """Commands:
  1, 2, 3 ...   take that choice
  m             show the meters and what they mean
  u             undo the last decision
  s NAME        save to the slot NAME
  h             this help
  q             quit"""


class Plain:
    def __init__(self, session: Session, out: TextIO, inp: TextIO) -> None:
        assert session.state is not None, "start the session's game first"
        self.session = session
        self.out = out
        self.inp = inp
        self.color = out.isatty() and not os.environ.get("NO_COLOR")

    @property
    def story(self) -> Story:
        return self.session.story

    @property
    def state(self) -> GameState:
        assert self.session.state is not None
        return self.session.state

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
            elif self.session.show_effects:
                hint = clean_line(hint_text(self.story, opt.choice))  # meter labels are story text
                if hint:
                    line += f" [{hint}]"
            self.say(line)

    def happened(self, d: Decision) -> None:
        """What a decision did: the outcome, the choice's changes, then each event with its own."""
        if d.outcome_text:
            self.say()
            self.para(d.outcome_text)
        if d.changes:
            self.say("Changes: " + change_text(d.changes))
        for e in d.events:
            self.say()
            self.say(self.bold(f"-- {e.title} --") + (f" ({e.basis})" if e.basis else ""))
            self.para(e.text)
            if e.changes:
                self.say("Changes: " + change_text(e.changes))
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
            path = self.session.save(name)
        except SaveError as exc:
            self.say(f"Could not save: {clean_line(str(exc))}")
            return False
        self.say(f"Saved to {path.name}.")
        return True

    def notice(self) -> None:
        """What the session has to tell the player (a game kept apart in a new slot, say)."""
        text = self.session.take_notice()
        if text:
            self.say(clean_line(text))

    def run(self) -> int:
        self.notice()
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
                if self.session.needs_rationale():
                    got = self.rationale()
                    if got is None:
                        return 0
                    rationale = got
                try:
                    decision = self.session.choose(opt.choice.id, rationale)
                except (EngineError, SessionError) as exc:  # pragma: no cover - options() and rationale() checked
                    self.say(clean_line(str(exc)))
                    continue
                self.happened(decision)
                for slot in self.session.autosave_slots():
                    self.save(slot)
                shown = True
            elif cmd == "m":
                self.meters_long()
            elif cmd == "u":
                problem = self.session.undo_problem()
                if problem is None and self.session.undo():
                    self.say("Undone.")
                    self.notice()
                    shown = True
                else:
                    self.say(problem or "Nothing to undo.")
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
        self.say(f"Key decision: write why you choose this (at least {self.session.min_rationale} characters).")
        while True:
            text = self.ask("Rationale: ")
            if text is None:
                return None
            problem = self.session.rationale_problem(text)
            if problem is None:
                return text
            self.say(problem)


def run_plain(settings: Settings) -> int:
    """``tightrope play --plain``: start as the command line asked and play until the end or end of input."""
    session = Session.open(settings, keep_autosave=False)
    try:
        session.begin()
        return Plain(session, sys.stdout, sys.stdin).run()
    finally:
        session.close()  # lets the game's slots go
