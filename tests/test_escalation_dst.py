"""An escalation open while the clocks go back: a patient texts at 01:59 EDT on the night
daylight saving time ends; the next step comes two real minutes later (01:01 EST), not an hour
early or late, because every deadline is an instant, never a wall-clock time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub.models import Timer
from messages.engine import tick
from tests.practice import BEN, MAYA, WALTER, seed

NEW_YORK = ZoneInfo("America/New_York")
BEFORE_THE_CHANGE = datetime(2026, 11, 1, 5, 59, tzinfo=UTC)  # 01:59 EDT


@pytest.fixture
def settings_for(settings_for):
    """The engine runs only when the test ticks it, at the test's chosen instants."""
    return {**settings_for, "HUB_ENGINE": "separate"}


def test_the_backup_is_paged_two_real_minutes_after_a_text_at_one_fifty_nine_edt(
        rt, twilio, twilio_api):
    with rt.sessions() as session:  # Ben on primary call and Maya backup, that night
        seed(session, now=BEFORE_THE_CHANGE)
    twilio.sms(WALTER, "question about my water pill refill")
    tick(rt, now=BEFORE_THE_CHANGE)
    with rt.sessions() as session:
        (timer,) = session.scalars(select(Timer).where(Timer.fired_at.is_(None)))
        due = timer.due_at
    assert due == BEFORE_THE_CHANGE + timedelta(minutes=2)
    assert due.astimezone(NEW_YORK).strftime("%H:%M %Z") == "01:01 EST"
    (first_page,) = twilio_api.wait_for(1)
    assert first_page.form["To"] == BEN

    tick(rt, now=datetime(2026, 11, 1, 6, 0, 59, tzinfo=UTC))  # 01:00:59 EST: not yet
    assert len(twilio_api.sent_to(MAYA)) == 0
    tick(rt, now=datetime(2026, 11, 1, 6, 1, tzinfo=UTC))
    (_, backup_page) = twilio_api.wait_for(2)
    assert backup_page.form["To"] == MAYA
