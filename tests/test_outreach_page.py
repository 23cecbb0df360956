"""The care manager's outreach on the care plan page, in a real browser: Nora sees Walter's
monthly check-in plan there, taps "Text a check-in" on her phone, and the hub texts him from the
practice number (after quiet hours if it is night in his zone). Screenshots at 390 and 1280 px
are saved under tests/output/screenshots/."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.cli import cli
from hub.models import Outreach
from messages import engine, paced_send
from tests.practice import NORA, WALTER
from tests.test_staff_browser import DESK, PHONE, browser, fits, follow, serve, shoot, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_nora_texts_walter_a_check_in_from_his_care_plan_page(
        browser, serve, twilio_api):  # noqa: F811 (the fixtures above)
    hub = serve()
    walter = hub.practice.walter
    planned = hub.app.test_cli_runner().invoke(cli, ["outreach", "plan", "--patient",
                                                     str(walter.id), "ccm_checkin"])
    assert planned.exit_code == 0, planned.output

    phone = browser.new_page(viewport=PHONE)
    sign_in(phone, hub, "nora@clinic.test")
    phone.goto(f"{hub.url}/staff/p/{walter.ref}/care-plan")
    assert "Plan: monthly CCM check-in by sms (FREQ=MONTHLY;BYMONTHDAY=1" in phone.content()
    follow(phone, phone.get_by_role("button", name="Text a check-in"))
    assert "check-in text by sms, scheduled" in phone.content()
    fits(phone)
    shoot(phone, "care-plan-outreach")

    with hub.rt.sessions() as session:
        (row,) = session.scalars(select(Outreach).where(Outreach.kind == "checkin")).all()
    assert row.staff_id == hub.practice.nora.id
    engine.tick(hub.rt, now=row.send_at)  # now, or the end of quiet hours in his zone
    paced_send.drain()
    (text,) = [r.form["Body"] for r in twilio_api.sent_to(WALTER)]
    assert "your care team would like to check in" in text and "Walter" not in text
    assert not twilio_api.sent_to(NORA)

    desk = browser.new_page(viewport=DESK)
    sign_in(desk, hub, "nora@clinic.test")
    desk.goto(f"{hub.url}/staff/p/{walter.ref}/care-plan")
    assert "check-in text by sms, queued" in desk.content()
    shoot(desk, "care-plan-outreach")
