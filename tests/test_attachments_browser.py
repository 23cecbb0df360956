"""A texted photo in a real browser: the nurse on her phone (390 px) and at her desk (1280 px)
sees the photo inline on the contact page; screenshots under tests/output/screenshots/."""

from __future__ import annotations

import uuid

import pytest
from twilio.request_validator import RequestValidator

from messages import kick
from tests import pictures
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PRACTICE_NUMBER
from tests.practice import WALTER
from tests.test_staff_browser import DESK, PHONE, browser, fits, follow, serve, shoot, sign_in

__all__ = ["browser", "serve"]  # the browser stories' fixtures, shared
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_the_nurse_sees_the_texted_photo_of_a_swollen_ankle_on_her_phone(
        browser, serve, twilio_api):
    hub = serve()
    sid = "MM" + uuid.uuid4().hex
    params = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": WALTER,
              "To": PRACTICE_NUMBER, "Body": "my left ankle is swollen and warm",
              "NumMedia": "1", "MediaContentType0": "image/png",
              "MediaUrl0": twilio_api.media.add(ACCOUNT_SID, sid, pictures.png(320, 240, 5),
                                                "image/png")}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(hub.url + "/twilio/sms", params)
    assert hub.app.test_client().post("/twilio/sms", data=params, headers={
        "X-Twilio-Signature": signature}).status_code == 200
    kick.drain()

    for viewport in (PHONE, DESK):
        page = browser.new_page(viewport=viewport)
        sign_in(page, hub, "ben@clinic.test")
        follow(page, page.locator(".inbox li").first.get_by_role("link"))
        photo = page.locator("img.attachment")
        photo.wait_for()
        assert page.evaluate("document.querySelector('img.attachment').naturalWidth") == 320
        assert "swollen" in page.locator("blockquote").inner_text()
        fits(page)
        shoot(page, "contact-photo")
        page.close()
