"""CLI for running the hub: the local outbox, a scheduler-only process, the demo seed."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from hub import log_lines
from hub.cli.demo import seed_if_empty
from hub.models import Outbound
from messages import engine, runtime

# What a call does, by the outbound row's kind (its body is TwiML, not for reading here).
CALLS = {
    "page": "(paging call: press 1 to acknowledge)",
    "callback": "(callback call: rings the staff member, then connects them to the sender "
                "from the practice number)",
    "fallback": "(last-resort call to the fallback number: nobody on call acknowledged)",
    "round": "(last-resort round's call to a manager: press 1 to acknowledge)",
    "bundle": "(last-resort round's one call about several contacts)",
    "call_bundle": "(one paging call about several contacts due at once: press 1 to "
                   "acknowledge them all)",
}


@click.command("outbox")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
              help="How many of the latest rows to show.")
@with_appcontext
def outbox_command(limit: int) -> None:
    """Show the latest outbound messages and calls (the local outbox in local mode)."""
    rt = runtime.current()
    with rt.reading() as session:
        rows = list(session.scalars(select(Outbound).order_by(Outbound.id.desc()).limit(limit)))
        for row in reversed(rows):
            text = row.body if row.channel == "sms" else CALLS.get(row.kind, f"({row.kind} call)")
            to = row.to_number
            if row.kind == "outreach":  # a patient's number and plan: not shown unaudited
                text, to = "(outreach: hub outreach list --patient ID shows it)", "a patient"
            queued = row.created_at.astimezone(rt.settings.tz)
            click.echo(f"#{row.id} {queued:%Y-%m-%d %H:%M:%S %Z} {row.kind} {row.channel} "
                       f"to {to} [{row.status}]\n    {text}")
        if not rows:
            click.echo("the outbox is empty")


@click.command("scheduler")
@click.option("--once", is_flag=True, help="run one tick and exit")
@click.option("--interval", type=click.FloatRange(0.05, 60), default=0.05, show_default=True,
              help="seconds between ticks when there is nothing to do")
@with_appcontext
def scheduler_command(once: bool, interval: float) -> None:
    """Route, page, fire escalations and send, in this process (safe beside web workers and
    other scheduler processes; the one engine with HUB_ENGINE=separate)."""
    rt = runtime.current()
    if once:
        click.echo(engine.tick(rt))
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # A tick that found work runs again at once (up to 50 rounds); skipped overlapping ticks
    # are expected then, not worth a warning each.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    log_lines.configure(rt.settings.log_level)  # the engine's journal: a line per event
    running = engine.start(rt, interval_seconds=interval, max_rounds=50)
    click.echo("scheduler running; Ctrl-C to stop")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    running.shutdown()


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Seed the demo practice into an empty database (local mode only)."""
    rt = runtime.current()
    if not rt.settings.local_mode:
        raise click.ClickException(
            "seed-demo: only in local mode (no Twilio account): the demo's passwords are "
            "published and its numbers are fiction")
    with rt.session() as session:
        seeded = seed_if_empty(session, rt.settings)
    click.echo("demo practice seeded" if seeded else "database not empty: nothing seeded")
