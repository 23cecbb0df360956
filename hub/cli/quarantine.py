"""CLI for the rows the engine set aside after failing on them: ``hub quarantine``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from hub import quarantine
from hub.models import utcnow
from messages import runtime


@click.group("quarantine")
def quarantine_group() -> None:
    """Contacts, timers and outbound messages the engine set aside after repeated failures."""


@quarantine_group.command("list")
@with_appcontext
def list_command() -> None:
    """List the rows set aside (the error is the exception's type only)."""
    rt = runtime.current()
    with rt.reading() as session:
        rows = quarantine.quarantined(session)
        for row in rows:
            since = (row.quarantined_at or row.last_at).astimezone(rt.settings.tz)
            click.echo(f"{row.kind} {row.row_id}: {row.failures} failures ({row.last_error}), "
                       f"set aside {since:%Y-%m-%d %H:%M %Z}")
        if not rows:
            click.echo("nothing is set aside")


@quarantine_group.command("release")
@click.argument("kind", type=click.Choice(quarantine.KINDS))
@click.argument("row_id", type=click.IntRange(min=1))
@with_appcontext
def release_command(kind: str, row_id: int) -> None:
    """Put a row back in line: the engine takes it again at its next tick."""
    rt = runtime.current()
    with rt.session() as session:
        if not quarantine.release(session, kind, row_id, utcnow(), actor="cli"):
            raise click.ClickException(f"{kind} {row_id} is not set aside")
    click.echo(f"{kind} {row_id} released: the engine takes it again at its next tick")
