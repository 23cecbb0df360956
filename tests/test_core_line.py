"""The core line, as people live it: a patient texts at night, the nurse is paged and ACKs."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, text

from hub.models import Contact, Timer, utcnow
from messages import kick
from messages.engine import tick
from tests.caller import paging_call_twiml
from tests.conftest import PRACTICE_NUMBER, PUBLIC_URL
from tests.practice import BEN, LENA, MAYA, NORA, ROSA, STRANGER, WALTER, seed


def ack_code(request) -> str:
    return re.search(r"ACK (\d{4})", request.form["Body"]).group(1)


def later(minutes: float):
    return utcnow() + timedelta(minutes=minutes)


def tick_after(rt, minutes: float) -> dict[str, int]:
    """Let the clock run ``minutes`` ahead (background sends finished first), then tick."""
    kick.drain()
    return tick(rt, now=later(minutes))


def test_patient_text_at_night_pages_the_on_call_nurse_without_clinical_content(
        rt, twilio, twilio_api, practice):
    answer = twilio.sms(WALTER, "my chest feels tight and I'm scared")
    assert answer.status_code == 200
    assert "<Message>" in answer.text and "call 911 now" in answer.text
    page, call = sorted(twilio_api.wait_for(2), key=lambda r: r.resource != "Messages")
    assert page.resource == "Messages" and call.resource == "Calls"  # urgent: SMS and a call
    assert page.form["To"] == BEN == call.form["To"] and page.form["From"] == PRACTICE_NUMBER
    assert page.form["StatusCallback"] == f"{PUBLIC_URL}/twilio/status"
    heard = paging_call_twiml(twilio, call)
    assert page.form["Body"].startswith("URGENT") and "Urgent" in heard
    assert re.search(r"Reply ACK \d{4}$", page.form["Body"])
    assert f"{PUBLIC_URL}/staff/c/" in page.form["Body"]
    for secret in ("Walter", "Kowalski", "chest", "tight", WALTER, "2025550142"):
        assert secret not in page.form["Body"] and secret not in heard


def test_the_designated_care_manager_is_paged_first_when_on_shift(rt, twilio, twilio_api):
    with rt.sessions() as session:
        seed(session, nora_on_shift=True)
    twilio.sms(WALTER, "question about my inhaler")
    (page,) = twilio_api.wait_for(1)
    assert page.form["To"] == NORA


def test_nurse_replies_ack_and_the_backup_is_never_paged(rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "feeling dizzy since dinner")
    (page,) = twilio_api.wait_for(1)
    reply = twilio.sms(BEN, "ack")
    assert "Acknowledged" in reply.text
    tick_after(rt, 30)
    assert twilio_api.sent_to(MAYA) == []
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.status == "acknowledged" and contact.acknowledged_by_id == practice.ben.id
    assert "Resolved" in twilio.sms(BEN, f"RESOLVE {ack_code(page)}").text
    with rt.sessions() as session:
        assert session.scalars(select(Contact)).one().status == "resolved"


def test_without_ack_the_backup_then_the_manager_are_paged(rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "can't sleep, my ankles are swollen")
    twilio_api.wait_for(1)
    assert tick_after(rt, 2.1)["fired"] == 1
    assert [r.form["To"] for r in twilio_api.wait_for(2)][1] == MAYA
    tick_after(rt, 4.2)
    requests = twilio_api.wait_for(4)
    to_maya = [(r.resource, r.form["To"]) for r in requests[2:]]
    assert sorted(to_maya) == [("Calls", MAYA), ("Messages", MAYA)]
    call = next(r for r in requests if r.resource == "Calls")
    heard = paging_call_twiml(twilio, call)
    assert "Press 1" in heard and "page-ack" in heard


def test_manager_acknowledges_by_pressing_1_on_the_paging_call(rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "please call me back when you can")
    tick_after(rt, 2.1)
    tick_after(rt, 4.2)
    call = next(r for r in twilio_api.wait_for(4) if r.resource == "Calls")
    heard = paging_call_twiml(twilio, call)
    gather_path = re.search(r'action="https://hub\.example\.test([^"]+)"', heard)
    answer = twilio.post(gather_path.group(1), {"CallSid": "CA" + "a" * 32, "Digits": "1"})
    assert "Acknowledged" in answer.text
    with rt.sessions() as session:
        assert session.scalars(select(Contact)).one().acknowledged_by_id == practice.maya.id


def test_a_retried_message_sid_makes_no_second_contact_and_no_second_page(
        rt, twilio, twilio_api, practice):
    sid = "SM" + "7" * 32
    first = twilio.sms(WALTER, "refill please", sid=sid)
    second = twilio.sms(WALTER, "refill please", sid=sid)
    assert first.text == second.text
    twilio_api.wait_for(1)
    tick(rt, now=utcnow())
    with rt.sessions() as session:
        assert len(session.scalars(select(Contact)).all()) == 1
    assert len(twilio_api.requests) == 1


def test_a_forged_signature_changes_nothing_but_is_counted(rt, twilio, twilio_api, practice):
    params = {"MessageSid": "SM" + "9" * 32, "From": WALTER, "Body": "x"}
    assert twilio.post("/twilio/sms", params, signature="Zm9yZ2Vk").status_code == 403
    assert twilio.post("/twilio/sms", params, signature="").status_code == 403
    with rt.sessions() as session:
        assert session.scalars(select(Contact)).all() == []
        events = session.scalars(text("SELECT event FROM log_entries")).all()
        pending = session.scalar(text("SELECT pending FROM event_tallies"))
    assert (events, pending) == ([], 2)  # the engine's summary logs them (test_line_watch)
    assert twilio_api.requests == []


def test_spanish_speaking_patient_is_answered_in_spanish(twilio, practice):
    answer = twilio.sms(ROSA, "necesito hablar con la enfermera")
    assert "llame al 911" in answer.text


def test_caregiver_text_reaches_the_nurse_for_her_father(rt, twilio, twilio_api, practice):
    twilio.sms(LENA, "dad seems confused tonight")
    twilio_api.wait_for(1)
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
    assert contact.match == "caregiver" and contact.patient_id == practice.walter.id


def test_an_unknown_number_still_reaches_the_on_call_nurse(rt, twilio, twilio_api, practice):
    twilio.sms(STRANGER, "this is Walter's neighbour, he fell")
    (page,) = twilio_api.wait_for(1)
    assert page.form["To"] == BEN
    with rt.sessions() as session:
        assert session.scalars(select(Contact)).one().match == "unknown"


def test_an_escalation_survives_a_restart_of_the_hub(settings_for, twilio_api):
    from app import create_app

    first = create_app(settings_for)
    with first.extensions["hub"].sessions() as session:
        seed(session)
    from tests.conftest import Twilio

    Twilio(first.test_client()).sms(WALTER, "pain in my leg")
    twilio_api.wait_for(1)
    kick.drain()
    first.extensions["hub"].engine.dispose()

    second = create_app(settings_for)
    tick(second.extensions["hub"], now=later(2.1))
    assert twilio_api.wait_for(2)[1].form["To"] == MAYA
    second.extensions["hub"].engine.dispose()


def test_ack_with_several_open_pages_asks_which(rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "first")
    twilio.sms(STRANGER, "second")
    pages = twilio_api.wait_for(2)
    reply = twilio.sms(BEN, "ACK")
    assert "Several pages are open" in reply.text
    codes = sorted(ack_code(p) for p in pages)
    assert codes == sorted(re.findall(r"ACK (\d{4})", reply.text))
    assert "Acknowledged" in twilio.sms(BEN, f"ACK {codes[0]}").text
    with rt.sessions() as session:
        states = sorted(c.status for c in session.scalars(select(Contact)))
    assert states == ["acknowledged", "paging"]


def test_timers_are_rows_that_fire_once(rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "hello")
    twilio_api.wait_for(1)
    tick_after(rt, 2.1)
    tick_after(rt, 2.1)
    with rt.sessions() as session:
        fired = session.scalars(select(Timer).where(Timer.outcome == "fired")).all()
    assert len(fired) == 1


def test_a_caregiver_of_two_patients_is_routed_without_guessing_which(
        rt, twilio, twilio_api, practice):
    from hub.models import Caregiver
    from hub.phones import phone_index

    with rt.sessions() as session:
        session.add(Caregiver(patient_id=practice.rosa.id, name="Lena Kowalski",
                              phone=LENA, phone_index=phone_index(LENA)))
        session.commit()
    answer = twilio.sms(LENA, "one of them needs a refill")
    assert "<Message>" in answer.text
    (page,) = twilio_api.wait_for(1)
    assert page.form["To"] == BEN
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
    assert contact.match == "ambiguous" and contact.patient_id is None
