"""A new practice manager needs ids and e-mails for `rotation`, `override`, `plan-rule` and
`ccm-minutes`: she lists patients and staff by name, and every `--patient` option takes the
hub id or the EHR's `Patient/<id>` alike."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from hub.cli import cli
from hub.models import LogEntry, Patient, Staff


def hub(app, *args: str):
    return app.test_cli_runner().invoke(cli, list(args))


def rows(output: str) -> list[dict[str, str]]:
    """A tab-separated listing (header line first) as one mapping per row."""
    header, *lines = output.splitlines()
    return [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]


def log_entries(rt, prefix: str) -> list[tuple[str, str, dict[str, object]]]:
    with rt.sessions() as session:
        return [(e.event, e.actor or "", json.loads(e.detail)) for e in session.scalars(
            select(LogEntry).where(LogEntry.event.like(prefix + "%")).order_by(LogEntry.seq))]


@pytest.fixture
def walter_from_the_ehr(rt, practice) -> str:
    """Walter came from the EHR as Patient/walter-ehr; Rosa was entered by hand."""
    with rt.session() as session:
        session.get(Patient, practice.walter.id).fhir_id = "walter-ehr"
    return "Patient/walter-ehr"


# --- hub patients ------------------------------------------------------------------------------

def test_the_manager_finds_walter_by_name_and_uses_his_id(app, rt, practice,
                                                           walter_from_the_ehr):
    found = hub(app, "patients", "--search", "walt")

    assert found.exit_code == 0, found.output
    (walter,) = rows(found.output)
    assert walter == {"id": str(practice.walter.id), "ref": practice.walter.ref,
                      "fhir": "Patient/walter-ehr", "name": "Walter Kowalski"}
    rule = hub(app, "plan-rule", "set", "--patient", walter["id"], "R1", "weight_gain_day", "3")
    assert rule.exit_code == 0, rule.output
    same = hub(app, "plan-rule", "list", "--patient", walter["fhir"])
    assert same.exit_code == 0 and "R1  weight_gain_day 3 lb" in same.output


def test_the_search_ignores_case_and_without_one_everyone_is_listed(app, practice):
    assert [r["name"] for r in rows(hub(app, "patients", "--search", "KOWAL").output)] == [
        "Walter Kowalski"]
    everyone = rows(hub(app, "patients").output)
    assert [r["name"] for r in everyone] == ["Rosa Martinez", "Walter Kowalski"]  # by name
    assert {r["fhir"] for r in everyone} == {"-"}  # entered by hand: no FHIR id known
    nobody = hub(app, "patients", "--search", "zzz")
    assert nobody.exit_code == 0 and nobody.output == "no patient matches the search\n"


def test_listing_patients_is_audited_with_the_count_and_never_a_name(app, rt, practice):
    hub(app, "patients", "--search", "walter")
    hub(app, "patients")

    entries = log_entries(rt, "access.list")
    assert [(event, detail) for event, _, detail in entries] == [
        ("access.list_patients", {"command": "hub patients", "rows": 1, "searched": True}),
        ("access.list_patients", {"command": "hub patients", "rows": 2, "searched": False})]
    assert all(actor.startswith("cli:") for _, actor, _ in entries)
    assert "alter" not in json.dumps(entries)  # neither the name nor the search text


# --- hub staff ---------------------------------------------------------------------------------

def test_the_manager_finds_noras_email_and_puts_her_on_a_rotation(app, rt, practice):
    with rt.session() as session:
        session.get(Staff, practice.nora.id).fhir_id = "nora"
    found = hub(app, "staff", "list", "--search", "nora")

    assert found.exit_code == 0, found.output
    assert rows(found.output) == [{"id": str(practice.nora.id), "fhir": "Practitioner/nora",
                                   "name": "Nora Reyes", "email": "nora@clinic.test",
                                   "role": "care_manager", "active": "yes"}]
    added = hub(app, "rotation", "add", "days", rows(found.output)[0]["email"],
                "--start", "2026-12-01")
    assert added.exit_code == 0, added.output


def test_the_staff_list_shows_who_can_no_longer_sign_in_and_is_audited(app, rt, practice):
    with rt.session() as session:
        session.get(Staff, practice.ben.id).active = False
    listed = rows(hub(app, "staff", "list").output)

    assert [(r["name"], r["role"], r["active"]) for r in listed] == [
        ("Ben Okafor", "nurse", "no"), ("Maya Chen", "manager", "yes"),
        ("Nora Reyes", "care_manager", "yes")]
    assert [detail for _, _, detail in log_entries(rt, "access.list")] == [
        {"command": "hub staff list", "rows": 3, "searched": False}]


def test_hub_staff_is_a_group_of_commands(app):
    helped = hub(app, "staff", "--help")
    assert helped.exit_code == 0 and "list" in helped.output
    assert hub(app, "staff", "nonsense").exit_code == 2
    assert "--search TEXT" in hub(app, "staff", "list", "--help").output
    assert "--search TEXT" in hub(app, "patients", "--help").output


# --- --patient, the same everywhere ------------------------------------------------------------

PATIENT_COMMANDS = [
    ("care-plan", "show"), ("plan-rule", "list"), ("ccm-minutes",), ("oncall",),
    ("export-care-plan",),
]


@pytest.mark.parametrize("command", PATIENT_COMMANDS, ids=" ".join)
def test_every_patient_option_takes_the_hub_id_or_the_fhir_id(app, practice,
                                                               walter_from_the_ehr, command):
    by_id = hub(app, *command, "--patient", str(practice.walter.id))
    by_fhir = hub(app, *command, "--patient", walter_from_the_ehr)

    assert by_id.exit_code == 0, by_id.output
    assert by_fhir.exit_code == 0, by_fhir.output


@pytest.mark.parametrize("command", PATIENT_COMMANDS, ids=" ".join)
def test_the_help_of_every_patient_command_says_what_patient_takes(app, command):
    helped = hub(app, *command, "--help")

    assert helped.exit_code == 0, helped.output
    assert "--patient ID|Patient/<FHIR id>" in helped.output


@pytest.mark.parametrize("command", PATIENT_COMMANDS, ids=" ".join)
def test_an_unknown_patient_is_the_same_clear_error_everywhere(app, practice, command):
    for given in ("999", "Patient/nobody"):
        result = hub(app, *command, "--patient", given)

        assert result.exit_code == 2
        assert (f"Invalid value for '--patient': no patient {given!r} (give the hub id, "
                "or Patient/<FHIR id>; hub patients lists them)") in result.output
        assert "Traceback" not in result.output


def test_every_command_with_a_patient_option_uses_the_one_patient_type(app):
    from hub.cli.patient_option import PATIENT

    def walk(command, path):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))
        else:
            yield path, command

    with_patient = {path: param for path, command in walk(cli, ())
                    for param in command.params if "--patient" in getattr(param, "opts", ())}
    assert set(with_patient) == {tuple(c) for c in PATIENT_COMMANDS} | {
        ("care-plan", "set"), ("care-plan", "clear"), ("plan-rule", "set"),
        ("plan-rule", "remove"), ("plan-rule", "confirm"), ("plan-rule", "change"),
        ("plan-rule", "off"), ("plan-rule", "on"), ("outreach", "plan"), ("outreach", "stop"),
        ("outreach", "timezone"), ("outreach", "list"), ("reminder", "add")}
    assert all(param.type is PATIENT for param in with_patient.values())
