"""A clinician's word that triage got a contact wrong, and what the hub makes of it.

On the staff contact page a clinician marks a routine contact "should have been urgent" or an
urgent one "false alarm", with an optional note. Each mark is a row (note encrypted) and an
entry of the chained contact log (the verdict, never the note's words); the manager's overview
counts them; ``hub triage-feedback export`` turns them into labelled examples in the format of
tests/data/triage_messages.jsonl (hub.triage.labelled), with the patient's plan beside each.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import contact_log, language
from hub.models import Condition, Contact, Medication, Patient, PlanRule, TriageFeedback
from hub.triage.profile import PAST_CONDITION, PAST_MEDICATION

VERDICTS = {"should_be_urgent": "should have been urgent", "false_alarm": "false alarm"}
# the urgency a verdict corrects: only a routine contact can have been missed, and so on
CORRECTS = {"should_be_urgent": "routine", "false_alarm": "urgent"}
LABELS = {"should_be_urgent": "emergency", "false_alarm": "routine"}
NOTE_LIMIT = 500


class BadFeedback(ValueError):
    """The mark cannot be taken; the message says why (for a 400)."""


def record(session: Session, contact: Contact, staff_id: int, verdict: str,
           note: str | None, now: datetime) -> TriageFeedback:
    """Keep one clinician's mark on ``contact`` and log it."""
    if verdict not in VERDICTS:
        raise BadFeedback("verdict: not one of " + ", ".join(VERDICTS))
    if contact.urgency != CORRECTS[verdict]:
        raise BadFeedback(f"verdict: a {contact.urgency} contact cannot be marked "
                          f"\"{VERDICTS[verdict]}\"")
    note = " ".join((note or "").split()) or None
    if note is not None and len(note) > NOTE_LIMIT:
        raise BadFeedback(f"note: at most {NOTE_LIMIT} characters")
    feedback = TriageFeedback(contact_id=contact.id, staff_id=staff_id, verdict=verdict,
                              note=note, at=now)
    session.add(feedback)
    contact_log.append(session, "triage.feedback", contact_id=contact.id,
                       actor=f"staff:{staff_id}", at=now,
                       detail={"verdict": verdict, "urgency": contact.urgency,
                               "noted": note is not None})
    return feedback


def for_contact(session: Session, contact_id: int) -> list[TriageFeedback]:
    return list(session.scalars(select(TriageFeedback).where(
        TriageFeedback.contact_id == contact_id).order_by(TriageFeedback.id)))


def counts(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """How many marks of each verdict were given in [start, end)."""
    found = Counter(session.scalars(select(TriageFeedback.verdict).where(
        TriageFeedback.at >= start, TriageFeedback.at < end)))
    return {verdict: found[verdict] for verdict in VERDICTS}


def _plan(session: Session, patient_id: int | None) -> dict[str, list[str]] | None:
    """The patient's problems, medications and care-plan instructions, as a row's "plan"."""
    if patient_id is None:
        return None
    conditions = [c.text or c.code for c in session.scalars(select(Condition).where(
        Condition.patient_id == patient_id)) if c.clinical_status not in PAST_CONDITION
        and (c.text or c.code)]
    medications = [m.text for m in session.scalars(select(Medication).where(
        Medication.patient_id == patient_id)) if m.status not in PAST_MEDICATION and m.text]
    instructions = [r.source_text or r.instruction for r in session.scalars(
        select(PlanRule).where(PlanRule.patient_id == patient_id, PlanRule.state != "off")
        .order_by(PlanRule.code)) if r.source_text or r.instruction]
    plan = {"conditions": conditions, "medications": medications,
            "instructions": list(dict.fromkeys(instructions))}
    return plan if any(plan.values()) else None


def labelled_rows(session: Session) -> tuple[list[dict[str, Any]], int]:
    """Every mark as a labelled example (decrypted), and how many had no words to export."""
    rows: list[dict[str, Any]] = []
    skipped = 0
    marks = session.execute(select(TriageFeedback, Contact).join(
        Contact, Contact.id == TriageFeedback.contact_id).order_by(TriageFeedback.id)).all()
    for feedback, contact in marks:
        if not contact.body or not contact.body.strip():
            skipped += 1  # a call without a voicemail: nothing to learn from in words
            continue
        patient = session.get(Patient, contact.patient_id) if contact.patient_id else None
        row: dict[str, Any] = {
            "id": f"feedback-{feedback.id}", "text": contact.body,
            "lang": language.written_in(contact.body) or (patient.language if patient else None)
            or "en",
            "label": LABELS[feedback.verdict], "kind": f"feedback_{feedback.verdict}",
            "sender": "caregiver" if contact.caregiver_id else "patient",
            "note": "; ".join(p for p in (f"clinician: {VERDICTS[feedback.verdict]}",
                                          feedback.note) if p)}
        plan = _plan(session, contact.patient_id)
        if plan is not None:
            row["plan"] = plan
        rows.append(row)
    return rows, skipped
