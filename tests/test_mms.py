"""MMS: a photo texted to the line is fetched from Twilio off the request, kept encrypted with
its contact, shown to the nurse, and deleted from Twilio; never a media URL to a staff phone."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from hub.models import Attachment, Contact, MediaFetch, Staff, utcnow
from messages.engine import tick
from tests import pictures
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PRACTICE_NUMBER, PUBLIC_URL
from tests.fake_twilio import FakeTwilio
from tests.practice import WALTER, seed
from tests.staff_login import sign_in


@pytest.fixture
def ben_signs_in(rt, client):
    """The practice; Ben (on call) can sign in to the staff pages."""
    with rt.sessions() as session:
        practice = seed(session)
        session.get(Staff, practice.ben.id).password_hash = generate_password_hash("night-shift")
        session.commit()
    return lambda: sign_in(client, "ben@clinic.test", "night-shift")


def mms(twilio, twilio_api, sender: str, body: str, photos=(), urls=(), sid: str | None = None):
    """A text with photos, as Twilio posts it: the photos held on (fake) Twilio first."""
    sid = sid or "MM" + uuid.uuid4().hex
    urls = [twilio_api.media.add(ACCOUNT_SID, sid, data, kind) for data, kind in photos] + list(
        urls)
    params = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": sender,
              "To": PRACTICE_NUMBER, "Body": body, "NumMedia": str(len(urls))}
    for n, url in enumerate(urls):
        params[f"MediaUrl{n}"] = url
        params[f"MediaContentType{n}"] = "image/png"
    return twilio.post("/twilio/sms", params), sid


def page_bodies(twilio_api) -> list[str]:
    return [r.form["Body"] for r in twilio_api.requests if r.resource == "Messages"]


def test_a_photo_of_a_swollen_ankle_at_night_reaches_the_nurse_and_leaves_twilio(
        rt, client, twilio, twilio_api, ben_signs_in):
    ankle = pictures.png(seed=7)
    answer, _sid = mms(twilio, twilio_api, WALTER, "my ankle is swollen since tonight",
                       photos=[(ankle, "image/png")])
    assert answer.status_code == 200 and "<Message>" in answer.get_data(as_text=True)

    fetched = [r for r in twilio_api.media.requests if r.method == "GET"]
    assert len(fetched) == 1 and fetched[0].user == f"{ACCOUNT_SID}:{AUTH_TOKEN}"
    assert [r.method for r in twilio_api.media.requests] == ["GET", "DELETE"]
    assert twilio_api.media.held == {}  # Twilio keeps nothing
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        kept = session.scalars(select(Attachment)).one()
        assert (kept.contact_id, kept.content_type, kept.source) == (contact.id, "image/png",
                                                                     "mms")
        stored = session.execute(text("SELECT data FROM attachments")).scalar_one()
        urls = session.execute(text("SELECT url FROM media_fetches")).scalars().all()
    assert ankle not in stored.encode() and "PNG" not in stored
    assert all("Media" not in url for url in urls)  # the URL is kept encrypted too

    pages = page_bodies(twilio_api)
    assert pages and not any(re.search(r"Media|MM[0-9a-f]{32}|127\.0\.0\.1", p) for p in pages)

    ben_signs_in()
    link = re.search(PUBLIC_URL + r"(/staff/c/\w+)", pages[0]).group(1)
    html = client.get(link).get_data(as_text=True)
    photo_url = f"{link}/files/{kept.id}"
    assert f'src="{photo_url}"' in html and "my ankle is swollen" in html
    assert "127.0.0.1" not in html and "/Media/" not in html
    assert client.get(photo_url).data == ankle


def test_a_photo_without_words_is_a_contact_that_pages_not_an_empty_text(
        rt, twilio, twilio_api, ben_signs_in):
    answer, _sid = mms(twilio, twilio_api, WALTER, "", photos=[(pictures.png(), "image/png")])
    reply = answer.get_data(as_text=True)
    assert "empty" not in reply and "received your message" in reply
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.status == "paging" and contact.urgency == "routine"
        assert '"photo received"' in contact.triage
        assert session.scalars(select(Attachment)).one().contact_id == contact.id
    assert len(page_bodies(twilio_api)) == 1


@pytest.mark.parametrize("where", ["another host", "another account"])
def test_a_media_url_not_on_twilios_api_for_this_account_is_never_requested(
        rt, client, twilio, twilio_api, ben_signs_in, where):
    elsewhere = FakeTwilio().start()
    try:
        sid = "MM" + uuid.uuid4().hex
        if where == "another host":
            url = elsewhere.media.add(ACCOUNT_SID, sid, pictures.png(), "image/png")
        else:
            url = twilio_api.media.add("AC" + "9" * 32, sid, pictures.png(), "image/png")
        answer, _ = mms(twilio, twilio_api, WALTER, "see the photo", urls=[url], sid=sid)
        assert answer.status_code == 200
        tick(rt, utcnow() + timedelta(minutes=5))
        assert elsewhere.media.requests == [] and twilio_api.media.requests == []
    finally:
        elsewhere.stop()
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()  # the words still reach the nurse
        row = session.scalars(select(MediaFetch)).one()
        assert (row.status, row.outcome) == ("done", "refused")
        assert session.scalars(select(Attachment)).all() == []
    ben_signs_in()
    html = client.get(f"/staff/c/{contact.ref}").get_data(as_text=True)
    assert "not fetched" in html and url not in html


def test_twilio_down_while_fetching_the_photo_is_retried_later_and_nothing_is_lost(
        rt, twilio, twilio_api, ben_signs_in):
    twilio_api.media.down = 503
    ankle = pictures.png(seed=3)
    mms(twilio, twilio_api, WALTER, "ankle photo", photos=[(ankle, "image/png")])
    with rt.sessions() as session:
        row = session.scalars(select(MediaFetch)).one()
        assert (row.status, row.attempts) == ("pending", 1) and "503" in row.last_error
        assert session.scalars(select(Attachment)).all() == []
    assert len(page_bodies(twilio_api)) == 1  # the nurse is paged all the same

    tick(rt, utcnow() + timedelta(seconds=1))  # not due yet: Twilio is left alone
    assert len(twilio_api.media.requests) == 1
    twilio_api.media.down = None
    tick(rt, utcnow() + timedelta(minutes=15))
    with rt.sessions() as session:
        row = session.scalars(select(MediaFetch)).one()
        assert (row.status, row.outcome) == ("done", "stored")
        kept = session.scalars(select(Attachment)).one()
        assert kept.data == ankle
    assert twilio_api.media.held == {}


def test_the_same_messagesid_twice_makes_one_contact_and_one_fetch(
        rt, twilio, twilio_api, ben_signs_in):
    sid = "MM" + uuid.uuid4().hex
    url = twilio_api.media.add(ACCOUNT_SID, sid, pictures.png(), "image/png")
    for _ in range(2):
        answer, _ = mms(twilio, twilio_api, WALTER, "photo", urls=[url], sid=sid)
        assert answer.status_code == 200
    tick(rt, utcnow() + timedelta(minutes=5))
    with rt.sessions() as session:
        assert len(session.scalars(select(Contact)).all()) == 1
        assert len(session.scalars(select(MediaFetch)).all()) == 1
        assert len(session.scalars(select(Attachment)).all()) == 1
    assert [r.method for r in twilio_api.media.requests] == ["GET", "DELETE"]
