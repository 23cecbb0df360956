"""What the staff page shows of a patient's chart, and whether CCM consent is on file.

CCM consent is any FHIR Consent of the patient with status ``active`` (the hub does not
guess from category or scope which consent is the CCM agreement: a practice exports the
consents it records for CCM), except a privacy consent (scope ``patient-privacy``) that
says what caregivers may be told: that one is about disclosure, not care management.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from hub.models import Allergy, CaregiverDisclosure, Consent, Medication

Row = TypeVar("Row", Medication, Consent)
_CRITICALITY_RANK = {"high": 0, "unable-to-assess": 1, "low": 2}
_CONSENT_RANK = {"active": 0, "proposed": 1, "draft": 2, "inactive": 3, "rejected": 4,
                 "entered-in-error": 5}


@dataclass(frozen=True)
class Chart:
    """A patient's medications (active first), allergies (worst first) and consent."""

    medications: list[Medication]
    allergies: list[Allergy]
    consent: Consent | None  # the active one, else the latest of any other status

    @property
    def consent_on_file(self) -> bool:
        return self.consent is not None and self.consent.status == "active"


_ABOUT_CARE = or_(
    Consent.scope.is_(None), Consent.scope != "patient-privacy",
    ~exists().where(CaregiverDisclosure.consent_id == Consent.id))


def patients_with_ccm_consent(session: Session, patient_ids: set[int]) -> set[int]:
    """Which of these patients have an active Consent about care (one indexed query)."""
    if not patient_ids:
        return set()
    return set(session.scalars(select(Consent.patient_id).distinct().where(
        Consent.patient_id.in_(patient_ids), Consent.status == "active", _ABOUT_CARE)))


def _newest_first(rows: list[Row], rank: Callable[[Row], Any]) -> list[Row]:
    """``rows`` ordered by ``rank``, the newest date first within a rank (None dates last)."""
    rows.sort(key=lambda row: getattr(row, "date", None) or "", reverse=True)
    rows.sort(key=rank)  # stable: keeps the date order within a rank
    return rows


def load(session: Session, patient_id: int) -> Chart:
    """The chart in three queries (dates are encrypted, so the rows are ordered here)."""
    medications = _newest_first(
        list(session.scalars(select(Medication).where(Medication.patient_id == patient_id))),
        lambda m: (m.status != "active", m.kind != "request"))
    allergies = sorted(
        session.scalars(select(Allergy).where(Allergy.patient_id == patient_id)),
        key=lambda a: (a.clinical_status not in ("active", None),
                       _CRITICALITY_RANK.get(a.criticality or "", 3), a.substance or ""))
    consents = _newest_first(
        list(session.scalars(select(Consent).where(Consent.patient_id == patient_id,
                                                   _ABOUT_CARE))),
        lambda c: _CONSENT_RANK.get(c.status, 6))
    shown = next((c for c in consents if c.status != "entered-in-error"), None)
    return Chart(medications, allergies, shown)
