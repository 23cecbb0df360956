"""The attachment store: a photo kept encrypted with its contact, checked on the way in, and
shown to the nurse on the contact page (audited, sandboxed)."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from hub import attachments
from hub.models import Contact, Staff
from tests import pictures
from tests.conftest import PUBLIC_URL
from tests.practice import WALTER, seed
from tests.staff_login import sign_in


def _a_contact(session) -> int:
    practice = seed(session)
    contact = Contact(ref="ANKLE234", channel="sms", patient_id=practice.walter.id,
                      match="patient", body="my ankle")
    session.add(contact)
    session.flush()
    return contact.id


def test_a_photo_is_kept_encrypted_and_read_back_whole(session):
    contact_id = _a_contact(session)
    photo = pictures.png()
    kept = attachments.store_attachment(session, contact_id=contact_id, data=photo,
                                        declared_type="image/png", source="mms")
    session.commit()
    stored = session.execute(text("SELECT data FROM attachments")).scalar_one()
    assert photo not in stored.encode() and b"PNG" not in stored.encode()
    assert (kept.content_type, kept.size, kept.sha256) == (
        "image/png", len(photo), hashlib.sha256(photo).hexdigest())
    session.expunge_all()
    (again,) = attachments.attachments_for(session, contact_id)
    assert attachments.read_attachment(again) == photo


@pytest.mark.parametrize("data, declared, expected", [
    (pictures.jpeg_head(), "image/jpeg", "image/jpeg"),
    (pictures.PDF, "application/pdf", "application/pdf"),
    (pictures.png(), "application/octet-stream", "image/png"),  # the bytes decide
])
def test_photos_and_pdfs_are_taken_by_what_their_bytes_are(session, data, declared, expected):
    contact_id = _a_contact(session)
    kept = attachments.store_attachment(session, contact_id=contact_id, data=data,
                                        declared_type=declared, source="portal")
    assert kept.content_type == expected


@pytest.mark.parametrize("data, declared, reason", [
    (pictures.HTML, "image/jpeg", "type not allowed (sent as image/jpeg)"),
    (b"", "image/png", "the file is empty"),
    (pictures.jpeg_head(6 * 2**20), "image/jpeg", "too large: 6 MB, the most is 5 MB"),
])
def test_a_wrong_type_or_oversized_file_is_refused_naming_why(session, data, declared, reason):
    contact_id = _a_contact(session)
    with pytest.raises(attachments.AttachmentRefused, match=re.escape(reason)):
        attachments.store_attachment(session, contact_id=contact_id, data=data,
                                     declared_type=declared, source="mms")
    assert attachments.attachments_for(session, contact_id) == []


def test_the_nurse_sees_the_photo_on_the_contact_page_and_each_view_is_audited(
        rt, client, twilio, twilio_api):
    with rt.sessions() as session:
        practice = seed(session)
        session.get(Staff, practice.ben.id).password_hash = generate_password_hash("night-shift")
        session.commit()
    twilio.sms(WALTER, "my ankle is swollen, photo coming")
    page = next(r for r in twilio_api.wait_for(1) if r.resource == "Messages")
    link = re.search(PUBLIC_URL + r"(/staff/c/\w+)", page.form["Body"]).group(1)
    photo = pictures.png()
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        kept = attachments.store_attachment(session, contact_id=contact.id, data=photo,
                                            declared_type="image/png", source="mms")
        session.commit()
        url = f"{link}/files/{kept.id}"

    assert client.get(url).status_code == 302  # sign in first
    sign_in(client, "ben@clinic.test", "night-shift")
    html = client.get(link).get_data(as_text=True)
    assert f'<img class="attachment" src="{url}"' in html and "image/png" in html
    answer = client.get(url)
    assert answer.status_code == 200 and answer.data == photo
    assert answer.mimetype == "image/png"
    assert answer.headers["Content-Disposition"].startswith("inline")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Security-Policy"].startswith("sandbox")
    assert answer.headers["Cache-Control"] == "no-store"
    assert client.get(f"{link}/files/{kept.id + 1}").status_code == 404
    with rt.sessions() as session:
        events = session.scalars(text("SELECT event FROM log_entries ORDER BY seq")).all()
    assert events.count("access.view_attachment") == 1


def test_rotating_the_keys_re_encrypts_the_photos_too(rt, app, settings_for):
    from cryptography.fernet import Fernet

    from app import create_app
    from hub.cli import cli

    photo = pictures.png(seed=9)
    with rt.sessions() as session:
        contact_id = _a_contact(session)
        attachments.store_attachment(session, contact_id=contact_id, data=photo,
                                     declared_type="image/png", source="portal")
        session.commit()
    new_key = Fernet.generate_key().decode()
    both = create_app({**settings_for, "HUB_ENCRYPTION_KEYS":
                       f"{new_key},{settings_for['HUB_ENCRYPTION_KEYS']}"})
    assert both.test_cli_runner().invoke(cli, ["rotate-keys"]).exit_code == 0
    both.extensions["hub"].engine.dispose()
    only_new = create_app({**settings_for, "HUB_ENCRYPTION_KEYS": new_key})
    with only_new.extensions["hub"].sessions() as session:
        (kept,) = attachments.attachments_for(session, contact_id)
        assert attachments.read_attachment(kept) == photo
    only_new.extensions["hub"].engine.dispose()
