"""The link in a page: the nurse signs in, sees the contact beside the care plan, acknowledges."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from hub.models import Contact, Staff
from tests.conftest import PUBLIC_URL
from tests.practice import WALTER, seed
from tests.staff_login import csrf_of
from tests.staff_login import sign_in as post_sign_in


@pytest.fixture
def paged(rt, twilio, twilio_api):
    """Walter has texted; Ben (password 'night-shift') got the page with its link."""
    with rt.sessions() as session:
        practice = seed(session)
        session.get(Staff, practice.ben.id).password_hash = generate_password_hash("night-shift")
        session.commit()
    twilio.sms(WALTER, "my sugar reading is 45 and I feel shaky")
    page = next(r for r in twilio_api.wait_for(1) if r.resource == "Messages")
    return re.search(PUBLIC_URL + r"(/staff/c/\w+)", page.form["Body"]).group(1)


def sign_in(client, password="night-shift"):
    return post_sign_in(client, "ben@clinic.test", password)


def test_the_page_link_asks_for_login_first(client, paged):
    answer = client.get(paged)
    assert answer.status_code == 302 and "/staff/login" in answer.headers["Location"]


def test_a_wrong_password_is_refused(client, paged):
    assert sign_in(client, "guess").status_code == 401


def test_the_nurse_opens_the_link_reads_the_message_and_acknowledges(rt, client, paged):
    sign_in(client)
    page = client.get(paged)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Walter Kowalski" in html and "sugar reading is 45" in html
    assert "Rules that fired: reading:glucose_low" in html  # why it was urgent
    csrf = csrf_of(html)
    assert client.post(paged + "/ack", data={"csrf_token": "stale"}).status_code == 400
    assert client.post(paged + "/ack", data={"csrf_token": csrf}).status_code == 302
    client.post(paged + "/resolve", data={"csrf_token": csrf,
                                           "disposition": "advised juice, recheck"})
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.status == "resolved"
        events = session.scalars(text("SELECT event FROM log_entries ORDER BY seq")).all()
    assert "access.view_contact" in events
    assert events[-2:] == ["contact.acknowledged", "contact.resolved"]


def test_health_and_metrics_answer(client, paged):
    assert client.get("/healthz").status_code == 200
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'hub_contacts{status="paging"} 1' in metrics
    assert "hub_timers_pending 1" in metrics


def test_the_pages_show_times_in_the_practices_zone_with_its_abbreviation(rt, client, paged):
    sign_in(client)
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        patient_ref = contact.patient.ref
    local = contact.received_at.astimezone(ZoneInfo("America/New_York"))  # HUB_TIMEZONE

    inbox = client.get("/staff").get_data(as_text=True)
    page = client.get(paged).get_data(as_text=True)
    plan = client.get(f"/staff/p/{patient_ref}/care-plan").get_data(as_text=True)

    assert f"{local:%Y-%m-%d %H:%M} {local:%Z}" in inbox and "(UTC)" not in inbox
    assert f"Received {local:%Y-%m-%d %H:%M:%S} {local:%Z} by sms" in page
    assert f"{local:%Y-%m-%d %H:%M} {local:%Z}</a>" in plan
    for html in (inbox, page, plan):
        assert " UTC" not in html
