"""In a real browser, on a phone and at a desk: Ben marks a false alarm on Walter's contact,
and Walter's care plan page shows the thresholds his EHR's plan gave, each with its sentence
and state, one switched off, and the instruction the hub could not read."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from hub.cli import cli
from hub.fhir.importer import import_bundle
from hub.models import Patient, PlanRule, TriageFeedback
from tests.practice import WALTER
from tests.test_fhir_plan_rules import CALL_AT_3_LB, plan_with
from tests.test_staff_browser import (  # noqa: F401  (the browser and the served hub)
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


def test_ben_marks_a_false_alarm_and_reads_walters_derived_rules(browser, serve):  # noqa: F811
    hub = serve()
    with hub.rt.sessions() as session:
        walter = session.get(Patient, hub.practice.walter.id)
        walter.fhir_id = "walter"
        session.commit()
        import_bundle(session, copy.deepcopy(plan_with(
            CALL_AT_3_LB, "Call the clinic if your peak flow is under 200.")))
        session.commit()
        week = session.scalars(select(PlanRule).where(
            PlanRule.metric == "weight_gain_week")).one().code
    off = hub.app.test_cli_runner().invoke(cli, ["plan-rule", "off", "--patient",
                                                  str(hub.practice.walter.id), week])
    assert off.exit_code == 0
    ref = hub.sms(WALTER, "no chest pain today, just need my refill")

    phone = browser.new_page(viewport=PHONE)
    sign_in(phone, hub, "ben@clinic.test")
    phone.goto(f"{hub.url}/staff/c/{ref}")
    phone.get_by_label("Triage wrong?").fill("denied chest pain; refill only")
    fits(phone)
    shoot(phone, "contact-feedback")
    follow(phone, phone.get_by_role("button", name="Mark: false alarm"))
    assert "marked “false alarm”" in phone.locator("p.note").first.inner_text()
    with hub.rt.sessions() as session:
        assert session.scalars(select(TriageFeedback.verdict)).one() == "false_alarm"

    follow(phone, phone.get_by_role("link", name="Open the full care plan"))
    rules = phone.locator("table", has_text="Urgent when")
    assert "more than 3 lb in a day" in rules.inner_text()
    assert "not understood" in rules.inner_text() and "peak flow" in rules.inner_text()
    assert "off (from the EHR)" in rules.inner_text()
    fits(phone)
    shoot(phone, "care-plan-rules")

    desk = browser.new_page(viewport=DESK)
    sign_in(desk, hub, "ben@clinic.test")
    desk.goto(f"{hub.url}/staff/c/{ref}")
    shoot(desk, "contact-feedback")
    follow(desk, desk.get_by_role("link", name="Open the full care plan"))
    shoot(desk, "care-plan-rules")
