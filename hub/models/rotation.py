"""Rotations and schedule overrides: the on-call schedule a practice keeps in the hub itself.

A rotation hands on-call from one staff member to the next at a set local time, every day or
every week (or every few), from a start date, on one layer (primary, backup, or any name).
An override changes who is on call for a period: ``add`` puts someone on call beside whoever
is, ``remove`` takes someone off, ``replace`` has one person cover another, and a ``swap`` is
two replace rows (``pair_id``) exchanging two shifts. Calendar shifts (``Shift``) sit beside.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.models.base import Base, UTCDateTime, span_is_long, utcnow
from hub.models.people import Staff


class Rotation(Base):
    """A named rotation: hand-offs at ``handoff_minute`` after local midnight, every
    ``every_days`` days from ``start_date`` in ``time_zone``; members in order."""

    __tablename__ = "rotations"
    # The log names rotations by id: on SQLite too, a removed one's id is never given again.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    layer: Mapped[str] = mapped_column(String(32), default="primary")
    every_days: Mapped[int] = mapped_column(Integer, default=7)  # 1 daily, 7 weekly, 14...
    handoff_minute: Mapped[int] = mapped_column(Integer, default=480)  # 08:00
    start_date: Mapped[date] = mapped_column(Date)
    time_zone: Mapped[str] = mapped_column(String(64))  # IANA, the practice's when made
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[RotationMember]] = relationship(
        back_populates="rotation", cascade="all, delete-orphan",
        order_by="RotationMember.position")


class RotationMember(Base):
    """One place in a rotation's order (``hub rotation add`` gives each person one place)."""

    __tablename__ = "rotation_members"
    __table_args__ = (UniqueConstraint("rotation_id", "position",
                                       name="uq_rotation_members_rotation_id_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))

    rotation: Mapped[Rotation] = relationship(back_populates="members")
    staff: Mapped[Staff] = relationship()


class ScheduleOverride(Base):
    """A change to who is on call from ``starts_at`` to ``ends_at`` (UTC).

    ``kind``: add (``staff_id`` on call too), remove (``replaces_id`` off call), replace
    (``staff_id`` covers ``replaces_id``), swap (a replace whose other half is ``pair_id``).
    ``layer`` None means every layer the replaced person holds.
    """

    __tablename__ = "schedule_overrides"
    __table_args__ = (Index("ix_schedule_overrides_starts_at", "starts_at", "ends_at"),
                      Index("ix_schedule_overrides_long", "ends_at",
                            postgresql_where=text("is_long = true"),
                            sqlite_where=text("is_long = 1")),
                      # People quote "override #12": a removed one's id is never given again.
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    layer: Mapped[str | None] = mapped_column(String(32))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pair_id: Mapped[int | None] = mapped_column(Integer)
    is_long: Mapped[bool] = mapped_column(Boolean, default=span_is_long, onupdate=span_is_long)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
