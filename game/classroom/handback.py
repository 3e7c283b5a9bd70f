"""Decision records for a whole class: ``tightrope transcript FOLDER --out-dir DIR``.

One record per save that can be read, named after the student
(``Amina-Q.html``; a second save of the same student is ``Amina-Q-2.html``),
in the order of the students' names and then of their games, so the names
are the same on every run. Saves that cannot be read are listed with what to
do about them (the class report's wording), never fatal. ``--zip`` packs
the folder into ``DIR.zip`` beside it; ``--combined`` also writes every
record into one printable page, ``DIR/all-records.html``, a page break
between students.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..records.render import page
from ..records.transcript import RENDER, Record, TranscriptError, build_record, html_body
from ..saves import SaveError, read_envelope, slug
from ..story import Story
from .report import Skipped, save_files, teacher_reason

COMBINED = "all-records.html"


@dataclass(frozen=True)
class Written:
    student: str
    save: Path
    path: Path


@dataclass(frozen=True)
class HandBack:
    """What ``transcript --out-dir`` wrote, and what it could not."""

    written: tuple[Written, ...]
    skipped: tuple[Skipped, ...]
    zip: Path | None = None
    combined: Path | None = None


def record_name(student: str, fallback: str, fmt: str, taken: set[str]) -> str:
    """A file name for a student's record that no other record of the run has (case aside)."""
    base = slug(student) if student.strip() else slug(fallback)
    suffix = ".transcript.json" if fmt == "json" else f".{fmt}"  # a record is never mistaken for a save
    n = 1
    while True:
        name = (base if n == 1 else f"{base}-{n}") + suffix
        if name.casefold() not in taken:
            taken.add(name.casefold())
            return name
        n += 1


def write_class_records(
    paths: Iterable[Path], story: Story, fmt: str, out_dir: Path, *, zip_it: bool = False, combined: bool = False
) -> HandBack:
    """Write one record per readable save into ``out_dir``; raises TranscriptError when nothing can be written there."""
    files, skipped = save_files(paths)
    records: list[tuple[Record, Path, str]] = []
    for path in files:
        try:
            data = read_envelope(path)
        except SaveError as exc:
            skipped.append(Skipped(str(path), teacher_reason(path, exc)))
            continue
        records.append((build_record(data, story, path.name), path, data.created))
    records.sort(key=lambda r: (r[0].student.casefold(), r[2], str(r[1])))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TranscriptError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
    taken: set[str] = {COMBINED.casefold()} if combined else set()
    written = []
    for rec, save, _created in records:
        target = out_dir / record_name(rec.student, save.stem, fmt, taken)
        try:
            target.write_text(RENDER[fmt](rec), encoding="utf-8")
        except OSError as exc:
            raise TranscriptError(f"cannot write {target}: {exc.strerror or exc}") from None
        written.append(Written(rec.student, save, target))
    all_in_one = None
    if combined and records:
        bodies = [
            f'<article class="record{" pagebreak" if i else ""}">{html_body(rec)}</article>'
            for i, (rec, _, _) in enumerate(records)
        ]
        all_in_one = out_dir / COMBINED
        try:
            all_in_one.write_text(page("Decision records", "\n".join(bodies)), encoding="utf-8")
        except OSError as exc:
            raise TranscriptError(f"cannot write {all_in_one}: {exc.strerror or exc}") from None
    packed = None
    if zip_it and written:
        packed = out_dir.with_name(out_dir.name + ".zip")
        try:
            with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as z:
                for w in written:
                    z.write(w.path, f"{out_dir.name}/{w.path.name}")
                if all_in_one is not None:
                    z.write(all_in_one, f"{out_dir.name}/{all_in_one.name}")
        except OSError as exc:
            raise TranscriptError(f"cannot write {packed}: {exc.strerror or exc}") from None
    return HandBack(tuple(written), tuple(skipped), packed, all_in_one)
