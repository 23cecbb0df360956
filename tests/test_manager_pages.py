"""The practice manager's pages: Maya (manager) reviews the line; Ben (a nurse) may not."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from hub.models import AuditReview, CareTimeEntry, Contact, LogEntry, Page, Staff, Timer
from hub.staff_accounts import enroll_totp, set_password
from tests.practice import WALTER
from tests.staff_login import csrf_of, post_form, sign_in

MONDAY = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York (HUB_TIMEZONE)
NOVEMBER = {"since": "2026-11-01", "until": "2026-11-30"}


def contact(session, ref: str, received: datetime, patient_id: int | None = None,
            urgency: str = "routine", pages: tuple[tuple[int, float], ...] = (),
            ack: tuple[int, float] | None = None) -> Contact:
    """A contact received at ``received``, paged (staff id, minutes after) and acknowledged."""
    row = Contact(ref=ref, channel="sms", received_at=received, patient_id=patient_id,
                  urgency=urgency, status="acknowledged" if ack else "paging")
    if ack:
        row.acknowledged_by_id = ack[0]
        row.acknowledged_at = received + timedelta(minutes=ack[1])
    session.add(row)
    session.flush()
    for step, (staff_id, minutes) in enumerate(pages):
        session.add(Page(contact_id=row.id, staff_id=staff_id, step=step,
                         created_at=received + timedelta(minutes=minutes)))
    return row


def test_a_manager_filters_the_log_by_urgency_and_staff_and_opens_a_timeline(
        rt, client, maya, twilio):
    twilio.sms(WALTER, "my sugar reading is 45 and I feel shaky")  # urgent: Ben is paged
    with rt.session() as session:
        contact(session, "ROUTINE1", datetime.now(UTC), maya.rosa.id, pages=((maya.maya.id, 1),))
        contact(session, "ROUTINE2", datetime.now(UTC), maya.rosa.id, pages=((maya.ben.id, 1),))
        walter_ref = session.scalar(select(Contact.ref).where(Contact.urgency == "urgent"))

    log = client.get(f"/manager/log?urgency=urgent&staff={maya.ben.id}")
    html = log.get_data(as_text=True)
    assert log.status_code == 200
    assert walter_ref in html and "Walter Kowalski" in html
    assert "ROUTINE1" not in html and "ROUTINE2" not in html
    assert "ROUTINE2" in client.get(f"/manager/log?staff={maya.ben.id}").get_data(as_text=True)
    assert client.get("/manager/log?urgency=dire").status_code == 400

    timeline = client.get(f"/manager/c/{walter_ref}").get_data(as_text=True)
    assert "Received" in timeline and "Triaged" in timeline and "Paged" in timeline
    assert "Ben Okafor" in timeline and "sugar reading is 45" in timeline
    with rt.session() as session:
        seen = session.scalars(select(LogEntry).where(
            LogEntry.event == "access.view_timeline")).one()
        assert seen.actor == f"staff:{maya.maya.id}" and seen.contact_id is not None
    audit = client.get("/manager/audit").get_data(as_text=True)
    assert "view_timeline" in audit and "Maya Chen" in audit and "127.0.0.1" in audit


def test_response_times_are_right_for_a_known_week(rt, client, maya):
    ben = maya.ben.id
    with rt.session() as session:
        for n, (paged, acked) in enumerate(((1, 2), (2, 4), (3, 6), (4, 10))):
            contact(session, f"RT{n}", MONDAY + timedelta(hours=n), maya.walter.id,
                    pages=((ben, paged),), ack=(ben, acked))

        escalated = contact(session, "LATE", MONDAY + timedelta(hours=9), maya.walter.id,
                            pages=((ben, 1), (maya.maya.id, 6)))
        escalated.escalation_step = 1
        session.add(Timer(contact_id=escalated.id, step=2, due_at=MONDAY, fired_at=MONDAY,
                          outcome="exhausted"))

    html = client.get("/manager", query_string=NOVEMBER).get_data(as_text=True)

    assert ">5 contacts</a>" in html
    missed = re.search(r'href="([^"]+)">1 missed</a>', html).group(1).replace("&amp;", "&")
    assert "outcome=missed" in missed and ">1 escalated</a>" in html
    assert "LATE" in client.get(missed).get_data(as_text=True)
    assert "RT0" not in client.get(missed).get_data(as_text=True)
    week = re.search(r"2026-W45</a></td>(.*?)</tr>", html, re.S).group(1)
    # first page: 1, 2, 3, 4, 1 min; acknowledgement: 2, 4, 6, 10 min; none resolved
    assert "2.0 / 3.6 (n=5)" in week and "5.0 / 8.8 (n=4)" in week and "none" in week
    assert f"staff={ben}" in html  # the figures link to the contacts behind them
    chart = client.get("/manager/charts/response-times.svg",
                       query_string={**NOVEMBER, "measure": "ack"})
    assert chart.mimetype == "image/svg+xml"
    svg = chart.get_data(as_text=True)
    assert "2026-W45 median: 5.0 minutes" in svg and "<script" not in svg
    assert "style" not in svg  # presentation attributes only: no CSP can turn them off
    svg = client.get("/manager/charts/response-times.svg",
                     query_string={**NOVEMBER, "measure": "page"}).get_data(as_text=True)
    assert "2026-W45 median: 2.0 minutes" in svg and "2026-W45 90th percentile: 3.6" in svg


def test_a_nurse_woken_three_times_in_a_night_shows_three_sleep_hour_interruptions(
        rt, client, maya):
    ben = maya.ben.id
    # New York (UTC-5): 22:30, 01:15 and 05:40 in the night of 3 November; 14:00 the next day
    night = [datetime(2026, 11, 4, 3, 30, tzinfo=UTC), datetime(2026, 11, 4, 6, 15, tzinfo=UTC),
             datetime(2026, 11, 4, 10, 40, tzinfo=UTC), datetime(2026, 11, 4, 19, 0, tzinfo=UTC)]
    with rt.session() as session:
        for n, at in enumerate(night):
            contact(session, f"NIGHT{n}", at, maya.walter.id, pages=((ben, 0),))

    html = client.get("/manager", query_string=NOVEMBER).get_data(as_text=True)

    assert re.search(rf'data-testid="sleep-{ben}">3<', html)
    assert re.search(rf'data-testid="off-{ben}">1<', html)  # the test policy has no hours
    assert "3 on the night of 2026-11-03" in html
    # Ben's shift (the practice's only primary) ends tomorrow: the coming gap is shown
    assert re.search(r'class="urgent">[^<]*: no primary on call</li>', html)
    svg = client.get("/manager/charts/interruptions.svg", query_string=NOVEMBER)
    assert "Ben Okafor sleep: 3.0 pages" in svg.get_data(as_text=True)


def test_ccm_minutes_suggest_codes_flag_what_medicare_refuses_and_download_as_csv(
        rt, client, maya):
    from hub.reports.ccm_codes import parse_billed, problems

    at = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
    with rt.session() as session:
        session.add(CareTimeEntry(patient_id=maya.walter.id, staff_id=maya.nora.id,
                                  staff_type="clinical", seconds=45 * 60, source="callback",
                                  at=at))
        physician = Staff(name="Dr Ada Park", email="ada@clinic.test", role="physician")
        session.add(physician)
        session.flush()
        for staff_id, kind, minutes in ((maya.ben.id, "clinical", 20),
                                        (physician.id, "physician", 30)):
            session.add(CareTimeEntry(patient_id=maya.rosa.id, staff_id=staff_id,
                                      staff_type=kind, seconds=minutes * 60,
                                      source="callback", at=at))

    html = client.get("/manager/ccm?month=2026-11").get_data(as_text=True)
    walter = re.search(r"Walter Kowalski</a></td>(.*?)</tr>", html, re.S).group(1)
    rosa = re.search(r"Rosa Martinez</a></td>(.*?)</tr>", html, re.S).group(1)
    assert ">45</a></td>" in walter and "since=2026-11-01&amp;until=2026-11-30" in walter
    assert "99490 + 99439<" in walter and 'class="urgent"' not in walter
    assert "99491" in rosa and "99491 with 99490, 99487 or 99489 in one month: bill one" in rosa
    csrf = csrf_of(html)
    recorded = client.post(f"/manager/ccm/{maya.rosa.ref}/billed", data={
        "csrf_token": csrf, "month": "2026-11", "codes": "99490 + 99487"})
    assert recorded.status_code == 302
    assert client.post(f"/manager/ccm/{maya.rosa.ref}/billed", data={
        "csrf_token": csrf, "month": "2026-11", "codes": "99490 G0506"}).status_code == 400
    html = client.get("/manager/ccm?month=2026-11").get_data(as_text=True)
    rosa = re.search(r"Rosa Martinez</a></td>(.*?)</tr>", html, re.S).group(1)
    assert ("complex (99487/99489) and non-complex (99490/99439) CCM in one month; "
            "99487 x1 billed, the minutes support 0") in rosa
    assert 'value="99490 + 99487"' in rosa
    assert problems(["99490", "99487"]) == [
        "complex (99487/99489) and non-complex (99490/99439) CCM in one month"]
    assert problems(["99490", "99439", "99439"]) == []
    assert problems(parse_billed("99490 + 99439 x3")) == ["99439 more than 2 times"]

    download = client.get("/manager/ccm.csv?month=2026-11")
    assert download.mimetype == "text/csv"
    assert "attachment; filename=ccm-minutes-2026-11.csv" in download.headers[
        "Content-Disposition"]
    lines = download.get_data(as_text=True).splitlines()
    assert lines[0].startswith("month,patient_id,patient,clinical_minutes")
    assert f"2026-11,{maya.walter.id},Walter Kowalski,45,0,0,99490 99439,,,,," in lines
    rosa_row = next(row for row in csv.reader(lines) if row[2] == "Rosa Martinez")
    assert rosa_row[-2:] == ["99490 99487", "complex (99487/99489) and non-complex "
                             "(99490/99439) CCM in one month; 99487 x1 billed, the minutes "
                             "support 0"]
    assert client.get("/manager/ccm?month=November").status_code == 400


def test_the_manager_signs_off_the_access_audit_review(rt, client, maya):
    page = client.get("/manager/audit").get_data(as_text=True)
    assert "Never reviewed;" in page
    csrf = csrf_of(page)
    assert client.post("/manager/audit/sign-off", data={
        "csrf_token": "stale"}).status_code == 400
    assert client.post("/manager/audit/sign-off", data={
        "csrf_token": csrf, "through": "2999-01-01T00:00"}).status_code == 400

    answer = client.post("/manager/audit/sign-off", data={
        "csrf_token": csrf, "through": "2026-11-30T23:59", "note": "nothing unusual"})

    assert answer.status_code == 302
    with rt.session() as session:
        review = session.scalars(select(AuditReview)).one()
        assert review.reviewed_by_id == maya.maya.id and review.note == "nothing unusual"
        assert review.reviewed_through == datetime(2026, 12, 1, 4, 59, tzinfo=UTC)
        assert session.scalar(select(LogEntry.actor).where(
            LogEntry.event == "audit.reviewed")) == f"staff:{maya.maya.id}"
    page = client.get("/manager/audit").get_data(as_text=True)
    assert "Last reviewed through 2026-11-30 23:59 EST by Maya Chen" in page


def test_a_nurses_break_glass_view_is_marked_in_the_managers_audit(rt, app, client, maya):
    nora = app.test_client()  # Walter's care manager, not Rosa's
    assert sign_in(nora, "nora@clinic.test", "pw-123456-long").status_code == 302
    rosa_plan = f"/staff/p/{maya.rosa.ref}/care-plan"
    assert nora.get(rosa_plan).status_code == 403
    post_form(nora, "/staff", f"/staff/p/{maya.rosa.ref}/break-glass",
              reason="Covering Ben's patients tonight")
    assert nora.get(rosa_plan).status_code == 200

    audit = client.get("/manager/audit").get_data(as_text=True)

    rows = [row for row in audit.split("<tr") if "Nora Reyes" in row]
    assert any("BREAK-GLASS: Covering Ben&#39;s patients tonight" in row
               and "break_glass" in row for row in rows)
    assert any("view_care_plan" in row and "BREAK-GLASS" in row and "Rosa Martinez" in row
               for row in rows)
    assert not any("login" in row and "BREAK-GLASS" in row for row in rows)


@pytest.mark.parametrize("path", ["/manager", "/manager/log", "/manager/ccm",
                                  "/manager/ccm.csv", "/manager/audit",
                                  "/manager/charts/response-times.svg"])
def test_a_nurse_gets_403_from_every_manager_page(client, maya, path):
    post_form(client, "/staff", "/staff/logout")
    assert sign_in(client, "ben@clinic.test", "pw-123456-long").status_code == 302
    assert client.get(path).status_code == 403


def test_the_manager_pages_ask_for_login_first_and_lead_back_after_it(rt, client, practice):
    with rt.session() as session:
        maya = session.get(Staff, practice.maya.id)
        set_password(maya, "pw-123456-long")
        secret = pyotp.parse_uri(enroll_totp(maya, "Care line")).secret
    answer = client.get("/manager/log?urgency=urgent")
    assert answer.status_code == 302 and "/staff/login" in answer.headers["Location"]

    form = client.get(answer.headers["Location"]).get_data(as_text=True)
    signed = client.post(answer.headers["Location"], data={
        "email": "maya@clinic.test", "password": "pw-123456-long",
        "code": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(form)})

    assert signed.status_code == 302
    assert signed.headers["Location"] == "/manager/log?urgency=urgent"
    page = client.get(signed.headers["Location"])
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
