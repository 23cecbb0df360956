"""An ACK is a promise to call back: a contact not resolved in time goes to the next person."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.models import Contact, LogEntry, utcnow
from messages import kick
from messages.engine import tick
from tests.practice import BEN, MAYA, WALTER


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """The primary, then the backup; an acknowledged contact must be resolved in 20 minutes."""
    path = tmp_path / "escalation.toml"
    path.write_text(
        "repeat = 0\ncallback_minutes = 20\n"
        '[[steps]]\ntargets = ["continuity"]\nchannels = ["sms"]\nwait_minutes = 5\n'
        '[[steps]]\ntargets = ["backup"]\nchannels = ["sms"]\nwait_minutes = 5\n'
    )
    return path


def ack(twilio, twilio_api):
    page = twilio_api.wait_for(1)[0]
    code = re.search(r"ACK (\d{4})", page.form["Body"]).group(1)
    assert "Acknowledged" in twilio.sms(BEN, f"ACK {code}").text
    return code


def later(rt, minutes: float) -> dict[str, int]:
    kick.drain()
    return tick(rt, now=utcnow() + timedelta(minutes=minutes))


def test_a_nurse_who_acks_but_never_resolves_hands_the_patient_to_the_backup(
        rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "can the nurse call me about my water pill")
    ack(twilio, twilio_api)
    assert later(rt, 10)["fired"] == 0 and twilio_api.sent_to(MAYA) == []  # ACK held the line
    assert later(rt, 21)["fired"] == 1
    assert [r.form["To"] for r in twilio_api.requests][-1] == MAYA
    with rt.sessions() as session:
        assert session.scalars(select(Contact)).one().status == "paging"
        overdue = session.scalars(select(LogEntry).where(
            LogEntry.event == "callback.overdue")).one()
        assert str(practice.ben.id) in overdue.detail


def test_a_contact_resolved_in_time_is_left_alone(rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "question about my appointment")
    code = ack(twilio, twilio_api)
    assert "Resolved" in twilio.sms(BEN, f"RESOLVE {code}").text
    later(rt, 30)
    assert twilio_api.sent_to(MAYA) == []
    with rt.sessions() as session:
        assert session.scalars(select(Contact)).one().status == "resolved"


def test_a_callback_deadline_that_is_not_a_number_is_refused(tmp_path):
    from routing.policy import PolicyError, parse_policy

    with pytest.raises(PolicyError, match="callback deadline must be a positive number"):
        parse_policy('callback_minutes = "soon"\n[[steps]]\ntargets = ["primary"]\n'
                     "wait_minutes = 5\n")
