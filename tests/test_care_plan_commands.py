"""The care manager records what Walter's EHR export does not carry, and what Tom may be told."""

from __future__ import annotations

import json

from sqlalchemy import select

from hub.cli import cli
from hub.fhir.importer import import_bundle
from hub.models import Caregiver, LogEntry
from tests.care_plan_story import walter_care_plan


def hub(app, *args: str):
    return app.test_cli_runner().invoke(cli, list(args))


def imported(rt) -> dict[str, int]:
    with rt.sessions() as session:
        import_bundle(session, walter_care_plan())
        session.commit()
        return {c.name: c.id for c in session.scalars(select(Caregiver))}


def test_the_care_manager_records_the_review_date_and_outcome_and_show_prints_them(app, rt):
    imported(rt)
    assert hub(app, "care-plan", "set", "--patient", "Patient/walter", "--field", "review_date",
               "2026-12-15").exit_code == 0
    result = hub(app, "care-plan", "set", "--patient", "walter", "--field", "expected_outcome",
                 "Stays at home, no admission this winter")
    assert result.exit_code == 0 and "Expected outcome set" in result.output
    shown = hub(app, "care-plan", "show", "--patient", "walter").output
    assert "Periodic review: 2026-12-15 (set by the practice)" in shown  # over the plan's period
    assert "Expected outcome: Stays at home, no admission this winter" in shown
    assert "Daily weight monitoring" in shown and "Who is responsible: Nora Reyes" in shown

    assert hub(app, "care-plan", "clear", "--patient", "walter", "--field",
               "review_date").exit_code == 0
    assert "Periodic review: 2027-03-01 (end of the care plan's period)" in hub(
        app, "care-plan", "show", "--patient", "walter").output
    with rt.sessions() as session:
        events = [(e.event, e.detail) for e in session.scalars(
            select(LogEntry).where(LogEntry.event.like("care_plan.%")).order_by(LogEntry.seq))]
    assert [e for e, _ in events] == ["care_plan.field_set", "care_plan.field_set",
                                      "care_plan.field_cleared"]
    assert "winter" not in json.dumps(events) and "2026-12-15" not in json.dumps(events)


def test_care_plan_show_lists_the_chart_care_team_and_plans_and_each_part_once(app, rt):
    imported(rt)
    assert hub(app, "care-plan", "set", "--patient", "walter", "--field", "community_services",
               "Lena drives him to the senior center").exit_code == 0

    shown = hub(app, "care-plan", "show", "--patient", "Patient/walter")

    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    for line in ("CCM consent: active, dated 2026-08-20; verbal",
                 "Allergies:", "  - Penicillin: criticality high",
                 "Medications:",
                 "  - Furosemide 40 MG Oral Tablet: 1 tablet every morning (active)",
                 "Care team:", "  - Nora Reyes: Case manager, designated care manager",
                 "  - Ben Okafor: Nurse",
                 "Care plans:", "  - Heart failure care plan (active, 2026-09-01 to 2027-03-01)",
                 "Community and social services:", "  Lena drives him to the senior center"):
        assert line in lines, line
    assert shown.output.count("Community and social services") == 1


def test_what_tom_may_be_told_by_hand_stands_beside_the_imported_consent(app, rt):
    caregivers = imported(rt)
    tom = str(caregivers["Tom Brennan"])
    result = hub(app, "care-plan", "disclose", "--caregiver", tom, "--may-be-told",
                 "that Walter is safe", "--may-not-be-told", "diagnoses")
    assert result.exit_code == 0
    shown = hub(app, "care-plan", "show", "--patient", "walter").output
    assert (f"Tom Brennan (caregiver {tom}, neighbor): may be told Appointment times; "
            "that Walter is safe; not to be told diagnoses.") in shown
    with rt.sessions() as session:  # a re-import keeps what was recorded by hand
        import_bundle(session, walter_care_plan())
        session.commit()
    assert "that Walter is safe" in hub(app, "care-plan", "show", "--patient", "walter").output
    assert hub(app, "care-plan", "disclose", "--caregiver", tom, "--clear").exit_code == 0
    assert "that Walter is safe" not in hub(app, "care-plan", "show", "--patient",
                                            "walter").output


def test_wrong_input_is_refused_in_one_line_naming_it(app, rt):
    caregivers = imported(rt)
    bad_date = hub(app, "care-plan", "set", "--patient", "walter", "--field", "review_date",
                   "next spring")
    assert bad_date.exit_code == 2 and "'next spring' is not a date like 2027-03-01" in (
        bad_date.output)
    bad_field = hub(app, "care-plan", "set", "--patient", "walter", "--field", "mood", "ok")
    assert bad_field.exit_code == 2 and "'mood' is not one of" in bad_field.output
    nobody = hub(app, "care-plan", "show", "--patient", "999")
    assert nobody.exit_code == 2 and "no patient '999'" in nobody.output
    empty = hub(app, "care-plan", "set", "--patient", "walter", "--field", "prognosis", " ")
    assert empty.exit_code == 2 and "is empty" in empty.output
    neither = hub(app, "care-plan", "disclose", "--caregiver",
                  str(caregivers["Lena Kowalski"]))
    assert neither.exit_code == 2 and "--may-be-told" in neither.output
    nothing = hub(app, "care-plan", "clear", "--patient", "walter", "--field", "prognosis")
    assert nothing.exit_code == 2 and "has no prognosis recorded" in nothing.output
    assert "Traceback" not in bad_date.output + nobody.output + nothing.output
