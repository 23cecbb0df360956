"""Phone numbers that asked for no more texts (STOP and Twilio's other opt-out words)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, UTCDateTime


class TextOptOut(Base):
    """A number's answer to the texts: ``opted_out`` after STOP, cleared by START.

    Found by the number's keyed hash, as senders are; the number itself is not kept here.
    Twilio refuses every SMS to an opted-out number, so the hub sends none (a staff member's
    page becomes a call) and the care team sees the opt-out on the patient's pages.
    """

    __tablename__ = "text_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_index: Mapped[str] = mapped_column(String(64), unique=True)
    opted_out: Mapped[bool] = mapped_column(Boolean)
    keyword: Mapped[str] = mapped_column(String(16))  # the word last sent: STOP, START...
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
