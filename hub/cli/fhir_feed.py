"""The EHR's side of transitions: ``hub fhir-client add NAME`` (a bearer token for the
``/fhir`` endpoint, printed once), ``hub fhir-client deactivate NAME``, and
``hub export-transitions`` (the transition tasks as FHIR Task and Communication resources,
a collection Bundle on stdout; audited)."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date, datetime, time, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub import contact_log, fhir_clients
from hub.cli.patient_option import actor
from hub.fhir_export import transition
from hub.fhir_export.bundle import write_collection
from hub.fhir_export.refs import Namespace
from hub.models import TransitionAttempt, TransitionTask, utcnow
from messages import runtime


@click.group("fhir-client")
def fhir_client_group() -> None:
    """EHR clients that may post FHIR to the hub's /fhir endpoint."""


@fhir_client_group.command("add")
@click.argument("name")
@with_appcontext
def add_command(name: str) -> None:
    """Make a client and print its bearer token (shown this once; only a hash is kept)."""
    with runtime.current().session() as session:
        try:
            token = fhir_clients.add(session, name, utcnow())
        except ValueError as exc:
            click.echo(f"error: {exc}", err=True)
            raise click.exceptions.Exit(1) from None
    click.echo(token)
    click.echo("Give it to the EHR as 'Authorization: Bearer <token>'; it is not shown again.",
               err=True)


@fhir_client_group.command("deactivate")
@click.argument("name")
@with_appcontext
def deactivate_command(name: str) -> None:
    """The client's token stops working at once."""
    with runtime.current().session() as session:
        if not fhir_clients.deactivate(session, name, utcnow()):
            click.echo(f"error: no active FHIR client named {name!r}", err=True)
            raise click.exceptions.Exit(1)
    click.echo(f"{name}: deactivated")


@click.command("export-transitions")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="discharged on or after this date (practice time zone)")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="discharged before the end of this date")
@with_appcontext
def export_transitions_command(since: datetime | None, until: datetime | None) -> None:
    """Print the transition tasks as FHIR R4 Task and Communication resources (decrypted)."""
    rt = runtime.current()
    ns = Namespace(rt.settings.public_url)
    tz = rt.settings.tz

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time(0, 0), tzinfo=tz)

    query = (select(TransitionTask).order_by(TransitionTask.discharged_at, TransitionTask.id)
             .options(selectinload(TransitionTask.patient),
                      selectinload(TransitionTask.care_manager),
                      selectinload(TransitionTask.attempts).selectinload(TransitionAttempt.staff)))
    if since is not None:
        query = query.where(TransitionTask.discharged_at >= start_of(since.date()))
    if until is not None:
        query = query.where(TransitionTask.discharged_at
                            < start_of(until.date() + timedelta(days=1)))
    with rt.reading() as session:  # no write lock while it reads (SQLite's one writer)
        rows = list(session.scalars(query))
        resources = list(transition.resources(rows, ns, utcnow()))
        audited = {"tasks": len(rows), "patient_ids": sorted({r.patient_id for r in rows})}
    with rt.session() as session:
        contact_log.append(session, "transitions.exported", actor=actor(), detail={
            **audited, "resources": dict(Counter(r["resourceType"] for r in resources))})
    write_collection(sys.stdout, resources, ns)
