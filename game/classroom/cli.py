"""Classroom subcommands: transcript, report, serve.

Each handler is a few lines over transcript.py, report.py and serve.py;
errors the user can fix become one line on standard error (UsageError,
exit 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError
from ..paths import default_saves
from ..session import DEFAULT_MIN_RATIONALE, MAX_MIN_RATIONALE
from ..story.diagnostics import plural


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add transcript, report and serve to the CLI."""
    for name, help, arguments, handler in (
        (
            "transcript",
            "write a student's decision record from a save (Markdown, HTML or JSON)",
            _transcript_args,
            cmd_transcript,
        ),
        (
            "report",
            "summarise a class's saves: endings, choices, meters, rationales (Markdown, HTML or CSV)",
            _report_args,
            cmd_report,
        ),
        ("serve", "serve the game to web browsers on this computer or a classroom network", _serve_args, cmd_serve),
    ):
        p = sub.add_parser(name, help=help)
        arguments(p)
        p.set_defaults(handler=handler)


def _story_option(p: argparse.ArgumentParser, what: str = "story folder for the texts") -> None:
    p.add_argument("--story", default=None, metavar="DIR", help=f"{what} (default: the shipped story)")


def _write(text: str, out: str) -> None:
    if out == "-":
        sys.stdout.write(text)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None


# ------------------------------------------------------------------ transcript
def _transcript_args(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Turn a save into a decision record: every decision with its scene, choice, meter changes, events and "
        "rationale; the ending, debrief and discussion questions; the meters over the game; what was taken back with "
        "undo; and a short memo assembled from the student's own rationales. One save is written next to itself as "
        "NAME.transcript.FMT unless -o is given. A folder, or several saves, need --out-dir DIR: one record per save, "
        "named after the student; saves that cannot be read are listed, not fatal (exit 1 only when none could be)."
    )
    p.add_argument("saves", nargs="+", metavar="SAVE_OR_FOLDER", help="save files, slot names or folders of saves")
    p.add_argument("--format", choices=["md", "html", "json"], default="md", help="output format (default: md)")
    p.add_argument("-o", "--output", default=None, metavar="FILE", help='for one save: where to write (a file, a folder, or "-")')
    p.add_argument("--out-dir", default=None, metavar="DIR", help="write one record per save into DIR, named after the students")
    p.add_argument("--zip", action="store_true", help="with --out-dir: also pack the records into DIR.zip")
    p.add_argument(
        "--combined",
        action="store_true",
        help="with --out-dir and --format html: also every record in one printable page, DIR/all-records.html",
    )
    _story_option(p)


def cmd_transcript(args: argparse.Namespace) -> int:
    from ..records.transcript import TranscriptError, export_transcript, open_story, render_transcript
    from ..saves import SaveError, read_envelope, resolve_save

    paths: list[str] = args.saves
    one = len(paths) == 1 and not Path(paths[0]).is_dir() and args.out_dir is None
    if not one:
        return _class_records(args)
    if args.zip or args.combined:
        raise UsageError("--zip and --combined go with --out-dir DIR")
    try:
        save = resolve_save(default_saves(None), paths[0])
        if not save.is_file():
            raise UsageError(f"{paths[0]}: no such save (give a save file or a slot name)")
        try:
            read_envelope(save)  # a broken save is reported before the story is loaded
        except SaveError as exc:
            from .report import teacher_reason

            detail = str(exc).removeprefix(f"{save}:").strip()
            raise UsageError(f"{save}: {teacher_reason(save, exc)} (details: {detail})") from None
        story = open_story(Path(args.story) if args.story else None)
        if args.output == "-":
            sys.stdout.write(render_transcript(save, args.format, story))
            return 0
        path = export_transcript(save, args.format, Path(args.output) if args.output else None, story=story)
    except (SaveError, TranscriptError) as exc:
        raise UsageError(str(exc)) from None
    print(f"Wrote {path}")
    return 0


def _class_records(args: argparse.Namespace) -> int:
    from ..records.transcript import TranscriptError, open_story
    from .handback import write_class_records

    if args.out_dir is None:
        raise UsageError("a folder or several saves need --out-dir DIR (one record per save is written there)")
    if args.output is not None:
        raise UsageError("-o is for one save; use --out-dir DIR for several")
    if args.combined and args.format != "html":
        raise UsageError("--combined goes with --format html")
    try:
        story = open_story(Path(args.story) if args.story else None)
        done = write_class_records(
            [Path(p) for p in args.saves], story, args.format, Path(args.out_dir), zip_it=args.zip, combined=args.combined
        )
    except TranscriptError as exc:
        raise UsageError(str(exc)) from None
    for s in done.skipped:
        print(f"tightrope transcript: not written: {s.file}: {s.reason}", file=sys.stderr)
    print(
        f"Wrote {plural(len(done.written), 'record')} to {args.out_dir}"
        + (f", {plural(len(done.skipped), 'save')} could not be read" if done.skipped else "")
    )
    for extra in (done.combined, done.zip):
        if extra is not None:
            print(f"Wrote {extra}")
    if not done.written:
        print("tightrope transcript: no save could be read", file=sys.stderr)
        return 1
    return 0


# ------------------------------------------------------------------ report
def _report_args(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Read every save in the given files and folders (folders are searched, sub-folders included) and "
        "summarise the class. One game counts per student name: a finished game before an unfinished one, then "
        "the one with more decisions. Broken saves and saves that do not fit the story are listed, not fatal. "
        "Exit 0 when at least one save was read, 1 when none."
    )
    p.add_argument("paths", nargs="+", metavar="SAVES_OR_FOLDERS", help="save files and folders of saves")
    p.add_argument("--format", choices=["md", "html", "csv"], default="md", help="output format (default: md)")
    p.add_argument(
        "--anonymous",
        action="store_true",
        help="hide names and file names: Student 1, Student 2, ... (the same numbers on every run over the same class)",
    )
    p.add_argument(
        "--key-file", default=None, metavar="FILE", help="with --anonymous: write which number is which student to FILE (CSV)"
    )
    p.add_argument("-o", "--output", default="-", metavar="FILE", help="write to FILE (default: standard output)")
    _story_option(p)


def cmd_report(args: argparse.Namespace) -> int:
    from ..records.transcript import TranscriptError, open_story
    from .report import build_report, collect, key_csv, render_report

    try:
        story = open_story(Path(args.story) if args.story else None)
    except TranscriptError as exc:
        raise UsageError(str(exc)) from None
    if args.key_file is not None and not args.anonymous:
        raise UsageError("--key-file goes with --anonymous")
    games, skipped = collect([Path(p) for p in args.paths], story)
    report = build_report(story, games, skipped, anonymous=args.anonymous)
    _write(render_report(report, args.format), args.output)
    if args.key_file is not None:
        _write(key_csv(report), args.key_file)
        print(f"Wrote the key to the numbers to {args.key_file}: keep it private")
    for s in report.skipped:
        print(f"tightrope report: not counted: {s.file}: {s.reason}", file=sys.stderr)
    if args.output != "-":
        copies = f" ({plural(report.copies, 'earlier copy', 'earlier copies')} left out)" if report.copies else ""
        print(f"Wrote {args.output}: {plural(len(games), 'game')}, {len(report.skipped)} not counted{copies}")
    if not games:
        print("tightrope report: no save could be read", file=sys.stderr)
        return 1
    return 0


# ------------------------------------------------------------------ serve
def _serve_args(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Serve Tightrope to web browsers (students need nothing installed). Every browser tab runs its own game; "
        "saves are kept per player name under the save folder. By default only this computer can connect "
        "(127.0.0.1). On a classroom network use --host 0.0.0.0: then ANYONE who can reach this computer on "
        "that port can open games (there is no password), and each open tab runs a game process here."
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this computer only; 0.0.0.0 for a classroom network)",
    )
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument(
        "--public-url",
        default=None,
        metavar="URL",
        help="the address students type, if not http://HOST:PORT (guessed from this computer's network address with --host 0.0.0.0)",
    )
    p.add_argument("--max-sessions", type=int, default=60, metavar="N", help="most games running at once (default 60)")
    p.add_argument(
        "--saves",
        default=None,
        metavar="DIR",
        help="save folder; each player gets a sub-folder (default: $TIGHTROPE_SAVES, saves/ in a checkout, or your data folder)",
    )
    p.add_argument(
        "--no-warm",
        action="store_true",
        help="start every session as a fresh Python process (slower) instead of forking it from a warm one; always so on Windows",
    )
    _story_option(p, "story folder to play")
    every = p.add_argument_group("the teacher's settings, for every game (shown as fixed in New game)")
    every.add_argument("--classroom", action="store_true", help="classroom mode: a written rationale at each key decision")
    every.add_argument(
        "--seed", type=int, default=None, help="one seed for the whole class (the same events for the same choices)"
    )
    every.add_argument(
        "--min-rationale",
        type=int,
        default=None,
        metavar="N",
        help=f"shortest rationale accepted in classroom mode (characters, default {DEFAULT_MIN_RATIONALE})",
    )
    every.add_argument("--no-undo", action="store_true", help="turn undo off (when it is on, every undo is kept in the save)")
    every.add_argument(
        "--scenario", default=None, metavar="NAME", help="a scenario of the story (lesson, ...) instead of the full story"
    )
    every.add_argument("--hide-effects", action="store_true", help="choices do not show which meters they move")


def class_settings(args: argparse.Namespace) -> tuple[list[str], str]:
    """The play arguments every served game gets from serve's own, and the same in words (UsageError for bad values)."""
    extra: list[str] = []
    words: list[str] = []
    if args.classroom:
        least = DEFAULT_MIN_RATIONALE if args.min_rationale is None else args.min_rationale
        extra.append("--classroom")
        words.append(f"classroom mode (rationales of at least {least} characters)")
    if args.min_rationale is not None:
        if not 0 <= args.min_rationale <= MAX_MIN_RATIONALE:
            raise UsageError(f"--min-rationale must be from 0 to {MAX_MIN_RATIONALE} characters, not {args.min_rationale}")
        extra += ["--min-rationale", str(args.min_rationale)]
    if args.seed is not None:
        if not 0 <= args.seed < 2**63:
            raise UsageError(f"--seed must be a whole number from 0, not {args.seed}")
        extra += ["--seed", str(args.seed)]
        words.append(f"seed {args.seed}")
    if args.scenario is not None:
        extra += ["--scenario", args.scenario]
        words.append(f"the scenario {args.scenario}")
    if args.no_undo:
        extra.append("--no-undo")
        words.append("undo off")
    if args.hide_effects:
        extra.append("--hide-effects")
        words.append("effects hidden")
    return extra, ", ".join(words)


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    extra, words = class_settings(args)
    return serve(
        args.host,
        args.port,
        default_saves(args.saves),
        args.story,
        args.public_url,
        args.max_sessions,
        warm=not args.no_warm,
        extra_play_args=extra,
        scenario=args.scenario,
        settings=words,
    )
