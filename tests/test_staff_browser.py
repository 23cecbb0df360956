"""The staff pages in a real browser (Debian's Chromium driven by Playwright), served by a
real HTTP server thread: a nurse on a 390 px phone, a nurse outside her team, a deactivated
nurse, an idle session. Screenshots of each main page at 390 and 1280 px are saved under
tests/output/screenshots/ for a reviewer to look at."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from app import create_app
from hub.cli import cli
from hub.models import Contact, Staff
from hub.passwords import hash_password
from messages import kick
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PRACTICE_NUMBER
from tests.practice import ROSA, WALTER, seed

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parent / "output" / "screenshots"
PASSWORD = "night-shift-2026"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (never a downloaded build); .ci/run installs it."""
    if not CHROMIUM.exists():
        if os.environ.get("HUB_REQUIRE_POSTGRES") == "1":  # CI: the browser must be there
            pytest.fail("/usr/bin/chromium is missing: apt-get install -y chromium")
        pytest.skip("/usr/bin/chromium is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"])
        yield chromium
        chromium.close()


class Hub:
    """The hub served over HTTP on a free port, with a signed-webhook sender and its runtime."""

    def __init__(self, settings: dict[str, str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.app = create_app({**settings, "HUB_PUBLIC_URL": self.url})
        self.rt = self.app.extensions["hub"]
        self.server = make_server("127.0.0.1", port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        with self.rt.sessions() as session:
            self.practice = seed(session)
            for staff in session.scalars(select(Staff)):
                staff.password_hash = hash_password(PASSWORD)
            session.commit()

    def sms(self, sender: str, body: str) -> str:
        """A signed text to the practice line, as Twilio posts it; the contact's reference."""
        params = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
                  "From": sender, "To": PRACTICE_NUMBER, "Body": body, "NumMedia": "0"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            self.url + "/twilio/sms", params)
        answer = self.app.test_client().post("/twilio/sms", data=params,
                                             headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 200
        kick.drain()
        with self.rt.sessions() as session:
            return session.scalars(select(Contact.ref).order_by(Contact.id.desc())).first()

    def contact(self, ref: str) -> Contact:
        with self.rt.sessions() as session:
            return session.scalars(select(Contact).where(Contact.ref == ref)).one()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join()
        kick.drain()
        self.rt.engine.dispose()


@pytest.fixture
def serve(settings_for, twilio_api):
    """``serve(**settings)``: a hub on a real server thread (stopped after the test)."""
    started: list[Hub] = []

    def start(**extra: str) -> Hub:
        started.append(Hub({**settings_for, **extra}))
        return started[-1]

    yield start
    for hub in started:
        hub.stop()


def sign_in(page, hub: Hub, email: str) -> None:
    page.goto(hub.url + "/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fits(page) -> None:
    """Nothing wider than the screen: no sideways scrolling on the phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"),
                    full_page=True)


def test_a_nurse_on_her_phone_acknowledges_opens_the_plan_and_resolves(browser, serve):
    hub = serve()
    hub.sms(ROSA, "necesito una receta de metformina")
    ref = hub.sms(WALTER, "my sugar reading is 45 and I feel shaky")
    phone = browser.new_page(viewport=PHONE)

    phone.goto(hub.url + "/staff/login")
    fits(phone)
    shoot(phone, "login")
    sign_in(phone, hub, "ben@clinic.test")

    assert phone.url == hub.url + "/staff"
    first = phone.locator(".inbox li").first
    assert ref in first.inner_text() and "Urgent" in first.inner_text()  # urgent first
    fits(phone)
    shoot(phone, "inbox")

    first.get_by_role("link").click()
    assert "sugar reading is 45" in phone.locator("blockquote").inner_text()
    fits(phone)
    shoot(phone, "contact")
    phone.get_by_role("button", name="Acknowledge").click()
    assert hub.contact(ref).status == "acknowledged"
    assert phone.get_by_role("button", name="Acknowledge").count() == 0

    phone.get_by_role("link", name="Open the full care plan").click()
    assert "Walter Kowalski" in phone.locator("h1").inner_text()
    fits(phone)
    shoot(phone, "care-plan")
    phone.go_back()

    phone.get_by_label("Disposition").fill("juice now, recheck in 15 min")
    phone.locator("#minutes-resolve").fill("12")
    phone.get_by_role("button", name="Resolve").click()
    assert hub.contact(ref).status == "resolved"
    assert "12 min" in phone.content()
    fits(phone)

    desk = browser.new_page(viewport=DESK)
    sign_in(desk, hub, "ben@clinic.test")
    shoot(desk, "inbox")
    desk.goto(f"{hub.url}/staff/c/{ref}")
    shoot(desk, "contact")
    desk.get_by_role("link", name="Open the full care plan").click()
    shoot(desk, "care-plan")
    login = browser.new_page(viewport=DESK)
    login.goto(hub.url + "/staff/login")
    shoot(login, "login")

    enrolled = hub.app.test_cli_runner().invoke(cli, ["staff", "enroll-totp", "ben@clinic.test"])
    assert enrolled.exit_code == 0
    for page in (desk, phone):
        page.goto(hub.url + "/staff/account")
        assert page.locator("img.qr").is_visible()  # drawn by the server, allowed by the CSP
        fits(page)
        shoot(page, "account")
        page.close()


def test_a_nurse_opens_another_teams_patient_only_by_breaking_the_glass(browser, serve):
    hub = serve()
    ref = hub.sms(ROSA, "necesito una receta")  # Ben's patient, paged to Ben
    for viewport in (PHONE, DESK):
        page = browser.new_page(viewport=viewport)
        sign_in(page, hub, "nora@clinic.test")  # Walter's care manager, not Rosa's

        answer = page.goto(f"{hub.url}/staff/c/{ref}")
        assert answer.status == 403
        assert "Not your patient" in page.locator("h1").inner_text()
        assert "necesito" not in page.content()
        fits(page)
        shoot(page, "forbidden")
        page.get_by_label("Reason").fill("Covering Ben's patients while he is on a call")
        page.get_by_role("button", name="Break the glass and open").click()

        assert page.url == f"{hub.url}/staff/c/{ref}"
        assert "Break-glass access" in page.content() and "necesito" in page.content()
        fits(page)
        page.close()


def test_a_deactivated_nurses_open_page_stops_working(browser, serve):
    hub = serve()
    ref = hub.sms(WALTER, "my weight is up 3 lb today")
    page = browser.new_page(viewport=PHONE)
    sign_in(page, hub, "ben@clinic.test")
    page.goto(f"{hub.url}/staff/c/{ref}")

    done = hub.app.test_cli_runner().invoke(cli, ["staff", "deactivate", "ben@clinic.test"])
    assert done.exit_code == 0
    page.get_by_role("button", name="Acknowledge").click()  # the page open before

    assert hub.contact(ref).status != "acknowledged"
    assert "/staff/login" in page.url
    assert "Your account was deactivated" in page.content()
    page.goto(f"{hub.url}/staff/c/{ref}")
    assert "/staff/login" in page.url


def test_a_session_expires_after_the_idle_time(browser, serve):
    hub = serve(HUB_SESSION_IDLE_MINUTES="0.03")  # 1.8 seconds
    page = browser.new_page(viewport=PHONE)
    sign_in(page, hub, "ben@clinic.test")
    assert page.url == hub.url + "/staff"

    page.wait_for_timeout(2500)
    page.reload()

    assert "/staff/login" in page.url
    assert "signed out after 0.03 minutes of inactivity" in page.content()
    fits(page)
