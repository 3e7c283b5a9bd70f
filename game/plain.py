"""Plain line mode: for screen readers, pipes and scripted play.

Prints the scene, the meters and numbered choices, in words (no symbols a
screen reader would spell out), and reads one line at a time. Commands: a
number chooses; ``r`` repeats the scene and its choices; ``c`` the choices
only; ``m`` the meters; ``g TERM`` the glossary; ``sources``; ``cast``;
``u`` undo; ``s NAME`` save; ``h`` help; ``q`` quit. At an ending it prints
the ending, the debrief, the discussion questions and a review of every
decision, and exits 0; when the input ends before an ending it says so in
one line and exits 3 (:data:`INPUT_ENDED`), so a script can tell the two
apart.

A front end over :class:`~game.session.Session`: the session decides what a
decision needs, what undo may do and where saves go; this module only reads
lines and prints.
"""

from __future__ import annotations

import difflib
import os
import sys
import textwrap
from typing import TextIO

from .engine import EngineError, GameState, Option, options
from .present import (
    BASIS_LABEL,
    Decision,
    cast,
    change_words,
    glossary,
    hint_words,
    lookup,
    scene_heading,
    source_line,
    speakers,
    threshold_warnings,
)
from .saves import SaveError
from .session import Session, SessionError, Settings
from .story import Story
from .story.text import clean, clean_line

INPUT_ENDED = 3  # the exit status when the input ends before the game reaches an ending
WIDTH = 78

HELP = """Commands:
  1, 2, 3 ...   take that choice
  r             repeat the scene and its choices
  c             repeat the choices only
  m             the meters and what they mean
  g TERM        look a term up in the glossary (g alone lists every term)
  sources       the sources of this scene (sources all: every source)
  cast          the story's characters (all of them invented)
  u             undo the last decision
  s NAME        save to the slot NAME
  h             this help
  q             quit
When the input ends before the game does, Tightrope says so and exits with status 3."""


class InputEnded(Exception):
    """The input ran out before the game reached an ending."""


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
            self.say(textwrap.fill(" ".join(block.split()), width=WIDTH, break_on_hyphens=False))
            self.say()

    def line(self, text: str, indent: str = "", hang: str = "    ") -> None:
        """One long line, wrapped, with a hanging indent."""
        self.say(textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=hang, break_on_hyphens=False))

    def meters(self) -> None:
        parts = [f"{clean_line(m.label)} {self.state.meters[i]}" for i, m in enumerate(self.story.meters)]
        self.say("Meters: " + ", ".join(parts) + ".")
        for w in threshold_warnings(self.story, self.state):
            self.line(f"{w.severity} ({w.label}): {w.text}", "  ")

    def meters_long(self) -> None:
        for i, m in enumerate(self.story.meters):
            self.say(f"{clean_line(m.label)}: {self.state.meters[i]} (from {m.min} to {m.max})")
            self.say(textwrap.indent(textwrap.fill(clean_line(m.description), WIDTH - 4), "    "))

    def scene(self) -> None:
        node = self.story.nodes[self.state.node]
        self.say(self.bold(f"== {clean_line(node.title)} =="))
        self.say(scene_heading(node))
        self.say()
        self.para(node.text.render(self.state, self.state.player))
        advisors = speakers(self.story, node, self.state)
        if advisors:
            self.say("Advisors:")
            for a in advisors:
                self.line(f"{a.heading}: {a.says}", "  ")
            self.say()
        self.meters()
        self.choices()

    def choices(self) -> None:
        if self.story.nodes[self.state.node].key:
            self.say("This is a key decision.")
        self.say("Choices:")
        for n, opt in enumerate(options(self.story, self.state), 1):
            text = f"{n}. {clean_line(opt.choice.text)}"
            if not opt.enabled:
                text += f" (unavailable: {clean_line(opt.reason)})"
            elif self.session.show_effects:
                hint = hint_words(self.story, opt.choice)  # meter labels are story text, cleaned
                if hint:
                    text += f" (effects: {hint})"
            self.line(text, "  ", "     ")

    def happened(self, d: Decision) -> None:
        """What a decision did: the choice taken, its outcome and changes, then each event with its own."""
        self.say()
        self.line(f"You chose: {d.choice_text}")
        if d.outcome_text:
            self.say()
            self.para(d.outcome_text)
        if d.changes is not None:
            self.line("Your decision changed: " + (change_words(d.changes) or "nothing") + ".")
        for e in d.events:
            self.say()
            self.say(self.bold(f"-- {e.title} --") + (f" ({e.basis})" if e.basis else ""))
            self.para(e.text)
            if e.changes:
                self.line(f"This event changed: {change_words(e.changes)}.")
        if d.changes is None and d.total:
            self.line("Changes: " + change_words(d.total) + ".")
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
            self.line(f"{n}. {clean_line(q)}", "", "   ")
        self.say()
        self.review()
        found = self.session.endings_found().found(self.story.id)
        self.say(f"Endings found: {len(set(found) & set(self.story.endings))} of {len(self.story.endings)}.")
        self.say(f"Seed: {self.state.seed} (play this game again with --seed {self.state.seed}).")

    def review(self) -> None:
        """Each decision with the choice's changes, each event's, the rationale and the author's note."""
        self.say(self.bold("Your decisions"))
        decisions = self.session.decisions()
        if not decisions:
            self.say("No decisions were made.")
        for d in decisions:
            self.say()
            self.line(f"{d.turn}. {d.scene}: you chose: {d.choice_text}", "", "   ")
            if d.outcome_text:
                self.line("What happened: " + " ".join(d.outcome_text.split()), "   ", "   ")
            if d.changes is not None:
                self.line("Your decision changed: " + (change_words(d.changes) or "nothing") + ".", "   ", "   ")
            for e in d.events:
                changed = f": {change_words(e.changes)}" if e.changes else ""
                self.line(f"Event, {e.title}{changed}.", "   ", "   ")
            if d.changes is None and d.total:
                self.line("Changes: " + change_words(d.total) + ".", "   ", "   ")
            if d.rationale:
                self.line("Your rationale: " + " ".join(d.rationale.split()), "   ", "   ")
            if d.note:
                self.line("Author's note: " + " ".join(d.note.split()), "   ", "   ")
        self.say()

    def lookup(self, query: str) -> None:
        """``g TERM``: the glossary's entry (or every term, without a query)."""
        if not query:
            terms = [e.term for e in glossary(self.story)]
            self.line("Glossary terms: " + ("; ".join(terms) if terms else "none in this story") + ".")
            self.say("Type g and a term, for example: g " + (terms[0] if terms else "ISF"))
            return
        found = lookup(self.story, query)
        if not found:
            near = difflib.get_close_matches(query.lower(), [e.term.lower() for e in glossary(self.story)], n=3, cutoff=0.5)
            hint = f" Did you mean: {', '.join(near)}?" if near else " Type g alone for every term."
            self.say(f'No glossary term matches "{clean_line(query)}".{hint}')
            return
        for e in found:
            self.line(f"{e.term}: {e.definition}" + (f" (Source: {e.source}.)" if e.source else ""))

    def sources(self, everything: bool) -> None:
        where = self.story.endings.get(self.state.ending or "") or self.story.nodes.get(self.state.node)
        cited = () if everything or where is None else where.sources
        ids = list(cited) or list(self.story.sources)
        if not ids:
            self.say("This story lists no sources.")
            return
        self.say("Sources of this scene:" if cited else "Every source of the story:")
        for sid in ids:
            self.line(source_line(self.story, sid), "  - ", "    ")
        if cited:
            self.say("(sources all: every source of the story)")

    def cast(self) -> None:
        people = cast(self.story)
        if not people:
            self.say("This story has no recurring characters.")
            return
        self.say("The cast (every one of them invented for the game):")
        for c in people:
            self.line(f"{c.name}, {c.role} (invented): {c.description}", "  - ", "    ")

    # -- input
    def ask(self, prompt: str) -> str:
        """The next line of input; raises InputEnded when there is none."""
        self.out.write(prompt)
        self.out.flush()
        line = self.inp.readline()
        if not line:
            self.say()
            raise InputEnded
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
        """Play until an ending (0), q (0) or the end of the input (INPUT_ENDED, after one line on standard error)."""
        self.notice()
        try:
            return self._play()
        except InputEnded:
            print(f"tightrope: the input ended before the game reached an ending (turn {self.state.turn})", file=sys.stderr)
            return INPUT_ENDED

    def _play(self) -> int:
        if self.state.turn == 0:
            self.say(self.bold(clean_line(self.story.meta.title)))
            if self.story.scenario is not None:
                self.say(f"Scenario: {clean_line(self.story.scenario.title)}")
            self.say()
            self.say("Content note:")
            self.para(self.story.meta.content_note)
        self.say(f"Seed: {self.state.seed} (the same seed and the same choices give the same game).")
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
            if not line:
                continue
            cmd, _, rest = line.partition(" ")
            cmd, rest = cmd.lower(), rest.strip()
            if cmd.isdigit():
                shown = self.take(int(cmd))
            elif cmd == "r":
                shown = True
            elif cmd == "c":
                self.choices()
            elif cmd == "m":
                self.meters_long()
            elif cmd == "g":
                self.lookup(rest)
            elif cmd == "sources":
                self.sources(rest.lower() == "all")
            elif cmd == "cast":
                self.cast()
            elif cmd == "u":
                problem = self.session.undo_problem()
                if problem is None and self.session.undo():
                    self.say("Undone.")
                    self.notice()
                    shown = True
                else:
                    self.say(problem or "Nothing to undo.")
            elif cmd == "s":
                if rest:
                    self.save(rest)
                else:
                    self.say("Give a name: s NAME")
            elif cmd in ("h", "?", "help"):
                self.say(HELP)
            elif cmd in ("q", "quit", "exit"):
                self.say("Goodbye.")
                return 0
            else:
                self.say("Type a choice number, or h for help.")

    def take(self, n: int) -> bool:
        """Take choice ``n``; True when the game moved on."""
        opts: list[Option] = options(self.story, self.state)
        if not 1 <= n <= len(opts):
            self.say(f"Choose a number from 1 to {len(opts)}, or h for help.")
            return False
        opt = opts[n - 1]
        if not opt.enabled:
            self.say(f"That choice is unavailable: {clean_line(opt.reason)}")
            return False
        rationale = self.rationale() if self.session.needs_rationale() else ""
        try:
            decision = self.session.choose(opt.choice.id, rationale)
        except (EngineError, SessionError) as exc:  # pragma: no cover - options() and rationale() checked
            self.say(clean_line(str(exc)))
            return False
        self.happened(decision)
        for slot in self.session.autosave_slots():
            self.save(slot)
        return True

    def rationale(self) -> str:
        self.say(f"Key decision: write why you choose this (at least {self.session.min_rationale} characters).")
        while True:
            text = self.ask("Rationale: ")
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
