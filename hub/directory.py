"""Who is who: a patient found by hub id or FHIR id, and patients and staff listed by name.

The command line names a patient as staff know them: the hub id (``12``) or the id the EHR
gave (``Patient/abc``); a bare word (``abc``) is taken as a FHIR id too, as ``hub care-plan``
always did. Lists give the ids, references and e-mails the other commands take.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Patient, Staff


def find_patient(session: Session, given: str) -> Patient | None:
    """The patient ``given`` names: digits are the hub id, ``Patient/<id>`` (or a bare word)
    the FHIR id; None when there is no such patient."""
    given = given.strip()
    if given.isdigit():
        return session.get(Patient, int(given))
    fhir_id = given.removeprefix("Patient/")
    if not fhir_id:
        return None
    return session.scalars(select(Patient).where(Patient.fhir_id == fhir_id)).first()


@dataclass(frozen=True)
class PatientRow:
    """One line of the patient list."""

    id: int
    ref: str | None
    fhir_id: str | None
    name: str


@dataclass(frozen=True)
class StaffRow:
    """One line of the staff list."""

    id: int
    fhir_id: str | None
    name: str
    email: str | None
    role: str
    active: bool


def _matching(rows: Iterable[Any], search: str | None) -> list[Any]:
    """The rows whose name holds ``search`` (case-insensitive), sorted by name.

    Names are stored encrypted, each under a fresh token: no index and no SQL ``LIKE`` can
    see them. So every name is read and decrypted, and the search is done here, in Python:
    about a second per 50,000 rows, which is what a practice's command line can afford.
    """
    wanted = " ".join((search or "").split()).casefold()
    found = [row for row in rows if wanted in " ".join((row.name or "").split()).casefold()]
    return sorted(found, key=lambda row: ((row.name or "").casefold(), row.id))


def patients(session: Session, search: str | None = None) -> list[PatientRow]:
    """Every patient, or those whose name holds ``search``; only the listed columns are read
    (the name is the one decrypted)."""
    rows = session.execute(select(Patient.id, Patient.ref, Patient.fhir_id, Patient.name))
    return [PatientRow(r.id, r.ref, r.fhir_id, r.name) for r in _matching(rows, search)]


def staff(session: Session, search: str | None = None) -> list[StaffRow]:
    """Every staff member (active or not), or those whose name holds ``search``."""
    rows = session.execute(select(Staff.id, Staff.fhir_id, Staff.name, Staff.email,
                                  Staff.role, Staff.active))
    return [StaffRow(r.id, r.fhir_id, r.name, r.email, r.role, bool(r.active))
            for r in _matching(rows, search)]
