"""A discharge for the stories: the Synthea patient's inpatient Encounter (read in place from
the shared samples), sent again for Walter with a discharge date of the story's choosing."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.shared_data import SHARED

SYNTHEA = SHARED / "fhir" / "synthea" / "sample_complete_patient.json"
EASTERN = ZoneInfo("America/New_York")  # the practice's zone in the tests (HUB_TIMEZONE)


@cache
def _synthea_inpatient() -> dict[str, Any]:
    if not SYNTHEA.is_file():
        pytest.skip(f"shared FHIR samples not found at {SYNTHEA}")
    bundle = json.loads(SYNTHEA.read_text())
    return next(e["resource"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "Encounter"
                and e["resource"]["class"]["code"] == "IMP")


def local(*parts: int) -> datetime:
    """A wall-clock time at the practice."""
    return datetime(*parts, tzinfo=EASTERN)  # type: ignore[misc]


def discharge(patient_fhir_id: str, discharged: datetime | None, encounter_id: str = "stay-1",
              klass: str = "IMP", identifier: str | None = None) -> dict[str, Any]:
    """The Synthea inpatient stay, for this patient, ending at ``discharged`` (None: no end)."""
    encounter = copy.deepcopy(_synthea_inpatient())
    encounter["id"] = encounter_id
    encounter["identifier"][0]["value"] = identifier or encounter_id
    encounter["subject"] = {"reference": f"Patient/{patient_fhir_id}"}
    encounter["class"]["code"] = klass
    encounter.pop("participant", None)  # conditional references to Synthea's practitioners
    encounter.pop("serviceProvider", None)
    encounter.pop("location", None)
    encounter["hospitalization"] = {"dischargeDisposition": {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/discharge-disposition",
        "code": "home", "display": "Home"}]}}
    if discharged is None:
        encounter["period"] = {"start": encounter["period"]["start"]}
    else:
        encounter["period"] = {"start": discharged.replace(day=discharged.day - 2).isoformat(),
                               "end": discharged.isoformat()}
    return encounter


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in resources]}
