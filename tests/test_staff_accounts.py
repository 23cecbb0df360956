"""Staff accounts: an admin gives an imported nurse a password, a manager a second factor, and
takes an account away; passwords are argon2 and older hashes still sign their owner in."""

from __future__ import annotations

import json

import pyotp
import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hub.cli import cli
from hub.fhir.importer import import_bundle
from hub.models import LogEntry, Staff
from tests.staff_login import sign_in
from tests.test_fhir_import import fhir_dir as shared_fhir_dir
from tests.test_fhir_import import staff_by_fhir_id, us_core


def hub(app, *args: str, stdin: str | None = None):
    return app.test_cli_runner().invoke(cli, list(args), input=stdin)


def staff(rt, email: str) -> Staff:
    with rt.sessions() as session:
        return session.scalars(select(Staff).where(Staff.email == email)).one()


def test_an_imported_nurse_gets_a_password_from_stdin_and_signs_in(app, rt, client, practice):
    assert sign_in(client, "ben@clinic.test", "night-shift-2026").status_code == 401  # none yet

    done = hub(app, "staff", "set-password", "ben@clinic.test", "--password-stdin",
               stdin="night-shift-2026\n")

    assert done.exit_code == 0, done.output
    assert staff(rt, "ben@clinic.test").password_hash.startswith("$argon2id$")
    assert "night-shift-2026" not in done.output
    answer = sign_in(client, "ben@clinic.test", "night-shift-2026")
    assert answer.status_code == 302 and answer.headers["Location"] == "/staff"


def test_a_short_password_or_an_unknown_email_is_refused_in_one_line(app, practice):
    short = hub(app, "staff", "set-password", "ben@clinic.test", "--password-stdin",
                stdin="short\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    nobody = hub(app, "staff", "set-password", "who@clinic.test", "--password-stdin",
                 stdin="long enough password\n")
    assert nobody.exit_code == 2 and "no staff member has the e-mail" in nobody.output


def test_an_older_hash_still_signs_in_and_is_replaced_by_argon2(rt, client, practice):
    with rt.sessions() as session:
        session.get(Staff, practice.ben.id).password_hash = generate_password_hash("night")
        session.commit()

    assert sign_in(client, "ben@clinic.test", "night").status_code == 302

    assert staff(rt, "ben@clinic.test").password_hash.startswith("$argon2id$")
    client.post("/staff/logout", data={"csrf_token": "x"})  # (refused: no token; harmless)
    assert sign_in(client.application.test_client(), "ben@clinic.test", "night"
                   ).status_code == 302


def test_roles_are_set_by_name_and_a_wrong_one_is_named(app, rt, practice):
    assert hub(app, "staff", "role", "ben@clinic.test", "care-manager").exit_code == 0
    assert staff(rt, "ben@clinic.test").role == "care_manager"
    wrong = hub(app, "staff", "role", "ben@clinic.test", "surgeon")
    assert wrong.exit_code == 2 and "ROLE: not one of nurse, physician" in wrong.output
    admin = hub(app, "staff", "role", "ben@clinic.test", "admin")
    assert "cannot sign in without a code" in admin.output
    listed = hub(app, "staff", "list").output
    assert "Ben Okafor\tben@clinic.test\tadmin" in listed


def test_a_manager_cannot_sign_in_until_enrolled_then_signs_in_with_a_code(app, rt, client,
                                                                           practice):
    hub(app, "staff", "set-password", "maya@clinic.test", "--password-stdin",
        stdin="manager-password-1\n")

    refused = sign_in(client, "maya@clinic.test", "manager-password-1")
    assert refused.status_code == 401
    assert "Managers and admins must sign in with a code" in refused.text
    assert "enroll-totp" in refused.text

    enrolled = hub(app, "staff", "enroll-totp", "maya@clinic.test")
    uri = enrolled.output.strip()
    assert enrolled.exit_code == 0 and uri.startswith("otpauth://totp/")
    secret = pyotp.parse_uri(uri).secret

    assert sign_in(client, "maya@clinic.test", "manager-password-1").status_code == 401
    assert sign_in(client, "maya@clinic.test", "manager-password-1",
                   code="000000").status_code == 401
    code = pyotp.TOTP(secret).now()
    assert sign_in(client, "maya@clinic.test", "manager-password-1", code=code
                   ).status_code == 302
    again = app.test_client()  # the same code a second time (replayed) is refused
    assert sign_in(again, "maya@clinic.test", "manager-password-1", code=code).status_code == 401


def test_the_account_page_shows_the_qr_code_until_its_first_use(app, rt, client, practice):
    hub(app, "staff", "set-password", "ben@clinic.test", "--password-stdin",
        stdin="night-shift-2026\n")
    uri = hub(app, "staff", "enroll-totp", "ben@clinic.test").output.strip()
    sign_in(client, "ben@clinic.test", "night-shift-2026", totp=pyotp.parse_uri(uri).secret)
    with rt.sessions() as session:  # as if enrolled again, not yet used
        session.get(Staff, practice.ben.id).totp_last_step = None
        session.commit()

    page = client.get("/staff/account").text

    assert 'src="data:image/svg+xml' in page and "Scan this code" in page
    with rt.sessions() as session:
        events = [(e.event, json.loads(e.detail)) for e in session.scalars(
            select(LogEntry).where(LogEntry.event.like("staff.%")))]
    assert ("staff.totp_enrolled", {"staff_id": practice.ben.id}) in events
    assert all(secret not in json.dumps(events) for secret in (uri, "night-shift-2026"))


@pytest.mark.parametrize("role", ["nurse", "physician", "care_manager"])
def test_clinical_staff_need_no_code_unless_enrolled(app, client, practice, role):
    hub(app, "staff", "role", "ben@clinic.test", role.replace("_", "-"))
    hub(app, "staff", "set-password", "ben@clinic.test", "--password-stdin",
        stdin="night-shift-2026\n")
    assert sign_in(client, "ben@clinic.test", "night-shift-2026").status_code == 302


fhir_dir = shared_fhir_dir  # the US Core examples in ../shared/fhir


def test_practitioner_role_of_practice_manager_makes_a_manager_never_an_admin(session, fhir_dir):
    bundle = us_core(fhir_dir, "PractitionerRole_Practitioner_Endpoint_Bundle_Example.json")
    bundle["entry"][0]["resource"]["code"] = [{"text": "Practice Manager"}]
    import_bundle(session, bundle)
    assert staff_by_fhir_id(session, "Practitioner-1011").role == "manager"  # signs in with TOTP
    bundle["entry"][0]["resource"]["code"] = [{"text": "System administrator"}]
    import_bundle(session, bundle)
    assert staff_by_fhir_id(session, "Practitioner-1011").role == "manager"  # kept: not known
