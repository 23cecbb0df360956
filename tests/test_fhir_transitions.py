"""Care transitions: Mrs. X's discharge opens a follow-up her care manager must make within
two business days; not made in time she is paged; she calls through the hub and it is done."""

from __future__ import annotations

import json
import re
import uuid

import pyotp
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.communication import Communication
from fhir.resources.R4B.task import Task
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from hub.cli import cli
from hub.fhir.bundle import read_file
from hub.fhir.importer import import_bundle
from hub.fhir.summary import FhirImportError
from hub.fhir.validate import bad_codes
from hub.models import Contact, Patient, Staff, TransitionTask
from hub.staff_accounts import enroll_totp, set_password
from messages import kick
from messages.engine import tick
from tests.conftest import ACCOUNT_SID, PUBLIC_URL
from tests.practice import NORA, WALTER, seed
from tests.staff_login import csrf_of
from tests.staff_login import sign_in as post_sign_in
from tests.transition_story import EASTERN, SYNTHEA, bundle, discharge, local

FRIDAY_4PM = local(2026, 12, 4, 16, 0)


@pytest.fixture
def walter(rt):
    """Walter (Mrs. X of the story) has Nora as his designated care manager; she signs in
    with 'care-line-rn'."""
    with rt.sessions() as session:
        practice = seed(session)
        session.get(Patient, practice.walter.id).fhir_id = "walter"
        session.get(Staff, practice.nora.id).password_hash = generate_password_hash(
            "care-line-rn")
        session.commit()
    return practice


def send(rt, encounter, now):
    with rt.sessions() as session:
        summary = import_bundle(session, bundle(encounter), tz=rt.settings.tz, now=now)
        session.commit()
    return summary


def the_task(rt) -> TransitionTask:
    with rt.sessions() as session:
        task = session.scalars(select(TransitionTask)).one()
        session.expunge(task)
        return task


def test_discharged_friday_4pm_due_tuesday_paged_then_called_back_through_the_hub(
        rt, client, runner, twilio, twilio_api, walter, monkeypatch):
    summary = send(rt, discharge("walter", FRIDAY_4PM), FRIDAY_4PM)
    assert summary.transitions_opened == 1
    task = the_task(rt)
    assert task.due_at.astimezone(EASTERN) == local(2026, 12, 8, 17, 0)  # Tuesday, end of day
    assert task.care_manager_id == walter.nora.id and task.status == "open"

    # Monday morning: it shows in Nora's inbox with its due time; nobody is paged yet.
    post_sign_in(client, "nora@clinic.test", "care-line-rn")
    inbox = client.get("/staff").get_data(as_text=True)
    assert "Discharge follow-ups" in inbox and f"/staff/t/{task.ref}" in inbox
    assert "due 2026-12-08 17:00 EST" in inbox
    tick(rt, local(2026, 12, 7, 9, 0))
    assert twilio_api.sent_to(NORA) == []

    # Tuesday 1 p.m., still not done: Nora is paged (she is not even on call).
    done = tick(rt, local(2026, 12, 8, 13, 1))
    assert done["transitions_paged"] == 1
    page = twilio_api.sent_to(NORA)[-1]
    link = re.search(PUBLIC_URL + r"(/staff/c/\w+)", page.form["Body"]).group(1)
    assert "Walter" not in page.form["Body"]  # no patient data on a staff phone
    assert tick(rt, local(2026, 12, 8, 13, 2))["transitions_paged"] == 0  # once

    # She calls Walter through the practice line from the task's page; the call connects.
    call_time = local(2026, 12, 8, 14, 30)
    monkeypatch.setattr("hub.web.staff_transitions.utcnow", lambda: call_time)
    monkeypatch.setattr("messages.webhooks.utcnow", lambda: call_time)
    page_html = client.get(f"/staff/t/{task.ref}").get_data(as_text=True)
    assert "Due" in page_html and "Call the patient through the practice line" in page_html
    contact_html = client.get(link).get_data(as_text=True)  # the page's link opens it
    assert f"/staff/t/{task.ref}" in contact_html  # and leads to the follow-up
    response = client.post(f"/staff/t/{task.ref}/call", data={"csrf_token": csrf_of(page_html)})
    assert response.status_code == 302
    kick.drain()
    tick(rt, call_time)
    call = [r for r in twilio_api.requests if r.resource == "Calls"][-1]
    assert call.form["To"] == NORA and WALTER in call.form["Twiml"]
    action = re.search(r'action="https://hub\.example\.test([^"]+)"', call.form["Twiml"])
    twilio.post(action.group(1), {"CallSid": "CA" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
                                  "DialCallStatus": "completed", "DialCallDuration": "420"})

    task = the_task(rt)
    assert task.status == "done" and task.done_by_id == walter.nora.id
    assert task.done_at.astimezone(EASTERN) == call_time
    with rt.sessions() as session:
        contact = session.get(Contact, task.contact_id)
        assert contact.status == "resolved"  # escalation stopped
        attempt = session.get(TransitionTask, task.id).attempts[0]
        assert (attempt.method, attempt.minutes, attempt.via) == ("phone", 7, "callback")
    # Nothing more is paged about it, whatever the hour.
    before = len(twilio_api.requests)
    tick(rt, local(2026, 12, 9, 9, 0))
    assert len(twilio_api.requests) == before
    assert "Discharge follow-ups" not in client.get("/staff").get_data(as_text=True)

    # Maya, the practice manager, sees it done on time, and the week's count.
    with rt.session() as session:
        maya = session.get(Staff, walter.maya.id)
        set_password(maya, "pw-123456-long")
        secret = pyotp.parse_uri(enroll_totp(maya, "Care line")).secret
    client.post("/staff/logout", data={"csrf_token": csrf_of(client.get("/staff").get_data(
        as_text=True))})
    post_sign_in(client, "maya@clinic.test", "pw-123456-long", totp=secret)
    monkeypatch.setattr("hub.web.manager_transitions.utcnow", lambda: local(2026, 12, 9, 9, 0))
    html = client.get("/manager/transitions").get_data(as_text=True)
    assert "Walter Kowalski" in html and f"/staff/t/{task.ref}" in html
    week = re.search(r"Mon 2026-12-07</td>(.*?)</tr>", html).group(1)
    assert re.findall(r">(\d+)</td>", week) == ["1", "0", "0", "0"]  # done, on time

    # The Task goes back to the EHR with its call, valid against the R4B models.
    result = runner.invoke(cli, ["export-transitions", "--since", "2026-12-01"])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)
    kinds = [e["resource"]["resourceType"] for e in exported["entry"]]
    assert kinds == ["Task", "Communication"]
    task_json, call_json = (e["resource"] for e in exported["entry"])
    for model in (Bundle, Task, Communication):
        resource = next(r for r in (exported, task_json, call_json)
                        if r["resourceType"] == model.__name__)
        # A code list ending in "+" is cut short in the models: only full lists can judge.
        assert [bad for bad in bad_codes(model.model_validate(resource))
                if "+" not in bad[2]] == []
    assert task_json["status"] == "completed" and task_json["businessStatus"]["text"] == "done"
    assert task_json["focus"]["reference"] == "Encounter/stay-1"
    assert task_json["restriction"]["period"]["end"].startswith("2026-12-08T22:00:00")
    assert call_json["partOf"] == [{"reference": f"Task/{task.ref}"}]
    assert call_json["medium"][0]["coding"][0]["code"] == "PHONE"


def test_a_monday_holiday_moves_the_due_day_to_wednesday(rt, walter):
    friday_before_mlk_day = local(2027, 1, 15, 16, 0)
    send(rt, discharge("walter", friday_before_mlk_day), friday_before_mlk_day)
    assert the_task(rt).due_at.astimezone(EASTERN) == local(2027, 1, 20, 17, 0)


def test_not_reached_keeps_it_open_and_escalation_goes_on_to_the_policy_next_steps(
        rt, client, twilio_api, walter, monkeypatch):
    send(rt, discharge("walter", FRIDAY_4PM), FRIDAY_4PM)
    task = the_task(rt)
    tick(rt, local(2026, 12, 8, 13, 1))  # Nora paged
    monkeypatch.setattr("hub.web.staff_transitions.utcnow", lambda: local(2026, 12, 8, 13, 2))
    post_sign_in(client, "nora@clinic.test", "care-line-rn")
    html = client.get(f"/staff/t/{task.ref}").get_data(as_text=True)
    client.post(f"/staff/t/{task.ref}/record",
                data={"csrf_token": csrf_of(html), "method": "not_reached", "minutes": "3"})
    assert the_task(rt).status == "open"
    assert "Could not reach, tried" in client.get(f"/staff/t/{task.ref}").get_data(as_text=True)
    # Two minutes on (the test policy's wait), the next step pages the backup (Maya).
    tick(rt, local(2026, 12, 8, 13, 4))
    assert twilio_api.sent_to(walter.maya.phone)
    # In person at the clinic that afternoon: done.
    client.post(f"/staff/t/{task.ref}/record",
                data={"csrf_token": csrf_of(html), "method": "in_person", "minutes": "20"})
    assert the_task(rt).status == "done"
    response = client.post(f"/staff/t/{task.ref}/record",
                           data={"csrf_token": csrf_of(html), "method": "phone"})
    assert response.status_code == 400  # reached: the minutes are needed


def test_bad_encounters_are_refused_with_a_clear_reason_and_no_second_task(rt, walter):
    send(rt, discharge("walter", FRIDAY_4PM), FRIDAY_4PM)
    # The same stay again, by id and under a new id with the same identifier: no second task.
    assert send(rt, discharge("walter", FRIDAY_4PM), FRIDAY_4PM).transitions_known == 1
    again = discharge("walter", FRIDAY_4PM, encounter_id="other-id", identifier="stay-1")
    assert send(rt, again, FRIDAY_4PM).transitions_known == 1
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(TransitionTask)) == 1
    with pytest.raises(FhirImportError, match=r"Encounter/stay-2: subject: Patient/nobody is "
                       "neither in the bundle nor already imported"):
        send(rt, discharge("nobody", FRIDAY_4PM, "stay-2"), FRIDAY_4PM)
    with pytest.raises(FhirImportError, match=r"Encounter/stay-3: period.end: no discharge date"):
        send(rt, discharge("walter", None, "stay-3"), FRIDAY_4PM)
    # An office visit or a stay of years ago opens nothing.
    summary = send(rt, discharge("walter", FRIDAY_4PM, "visit", klass="AMB"), FRIDAY_4PM)
    assert summary.transitions_opened == 0 and summary.skipped_types["Encounter"] == 1
    old = send(rt, discharge("walter", local(2026, 9, 4, 16, 0), "stay-4"), FRIDAY_4PM)
    assert old.skipped_types["Encounter (discharged over 30 days ago)"] == 1


def test_the_synthea_patients_old_stay_opens_nothing_a_new_discharge_does(rt):
    synthea = SYNTHEA.parent
    with rt.sessions() as session:
        import_bundle(session, read_file(synthea / "practitioners.json"), tz=rt.settings.tz)
        summary = import_bundle(session, read_file(synthea / "sample_complete_patient.json"),
                                tz=rt.settings.tz, now=FRIDAY_4PM)
        session.commit()
    # 36 office visits and one inpatient stay of 2006: history, no follow-up owed.
    assert summary.skipped_types["Encounter"] == 36
    assert summary.skipped_types["Encounter (discharged over 30 days ago)"] == 1
    assert summary.transitions_opened == 0
    # The same patient discharged again this Friday: the task opens for her.
    with rt.sessions() as session:
        patient = session.scalars(select(Patient)).one()
        stay = discharge(patient.fhir_id, FRIDAY_4PM, "synthea-stay-2")
    send(rt, stay, FRIDAY_4PM)
    task = the_task(rt)
    assert task.patient_id == patient.id and task.encounter_class == "IMP"
    assert task.disposition == "home"
