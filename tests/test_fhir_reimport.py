"""The EHR sends the same export every night: the import says what changed. Rows it found
as they were are reported unchanged ("N updated" said every row of an identical bundle had
changed), and a row that did change, or whose numbers or activities did, is updated."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from hub.cli.fhir import import_fhir_command
from hub.fhir.importer import import_bundle
from tests.care_plan_story import walter_care_plan
from tests.test_fhir_import import FHIR, US_CORE_STORY, collection


@pytest.fixture
def story() -> dict[str, Any]:
    """Amy Shaw's chart from the US Core examples, as one bundle."""
    if not (FHIR / "us-core").is_dir():
        pytest.skip(f"shared FHIR samples not found at {FHIR}")
    return collection(*(json.loads((FHIR / "us-core" / name).read_text(encoding="utf-8"))
                        for name in US_CORE_STORY))


def test_an_identical_bundle_reports_every_row_unchanged(session, story):
    first = import_bundle(session, story)
    session.commit()

    again = import_bundle(session, json.dumps(story))
    session.commit()

    assert not again.created and not again.updated
    assert again.unchanged == first.created
    assert "1 Patient (0 new, 0 updated, 1 unchanged)" in str(again)
    assert again.counts()["updated"] == {} and again.counts()["unchanged"] == dict(
        sorted(first.created.items()))


def test_a_new_name_or_number_is_an_update_and_the_rest_stay_unchanged(session, story):
    import_bundle(session, story)
    session.commit()
    changed = copy.deepcopy(story)
    patient = next(e["resource"] for e in changed["entry"]
                   if e["resource"]["resourceType"] == "Patient")
    patient["telecom"] = [{"system": "phone", "value": "(202) 555-0177", "use": "mobile"}]
    niece = next(e["resource"] for e in changed["entry"]
                 if e["resource"]["resourceType"] == "RelatedPerson")
    niece["name"] = [{"family": "Shaw", "given": ["Bettina"]}]

    again = import_bundle(session, json.dumps(changed))
    session.commit()

    assert dict(again.updated) == {"Patient": 1, "RelatedPerson": 1}
    assert again.unchanged["Practitioner"] == 2 and again.unchanged["CareTeam"] == 1


def test_a_care_plan_whose_activities_changed_is_updated(session):
    import_bundle(session, walter_care_plan())
    session.commit()
    plan = walter_care_plan()
    care_plan = next(e["resource"] for e in plan["entry"]
                     if e["resource"]["resourceType"] == "CarePlan")
    care_plan["activity"] = care_plan["activity"][:-1]  # the EHR dropped one

    again = import_bundle(session, json.dumps(plan))
    session.commit()

    assert again.updated["CarePlan"] == 1
    assert not again.updated["Goal"] and again.unchanged["Goal"] == 2


def test_an_identical_export_sets_no_care_manager_again(session):
    first = import_bundle(session, walter_care_plan())
    session.commit()

    again = import_bundle(session, walter_care_plan())
    session.commit()

    assert first.care_managers_set == 1
    assert again.care_managers_set == 0 and "care manager" not in str(again)


def test_the_command_says_unchanged(cli_app, story, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(story))
    runner = cli_app.test_cli_runner()
    assert runner.invoke(import_fhir_command, [str(path)]).exit_code == 0

    again = runner.invoke(import_fhir_command, [str(path)])

    assert again.exit_code == 0, again.output
    assert "2 Practitioners (0 new, 0 updated, 2 unchanged)" in again.stdout
