"""Paging calls use Twilio's answering machine detection: a machine is not a person reached,
nothing is left on it, and escalation goes on at once."""

from __future__ import annotations

from sqlalchemy import select

from hub.models import Contact, LogEntry, Timer
from tests.caller import paging_call_twiml
from tests.practice import BEN, MAYA, WALTER


def test_bens_voicemail_answers_the_paging_call_so_maya_is_paged_at_once(
        rt, twilio, twilio_api, practice):
    from messages.engine import tick

    twilio.sms(WALTER, "my chest feels tight")  # urgent: an SMS and a call to Ben
    call = next(r for r in twilio_api.wait_for(2) if r.resource == "Calls")
    assert call.form["To"] == BEN and "Twiml" not in call.form
    heard = paging_call_twiml(twilio, call, answered_by="machine_end_beep")
    assert "<Hangup" in heard and "<Say" not in heard  # nothing left on the machine
    with rt.sessions() as session:
        assert session.scalar(select(LogEntry).where(LogEntry.event == "page.machine"))
        assert session.scalars(select(Contact)).one().status == "paging"
        due = session.scalars(select(Timer).where(Timer.fired_at.is_(None))).one()
    tick(rt, now=due.due_at)
    assert any(r.form["To"] == MAYA for r in twilio_api.wait_for(3))


def test_a_person_or_an_unsure_detection_hears_the_page_and_press_1(
        rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "my chest feels tight")
    call = next(r for r in twilio_api.wait_for(2) if r.resource == "Calls")
    for answered_by in ("human", "unknown"):
        heard = paging_call_twiml(twilio, call, answered_by=answered_by)
        assert "Press 1 to acknowledge" in heard and "Walter" not in heard


def test_an_unknown_page_gets_a_404(twilio, practice):
    from tests.conftest import ACCOUNT_SID

    answer = twilio.post("/twilio/page-call/999", {"CallSid": "CA" + "1" * 32,
                                                   "AccountSid": ACCOUNT_SID,
                                                   "AnsweredBy": "human"})
    assert answer.status_code == 404
