"""Care transitions in a real browser (Debian's Chromium, as tests/test_staff_browser.py):
Nora finds Walter's discharge follow-up in her inbox on her phone, records reaching him, and
Maya reads the week's transitions on her desk and phone. Screenshots under
tests/output/screenshots/ (transition-*)."""

from __future__ import annotations

import pyotp
import pytest

from hub.fhir.importer import import_bundle
from hub.models import Patient, Staff, utcnow
from hub.staff_accounts import enroll_totp
from tests import test_staff_browser as staff_browser
from tests.test_manager_browser import sign_in_with_code
from tests.test_staff_browser import DESK, PHONE, fits, follow, shoot, sign_in
from tests.transition_story import bundle, discharge

browser = staff_browser.browser
serve = staff_browser.serve

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_the_care_manager_records_the_follow_up_and_the_manager_sees_it_done(browser, serve):
    hub = serve()
    now = utcnow()
    with hub.rt.sessions() as session:
        session.get(Patient, hub.practice.walter.id).fhir_id = "walter"
        import_bundle(session, bundle(discharge("walter", now)), tz=hub.rt.settings.tz, now=now)
        secret = pyotp.parse_uri(enroll_totp(session.get(Staff, hub.practice.maya.id),
                                             "Care line")).secret
        session.commit()

    phone = browser.new_page(viewport=PHONE)
    sign_in(phone, hub, "nora@clinic.test")
    assert "Discharge follow-ups" in phone.content()
    fits(phone)
    shoot(phone, "transition-inbox")
    follow(phone, phone.get_by_role("link", name="Walter Kowalski"))
    assert "Interactive contact due by" in phone.content()
    fits(phone)
    shoot(phone, "transition-task")
    phone.get_by_label("Reached by phone").check()
    phone.get_by_label("Minutes spent").fill("12")
    follow(phone, phone.get_by_role("button", name="Record"))
    assert "Done" in phone.content() and "by phone, 12 min" in phone.content()
    shoot(phone, "transition-done")

    page = browser.new_page(viewport=DESK)
    sign_in_with_code(page, hub, secret)  # once: a code signs in once
    for viewport in (DESK, PHONE):
        page.set_viewport_size(viewport)
        page.goto(hub.url + "/manager/transitions")
        assert "Care transitions" in page.content() and "Walter Kowalski" in page.content()
        fits(page)
        shoot(page, "transition-manager")
