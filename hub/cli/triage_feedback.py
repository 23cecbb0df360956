"""CLI: clinicians' marks on triage ("should have been urgent", "false alarm") as new labelled
examples for the triage sets.

    hub triage-feedback export --out feedback.jsonl

Writes one JSON line a mark, in the format of tests/data/triage_messages.jsonl, with the
patient's plan (problems, medications, care-plan instructions) as the row's "plan". The
messages are decrypted into that file only (created new, readable by its owner alone), never
printed; the export is written to the contact log (who, how many rows, not the words).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from hub import contact_log, triage_feedback
from hub.cli.patient_option import actor
from messages import runtime


@click.group("triage-feedback")
def triage_feedback_group() -> None:
    """Clinicians' marks on triage, as labelled examples."""


@triage_feedback_group.command("export")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The JSONL file to write (must not exist yet).")
@with_appcontext
def export_command(out: Path) -> None:
    """Write every mark as a labelled example to OUT (audited)."""
    try:
        handle = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.BadParameter(f"{out} exists already; give a new file",
                                 param_hint="--out") from None
    except OSError as exc:
        raise click.BadParameter(f"cannot write {out}: {exc.strerror}",
                                 param_hint="--out") from None
    rt = runtime.current()
    with rt.reading() as session:  # no write lock while it reads (SQLite's one writer)
        rows, skipped = triage_feedback.labelled_rows(session)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        for row in rows:
            file.write(json.dumps(row, ensure_ascii=False) + "\n")
    with rt.session() as session:
        contact_log.append(session, "triage_feedback.exported", actor=actor(), detail={
            "rows": len(rows), "without_words": skipped, "file": out.name})
    click.echo(f"{len(rows)} labelled examples written to {out}"
               + (f"; {skipped} marked contacts had no words (calls)" if skipped else ""))
