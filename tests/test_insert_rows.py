"""Many rows at once (COPY on PostgreSQL) read back exactly as written, encrypted as ever."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Text, select, type_coerce

from hub import db, outbox
from hub.models import Outbound, utcnow

AWKWARD = "tab\there, new\nline, back\\slash, quote \" ' , comma, ñ, \\N, 🙂"


@pytest.mark.parametrize("count", [3, db.COPY_FROM + 5])
def test_rows_read_back_as_written(session, cipher, count: int) -> None:
    now = utcnow()
    phone = cipher.seal("+12025550103")
    rows = [outbox.row(kind="page", channel="sms", to=phone if i % 2 else "+12025550104",
                       body=f"{AWKWARD} #{i}", now=now + timedelta(microseconds=i))
            for i in range(count)]
    db.insert_rows(session.connection(), Outbound, rows)
    stored = session.execute(select(
        Outbound.to_number, Outbound.body, Outbound.next_attempt_at, Outbound.status,
        Outbound.attempts, Outbound.contact_id,
        type_coerce(Outbound.__table__.c.to_number, Text).label("raw_to"),
        type_coerce(Outbound.__table__.c.body, Text).label("raw_body"))
        .order_by(Outbound.id)).all()
    assert [(r.to_number, r.body, r.next_attempt_at, r.status, r.attempts, r.contact_id)
            for r in stored] == [
        ("+12025550103" if i % 2 else "+12025550104", f"{AWKWARD} #{i}",
         now + timedelta(microseconds=i), "pending", 0, None) for i in range(count)]
    assert not any("+1202555010" in r.raw_to or "slash" in r.raw_body for r in stored)
    assert len({r.raw_to for r in stored if r.to_number == "+12025550103"}) == 1  # sealed once
