"""The portal in a real browser (Debian's Chromium through Playwright), at 390 px and 1280 px:
a caregiver signs in with the code texted to her, picks her mother, writes; the nurse answers
from the staff page; she reads the answer. A red flag shows 911 on the page at once.
Screenshots under tests/output/screenshots/ (portal-*)."""

from __future__ import annotations

import re

import pytest

from hub.models import Caregiver
from hub.phones import phone_index
from messages import kick
from tests.practice import BEN, LENA, WALTER, _patient
from tests.test_staff_browser import (  # noqa: F401 (fixtures)
    DESK,
    PHONE,
    browser,
    fits,
    follow,
    serve,
    shoot,
    sign_in,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _texts(twilio_api, number: str) -> list[str]:
    return [r.form["Body"] for r in twilio_api.sent_to(number) if r.resource == "Messages"]


def _portal_sign_in(page, hub, twilio_api, number: str, shots: str | None = None) -> None:
    """Phone, the code from the text, Code: as a person does it."""
    page.goto(hub.url + "/portal")
    fits(page)
    if shots:
        shoot(page, f"{shots}-login")
    page.get_by_label("Phone").fill(number)
    follow(page, page.get_by_role("button", name="Text me a code"))
    kick.drain()
    code = re.search(r"\b(\d{6})\b", _texts(twilio_api, number)[-1]).group(1)
    fits(page)
    if shots:
        shoot(page, f"{shots}-code")
    page.get_by_label("Code").fill(code)
    follow(page, page.get_by_role("button", name="Sign in"))


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_a_caregiver_writes_from_her_phone_and_reads_the_nurses_answer(
        browser, serve, twilio_api, viewport):  # noqa: F811
    hub = serve()
    with hub.rt.sessions() as session:
        irena = _patient("Irena Kowalski", "+12025550144", "en", hub.practice.nora)
        session.add(irena)
        session.flush()
        session.add(Caregiver(patient_id=irena.id, name="Lena Kowalski", phone=LENA,
                              phone_index=phone_index(LENA)))
        session.commit()
    lena = browser.new_page(viewport=viewport)
    _portal_sign_in(lena, hub, twilio_api, LENA, shots="portal")

    assert lena.url.endswith("/portal/choose")
    fits(lena)
    shoot(lena, "portal-choose")
    follow(lena, lena.get_by_role("link", name="Irena"))
    lena.get_by_label("Message").fill("Mom needs a refill of her water pill, the pharmacy "
                                      "says it expired. <b>thanks</b>")
    follow(lena, lena.get_by_role("button", name="Send"))
    assert "your care team received your message" in lena.get_by_role("status").inner_text()
    assert "<b>thanks</b>" in lena.locator(".thread .text").last.inner_text()  # as text
    fits(lena)
    shoot(lena, "portal-sent")
    kick.drain()
    page_sms = _texts(twilio_api, BEN)[-1]
    assert "pill" not in page_sms

    nurse = browser.new_page(viewport=viewport)
    sign_in(nurse, hub, "ben@clinic.test")
    nurse.goto(hub.url + re.search(r"(/staff/c/\w+)", page_sms).group(1))
    nurse.get_by_label("Reply in the portal").fill("Sent a new prescription to her pharmacy.")
    follow(nurse, nurse.get_by_role("button", name="Send the reply"))
    fits(nurse)
    shoot(nurse, "portal-staff-answered")
    kick.drain()
    assert _texts(twilio_api, LENA)[-1].startswith("You have a new message from your care "
                                                   "team. Read it at " + hub.url + "/portal")

    lena.goto(hub.url + "/portal")  # the link in the text: still signed in, back to the choice
    follow(lena, lena.get_by_role("link", name="Irena"))
    team = lena.locator(".thread li.team")
    assert "Sent a new prescription" in team.inner_text() and "Ben" in team.inner_text()
    fits(lena)
    shoot(lena, "portal-answer")


def test_a_red_flag_shows_911_on_the_page_at_once_in_spanish_too(browser, serve, twilio_api):  # noqa: F811
    hub = serve()
    page = browser.new_page(viewport=PHONE, locale="es-MX")
    page.set_extra_http_headers({"Accept-Language": "es-MX,es;q=0.9"})
    page.goto(hub.url + "/portal")
    assert "Teléfono" in page.content()
    shoot(page, "portal-login-es")
    follow(page, page.get_by_role("link", name="English"))
    _portal_sign_in(page, hub, twilio_api, WALTER)
    page.get_by_label("Message").fill("crushing chest pain, I can't breathe")
    follow(page, page.get_by_role("button", name="Send"))
    alert = page.get_by_role("alert")
    assert "call 911 now" in alert.inner_text()
    fits(page)
    shoot(page, "portal-red-flag")
    kick.drain()
    assert _texts(twilio_api, BEN)[-1].startswith("URGENT")
