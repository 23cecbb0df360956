"""Who is writing? Match a sender's number to staff, a patient, or a caregiver, in one query.

Numbers are found through their keyed hash (``phone_index``), never by decrypting. The result
holds ids only: the webhook pays for one indexed query, not for loading (and decrypting) rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import CompoundSelect, Connection, String, bindparam, literal, select, union_all
from sqlalchemy.sql.elements import BindParameter

from hub import hot_path
from hub.models import Caregiver, Patient, PatientPhone, Staff, TextOptOut


@dataclass(frozen=True)
class SenderMatch:
    """The outcome of matching one number; ``kind`` is patient|caregiver|ambiguous|unknown.

    ``staff_id`` is set when the number is an active staff member's (their replies to pages
    are commands); ``language`` is the matched patient's; ``opted_out`` when the number
    answered STOP (it takes no texts).
    """

    kind: str
    patient_id: int | None = None
    caregiver_id: int | None = None
    candidates: tuple[int, ...] = ()
    language: str | None = None
    staff_id: int | None = None
    opted_out: bool = False


UNKNOWN = SenderMatch("unknown")

_INDEX: BindParameter[str] = bindparam("index", type_=String)
_BY_INDEX: CompoundSelect[Any] = union_all(
    select(literal("staff").label("kind"), Staff.id.label("id"),
           literal(None).label("patient_id"), literal(None).label("language"))
    .where(Staff.phone_index == _INDEX, Staff.active.is_(True)),
    select(literal("patient"), Patient.id, Patient.id, Patient.language)
    .join(PatientPhone, PatientPhone.patient_id == Patient.id)
    .where(PatientPhone.phone_index == _INDEX),
    select(literal("caregiver"), Caregiver.id, Patient.id, Patient.language)
    .join(Patient, Patient.id == Caregiver.patient_id)
    .where(Caregiver.phone_index == _INDEX),
    select(literal("opted_out"), TextOptOut.id, literal(None), literal(None))
    .where(TextOptOut.phone_index == _INDEX, TextOptOut.opted_out.is_(True)),
)


def identify(conn: Connection, from_index: str | None) -> SenderMatch:
    """Match a number's keyed hash.

    A number shared by several patients, or a caregiver of several patients, is
    ``ambiguous``: the contact is still routed, never guessed.
    """
    if from_index is None:
        return UNKNOWN
    staff_ids: list[int] = []
    opted_out = False
    patients: dict[int, str] = {}  # patient id -> language, in id order
    caregivers: list[tuple[int, int, str]] = []  # (caregiver id, patient id, language)
    for kind, row_id, patient_id, language in hot_path.run(conn, _BY_INDEX,
                                                            {"index": from_index}):
        if kind == "staff":
            staff_ids.append(row_id)
        elif kind == "opted_out":
            opted_out = True
        elif kind == "patient":
            patients[row_id] = language
        else:
            caregivers.append((row_id, patient_id, language))
    staff_id = min(staff_ids) if staff_ids else None
    caregivers.sort()
    cared_for = {patient_id: language for _, patient_id, language in caregivers}
    if len(patients) == 1 and set(cared_for) <= set(patients):
        # Her own number, or one she shares with her own caregiver: a shared landline
        # about one patient is that patient's.
        (patient_id, language), = patients.items()
        return SenderMatch("patient", patient_id=patient_id, candidates=(patient_id,),
                           language=language, staff_id=staff_id, opted_out=opted_out)
    if not patients and len(cared_for) == 1:
        caregiver_id, patient_id, language = caregivers[0]
        return SenderMatch("caregiver", patient_id=patient_id, caregiver_id=caregiver_id,
                           candidates=(patient_id,), language=language, staff_id=staff_id,
                           opted_out=opted_out)
    candidates = tuple(sorted(patients)) + tuple(
        pid for pid in sorted(cared_for) if pid not in patients)
    return SenderMatch("ambiguous" if candidates else "unknown", candidates=candidates,
                       staff_id=staff_id, opted_out=opted_out)
