"""Encounters in an import: a discharge (inpatient, ED, observation...) opens a transition task.

Checked with everything else before anything is written (all or nothing): an Encounter of a
discharge class must name a Patient of the bundle or an earlier import, and one that is
finished must carry its discharge date (``period.end``). Other Encounters (office visits),
ones not yet discharged and discharges over 30 days old are passed over and counted.
An Encounter sent again (same id, or same identifier under a new id) opens nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hub import transitions
from hub.fhir import mapping
from hub.fhir.bundle import Entry
from hub.fhir.links import _required
from hub.fhir.refs import Resolver, Target
from hub.fhir.summary import FhirImportError, ImportSummary
from hub.models import Patient

NOT_YET = {"planned", "arrived", "triaged", "in-progress", "onleave"}
VOID = {"cancelled", "entered-in-error"}


@dataclass
class Found:
    """A discharge checked and ready to open, with the patient it resolved to."""

    entry: Entry
    patient: Target
    discharge: transitions.Discharge


def _moment(value: Any, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(
            tzinfo=tz).astimezone(UTC)
    if isinstance(value, date):  # a date without a time: that day, in the practice's zone
        return datetime.combine(value, time(0, 0), tzinfo=tz).astimezone(UTC)
    raise TypeError(type(value).__name__)


def discharge_of(entry: Entry, tz: ZoneInfo) -> transitions.Discharge | str:
    """The discharge this Encounter records, or why it opens no task (passed over).

    Raises FhirImportError for a finished discharge without its date."""
    resource = entry.resource
    code = resource.class_fhir.code if resource.class_fhir is not None else None
    if code not in transitions.DISCHARGE_CLASSES:
        return "Encounter"  # an office visit, a home visit...: as before, not kept
    if resource.status in VOID:
        return f"Encounter ({resource.status})"
    end = resource.period.end if resource.period is not None else None
    if end is None:
        if resource.status in NOT_YET:
            return "Encounter (not discharged yet)"
        raise FhirImportError(entry.label, "period.end",
                              "no discharge date: a discharge needs period.end "
                              "to open its transition task")
    hospitalization = resource.hospitalization
    disposition = mapping.first_code(hospitalization.dischargeDisposition) \
        if hospitalization is not None else None
    return transitions.Discharge(
        encounter_id=entry.key, identifier=mapping.identifier_key(resource.identifier),
        encounter_class=code, disposition=disposition[:64] if disposition else None,
        discharged_at=_moment(end, tz))


def check(resolver: Resolver, entries: list[Entry], tz: ZoneInfo,
          summary: ImportSummary) -> list[Found]:
    """Every discharge of the import, its patient resolved (or the import refused)."""
    found: list[Found] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.kind != "Encounter":
            continue
        discharge = discharge_of(entry, tz)
        if isinstance(discharge, str):
            summary.skipped_types[discharge] += 1
            continue
        patient = _required(resolver, entry, "subject", entry.resource.subject, "Patient")
        if discharge.identifier in seen:
            summary.transitions_known += 1  # the same visit twice in one delivery
            continue
        if discharge.identifier:
            seen.add(discharge.identifier)
        found.append(Found(entry, patient, discharge))
    return found


def write(session: Session, found: list[Found], rows: dict[int, Any], tz: ZoneInfo,
          now: datetime, source: str, summary: ImportSummary) -> list[Any]:
    """Open the task of each new recent discharge; return the tasks opened."""
    opened = []
    for item in found:
        if transitions.existing(session, item.discharge) is not None:
            summary.transitions_known += 1
            continue
        if transitions.too_old(item.discharge, now):
            summary.skipped_types["Encounter (discharged over 30 days ago)"] += 1
            continue
        patient = rows[id(item.patient)] if isinstance(item.patient, Entry) else item.patient
        assert isinstance(patient, Patient)  # resolved as a Patient by check()
        opened.append(transitions.open_task(session, patient, item.discharge, tz, now, source))
        summary.transitions_opened += 1
    return opened
