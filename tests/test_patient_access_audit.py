"""Every command that shows a patient's data leaves an access entry in the log: who, which
patient and what was shown, never the data itself (the contract's access audit)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from hub.cli import cli
from hub.models import LogEntry, Patient, PlanRule


def hub(app, *args: str):
    return app.test_cli_runner().invoke(cli, list(args))


def entries(rt) -> list[LogEntry]:
    with rt.sessions() as session:
        return list(session.scalars(select(LogEntry).order_by(LogEntry.seq)))


@pytest.fixture
def walter(rt, practice) -> int:
    """Walter, with a threshold whose words are his data."""
    with rt.session() as session:
        session.add(PlanRule(patient_id=practice.walter.id, code="R1", metric="weight_gain_day",
                             threshold=3, instruction="Swollen ankles: call Nora"))
        session.get(Patient, practice.walter.id).fhir_id = "walter-ehr"
    return practice.walter.id


# Each command that prints what the hub keeps of one patient, and the event it leaves.
SHOWING = {
    ("care-plan", "show"): "access.view_care_plan",
    ("plan-rule", "list"): "access.view_plan_rules",
    ("oncall",): "access.view_escalation",
    ("ccm-minutes",): "ccm.report",
    ("export-care-plan",): "care_plan.exported",
    ("outreach", "list"): "access.view_outreach",
}


@pytest.mark.parametrize("command", list(SHOWING), ids=" ".join)
def test_every_command_that_shows_walters_data_leaves_an_access_entry(app, rt, walter, command):
    before = len(entries(rt))

    result = hub(app, *command, "--patient", "Patient/walter-ehr")

    assert result.exit_code == 0, result.output
    (entry,) = entries(rt)[before:]
    assert entry.event == SHOWING[command]
    assert entry.actor.startswith("cli:")
    detail = json.loads(entry.detail)
    assert detail["patient_id"] == walter
    for data in ("Walter", "Kowalski", "walter-ehr", "Swollen", "Nora"):
        assert data not in entry.detail, data


def test_the_rules_list_says_how_many_rules_were_shown(app, rt, walter):
    hub(app, "plan-rule", "list", "--patient", str(walter))
    assert json.loads(entries(rt)[-1].detail) == {"patient_id": walter, "shown": "plan rules",
                                                  "rules": 1}


def test_who_is_on_call_without_a_patient_shows_no_patient_and_logs_nothing(app, rt, walter):
    before = len(entries(rt))
    assert hub(app, "oncall").exit_code == 0
    assert len(entries(rt)) == before


# Every command of `hub --help`, sorted by whether it shows a patient's data. A new command
# must be placed here, so nobody adds one that shows patient data without an audit entry.
AUDITED_ELSEWHERE = {
    ("care-plan", "set"), ("care-plan", "clear"), ("care-plan", "disclose"),  # changes, logged
    ("plan-rule", "set"), ("plan-rule", "remove"),  # changes, logged; echo only what was typed
    # decisions on a rule, logged as care_plan.rule_decided; echo the rule's code and figure
    ("plan-rule", "confirm"), ("plan-rule", "change"), ("plan-rule", "off"), ("plan-rule", "on"),
    ("triage-feedback", "export"),  # texts into a new owner-only file; logged as exported
    ("export-log",),  # the decrypted log, logged as log.exported
    ("import-fhir",),  # prints counts only; the import is logged
    ("export-transitions",),  # decrypted tasks, logged transitions.exported with patient ids
    ("fhir-client", "add"), ("fhir-client", "deactivate"),  # no patient data; logged
    ("patients",), ("staff", "list"),  # lists, logged with the count of lines shown
    ("coverage",),  # staff only, logged
    # outreach plans, reminders, a zone, minutes: changes, logged; echo what was typed
    ("outreach", "plan"), ("outreach", "stop"), ("outreach", "timezone"),
    ("outreach", "minutes"), ("reminder", "add"), ("reminder", "cancel"),
}
NO_PATIENT_DATA = {
    ("import-schedule",), ("verify-log",), ("rotate-keys",), ("scheduler",), ("seed-demo",),
    ("db", "upgrade"),
    ("outbox",),  # pages to staff: a reference, a link and an ACK code, never patient data
    ("simulate", "sms"), ("simulate", "call"),  # a phone's view: the reply the sender gets
    ("rotation", "add"), ("rotation", "list"), ("rotation", "remove"),
    ("override", "add"), ("override", "list"), ("override", "remove"),
    ("swap", "add"), ("swap", "list"), ("swap", "remove"),
    ("quarantine", "list"), ("quarantine", "release"),  # row ids and exception types only
    # staff accounts, each logged as staff.*; no patient in them
    ("staff", "set-password"), ("staff", "role"), ("staff", "enroll-totp"), ("staff", "deactivate"),
}


def test_every_command_of_hub_help_is_either_audited_or_shows_no_patient_data():
    def walk(command, path):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))
        else:
            yield path

    every = set(walk(cli, ()))
    placed = set(SHOWING) | AUDITED_ELSEWHERE | NO_PATIENT_DATA
    assert every - placed == set(), "place the new command in this test"
    assert placed - every == set()


def test_exporting_the_transition_tasks_leaves_an_access_entry_naming_the_patients(
        app, rt, walter):
    from hub.fhir.importer import import_bundle
    from hub.models import utcnow
    from tests.transition_story import bundle, discharge

    now = utcnow()
    with rt.session() as session:
        import_bundle(session, bundle(discharge("walter-ehr", now)), tz=rt.settings.tz, now=now)
    before = len(entries(rt))
    result = hub(app, "export-transitions")
    assert result.exit_code == 0 and "Walter" in result.output
    (entry,) = entries(rt)[before:]
    assert entry.event == "transitions.exported" and entry.actor.startswith("cli:")
    assert json.loads(entry.detail)["patient_ids"] == [walter]
    assert "Walter" not in entry.detail
