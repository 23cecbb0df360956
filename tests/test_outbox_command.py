"""A newcomer reads ``hub outbox``: each call says what it is, and a limit below 1 is refused
(``--limit -5`` printed the whole outbox)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub.cli import cli
from hub.models import Outbound
from tests.practice import BEN, WALTER


def hub(app, *args: str):
    return app.test_cli_runner().invoke(cli, list(args))


def test_a_callback_call_is_shown_as_a_callback_not_a_paging_call(app, twilio, twilio_api,
                                                                   practice):
    twilio.sms(WALTER, "my ankles are more swollen tonight")
    page = next(r for r in twilio_api.wait_for(1) if r.resource == "Messages")
    code = re.search(r"ACK (\d{4})", page.form["Body"]).group(1)
    twilio.sms(BEN, f"CALL {code}")
    twilio_api.wait_for(2)

    shown = hub(app, "outbox").output

    [callback] = re.findall(r"callback call to \+\d+ \[\w+\]\n\s+(.*)", shown)
    assert "paging" not in callback and "press 1" not in callback
    assert callback == ("(callback call: rings the staff member, then connects them to the "
                        "sender from the practice number)")
    assert "ankles" not in shown and "Walter" not in shown


def test_an_urgent_page_call_is_still_shown_as_a_paging_call(app, twilio, twilio_api, practice):
    twilio.sms(WALTER, "chest pain and I can't breathe")
    twilio_api.wait_for(2)

    shown = hub(app, "outbox").output

    assert re.search(r"page call to \+\d+ \[\w+\]\n\s+\(paging call: press 1 to acknowledge\)",
                     shown), shown


@pytest.mark.parametrize("limit", ["-5", "0"])
def test_a_limit_below_one_is_refused_instead_of_printing_everything(app, limit):
    result = hub(app, "outbox", "--limit", limit)

    assert result.exit_code == 2, result.output
    assert "Invalid value for '--limit'" in result.output
    assert "x>=1" in result.output


def test_the_outbox_shows_when_each_row_was_queued_in_the_practices_zone(
        app, rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "question about my refill")
    twilio_api.wait_for(1)
    with rt.sessions() as session:
        queued = session.scalars(select(Outbound.created_at)).one()
    local = queued.astimezone(ZoneInfo("America/New_York"))  # HUB_TIMEZONE

    shown = hub(app, "outbox").output

    assert shown.startswith(f"#1 {local:%Y-%m-%d %H:%M:%S} {local:%Z} page sms to "), shown
