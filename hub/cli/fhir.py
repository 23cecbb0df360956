"""FHIR in and out: ``hub import-fhir FILE`` loads a FHIR R4 Bundle (JSON), all or nothing;
``hub export-care-plan --patient ID`` prints a patient's care plan, team and chart as a Bundle
that ``hub import-fhir`` takes back unchanged. Both are audited."""

from __future__ import annotations

import sys
from collections import Counter

import click
from flask.cli import with_appcontext

from hub import contact_log
from hub.cli.patient_option import GivenPatient, actor, patient_option
from hub.fhir.bundle import read_file
from hub.fhir.importer import import_bundle
from hub.fhir.progress import Progress
from hub.fhir.summary import FhirImportError
from hub.fhir_export.bundle import write_collection
from hub.fhir_export.care_plan import CarePlanExport
from hub.fhir_export.refs import Namespace
from messages import runtime


@click.command("import-fhir")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_fhir_command(file: str) -> None:
    """Load a FHIR R4 Bundle; a bad bundle is refused whole with the reason."""
    rt = runtime.current()
    try:
        data = read_file(file)
        # One transaction: the rows and the audit entry commit together or not at all.
        with rt.session() as session:
            progress = Progress(lambda line: click.echo(line, err=True))
            summary = import_bundle(session, data, progress, rt.settings.phone_region)
            contact_log.append(session, "fhir.import", actor="cli", detail=summary.counts())
    except FhirImportError as exc:
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(1) from None
    except OSError as exc:
        click.echo(f"error: cannot read {file}: {exc.strerror or type(exc).__name__}", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(str(summary))



@click.command("export-care-plan")
@patient_option()
@with_appcontext
def export_care_plan_command(given: GivenPatient) -> None:
    """Print the patient's care plan as a FHIR R4 collection Bundle (decrypted)."""
    rt = runtime.current()
    ns = Namespace(rt.settings.public_url)
    with rt.session() as session:
        patient = given.find(session)
        export = CarePlanExport(session, ns)
        resources = export.resources(patient)
        # The ids given to rows entered by hand are committed with the audit entry, so the
        # bundle printed is always one the hub can take back.
        contact_log.append(session, "care_plan.exported", actor=actor(),
                           detail={"patient_id": patient.id, "ids_assigned": export.minted,
                                   "resources": dict(Counter(r["resourceType"]
                                                             for r in resources))})
    write_collection(sys.stdout, resources, ns)
