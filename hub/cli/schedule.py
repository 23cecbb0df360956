"""``hub import-schedule FILE.ics``: load on-call shifts from an iCalendar file."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from hub import contact_log
from hub.db import refresh_statistics
from hub.models import Shift, utcnow
from messages import runtime
from routing.ical_import import ScheduleImportError, import_schedule


@click.command("import-schedule")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 366),
              help="How many days ahead of now to expand recurring events into shifts "
                   "(up to a year: import again before then; hub coverage says when).")
@click.option("--calendar", "source", metavar="NAME",
              help="Which calendar this is (default: its X-WR-CALNAME, else the file name); "
                   "re-importing it removes the future shifts of events it no longer holds.")
@with_appcontext
def import_schedule_command(file: str, days: int, source: str | None) -> None:
    """Load on-call shifts from FILE (iCalendar: RRULE, EXDATE, overrides, time zones)."""
    rt = runtime.current()
    path = Path(file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        click.echo(f"error: cannot read {file}: {exc.strerror}", err=True)
        raise click.exceptions.Exit(1) from None
    try:
        with rt.session() as session:
            summary = import_schedule(session, data, tz=rt.settings.tz, now=utcnow(),
                                      horizon_days=days, source=source, file_name=path.name)
            contact_log.append(session, "schedule.import", actor="cli",
                               detail={"file": path.name, **summary.counts()})
            refresh_statistics(session.connection(), Shift)
    except ScheduleImportError as exc:
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(str(summary))
    # Unmatched events still let the rest load: warn, but exit 0.
    for event in summary.unmatched:
        click.echo(f"warning: {event}", err=True)
