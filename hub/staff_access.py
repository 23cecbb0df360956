"""Who may see what on the staff pages (role-based access, 45 CFR 164.312(a)(1)).

Managers and admins see every patient. A nurse, physician or care manager sees her own
patients (she is their care manager or on their care team) and the contacts paged to her
(the on-call contacts) with their patients, and the contacts of callers nobody knows yet; any
other patient's pages answer 403 unless she
breaks the glass, stating a reason that the access audit keeps.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, or_, select
from sqlalchemy.orm import Session

from hub.contacts import OPEN
from hub.models import CareTeam, CareTeamMember, Contact, Page, Patient

SEES_EVERYONE = ("manager", "admin")


def _own_patient(staff_id: int) -> ColumnElement[bool]:
    """True for a patient whose care manager or care-team member ``staff_id`` is."""
    on_team = exists().where(CareTeam.patient_id == Patient.id,
                             CareTeamMember.team_id == CareTeam.id,
                             CareTeamMember.staff_id == staff_id)
    return or_(Patient.care_manager_id == staff_id, on_team)


def _paged_to(staff_id: int) -> ColumnElement[bool]:
    return exists().where(Page.contact_id == Contact.id, Page.staff_id == staff_id)


def may_see_patient(session: Session, staff_id: int, role: str, patient_id: int) -> bool:
    """True when this staff member may read this patient's chart without breaking the glass."""
    if role in SEES_EVERYONE:
        return True
    own = session.scalar(select(Patient.id).where(Patient.id == patient_id,
                                                  _own_patient(staff_id)))
    if own is not None:
        return True
    paged = session.scalar(select(Contact.id).where(Contact.patient_id == patient_id,
                                                    _paged_to(staff_id)).limit(1))
    return paged is not None


def may_see_contact(session: Session, staff_id: int, role: str, contact: Contact) -> bool:
    """True when the contact was paged to this staff member, its patient is hers, or it has no
    patient (a caller nobody knows yet is everyone on call's: it shows no chart)."""
    if role in SEES_EVERYONE or contact.patient_id is None:
        return True
    if session.scalar(select(Page.id).where(Page.contact_id == contact.id,
                                            Page.staff_id == staff_id).limit(1)) is not None:
        return True
    return contact.patient_id is not None and session.scalar(
        select(Patient.id).where(Patient.id == contact.patient_id,
                                 _own_patient(staff_id))) is not None


def inbox(staff_id: int, role: str, limit: int = 200) -> Select[Any]:
    """The open contacts this staff member works: paged to her or about her patients (all
    of them for managers and admins), urgent first, then the newest first."""
    query = select(Contact).where(Contact.status.in_(OPEN))
    if role not in SEES_EVERYONE:
        own = exists().where(Patient.id == Contact.patient_id, _own_patient(staff_id))
        query = query.where(or_(_paged_to(staff_id), own, Contact.patient_id.is_(None)))
    urgent_first = case((Contact.urgency == "urgent", 0), else_=1)
    return query.order_by(urgent_first, Contact.received_at.desc()).limit(limit)
