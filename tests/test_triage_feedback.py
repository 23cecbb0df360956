"""At 2 a.m. Walter's "no chest pain today, just need my refill" paged Ben as urgent. Ben marks
it a false alarm on the contact page; Maya sees it counted on her overview; the triage lead
exports the marks as new labelled examples for the triage sets."""

from __future__ import annotations

import json

from sqlalchemy import select

from hub.cli import cli
from hub.models import Contact, LogEntry, Staff
from hub.staff_accounts import set_password
from tests.practice import WALTER
from tests.staff_login import post_form, sign_in

REFILL = "no chest pain today, just need my refill"


def test_a_nurse_marks_a_false_alarm_the_manager_counts_it_and_it_is_exported(
        app, rt, client, twilio, maya, tmp_path):  # noqa: F811
    twilio.sms(WALTER, REFILL)
    with rt.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.urgency == "urgent"
        page = f"/staff/c/{contact.ref}"
    nurse = app.test_client()
    assert sign_in(nurse, "ben@clinic.test", "pw-123456-long").status_code == 302
    assert "Mark: false alarm" in nurse.get(page).get_data(as_text=True)

    wrong_way = post_form(nurse, page, f"{page}/feedback", verdict="should_be_urgent")
    assert wrong_way.status_code == 400 and b"cannot be marked" in wrong_way.data
    marked = post_form(nurse, page, f"{page}/feedback", verdict="false_alarm",
                       note="denied chest pain, refill only")
    assert marked.status_code == 302
    shown = nurse.get(page).get_data(as_text=True)
    assert "Triage marked &ldquo;false alarm&rdquo;" in shown and "refill only" in shown

    with rt.session() as session:
        entry = session.scalars(select(LogEntry).where(LogEntry.event == "triage.feedback")).one()
        assert json.loads(entry.detail) == {"verdict": "false_alarm", "urgency": "urgent",
                                            "noted": True}
        assert entry.actor == f"staff:{maya.ben.id}"

    overview = client.get("/manager").get_data(as_text=True)  # Maya's own session
    counted = overview[overview.index('data-testid="triage-feedback"'):][:200]
    assert "<strong>1</strong> false alarm" in counted
    assert "<strong>0</strong> should have been urgent" in counted

    out = tmp_path / "feedback.jsonl"
    result = app.test_cli_runner().invoke(cli, ["triage-feedback", "export", "--out", str(out)])
    assert result.exit_code == 0 and "1 labelled examples written" in result.output
    assert REFILL not in result.output  # the words go to the file only
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["text"] == REFILL and row["label"] == "routine" and row["lang"] == "en"
    assert row["sender"] == "patient" and "refill only" in row["note"]
    assert set(row) >= {"id", "text", "lang", "label", "kind", "sender", "note"}
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    again = app.test_cli_runner().invoke(cli, ["triage-feedback", "export", "--out", str(out)])
    assert again.exit_code != 0 and "exists already" in again.output
    with rt.session() as session:
        audit = session.scalars(select(LogEntry).where(
            LogEntry.event == "triage_feedback.exported")).one()
        assert json.loads(audit.detail)["rows"] == 1 and REFILL not in audit.detail


def test_a_routine_text_can_be_marked_should_have_been_urgent(app, rt, twilio, practice):
    twilio.sms(WALTER, "feeling kind of off today, not sleeping well")
    with rt.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.urgency == "routine"
        set_password(session.get(Staff, practice.ben.id), "pw-123456-long")
        page = f"/staff/c/{contact.ref}"
    nurse = app.test_client()
    sign_in(nurse, "ben@clinic.test", "pw-123456-long")
    assert "Mark: should have been urgent" in nurse.get(page).get_data(as_text=True)
    assert post_form(nurse, page, f"{page}/feedback", verdict="should_be_urgent").status_code == 302
    too_long = post_form(nurse, page, f"{page}/feedback", verdict="should_be_urgent",
                         note="x" * 501)
    assert too_long.status_code == 400
