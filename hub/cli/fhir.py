"""FHIR in and out: ``hub import-fhir FILE`` loads a FHIR R4 Bundle (JSON) or the NDJSON files
of a Bulk Data export, all or nothing;
``hub export-care-plan --patient ID`` prints a patient's care plan, team and chart as a Bundle
that ``hub import-fhir`` takes back unchanged. Both are audited."""

from __future__ import annotations

import sys
from collections import Counter

import click
from flask.cli import with_appcontext

from hub import contact_log
from hub.cli.patient_option import GivenPatient, actor, patient_option
from hub.fhir import ndjson
from hub.fhir.bundle import read_file
from hub.fhir.importer import import_bundle
from hub.fhir.progress import Progress
from hub.fhir.summary import FhirImportError
from hub.fhir_export.bundle import write_collection
from hub.fhir_export.care_plan import CarePlanExport
from hub.fhir_export.refs import Namespace
from messages import runtime


@click.command("import-fhir")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@with_appcontext
def import_fhir_command(paths: tuple[str, ...]) -> None:
    """Load a FHIR R4 Bundle (JSON), or the NDJSON files of a Bulk Data $export (files or a
    folder); refused whole with the reason. A recent discharge opens a transition task."""
    rt = runtime.current()
    bulk = [p for p in paths if ndjson.is_ndjson(p)]
    lines: ndjson.Lines | None = None
    try:
        if bulk and len(bulk) != len(paths):
            raise FhirImportError("input", None, "give one Bundle, or NDJSON files and folders, "
                                  "not both")
        if not bulk and len(paths) > 1:
            raise FhirImportError("input", None, "one Bundle at a time (NDJSON may be several)")
        if bulk:
            lines = ndjson.Lines(ndjson.files_of(list(paths)))
            data: bytes | dict[str, object] = lines.bundle()
        else:
            data = read_file(paths[0])
        # One transaction: the rows and the audit entry commit together or not at all.
        with rt.session() as session:
            progress = Progress(lambda line: click.echo(line, err=True))
            summary = import_bundle(session, data, progress, rt.settings.phone_region,
                                    rt.settings.tz, source="cli")
            contact_log.append(session, "fhir.import", actor="cli", detail=summary.counts())
    except FhirImportError as exc:
        shown = lines.placed(exc) if lines is not None else exc
        click.echo(f"error: {shown}", err=True)
        raise click.exceptions.Exit(1) from None
    except OSError as exc:
        name = getattr(exc, "filename", None) or paths[0]
        click.echo(f"error: cannot read {name}: {exc.strerror or type(exc).__name__}", err=True)
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
