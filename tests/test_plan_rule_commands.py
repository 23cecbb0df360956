"""The care manager records Walter's heart-failure thresholds; his next reading meets them."""

from __future__ import annotations

import json

from sqlalchemy import select

from hub.cli import cli
from hub.models import LogEntry


def hub(app, *args: str):
    return app.test_cli_runner().invoke(cli, list(args))


def test_the_care_manager_sets_walters_weight_rule_and_his_next_text_is_urgent(
        app, rt, twilio, practice):
    walter = str(practice.walter.id)
    result = hub(app, "plan-rule", "set", "--patient", walter, "r1", "weight_gain_day", "3",
                 "Weight up 3 lb in a day: call the team")
    assert result.exit_code == 0 and "R1 set: weight_gain_day 3 lb" in result.output
    listed = hub(app, "plan-rule", "list", "--patient", walter).output
    assert "R1  weight_gain_day 3 lb  Weight up 3 lb in a day: call the team" in listed

    answer = twilio.sms("+12025550142", "gained 4 lbs since yesterday").text
    assert "Weight up 3 lb in a day: call the team" in answer  # the plan's words, paged now

    assert hub(app, "plan-rule", "remove", "--patient", walter, "R1").exit_code == 0
    assert "no care-plan rules" in hub(app, "plan-rule", "list", "--patient", walter).output
    with rt.sessions() as session:
        events = [(e.event, json.loads(e.detail)) for e in session.scalars(
            select(LogEntry).where(LogEntry.event.like("care_plan.%")).order_by(LogEntry.seq))]
    assert [event for event, _ in events] == ["care_plan.rule_set", "care_plan.rule_removed"]
    assert events[0][1]["code"] == "R1" and "Walter" not in json.dumps(events)


def test_a_wrong_rule_is_refused_naming_what_is_wrong(app, practice):
    walter = str(practice.walter.id)
    bad_metric = hub(app, "plan-rule", "set", "--patient", walter, "R1", "weight", "3")
    assert bad_metric.exit_code == 2 and "'weight' is not one of" in bad_metric.output
    bad_code = hub(app, "plan-rule", "set", "--patient", walter, "rule1", "glucose_above", "300")
    assert bad_code.exit_code == 2 and "rule code like R1" in bad_code.output
    negative = hub(app, "plan-rule", "set", "--patient", walter, "R2", "glucose_above", "-5")
    assert negative.exit_code == 2 and "THRESHOLD" in negative.output
    nobody = hub(app, "plan-rule", "list", "--patient", "999")
    assert nobody.exit_code == 2 and "no patient '999' (give the hub id" in nobody.output
    missing = hub(app, "plan-rule", "remove", "--patient", walter, "R9")
    assert missing.exit_code == 2 and "has no rule R9" in missing.output
