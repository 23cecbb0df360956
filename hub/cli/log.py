"""CLI: export the decrypted log for managers (audited), verify its chain, rotate keys."""

from __future__ import annotations

import csv
import getpass
import json
import sys
from datetime import datetime, time
from pathlib import Path

import click
from cryptography.fernet import InvalidToken
from flask.cli import with_appcontext
from sqlalchemy import Text, select, type_coerce, update

from hub import contact_log, db, log_anchor
from hub.cli.times import within_range
from hub.crypto import Encrypted, Undecryptable
from hub.fhir_export.bundle import write_collection
from hub.fhir_export.communication import communications
from hub.fhir_export.refs import Namespace
from hub.models import Base
from messages import runtime


def _instant(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD[THH:MM])",
                                 param_hint=name) from None
    within_range(parsed, name)
    if len(value) == 10:
        parsed = datetime.combine(parsed.date(), time())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=runtime.current().settings.tz)
    return parsed


@click.command("export-log")
@click.option("--since", help="first day or instant (practice time zone unless given)")
@click.option("--until", help="day or instant the export stops before")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "fhir"]), default="csv",
              help="fhir: a FHIR R4 Bundle of one Communication per contact received")
@with_appcontext
def export_log_command(since: str | None, until: str | None, fmt: str) -> None:
    """Print the decrypted contact log; the export itself is logged."""
    start, end = _instant(since, "--since"), _instant(until, "--until")
    if start is not None and end is not None and end <= start:
        # The window would hold nothing: say so rather than print a header alone.
        raise click.BadParameter(f"must be after --since ({since})", param_hint="'--until'")
    rt = runtime.current()
    count = 0
    # One read-only snapshot: on SQLite a long export takes no write lock, so webhooks and
    # pages go on while it streams; the audit entry is its own short write after.
    with db.read_snapshot(rt.sessions) as session:
        rows = contact_log.entries(session, start, end)
        if fmt == "fhir":
            ns = Namespace(rt.settings.public_url)
            count = write_collection(sys.stdout, communications(session, ns, start, end), ns)
        elif fmt == "json":
            sys.stdout.write("[")
            for row in rows:
                separator = ",\n" if count else "\n"
                sys.stdout.write(separator + json.dumps(row, ensure_ascii=False))
                count += 1
            sys.stdout.write("\n]\n")
        else:
            writer = csv.writer(sys.stdout)
            writer.writerow(["seq", "at", "event", "contact_id", "actor", "detail"])
            for row in rows:
                writer.writerow([row["seq"], row["at"], row["event"], row["contact_id"],
                                 row["actor"], json.dumps(row["detail"], ensure_ascii=False)])
                count += 1
    with rt.session() as session:
        contact_log.append(session, "log.exported", actor=f"cli:{getpass.getuser()}",
                           detail={"since": since, "until": until, "format": fmt,
                                   "entries": count})


@click.command("verify-log")
@click.option("--checkpoints", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="folder of the log's checkpoints [default: HUB_LOG_CHECKPOINT_DIR]")
@click.option("--no-checkpoint", is_flag=True,
              help="check the chain only, not its tail against the last checkpoint")
@with_appcontext
def verify_log_command(folder: Path | None, no_checkpoint: bool) -> None:
    """Check the log's HMAC chain and its tail against the last checkpoint; exit 1 naming the
    first entry that was altered or is missing."""
    rt = runtime.current()
    folder = folder or rt.settings.log_checkpoint_dir
    # Read before the snapshot starts: a checkpoint written later could see further than it.
    anchor = None if no_checkpoint else log_anchor.last(folder)
    with db.read_snapshot(rt.sessions) as session:
        checked, broken = contact_log.verify(session, anchor=anchor)
    if broken is not None:
        click.echo(f"log chain BROKEN at entry {broken.seq}: {broken.reason} "
                   f"({checked} entries before it verified)", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"log chain intact: {checked} entries verified")
    if anchor is not None:
        click.echo(f"the tail holds the checkpoint of {anchor.at:%Y-%m-%d %H:%M} UTC "
                   f"(entry {anchor.seq})")
    elif not no_checkpoint:
        click.echo(f"note: no checkpoint in {folder} yet, so entries removed from the end "
                   "together with the head would not be seen", err=True)


def encrypted_columns() -> list[tuple[str, str]]:
    """Every (table, column) stored encrypted."""
    return [(table.name, column.name) for table in Base.metadata.sorted_tables
            for column in table.columns if isinstance(column.type, Encrypted)]


@click.command("rotate-keys")
@click.option("--batch", default=500, show_default=True)
@with_appcontext
def rotate_keys_command(batch: int) -> None:
    """Re-encrypt every stored field under the first key of HUB_ENCRYPTION_KEYS."""
    rt = runtime.current()
    total = 0
    for table_name, column_name in encrypted_columns():
        table = Base.metadata.tables[table_name]
        (key,) = table.primary_key.columns
        raw = type_coerce(table.c[column_name], Text)
        last = None
        while True:
            with rt.session() as session:
                query = select(key, raw).where(raw.is_not(None)).order_by(key).limit(batch)
                if last is not None:
                    query = query.where(key > last)
                rows = session.execute(query).all()
                for pk, token in rows:
                    try:
                        rotated = rt.cipher.rotate(token)
                    except InvalidToken:
                        # Those before it in other batches stay rotated; running again after
                        # the missing key is added finishes the job.
                        raise Undecryptable(f"{table_name}.{column_name} of row {pk}") from None
                    session.execute(update(table).where(key == pk)
                                    .values({column_name: type_coerce(rotated, Text)}))
                total += len(rows)
            if len(rows) < batch:
                break
            last = rows[-1][0]
    with rt.session() as session:
        contact_log.append(session, "keys.rotated", actor=f"cli:{getpass.getuser()}",
                           detail={"fields": total})
    click.echo(f"re-encrypted {total} fields under the first key; older keys may now be retired")
