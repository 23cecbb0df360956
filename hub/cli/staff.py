"""``hub staff``: the practice's staff accounts.

    hub staff list [--search TEXT]

``list`` gives each person's hub id, FHIR id (``Practitioner/<id>`` when the EHR sent them),
name, e-mail (what ``hub rotation``, ``hub override`` and ``hub swap`` take), role and whether
they may still sign in. The listing is audited like the patient list (the command and how many
lines were shown). Staff have no opaque reference: no page is addressed by a staff member.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from hub import contact_log, directory
from hub.cli.patient_option import actor
from hub.cli.patients import echo_table, fhir_ref, searched_for
from messages import runtime


@click.group("staff")
def staff_group() -> None:
    """The practice's staff accounts."""


@staff_group.command("list")
@click.option("--search", help="only staff whose name holds TEXT (any case)", metavar="TEXT")
@with_appcontext
def list_command(search: str | None) -> None:
    """List staff: hub id, FHIR id, name, e-mail, role, active (the listing is audited)."""
    search = searched_for(search)
    with runtime.current().session() as session:
        found = directory.staff(session, search)
        contact_log.append(session, "access.list_staff", actor=actor(), detail={
            "command": "hub staff list", "rows": len(found), "searched": search is not None})
    if not found:
        click.echo("no staff member matches the search" if search else "no staff yet")
        return
    echo_table(("id", "fhir", "name", "email", "role", "active"),
               ((str(s.id), fhir_ref("Practitioner", s.fhir_id), s.name, s.email or "-",
                 s.role, "yes" if s.active else "no") for s in found))
