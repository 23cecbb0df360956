"""``hub export-care-plan --patient ID``: a patient's care plan, team and chart as a FHIR R4
Bundle on stdout, which ``hub import-fhir`` takes back unchanged; the export is audited."""

from __future__ import annotations

import getpass
import sys
from collections import Counter

import click
from flask.cli import with_appcontext

from hub import contact_log, runtime
from hub.fhir_export.bundle import write_collection
from hub.fhir_export.care_plan import CarePlanExport
from hub.fhir_export.refs import Namespace
from hub.models import Patient


@click.command("export-care-plan")
@click.option("--patient", "patient_id", type=int, required=True,
              help="the patient's id in the hub")
@with_appcontext
def export_care_plan_command(patient_id: int) -> None:
    """Print the patient's care plan as a FHIR R4 collection Bundle (decrypted)."""
    rt = runtime.current()
    ns = Namespace(rt.settings.public_url)
    with rt.session() as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise click.BadParameter(f"no patient with id {patient_id}", param_hint="--patient")
        export = CarePlanExport(session, ns)
        resources = export.resources(patient)
        # The ids given to rows entered by hand are committed with the audit entry, so the
        # bundle printed is always one the hub can take back.
        contact_log.append(session, "care_plan.exported", actor=f"cli:{getpass.getuser()}",
                           detail={"patient_id": patient_id, "ids_assigned": export.minted,
                                   "resources": dict(Counter(r["resourceType"]
                                                             for r in resources))})
    write_collection(sys.stdout, resources, ns)
