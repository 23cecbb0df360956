"""The portal: patients and caregivers sign in with a code texted to their number, write to
the care team, and read the answers; nothing clinical travels by SMS either way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from werkzeug.security import generate_password_hash

from hub.models import (
    Caregiver,
    Contact,
    Outbound,
    Patient,
    PortalCode,
    PortalSession,
    Staff,
    utcnow,
)
from hub.phones import phone_index
from messages import kick
from tests.conftest import PUBLIC_URL
from tests.portal_user import ask_code, code_texted_to, sign_in, type_code, write
from tests.practice import BEN, LENA, ROSA, STRANGER, WALTER, _patient, seed
from tests.staff_login import post_form
from tests.staff_login import sign_in as staff_sign_in

CSRF = re.compile(r'name="csrf_token" value="[^"]+"')


@pytest.fixture
def family(rt):
    """The practice, Ben with a password, and Irena: Lena's mother, Lena her caregiver too."""
    with rt.sessions() as session:
        practice = seed(session)
        session.get(Staff, practice.ben.id).password_hash = generate_password_hash("night-shift")
        irena = _patient("Irena Kowalski", "+12025550144", "en", practice.nora)
        session.add(irena)
        session.flush()
        session.add(Caregiver(patient_id=irena.id, name="Lena Kowalski",
                              relationship_text="daughter", phone=LENA,
                              phone_index=phone_index(LENA)))
        session.commit()
        return {"walter": practice.walter.ref, "rosa": practice.rosa.ref, "irena": irena.ref}


def _contacts(rt) -> list[Contact]:
    with rt.sessions() as session:
        return list(session.scalars(select(Contact).order_by(Contact.id)))


def _texts(twilio_api, number: str) -> list[str]:
    """What the hub texted to ``number`` (an urgent page also rings: calls left out)."""
    return [r.form["Body"] for r in twilio_api.sent_to(number) if r.resource == "Messages"]


def _events(rt) -> list[str]:
    with rt.sessions() as session:
        return list(session.scalars(text("SELECT event FROM log_entries ORDER BY seq")))


def test_a_caregiver_picks_her_mother_writes_and_reads_the_nurses_answer(
        rt, app, client, twilio_api, family):
    signed_in = sign_in(client, twilio_api, LENA)
    code_text = _texts(twilio_api, LENA)[0]
    assert re.fullmatch(r"Care line: your sign-in code is \d{6}\. It is valid for 10 minutes\.",
                        code_text)  # the practice's name and the code, nothing else
    assert signed_in.headers["Location"].endswith("/portal/choose")
    choose = client.get("/portal/choose").get_data(as_text=True)
    assert "Walter" in choose and "Irena" in choose and "Kowalski" not in choose

    opened = client.get(f"/portal/open/{family['irena']}")
    conversation = opened.headers["Location"]
    assert conversation.endswith(f"/portal/p/{family['irena']}")
    answer = write(client, conversation,
                   "Mom needs a refill of her water pill, the pharmacy says it expired.")
    assert answer.status_code == 200
    assert "your care team received your message" in answer.get_data(as_text=True)

    contact, = _contacts(rt)
    assert (contact.channel, contact.match, contact.status) == ("portal", "caregiver", "paging")
    page = _texts(twilio_api, BEN)[-1]  # Ben holds primary call
    assert contact.ref in page and "pill" not in page and "Irena" not in page

    nurse = app.test_client()
    staff_sign_in(nurse, "ben@clinic.test", "night-shift")
    staff_page = f"/staff/c/{contact.ref}"
    assert "Reply in the portal" in nurse.get(staff_page).get_data(as_text=True)
    replied = post_form(nurse, staff_page, staff_page + "/reply",
                        body="Sent a new prescription for 20 mg to her pharmacy today.")
    assert replied.status_code == 302
    kick.drain()

    notice = _texts(twilio_api, LENA)[-1]
    assert notice == ("You have a new message from your care team. Read it at "
                      f"{PUBLIC_URL}/portal")
    thread = client.get(conversation).get_data(as_text=True)
    assert "new prescription for 20 mg" in thread and "Ben" in thread
    assert thread.index("refill of her water pill") < thread.index("new prescription")
    assert "new prescription" in nurse.get(staff_page).get_data(as_text=True)
    assert {"access.portal_login", "access.portal_view", "contact.replied"} <= set(_events(rt))


def test_a_spanish_patient_reads_the_portal_and_the_notice_in_spanish(
        rt, app, client, twilio_api, family):
    signed_in = sign_in(client, twilio_api, ROSA)
    conversation = signed_in.headers["Location"]
    page = client.get(conversation).get_data(as_text=True)
    assert 'lang="es"' in page and "Teléfono" not in page and "Enviar" in page
    write(client, conversation, "necesito una receta de metformina")
    contact, = _contacts(rt)
    nurse = app.test_client()
    staff_sign_in(nurse, "ben@clinic.test", "night-shift")
    post_form(nurse, f"/staff/c/{contact.ref}", f"/staff/c/{contact.ref}/reply",
              body="Ya la enviamos a su farmacia.")
    kick.drain()
    assert _texts(twilio_api, ROSA)[-1].startswith(
        "Tiene un mensaje nuevo de su equipo de atención.")
    assert "English" in client.get(conversation).get_data(as_text=True)  # the switch
    assert "Send" in client.get(conversation + "?lang=en").get_data(as_text=True)


def test_the_sign_in_form_follows_the_browser_language(client):
    page = client.get("/portal", headers={"Accept-Language": "es-MX,es;q=0.9"})
    html = page.get_data(as_text=True)
    assert "Teléfono" in html and 'lang="es"' in html
    assert '<label for="phone">Phone</label>' in client.get(
        "/portal?lang=en").get_data(as_text=True)


def test_a_red_flag_in_the_portal_shows_911_at_once_and_pages_urgently(
        rt, client, twilio_api, family):
    conversation = sign_in(client, twilio_api, WALTER).headers["Location"]
    answer = write(client, conversation, "crushing chest pain and I can't breathe")
    html = answer.get_data(as_text=True)
    assert 'class="alert" role="alert">This may be an emergency: call 911 now.' in html
    contact, = _contacts(rt)
    assert contact.urgency == "urgent"
    page = _texts(twilio_api, BEN)[-1]
    assert page.startswith("URGENT care line page") and "chest" not in page


def test_a_form_sent_twice_makes_one_contact(rt, client, twilio_api, family):
    conversation = sign_in(client, twilio_api, WALTER).headers["Location"]
    token = "double-submit-token-0001"
    first = write(client, conversation, "my weight is up 3 lb", token=token)
    again = write(client, conversation, "my weight is up 3 lb", token=token)
    assert first.status_code == again.status_code == 200
    assert len(_contacts(rt)) == 1
    assert len(_texts(twilio_api, BEN)) == 1


def test_a_script_in_a_message_is_shown_as_text(rt, client, twilio_api, family):
    conversation = sign_in(client, twilio_api, WALTER).headers["Location"]
    write(client, conversation, '<script>alert("x")</script><b>my feet</b>')
    page = client.get(conversation)
    html = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;my feet" in html
    assert "<script>" not in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"


def test_another_patients_conversation_is_a_404_and_audited(rt, client, twilio_api, family):
    sign_in(client, twilio_api, WALTER)
    assert client.get(f"/portal/p/{family['rosa']}").status_code == 404
    assert client.get("/portal/p/no-such-patient").status_code == 404
    assert _events(rt).count("access.portal_denied") == 2


def test_five_wrong_codes_lock_the_number_and_are_audited(rt, client, twilio_api, family):
    ask_code(client, WALTER)
    right = code_texted_to(twilio_api, WALTER)
    wrong = f"{(int(right) + 1) % 10 ** 6:06d}"
    answers = [type_code(client, wrong) for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert "1 tries left" in answers[3].get_data(as_text=True)
    assert "locked until" in answers[4].get_data(as_text=True)
    refused = type_code(client, right)  # the right code, too late: the code is dead
    assert refused.status_code == 401 and "no longer valid" in refused.get_data(as_text=True)
    texted = len(twilio_api.sent_to(WALTER))
    again = ask_code(client, WALTER)
    assert again.status_code == 429 and "locked until" in again.get_data(as_text=True)
    assert len(twilio_api.sent_to(WALTER)) == texted  # no new code while locked
    events = _events(rt)
    assert events.count("access.portal_login_failed") == 6 and "access.portal_locked" in events
    with rt.sessions() as session:
        hashes = list(session.scalars(select(PortalCode.code_hash)))
    assert right not in " ".join(hashes)  # kept as a keyed hash only


def test_a_used_code_and_an_expired_code_are_refused(rt, client, twilio_api, family):
    ask_code(client, WALTER)
    code = code_texted_to(twilio_api, WALTER)
    conversation = type_code(client, code).headers["Location"]
    post_form(client, conversation, "/portal/logout")
    assert client.get(conversation).status_code == 302  # signed out
    ask_code(client, WALTER)
    replayed = type_code(client, code)  # the old code again: replaced and used
    assert replayed.status_code == 401
    fresh = code_texted_to(twilio_api, WALTER)
    with rt.sessions() as session:
        session.execute(update(PortalCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    expired = type_code(client, fresh)
    assert expired.status_code == 401 and "no longer valid" in expired.get_data(as_text=True)


def test_an_unknown_number_gets_the_same_answer_and_no_text(rt, client, twilio_api, family):
    known = ask_code(client, WALTER)
    unknown = ask_code(client.application.test_client(), STRANGER)
    assert known.status_code == unknown.status_code == 200
    assert CSRF.sub("", known.get_data(as_text=True)) == CSRF.sub(
        "", unknown.get_data(as_text=True))
    assert twilio_api.sent_to(STRANGER) == []
    with rt.sessions() as session:
        assert session.scalar(select(PortalCode.id).where(
            PortalCode.phone_index == phone_index(STRANGER))) is not None
        assert all(o.to_number != STRANGER for o in session.scalars(select(Outbound)))


def test_code_requests_are_limited_per_number(client, twilio_api, family):
    answers = [ask_code(client, WALTER).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert len(twilio_api.sent_to(WALTER)) == 5


def test_a_bad_number_is_named(client):
    answer = ask_code(client, "call me")
    assert answer.status_code == 400 and "Phone: give the number" in answer.get_data(as_text=True)


def test_the_portal_session_ends_after_the_idle_time_and_is_not_a_staff_session(
        rt, app, client, twilio_api, family):
    conversation = sign_in(client, twilio_api, WALTER).headers["Location"]
    assert client.get_cookie("hub_session") is None  # the portal's own cookie only
    assert client.get("/staff").status_code == 302  # no staff page through it
    with rt.sessions() as session:
        session.execute(update(PortalSession).values(
            last_seen_at=utcnow() - timedelta(minutes=16)))
        session.commit()
    ended = client.get(conversation)
    assert ended.status_code == 302 and ended.headers["Location"].endswith("/portal")
    assert "signed out after 15 minutes of inactivity" in client.get("/portal").get_data(
        as_text=True)
    with rt.sessions() as session:
        assert session.scalar(select(Patient.id).where(Patient.ref == family["walter"]))


def test_a_number_that_sent_stop_is_texted_no_code(client, twilio, twilio_api, family):
    twilio.sms(WALTER, "STOP")
    before = len(_texts(twilio_api, WALTER))
    assert ask_code(client, WALTER).status_code == 200  # the same page as any number
    assert len(_texts(twilio_api, WALTER)) == before
