"""The voice line: a patient who calls at 3 a.m. reaches a person. Each story walks the
hub's TwiML as Twilio would (tests/caller.py): menus, silence, the dials to staff, the
whisper and its keypress, the end of each dial."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, text

from hub.models import CareTimeEntry, Contact, LogEntry, Patient, utcnow
from messages.engine import tick
from routing.policy import parse_policy
from tests.practice import BEN, MAYA, ROSA, STRANGER, WALTER

FALLBACK = "+12025550177"


def contact_of(rt):
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        session.expunge(contact)
        return contact


def events(rt):
    with rt.sessions() as session:
        return [e.event for e in session.scalars(select(LogEntry).order_by(LogEntry.seq))]


def test_walter_calls_at_3am_and_ben_accepts_with_1(rt, phone, twilio, twilio_api, practice):
    walter = phone(WALTER)
    answer = walter.call()
    assert "hang up and dial 911" in answer.said and "988" in answer.said
    assert answer.verbs == ["Say", "Gather", "Redirect"]
    assert contact_of(rt).status == "on_call"  # stored first, not paged while he is live
    assert twilio_api.sent_to(BEN) == []

    dial = walter.press("1")
    assert "Connecting you" in dial.said
    assert dial.dialled == [BEN]
    attrs = dial.first("Dial").attrib
    assert attrs["timeout"] == "20" and attrs["callerId"] == "+12025550100"

    ben = walter.staff_leg(BEN)
    assert "patient reference" in ben.last.said and "press 1 to accept" in ben.last.said.lower()
    ref = contact_of(rt).ref
    assert " ".join(ref) in ben.last.said
    assert "Walter" not in ben.last.said and "Kowalski" not in ben.last.said
    assert ben.silence() == ["Hangup"]  # only a keypress accepts

    accepted = ben.press("1")
    assert "Connecting you to the caller" in accepted.said and "Hangup" not in accepted.verbs
    contact = contact_of(rt)
    assert contact.status == "acknowledged" and contact.acknowledged_by_id == practice.ben.id
    assert contact.ack_code

    over = walter.dial_ends("completed", seconds=312)
    assert over.verbs == ["Say", "Hangup"]
    with rt.sessions() as session:
        entry = session.scalars(select(CareTimeEntry)).one()
        assert (entry.patient_id, entry.staff_id, entry.seconds, entry.source) == (
            practice.walter.id, practice.ben.id, 312, "call")
    # Ben got the code by SMS (no patient data), and RESOLVE closes the contact.
    took = twilio_api.wait_for(1)[-1]
    assert took.form["To"] == BEN and f"RESOLVE {contact.ack_code}" in took.form["Body"]
    assert "Walter" not in took.form["Body"]
    twilio.sms(BEN, f"RESOLVE {contact.ack_code}")
    assert contact_of(rt).status == "resolved"
    path = events(rt)
    for event in ("call.answered", "call.menu", "call.dialled", "call.whisper_answered",
                  "call.accepted", "contact.received", "contact.acknowledged",
                  "call.dial_ended", "care_time.added", "contact.resolved"):
        assert event in path, event


def test_a_caller_who_presses_nothing_reaches_the_on_call_nurse(rt, phone, practice):
    stranger = phone(STRANGER)
    answer = stranger.call()
    assert "911" in answer.said and "Para español" in answer.said
    asked = stranger.silence()  # English by default; then the date of birth
    assert asked.first("Gather").attrib["numDigits"] == "8"
    menu = stranger.silence()
    assert "press 1 or stay on the line" in menu.said
    dial = stranger.silence()
    assert dial.dialled == [BEN]


def test_a_caller_without_a_number_and_without_a_keypad_still_reaches_ben(rt, phone, practice):
    withheld = phone(None)
    withheld.call()
    assert withheld.walk_until_dial().dialled == [BEN]


def test_rosa_hears_everything_in_spanish(rt, phone, practice):
    rosa = phone(ROSA)
    answer = rosa.call()
    assert "marque el 911" in answer.said and "988" in answer.said
    assert answer.first("Say").attrib["language"] == "es-US"
    assert "espere en la línea" in rosa.silence().said


def test_a_stranger_presses_2_for_spanish_and_keys_walters_birth_date(rt, phone, practice):
    with rt.sessions() as session:
        session.get(Patient, practice.rosa.id).birth_date = "1951-07-30"
        session.commit()
    stranger = phone(STRANGER)
    stranger.call()
    asked = stranger.press("2")
    assert "marque el 911" in asked.said and "fecha de nacimiento" in asked.said
    stranger.press("02111948")
    assert contact_of(rt).patient_id == practice.walter.id
    assert "call.identified" in events(rt)


def test_a_birth_date_nobody_has_still_reaches_a_person(rt, phone, practice):
    stranger = phone(STRANGER)
    stranger.call()
    stranger.press("1")
    stranger.press("12311999")
    assert contact_of(rt).patient_id is None
    assert stranger.press("1").dialled == [BEN]


def test_lena_who_cares_for_two_picks_rosa_by_keypress(rt, phone, practice):
    from hub.models import Caregiver
    from hub.phones import phone_index
    from tests.practice import LENA

    with rt.sessions() as session:
        session.add(Caregiver(patient_id=practice.rosa.id, name="Lena Kowalski",
                              phone=LENA, phone_index=phone_index(LENA)))
        session.commit()
    lena = phone(LENA)
    lena.call()  # Walter speaks English and Rosa Spanish: the language is asked first
    which = lena.press("1")
    assert "For Walter, press 1" in which.said and "For Rosa, press 2" in which.said
    assert "Kowalski" not in which.said and "Martinez" not in which.said
    lena.press("2")
    assert contact_of(rt).patient_id == practice.rosa.id


def test_bens_voicemail_picks_up_so_maya_is_rung_next(rt, phone, practice):
    walter = phone(WALTER)
    walter.call()
    walter.press("1")
    ben = walter.staff_leg(BEN)
    assert ben.silence() == ["Hangup"]  # his voicemail heard the whisper, pressed nothing
    # Twilio calls the screened leg answered: DialCallStatus alone would say connected.
    second = walter.dial_ends("completed", seconds=9)
    assert "Still connecting" in second.said and second.dialled == [MAYA]
    maya = walter.staff_leg(MAYA)
    maya.press("1")
    assert contact_of(rt).acknowledged_by_id == practice.maya.id
    with rt.sessions() as session:
        assert session.scalars(select(CareTimeEntry)).all() == []


def test_ben_passes_with_2_and_maya_takes_it(rt, phone, practice):
    walter = phone(WALTER)
    walter.call()
    walter.press("1")
    assert walter.staff_leg(BEN).press("2").verbs == ["Hangup"]
    assert walter.dial_ends("completed", seconds=4).dialled == [MAYA]
    assert "call.passed" in events(rt)


def test_a_step_naming_two_people_rings_both_and_only_the_first_to_accept_wins(
        rt, phone, practice):
    rt.policy = parse_policy(
        '[[steps]]\ntargets = ["primary", "backup"]\nchannels = ["sms"]\nwait_seconds = 60\n'
        'ring_seconds = 15\n')
    walter = phone(WALTER)
    walter.call()
    dial = walter.press("1")
    assert sorted(dial.dialled) == sorted([BEN, MAYA])
    assert dial.first("Dial").attrib["timeout"] == "15"
    ben, maya = walter.staff_leg(BEN), walter.staff_leg(MAYA)
    assert "Connecting you to the caller" in maya.press("1").said
    late = ben.press("1")
    assert "Someone else took this call" in late.said and late.verbs == ["Say", "Hangup"]
    assert contact_of(rt).acknowledged_by_id == practice.maya.id


def test_when_bens_voicemail_answers_a_shared_ring_first_maya_is_rung_again_at_once(
        rt, phone, practice):
    """Twilio hangs up the other phones when one answers: a voicemail that picks up first
    must not cost the caller the rest of the step."""
    rt.policy = parse_policy(
        '[[steps]]\ntargets = ["primary", "backup"]\nchannels = ["sms"]\nwait_seconds = 60\n'
        '[[steps]]\ntargets = ["role:care_manager"]\nchannels = ["sms"]\nwait_seconds = 60\n')
    walter = phone(WALTER)
    walter.call()
    assert sorted(walter.press("1").dialled) == sorted([BEN, MAYA])
    assert walter.staff_leg(BEN).silence() == ["Hangup"]  # his voicemail took it

    again = walter.dial_ends("completed", seconds=6)

    assert again.dialled == [MAYA]  # the same step, without the phone that answered
    walter.staff_leg(MAYA).press("1")
    assert contact_of(rt).acknowledged_by_id == practice.maya.id
    assert walter.dial_ends("completed", seconds=60).verbs[-1] == "Hangup"


def test_nobody_accepts_so_the_fallback_then_voicemail_and_the_team_is_paged(
        rt, phone, twilio_api, practice):
    rt.settings = replace(rt.settings, fallback_number=FALLBACK)
    walter = phone(WALTER)
    walter.call()
    walter.press("1")
    walter.dial_ends("no-answer")  # Ben
    walter.dial_ends("busy")  # Maya
    walter.dial_ends("no-answer")  # the manager step (Maya again, as manager)
    fallback = walter.last
    assert fallback.dialled == [FALLBACK] and "url" not in fallback.first("Number").attrib
    voicemail = walter.dial_ends("no-answer")
    assert "Nobody could take your call" in voicemail.said and "Record" in voicemail.verbs
    walter.record("my chest feels tight")
    contact = contact_of(rt)
    assert contact.status == "paging" and contact.urgency == "urgent"
    assert any(r.resource == "Messages" for r in twilio_api.sent_to(BEN))


def test_pressing_2_leaves_a_voicemail_kept_encrypted_and_never_sent_to_staff(
        rt, phone, twilio_api, practice):
    walter = phone(WALTER)
    walter.call()
    assert "Record" in walter.press("2").verbs
    walter.record("I need a refill")
    with rt.sessions() as session:
        from hub.models import Call
        call = session.scalars(select(Call)).one()
        assert call.recording_url.startswith("https://api.twilio.com/")
        stored = session.execute(text("SELECT recording_url FROM calls")).scalar_one()
        assert "twilio.com" not in stored  # encrypted at rest
    for request in twilio_api.requests:
        assert "Recordings" not in str(request.form)
    assert contact_of(rt).status == "paging"


def test_a_caller_who_hangs_up_mid_menu_is_paged_like_a_text(rt, phone, twilio_api, practice):
    walter = phone(WALTER)
    walter.call()
    assert walter.hang_up().status_code == 204
    assert contact_of(rt).status == "paging"
    assert [r.resource for r in twilio_api.sent_to(BEN)] == ["Messages"]
    assert "call.hung_up" in events(rt)


def test_a_call_left_on_call_by_a_lost_callback_is_paged_after_five_minutes(
        rt, phone, twilio_api, practice):
    phone(WALTER).call()
    tick(rt, now=utcnow() + timedelta(minutes=1))
    assert contact_of(rt).status == "on_call"
    tick(rt, now=utcnow() + timedelta(minutes=6))
    assert contact_of(rt).status == "paging"
