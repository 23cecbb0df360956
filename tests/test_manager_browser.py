"""The manager's pages in a real browser (Debian's Chromium, as tests/test_staff_browser.py):
Maya signs in with her code, reads the charts, filters the log, opens a timeline, downloads
the CSV, on a desk and on a 390 px phone; Ben, a nurse, cannot open them. Screenshots under
tests/output/screenshots/ (manager-*)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest

from hub.models import CareTimeEntry, Staff
from hub.staff_accounts import enroll_totp
from tests import test_staff_browser as staff_browser
from tests.practice import ROSA, WALTER
from tests.test_staff_browser import DESK, PASSWORD, PHONE, fits, shoot, sign_in

# The staff stories' fixtures: Debian's Chromium, and a hub served on a real HTTP server.
browser = staff_browser.browser
serve = staff_browser.serve

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def sign_in_with_code(page, hub, secret: str) -> None:
    page.goto(hub.url + "/staff/login")
    page.get_by_label("Email").fill("maya@clinic.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()


def charts_drawn(page) -> None:
    """Every chart on the page loaded as an image (the CSP let it through)."""
    widths = page.eval_on_selector_all("img.chart", "imgs => imgs.map(i => i.naturalWidth)")
    assert widths and all(width > 0 for width in widths), widths


def test_a_manager_with_a_code_reads_the_charts_filters_the_log_and_downloads_the_csv(
        browser, serve):
    hub = serve()
    urgent = hub.sms(WALTER, "my sugar reading is 45 and I feel shaky")  # Ben is paged
    routine = hub.sms(ROSA, "necesito una receta de metformina")
    with hub.rt.sessions() as session:
        secret = pyotp.parse_uri(enroll_totp(session.get(Staff, hub.practice.maya.id),
                                             "Care line")).secret
        session.add(CareTimeEntry(patient_id=hub.practice.walter.id,
                                  staff_id=hub.practice.nora.id, staff_type="clinical",
                                  seconds=45 * 60, source="callback", at=datetime.now(UTC)))
        session.commit()
    desk = browser.new_page(viewport=DESK)
    sign_in_with_code(desk, hub, secret)

    desk.get_by_role("link", name="Manager").click()
    assert "Response times" in desk.content()
    charts_drawn(desk)
    shoot(desk, "manager-overview")
    desk.get_by_role("link", name="Contact log").click()
    desk.get_by_label("Urgency").select_option("urgent")
    desk.get_by_label("Staff id").fill(str(hub.practice.ben.id))
    desk.get_by_role("button", name="Filter").click()
    assert urgent in desk.content() and routine not in desk.content()
    shoot(desk, "manager-log")
    desk.get_by_role("link", name=urgent).click()
    assert "sugar reading is 45" in desk.content() and "Ben Okafor" in desk.content()
    shoot(desk, "manager-timeline")
    desk.get_by_role("link", name="CCM minutes").click()
    with desk.expect_download() as download:
        desk.get_by_role("link", name="Download CSV").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Walter Kowalski,45,0,0,99490 99439" in csv_text
    shoot(desk, "manager-ccm")
    desk.get_by_role("link", name="Access audit").click()
    assert "view_timeline" in desk.content()
    shoot(desk, "manager-audit")

    desk.set_viewport_size(PHONE)  # the same session on a phone-sized screen
    for path, name in (("/manager", "overview"), ("/manager/log?urgency=urgent", "log"),
                       (f"/manager/c/{urgent}", "timeline"), ("/manager/ccm", "ccm"),
                       ("/manager/audit", "audit")):
        desk.goto(hub.url + path)
        fits(desk)
        shoot(desk, f"manager-{name}")
        if name == "overview":
            charts_drawn(desk)

def test_a_nurse_cannot_open_a_manager_page(browser, serve):
    hub = serve()
    page = browser.new_page(viewport=PHONE)
    sign_in(page, hub, "ben@clinic.test")

    answer = page.goto(hub.url + "/manager/log")

    assert answer.status == 403
    assert "for managers and admins" in page.content()
