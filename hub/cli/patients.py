"""``hub patients [--search TEXT]``: the patients, with the ids the other commands take.

    hub patients --search kowalski
    id  ref               fhir                 name
    12  Zq3...            Patient/walter       Walter Kowalski

Each line gives the hub id (``--patient 12``), the opaque reference of the care plan page
(``/staff/p/<ref>/care-plan``), the FHIR id when the patient came from the EHR (``--patient
Patient/walter``; ``-`` for one entered by hand) and the name. Names are patient data: the
listing is audited (the command and how many lines were shown, never a name or the search).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import click
from flask.cli import with_appcontext

from hub import contact_log, directory
from hub.cli.patient_option import actor
from messages import runtime


def echo_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Tab-separated lines under a header (what ``cut`` and spreadsheets read)."""
    click.echo("\t".join(header))
    for row in rows:
        click.echo("\t".join(row))


def fhir_ref(resource_type: str, fhir_id: str | None) -> str:
    """``Patient/abc`` as the EHR names the row, or ``-`` when the hub alone knows it."""
    return f"{resource_type}/{fhir_id}" if fhir_id else "-"


def searched_for(search: str | None) -> str | None:
    """The search text, or None when it says nothing (then everyone is listed)."""
    return search if search and search.strip() else None


@click.command("patients")
@click.option("--search", help="only patients whose name holds TEXT (any case)",
              metavar="TEXT")
@with_appcontext
def patients_command(search: str | None) -> None:
    """List patients: hub id, opaque reference, FHIR id, name (the listing is audited)."""
    search = searched_for(search)
    with runtime.current().session() as session:
        found = directory.patients(session, search)
        contact_log.append(session, "access.list_patients", actor=actor(), detail={
            "command": "hub patients", "rows": len(found), "searched": search is not None})
    # printed once the audit entry is committed: nothing is shown that was not logged
    if not found:
        click.echo("no patient matches the search" if search else "no patients yet")
        return
    echo_table(("id", "ref", "fhir", "name"),
               ((str(p.id), p.ref or "-", fhir_ref("Patient", p.fhir_id), p.name)
                for p in found))
