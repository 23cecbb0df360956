"""A transition task as the EHR takes it back: a FHIR R4 Task (the follow-up a discharge owed,
its due time as ``restriction.period.end``, its Encounter as ``focus``) and one Communication
per try at the interactive contact (``partOf`` the Task; ``not-done`` when the patient was not
reached). Valid against the fhir.resources R4B models (tests/test_fhir_transitions_out.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from hub import transitions
from hub.fhir_export.refs import Namespace
from hub.models import TransitionAttempt, TransitionTask

WHAT = "Transitional care: interactive contact within 2 business days of discharge"
MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
MEDIUM = {"phone": ("PHONE", "telephone"), "video": ("VIDEOCONF", "videoconferencing"),
          "in_person": ("FACE", "face-to-face"), "not_reached": ("PHONE", "telephone")}


def _when(at: datetime) -> str:
    return at.isoformat()


def task(row: TransitionTask, ns: Namespace, now: datetime) -> dict[str, Any]:
    """The Task resource of one transition task."""
    status = "completed" if row.status == "done" else (
        "in-progress" if row.attempts else "requested")
    resource: dict[str, Any] = {
        "resourceType": "Task", "id": row.ref,
        "identifier": [{"system": ns.system("transition-task"), "value": row.ref}],
        "status": status, "intent": "order",
        "businessStatus": {"text": transitions.state(row, now)},
        "code": {"text": WHAT},
        "focus": {"reference": f"Encounter/{row.encounter_fhir_id}"},
        "for": ns.patient(row.patient),
        "authoredOn": _when(row.created_at), "lastModified": _when(row.done_at or row.created_at),
        "restriction": {"period": {"end": _when(row.due_at)}},
    }
    if row.care_manager is not None:
        resource["owner"] = ns.staff(row.care_manager)
    if row.attempts:
        period = {"start": _when(row.attempts[0].at)}
        if row.done_at is not None:
            period["end"] = _when(row.done_at)
        resource["executionPeriod"] = period
    return resource


def communication(row: TransitionTask, attempt: TransitionAttempt, number: int,
                  ns: Namespace) -> dict[str, Any]:
    """One try at the interactive contact, as a Communication part of the Task."""
    code, display = MEDIUM[attempt.method]
    said = transitions.METHODS[attempt.method]
    text = f"Discharge follow-up: {'reached ' + said if attempt.reached else said}"
    if attempt.minutes:
        text += f", {attempt.minutes} minutes"
    resource: dict[str, Any] = {
        "resourceType": "Communication", "id": f"{row.ref}-{number}",
        "status": "completed" if attempt.reached else "not-done",
        "partOf": [{"reference": f"Task/{row.ref}"}],
        "subject": ns.patient(row.patient), "recipient": [ns.patient(row.patient)],
        "sender": ns.staff(attempt.staff), "sent": _when(attempt.at),
        "medium": [{"coding": [{"system": MODE, "code": code, "display": display}]}],
        "payload": [{"contentString": text}],
    }
    if not attempt.reached:
        resource["statusReason"] = {"text": "patient not reached"}
    return resource


def resources(rows: list[TransitionTask], ns: Namespace, now: datetime) -> Iterator[dict[str, Any]]:
    """Each task's Task, then its Communications."""
    for row in rows:
        yield task(row, ns, now)
        for number, attempt in enumerate(row.attempts, start=1):
            yield communication(row, attempt, number, ns)
