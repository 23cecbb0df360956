"""What one batch of due steps writes: the contacts advanced, one page and an outbound row per
channel for each, the next timers, the outcomes; staff phones and page texts encrypted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Text, select, type_coerce

from hub import contact_log
from hub.models import Contact, LogEntry, Outbound, Page, Timer, utcnow
from messages import kick
from messages.engine import tick
from tests.practice import MAYA, ROSA, WALTER


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """The primary, then the backup by SMS and call."""
    path = tmp_path / "escalation.toml"
    path.write_text(
        "repeat = 0\n"
        '[[steps]]\ntargets = ["primary"]\nchannels = ["sms"]\nwait_seconds = 120\n'
        '[[steps]]\ntargets = ["backup"]\nchannels = ["sms", "call"]\nwait_seconds = 120\n')
    return path


def test_a_batch_of_steps_writes_every_row_once_and_keeps_phones_encrypted(
        rt, twilio, practice, cipher):
    twilio.sms(WALTER, "can the nurse call me about my water pill")
    twilio.sms(ROSA, "necesito una receta")
    kick.drain()
    assert tick(rt, now=utcnow() + timedelta(minutes=3))["fired"] == 2  # one batch

    with rt.sessions() as session:
        contacts = session.scalars(select(Contact)).all()
        assert [(c.status, c.escalation_step) for c in contacts] == [("paging", 1)] * 2
        pages = session.scalars(select(Page).where(Page.step == 1)).all()
        assert sorted(p.contact_id for p in pages) == sorted(c.id for c in contacts)
        assert {p.staff_id for p in pages} == {practice.maya.id}
        rows = session.execute(
            select(Outbound.page_id, Outbound.channel, Outbound.to_number,
                   type_coerce(Outbound.__table__.c.to_number, Text).label("stored_to"),
                   type_coerce(Outbound.__table__.c.body, Text).label("stored_body"))
            .where(Outbound.page_id.in_([p.id for p in pages]))).all()
        assert sorted((page_id, channel) for page_id, channel, *_ in rows) == sorted(
            (p.id, channel) for p in pages for channel in ("sms", "call"))
        assert {to for _, _, to, _, _ in rows} == {MAYA}
        stored_phones = {stored for _, _, _, stored, _ in rows}
        assert MAYA not in stored_phones and cipher.decrypt(stored_phones.pop()) == MAYA
        assert not stored_phones  # her phone sealed once for her rows of the batch
        bodies = [body for *_, body in rows]
        assert len(set(bodies)) == len(bodies)  # each text its own token
        assert all("Care line page" in cipher.decrypt(body) for body in bodies)
        timers = session.scalars(select(Timer).order_by(Timer.step, Timer.id)).all()
        assert [(t.step, t.outcome) for t in timers if t.fired_at is not None] == [
            (1, "fired"), (1, "fired")]
        assert sorted(t.contact_id for t in timers if t.step == 2 and t.fired_at is None) \
            == sorted(c.id for c in contacts)

        # The two entries "paged at step 1" say the same (what the rows above show in clear):
        # one token; what the patients wrote, each its own.
        stored = dict(session.execute(
            select(LogEntry.seq, type_coerce(LogEntry.__table__.c.detail, Text))).all())
        events = session.execute(select(LogEntry.seq, LogEntry.event, LogEntry.detail)).all()
        paged = {stored[seq] for seq, event, detail in events
                 if event == "escalation.paged" and '"step": 1' in detail}
        received = [stored[seq] for seq, event, _ in events if event == "contact.received"]
        assert len(paged) == 1 and len(set(received)) == 2
        assert contact_log.verify(session) == (len(events), None)
