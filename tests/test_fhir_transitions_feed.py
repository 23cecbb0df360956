"""The EHR sends discharges: posted to the hub's /fhir endpoint with its bearer token, or in the
NDJSON files of a Bulk Data $export imported from a folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hub.cli import cli
from hub.cli.fhir import import_fhir_command
from hub.models import FhirClient, Patient, TransitionTask
from tests.practice import seed
from tests.transition_story import bundle, discharge

FHIR_JSON = "application/fhir+json"


@pytest.fixture
def ehr(rt, runner):
    """The practice, Walter known to the EHR as Patient/walter, and the EHR's token."""
    with rt.sessions() as session:
        practice = seed(session)
        session.get(Patient, practice.walter.id).fhir_id = "walter"
        session.commit()
    result = runner.invoke(cli, ["fhir-client", "add", "county-hospital"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[0]


def post(client, token, body, path="/fhir/Encounter", content_type=FHIR_JSON):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, data=data, content_type=content_type,
                       headers={"Authorization": f"Bearer {token}"})


def tasks(rt) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(TransitionTask))


def recent_discharge(patient="walter", encounter_id="stay-1", **kw):
    from hub.models import utcnow
    return discharge(patient, utcnow().replace(microsecond=0), encounter_id, **kw)


def test_the_ehr_posts_a_discharge_with_its_token_and_a_task_opens(rt, client, ehr):
    response = post(client, ehr, recent_discharge())
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.mimetype == FHIR_JSON
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome"
    assert "Opened 1 transition task" in body["issue"][0]["diagnostics"]
    with rt.sessions() as session:
        task = session.scalars(select(TransitionTask)).one()
        assert task.source == "ehr:county-hospital"
        # Only a hash of the token is kept.
        assert ehr not in session.scalar(select(FhirClient.token_hash))
    # The same Encounter again: 409, no second task.
    again = post(client, ehr, recent_discharge())
    assert again.status_code == 409 and again.get_json()["issue"][0]["code"] == "duplicate"
    assert tasks(rt) == 1
    # A Bundle on POST /fhir is taken in as the import takes one.
    bundled = post(client, ehr, bundle(recent_discharge(encounter_id="stay-2",
                                                        identifier="stay-2")), path="/fhir")
    assert bundled.status_code == 200 and tasks(rt) == 2


def test_a_bad_token_or_none_gets_401_and_nothing_opens(rt, client, ehr, runner):
    assert post(client, "not-the-token", recent_discharge()).status_code == 401
    response = client.post("/fhir/Encounter", data=json.dumps(recent_discharge()),
                           content_type=FHIR_JSON)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["issue"][0]["code"] == "login"
    # A deactivated client's token stops working.
    assert runner.invoke(cli, ["fhir-client", "deactivate", "county-hospital"]).exit_code == 0
    assert post(client, ehr, recent_discharge()).status_code == 401
    assert tasks(rt) == 0


def test_garbage_and_bad_encounters_get_4xx_with_an_operation_outcome(rt, client, ehr):
    cases = [
        (post(client, ehr, b"\x00{not json"), 400, "not JSON"),
        (post(client, ehr, {"resourceType": "Patient"}), 400, "one Encounter"),
        (post(client, ehr, "{}", content_type="text/plain"), 415, "application/fhir+json"),
        (post(client, ehr, {"resourceType": "Encounter", "status": "bogus",
                            "class": {"code": "IMP"}}),
         422, "status: 'bogus' is not one of"),
        (post(client, ehr, recent_discharge("nobody")), 422,
         "Encounter/stay-1: subject: Patient/nobody is neither in the bundle nor already"),
        (post(client, ehr, discharge("walter", None)), 422, "period.end: no discharge date"),
        (post(client, ehr, recent_discharge(klass="AMB")), 422, "no transition task opened"),
    ]
    for response, status, words in cases:
        text = response.get_data(as_text=True)
        assert response.status_code == status, text
        assert response.get_json()["resourceType"] == "OperationOutcome"
        assert words in response.get_json()["issue"][0]["diagnostics"], text
    assert tasks(rt) == 0


def _export_folder(tmp_path: Path) -> Path:
    """What an EHR's $export leaves: one resource type a file, references across files."""
    folder = tmp_path / "export"
    folder.mkdir()
    patient = {"resourceType": "Patient", "id": "mrs-x", "name": [{"family": "Xavier",
                                                                    "given": ["Ada"]}],
               "telecom": [{"system": "phone", "value": "+12025550177", "use": "mobile"}]}
    (folder / "Patient.ndjson").write_text(json.dumps(patient) + "\n")
    (folder / "Encounter.ndjson").write_text(
        json.dumps(recent_discharge("mrs-x", "stay-9")) + "\n"
        + json.dumps(recent_discharge("mrs-x", "visit-1", klass="AMB")) + "\n")
    return folder


def test_ndjson_from_a_folder_resolves_across_files_and_opens_the_task(cli_app, tmp_path):
    folder = _export_folder(tmp_path)
    result = cli_app.test_cli_runner().invoke(import_fhir_command, [str(folder)])
    assert result.exit_code == 0, result.output
    assert "Imported 1 Patient (1 new, 0 updated)" in result.output
    assert "Opened 1 transition task" in result.output
    # The two files named one by one are the same import: nothing opened twice.
    again = cli_app.test_cli_runner().invoke(import_fhir_command, [
        str(folder / "Patient.ndjson"), str(folder / "Encounter.ndjson")])
    assert again.exit_code == 0 and "1 discharge already had a transition task" in again.output
    with cli_app.extensions["hub"].session() as session:
        assert session.scalar(select(func.count()).select_from(TransitionTask)) == 1


def test_a_bad_ndjson_line_refuses_the_whole_import_naming_file_and_line(cli_app, tmp_path):
    folder = _export_folder(tmp_path)
    with (folder / "Encounter.ndjson").open("a") as out:
        out.write('{"resourceType": "Encounter", "id": "broken"\n')
    result = cli_app.test_cli_runner().invoke(import_fhir_command, [str(folder)])
    assert result.exit_code == 1
    assert "error: Encounter.ndjson line 3: not JSON" in result.output
    # A line that is JSON but no valid resource is named by file and line too.
    (folder / "Encounter.ndjson").write_text(json.dumps(
        {"resourceType": "Encounter", "id": "odd", "status": "bogus"}) + "\n")
    result = cli_app.test_cli_runner().invoke(import_fhir_command, [str(folder)])
    assert "error: Encounter.ndjson line 1 (Encounter/odd): class: Field required" in result.output
    with cli_app.extensions["hub"].session() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 0  # nothing kept
