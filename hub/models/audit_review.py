"""What managers sign and record on their pages: the access audit reviewed up to a time, and
the CCM codes billed for a patient's month."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.models.base import Base, UTCDateTime, utcnow
from hub.models.people import Staff


class AuditReview(Base):
    """A manager reviewed the access audit's entries up to ``reviewed_through``.

    45 CFR 164.308(a)(1)(ii)(D) asks for regular review of records of information system
    activity such as audit logs and access reports; a row is the evidence that it was done.
    """

    __tablename__ = "audit_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewed_through: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The manager's own words about what they found ("nothing unusual"); no patient data.
    note: Mapped[str | None] = mapped_column(String(500))

    reviewed_by: Mapped[Staff] = relationship()


class CcmBilling(Base):
    """The CCM codes the practice billed for one patient's calendar month (space-separated,
    a repeated add-on repeated: ``99490 99439 99439``), as a manager recorded them; the CCM
    page checks them against the minutes and Medicare's combinations."""

    __tablename__ = "ccm_billings"
    __table_args__ = (UniqueConstraint("patient_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, the practice's calendar
    codes: Mapped[str] = mapped_column(String(120))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
