"""Care-management minutes: the nurse says how long the callback took, the manager's CCM report
counts them by staff type and calendar month, and nothing is ever assumed."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hub import care_time
from hub.cli import cli
from hub.models import CareTimeEntry, Contact, LogEntry, Staff
from messages import kick
from tests.conftest import ACCOUNT_SID, PRACTICE_NUMBER
from tests.practice import BEN, STRANGER, WALTER
from tests.staff_login import csrf_of, sign_in


def hub(app, *args: str):
    return app.test_cli_runner().invoke(cli, list(args), catch_exceptions=False)


def page_code(twilio_api, count: int = 1) -> str:
    page = [r for r in twilio_api.wait_for(count) if r.resource == "Messages"][-1]
    return re.search(r"ACK (\d{4})", page.form["Body"]).group(1)


def report(app, *args: str) -> list[dict[str, str]]:
    result = hub(app, "ccm-minutes", *args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()[1:]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def test_nurse_resolves_by_sms_with_minutes_and_the_month_report_counts_them(
        app, rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "my ankles are more swollen tonight")
    code = page_code(twilio_api)
    reply = twilio.sms(BEN, f"RESOLVE {code} 15 min")
    assert "Resolved" in reply.text and "15 min of care time noted" in reply.text
    with rt.sessions() as session:
        entry = session.scalars(select(CareTimeEntry)).one()
        assert (entry.patient_id, entry.staff_id, entry.staff_type, entry.seconds,
                entry.source) == (practice.walter.id, practice.ben.id, "clinical", 900,
                                  "callback")
    (row,) = report(app, "--month", this_month())
    assert row == {"patient": str(practice.walter.id), "clinical": "15", "physician": "0",
                   "other": "0", "99490 (20)": "no", "99487 (60)": "no", "99491 (30 MD)": "no"}

    twilio.sms(WALTER, "and now I'm short of breath")
    reply = twilio.sms(BEN, f"RESOLVE {page_code(twilio_api, 3)} 10")
    assert "10 min of care time noted" in reply.text
    (row,) = report(app, "--month", this_month())
    assert row["clinical"] == "25" and row["99490 (20)"] == "yes"

    log = json.loads(hub(app, "export-log", "--format", "json").output)
    added = [e for e in log if e["event"] == "care_time.added"]
    assert [e["detail"]["minutes"] for e in added] == [15, 10]
    assert added[0]["actor"] == f"staff:{practice.ben.id}"
    assert "ccm.report" in [e["event"] for e in log]  # the report itself is audited


def test_resolve_without_minutes_counts_nothing_and_says_so(rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "question about my inhaler refill")
    reply = twilio.sms(BEN, f"RESOLVE {page_code(twilio_api)}")
    assert "No care time noted" in reply.text
    with rt.sessions() as session:
        assert session.scalars(select(CareTimeEntry)).all() == []


def test_a_typo_in_the_minutes_resolves_nothing_so_the_nurse_can_try_again(
        rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "question about my inhaler refill")
    code = page_code(twilio_api)
    reply = twilio.sms(BEN, f"RESOLVE {code} 1500")
    assert "Not done: minutes must be a whole number from 1 to 240" in reply.text
    with rt.sessions() as session:
        assert session.scalars(select(Contact)).one().status != "resolved"
    assert "20 min of care time noted" in twilio.sms(BEN, f"RESOLVE {code} 20").text


def test_time_on_a_contact_from_an_unknown_number_is_not_counted(rt, twilio, twilio_api,
                                                                 practice):
    twilio.sms(STRANGER, "hello? is this the clinic")
    reply = twilio.sms(BEN, f"RESOLVE {page_code(twilio_api)} 5")
    assert "Resolved" in reply.text and "5 min not counted" in reply.text
    with rt.sessions() as session:
        assert session.scalars(select(CareTimeEntry)).all() == []


def test_physician_and_manager_time_are_kept_apart_from_clinical_staff_time(
        app, rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "my sugar has been high all week")
    page_code(twilio_api)
    now = datetime.now(UTC)
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        doctor = Staff(name="Dr. Ada Park", role="physician")
        session.add(doctor)
        maya = session.get(Staff, practice.maya.id)
        care_time.add_for_contact(session, contact, doctor, 35 * 60, "coordination", now)
        care_time.add_for_contact(session, contact, maya, 30 * 60, "coordination", now)
        session.commit()
    (row,) = report(app, "--month", this_month(), "--patient", str(practice.walter.id))
    assert (row["clinical"], row["physician"], row["other"]) == ("0", "35", "30")
    assert (row["99490 (20)"], row["99487 (60)"], row["99491 (30 MD)"]) == ("yes", "no", "yes")


def test_the_month_is_the_practice_calendar_month_not_utc(app, rt, practice):
    with rt.sessions() as session:
        session.add_all([  # New York: Nov 30 22:00 and Dec 1 00:30
            CareTimeEntry(patient_id=practice.walter.id, staff_id=practice.ben.id,
                          staff_type="clinical", seconds=600, source="callback",
                          at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC)),
            CareTimeEntry(patient_id=practice.walter.id, staff_id=practice.ben.id,
                          staff_type="clinical", seconds=1200, source="callback",
                          at=datetime(2026, 12, 1, 5, 30, tzinfo=UTC)),
        ])
        session.commit()
    assert report(app, "--month", "2026-11")[0]["clinical"] == "10"
    assert report(app, "--month", "2026-12")[0]["clinical"] == "20"
    assert report(app, "--month", "2026-10") == []


def test_names_only_on_request_and_a_bad_month_is_named(app, rt, practice):
    with rt.sessions() as session:
        session.add(CareTimeEntry(patient_id=practice.rosa.id, staff_id=practice.ben.id,
                                  staff_type="clinical", seconds=1500, source="callback",
                                  at=datetime(2026, 11, 10, 15, tzinfo=UTC)))
        session.commit()
    plain = hub(app, "ccm-minutes", "--month", "2026-11").output
    assert "Rosa" not in plain
    (row,) = report(app, "--month", "2026-11", "--names")
    assert row["name"] == "Rosa Martinez"
    bad = app.test_cli_runner().invoke(cli, ["ccm-minutes", "--month", "November"])
    assert bad.exit_code == 2 and "--month" in bad.output and "YYYY-MM" in bad.output
    nobody = app.test_cli_runner().invoke(cli, ["ccm-minutes", "--patient", "999"])
    assert nobody.exit_code == 2 and "no patient '999' (give the hub id" in nobody.output
    (empty,) = report(app, "--month", "2026-11", "--patient", str(practice.walter.id))
    assert empty["clinical"] == "0" and empty["99490 (20)"] == "no"


@pytest.fixture
def on_the_page(rt, client, twilio, twilio_api, practice) -> tuple[str, str]:
    """Walter texted; Ben followed the page's link and signed in: (the link, its page)."""
    with rt.sessions() as session:
        session.get(Staff, practice.ben.id).password_hash = generate_password_hash("night")
        session.commit()
    twilio.sms(WALTER, "my sugar reading is 45 and I feel shaky")
    page = next(r for r in twilio_api.wait_for(1) if r.resource == "Messages")
    link = re.search(r"https://hub\.example\.test(/staff/c/\w+)", page.form["Body"]).group(1)
    sign_in(client, "ben@clinic.test", "night")
    return link, client.get(link).get_data(as_text=True)


def test_the_nurse_gives_minutes_on_the_contact_page_and_adds_more_after_resolving(
        rt, client, on_the_page):
    link, html = on_the_page
    assert "None noted (the hub never assumes it)" in html
    csrf = csrf_of(html)

    bad = client.post(link + "/resolve", data={"csrf_token": csrf, "minutes": "ten"})
    assert bad.status_code == 400 and b"minutes" in bad.data
    with rt.sessions() as session:
        assert session.scalars(select(Contact)).one().status != "resolved"

    client.post(link + "/resolve", data={"csrf_token": csrf, "minutes": "12", "source": "callback",
                                         "disposition": "juice, recheck in 15 min"})
    client.post(link + "/time", data={"csrf_token": csrf, "minutes": "8",
                                      "source": "message review"})
    assert client.post(link + "/time", data={"csrf_token": csrf}).status_code == 400
    html = client.get(link).get_data(as_text=True)
    assert "12 min, callback call (clinical)" in html
    assert "8 min, message review (clinical)" in html
    with rt.sessions() as session:
        assert session.scalars(select(Contact)).one().status == "resolved"
        assert sorted(e.seconds for e in session.scalars(select(CareTimeEntry))) == [480, 720]


# --- a callback through the practice line is timed by Twilio --------------------------------

def callback_done(twilio, twilio_api, status: str = "completed", seconds: str = "754",
                  call_sid: str | None = None):
    """Twilio reports the end of the bridged call to the Dial's action URL."""
    call = [r for r in twilio_api.requests if r.resource == "Calls"][-1]
    action = re.search(r'action="https://hub\.example\.test([^"]+)"', call.form["Twiml"])
    return twilio.post(action.group(1), {
        "CallSid": call_sid or "CA" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
        "DialCallStatus": status, "DialCallDuration": seconds})


def test_nurse_texts_call_and_the_connected_minutes_count_without_typing_them(
        app, rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "my ankles are more swollen tonight")
    code = page_code(twilio_api)
    assert "Calling you now" in twilio.sms(BEN, f"CALL {code}").text
    call = twilio_api.wait_for(2)[-1]
    assert call.resource == "Calls" and call.form["To"] == BEN
    twiml = call.form["Twiml"]
    assert f'callerId="{PRACTICE_NUMBER}"' in twiml and f"<Number>{WALTER}</Number>" in twiml
    assert "Walter" not in twiml and "ankles" not in twiml
    with rt.sessions() as session:  # whoever calls back has taken the contact
        assert session.scalars(select(Contact)).one().acknowledged_by_id == practice.ben.id

    sid = "CA" + uuid.uuid4().hex
    answer = callback_done(twilio, twilio_api, call_sid=sid)
    assert answer.status_code == 200 and "<Hangup" in answer.text
    callback_done(twilio, twilio_api, call_sid=sid)  # Twilio retries: counted once
    with rt.sessions() as session:
        (entry,) = session.scalars(select(CareTimeEntry)).all()
        assert (entry.seconds, entry.source, entry.staff_type) == (754, "call", "clinical")
    assert report(app, "--month", this_month())[0]["clinical"] == "12"
    exported = json.loads(hub(app, "export-log", "--format", "fhir").output)
    notes = [n["text"] for n in exported["entry"][0]["resource"]["note"]]
    assert "Callback through the practice line ended: completed, 754 s connected" in notes
    assert "Care-management time: 12.6 min (call, clinical)" in notes


def test_a_callback_nobody_answered_counts_nothing(rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "question about my inhaler refill")
    twilio.sms(BEN, f"CALL {page_code(twilio_api)}")
    twilio_api.wait_for(2)
    answer = callback_done(twilio, twilio_api, status="no-answer", seconds="")
    assert "did not connect" in answer.text
    with rt.sessions() as session:
        assert session.scalars(select(CareTimeEntry)).all() == []
        events = session.scalars(select(LogEntry.event)).all()
    assert "callback.ended" in events


def test_bad_callback_reports_get_a_clear_4xx(twilio, twilio_api, practice):
    twilio.sms(WALTER, "question about my inhaler refill")
    twilio.sms(BEN, f"CALL {page_code(twilio_api)}")
    twilio_api.wait_for(2)
    assert callback_done(twilio, twilio_api, seconds="a while").status_code == 400
    params = {"CallSid": "CA" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
              "DialCallStatus": "completed", "DialCallDuration": "60"}
    assert twilio.post("/twilio/callback-done/99999", params).status_code == 404


def test_the_contact_page_button_calls_back_and_a_withheld_number_cannot_be(
        rt, client, twilio, twilio_api, on_the_page):
    link, html = on_the_page
    assert "Call back through the practice line" in html
    csrf = csrf_of(html)
    assert client.post(link + "/call", data={"csrf_token": csrf}).status_code == 302
    kick.drain()
    assert twilio_api.sent_to(BEN)[-1].resource == "Calls"

    twilio.post("/twilio/voice", {"CallSid": "CA" + uuid.uuid4().hex,
                                  "AccountSid": ACCOUNT_SID, "To": PRACTICE_NUMBER})
    with rt.sessions() as session:
        withheld = session.scalars(select(Contact).where(Contact.channel == "voice")).one()
    unmatched = client.get(f"/staff/c/{withheld.ref}").get_data(as_text=True)
    assert "Call back through" not in unmatched and "Add care time" not in unmatched
    refused = client.post(f"/staff/c/{withheld.ref}/call", data={"csrf_token": csrf})
    assert refused.status_code == 409 and b"no number that can be called back" in refused.data
