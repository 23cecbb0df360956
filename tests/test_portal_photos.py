"""Photos in the portal: a swollen ankle sent with a message is kept encrypted, shown to the
writer and to the nurse; a file too large or of the wrong kind is refused with the words
kept; nobody opens another patient's photo."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select, text

from hub.models import Attachment, Contact
from tests import pictures
from tests.portal_user import sign_in, write
from tests.practice import ROSA, WALTER, seed

FILE_LINK = re.compile(r'href="(/portal/p/[^/"]+/files/\d+)"')


@pytest.fixture
def refs(rt):
    with rt.sessions() as session:
        practice = seed(session)
        return {"walter": practice.walter.ref, "rosa": practice.rosa.ref}


def _photo(data: bytes, name: str = "ankle.png", kind: str = "image/png"):
    return (io.BytesIO(data), name, kind)


def _contacts(rt) -> list[Contact]:
    with rt.sessions() as session:
        return list(session.scalars(select(Contact)))


def test_a_photo_of_a_swollen_ankle_is_kept_encrypted_and_shown(rt, client, twilio_api, refs):
    conversation = sign_in(client, twilio_api, WALTER).headers["Location"]
    png = pictures.png(seed=7)
    answer = write(client, conversation, "my left ankle today", photo=_photo(png))
    assert answer.status_code == 200
    contact, = _contacts(rt)
    with rt.sessions() as session:
        kept, = session.scalars(select(Attachment))
        stored = session.execute(text("SELECT data FROM attachments")).scalar_one()
    assert (kept.contact_id, kept.content_type, kept.source) == (contact.id, "image/png",
                                                                 "portal")
    assert png not in (stored if isinstance(stored, bytes) else stored.encode())
    link = FILE_LINK.search(client.get(conversation).get_data(as_text=True)).group(1)
    served = client.get(link)
    assert served.data == png and served.mimetype == "image/png"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_a_photo_alone_is_a_contact(rt, client, twilio_api, refs):
    conversation = sign_in(client, twilio_api, WALTER).headers["Location"]
    write(client, conversation, "", photo=_photo(pictures.png()))
    contact, = _contacts(rt)
    assert contact.body == "(a photo)" and contact.status == "paging"


def test_a_file_too_large_is_refused_and_the_words_kept(rt, client, twilio_api, refs):
    conversation = sign_in(client, twilio_api, WALTER).headers["Location"]
    for size in (5 * 2**20 + 10_000, 6 * 2**20):  # past the store's limit, the upload's
        answer = write(client, conversation, "my ankle, see the photo",
                       photo=_photo(pictures.jpeg_head(size), "big.jpg", "image/jpeg"))
        html = answer.get_data(as_text=True)
        assert answer.status_code == 413 and "larger than 5 MB" in html
    assert ">my ankle, see the photo</textarea>" in html or size == 6 * 2**20
    assert _contacts(rt) == []


def test_a_web_page_posing_as_a_photo_is_refused(rt, client, twilio_api, refs):
    conversation = sign_in(client, twilio_api, WALTER).headers["Location"]
    answer = write(client, conversation, "look at this",
                   photo=_photo(pictures.HTML, "ankle.png", "image/png"))
    assert answer.status_code == 415
    html = answer.get_data(as_text=True)
    assert "only JPEG, PNG" in html and ">look at this</textarea>" in html
    assert _contacts(rt) == []


def test_another_patients_photo_is_a_404_and_audited(rt, app, client, twilio_api, refs):
    conversation = sign_in(client, twilio_api, WALTER).headers["Location"]
    write(client, conversation, "my ankle", photo=_photo(pictures.png()))
    link = FILE_LINK.search(client.get(conversation).get_data(as_text=True)).group(1)
    rosa = app.test_client()
    sign_in(rosa, twilio_api, ROSA)
    assert rosa.get(link).status_code == 404  # Walter's conversation
    attachment_id = link.rsplit("/", 1)[1]
    assert rosa.get(f"/portal/p/{refs['rosa']}/files/{attachment_id}").status_code == 404
    with rt.sessions() as session:
        events = list(session.scalars(text("SELECT event FROM log_entries")))
    assert events.count("access.portal_denied") == 2
