"""At 3 a.m. a nurse follows the link in her page to Walter's whole care plan and prints it."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hub.cli import cli
from hub.fhir.importer import import_bundle
from hub.models import Contact, LogEntry, Patient, Staff
from tests.care_plan_story import WALTER_PHONE, walter_care_plan
from tests.staff_login import sign_in as post_sign_in


def hub(app, *args: str):
    return app.test_cli_runner().invoke(cli, list(args))


@pytest.fixture
def walter(rt, twilio):
    """Walter's plan imported, Ben able to sign in, and Walter's text of tonight on file."""
    with rt.sessions() as session:
        import_bundle(session, walter_care_plan())
        ben = session.scalars(select(Staff).where(Staff.fhir_id == "ben")).one()
        ben.email, ben.password_hash = "ben@clinic.test", generate_password_hash("night-shift")
        session.commit()
    twilio.sms(WALTER_PHONE, "my weight is up 4 lb since yesterday and my ankles are swollen")
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        patient = session.scalars(select(Patient)).one()
        return {"contact": f"/staff/c/{contact.ref}", "id": patient.id, "ref": patient.ref}


def sign_in(client):
    return post_sign_in(client, "ben@clinic.test", "night-shift")


def test_the_nurse_follows_the_link_to_the_whole_care_plan_beside_his_contacts(
        app, client, walter):
    assert hub(app, "care-plan", "set", "--patient", str(walter["id"]), "--field",
               "emergency_instructions", "Chest pain or fainting: call 911, then Lena"
               ).exit_code == 0
    assert hub(app, "care-plan", "set", "--patient", "Patient/walter", "--field", "prognosis",
               "Stable with daily weights; guarded if admitted again").exit_code == 0
    sign_in(client)
    contact_page = client.get(walter["contact"]).get_data(as_text=True)
    link = re.search(r'href="(/staff/p/[^"]+/care-plan)"', contact_page).group(1)

    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for shown in (
        "Walter Kowalski", "Polish", "Nora Reyes",                         # language, manager
        "2027-03-01", "end of the care plan&#39;s period",                 # review date
        "Chest pain or fainting: call 911, then Lena",                     # emergency
        "Stable with daily weights",                                       # prognosis
        "Fair prognosis: NYHA class II", "assessment of 2026-09-01",       # ...from the EHR
        "Chronic systolic heart failure",                                  # problem list
        "Dry weight at or under 180 lb", "&lt;= 180 lb", "2026-12-31",     # measurable goal
        "in progress", "Sodium under 2 g a day",
        "Weigh every morning and text the reading", "once a day",          # intervention, who
        "Meals on Wheels Metro", "Dr. Amir Patel, Metro Heart",            # community, outside
        "Furosemide 40 MG Oral Tablet", "Penicillin",                      # meds, allergy
        "Medications, Appointments, Test results", "Mental health notes",  # what Lena may hear
        "Appointment times",                                               # ...and Tom
        "active, dated 2026-08-20",                                        # CCM consent
        "ankles are swollen",                                              # recent contact
    ):
        assert shown in html, shown
    with client.get("/static/hub.css") as style:  # the print layout lives in the style sheet
        assert "/static/hub.css" in html and "@media print" in style.text
    assert html.index("Recent contacts") > html.index("Care plans")  # beside, in the aside


def test_the_care_plan_link_carries_no_patient_data_and_asks_for_login(client, walter):
    link = f"/staff/p/{walter['ref']}/care-plan"
    assert not walter["ref"].isdigit() and len(walter["ref"]) >= 16
    assert "walter" not in link.lower() and "kowalski" not in link.lower()
    assert str(walter["id"]) not in link.split("/")  # the id is no part of the address
    answer = client.get(link)
    assert answer.status_code == 302 and "/staff/login" in answer.headers["Location"]
    sign_in(client)
    assert client.get(f"/staff/p/{walter['id']}/care-plan").status_code == 404  # not by id
    assert client.get(link).status_code == 200


def test_every_view_of_the_care_plan_is_in_the_log_without_names(rt, client, walter):
    sign_in(client)
    client.get(f"/staff/p/{walter['ref']}/care-plan")
    with rt.sessions() as session:
        entry = session.scalars(select(LogEntry).where(
            LogEntry.event == "access.view_care_plan")).one()
    assert json.loads(entry.detail) == {"patient_id": walter["id"]}
    assert entry.actor.startswith("staff:")


def test_a_patient_with_nothing_imported_shows_what_is_missing(app, rt, client, walter):
    with rt.sessions() as session:
        ben = session.scalars(select(Staff).where(Staff.email == "ben@clinic.test")).one()
        patient = Patient(name="Rosa Martinez", language="es", care_manager_id=ben.id)  # his
        session.add(patient)
        session.commit()
        ref = patient.ref
    sign_in(client)
    html = client.get(f"/staff/p/{ref}/care-plan").get_data(as_text=True)
    assert "Spanish" in html and "No CCM consent on file" in html
    assert "None recorded (hub care-plan set --field emergency_instructions)" in html
    assert "No contacts yet." in html


class _PageText(HTMLParser):
    """The texts the care plan page shows in its main column (table headers aside: the
    command line names a column beside each value instead)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.header, self.texts, self.title = 0, False, [], ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.depth += tag == "article"
        self.header = self.header or tag == "th"
        self._in_title = self._in_title or tag == "h1"

    def handle_endtag(self, tag):
        self.depth -= tag == "article"
        self.header = self.header and tag != "th"
        self._in_title = self._in_title and tag != "h1"

    def handle_data(self, data):
        text = " ".join(data.split())
        if self._in_title:
            self.title += text
        elif text and self.depth and not self.header:
            self.texts.append(text)


def test_care_plan_show_prints_what_the_care_plan_page_shows(app, rt, client, walter):
    for field, text in (("community_services", "Lena drives him to the senior center"),
                        ("medication_management", "Pill box filled by Lena on Sundays"),
                        ("symptom_management", "Weigh daily; call if short of breath"),
                        ("emergency_instructions", "Call 911, then Lena")):
        assert hub(app, "care-plan", "set", "--patient", "walter", "--field", field,
                   text).exit_code == 0
    assert hub(app, "plan-rule", "set", "--patient", "walter", "R1", "weight_gain_day", "3",
               "Weight up 3 lb in a day: call").exit_code == 0
    sign_in(client)
    page = _PageText()
    page.feed(client.get(f"/staff/p/{walter['ref']}/care-plan").get_data(as_text=True))

    shown = hub(app, "care-plan", "show", "--patient", "walter")

    assert shown.exit_code == 0, shown.output
    printed = " ".join(shown.output.split())
    assert page.title.removeprefix("Care plan: ") in printed
    missing = [text for text in page.texts if text not in printed]
    assert missing == []
    for part in ("Furosemide 40 MG Oral Tablet", "Penicillin", "active, dated 2026-08-20",
                 "Heart failure care plan", "Nora Reyes", "Case manager"):
        assert part in page.texts or any(part in text for text in page.texts), part
    assert printed.count("Community and social services") == 1
