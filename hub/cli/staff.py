"""``hub staff``: the practice's staff accounts.

    hub staff list [--search TEXT]
    hub staff set-password EMAIL --password-stdin
    hub staff role EMAIL nurse|physician|care-manager|manager|admin
    hub staff enroll-totp EMAIL
    hub staff deactivate EMAIL

``list`` gives each person's hub id, FHIR id (``Practitioner/<id>`` when the EHR sent them),
name, e-mail (what ``hub rotation``, ``hub override`` and ``hub swap`` take), role and whether
they may still sign in. The listing is audited like the patient list (the command and how many
lines were shown). Staff have no opaque reference: no page is addressed by a staff member.
The account commands are audited too (``staff.*`` entries, never the password or secret).
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from hub import contact_log, directory, staff_accounts
from hub.cli.patient_option import actor
from hub.cli.patients import echo_table, fhir_ref, searched_for
from hub.models import utcnow
from hub.passwords import WeakPassword
from messages import runtime


@click.group("staff")
def staff_group() -> None:
    """The practice's staff accounts."""


@staff_group.command("list")
@click.option("--search", help="only staff whose name holds TEXT (any case)", metavar="TEXT")
@with_appcontext
def list_command(search: str | None) -> None:
    """List staff: hub id, FHIR id, name, e-mail, role, active (the listing is audited)."""
    search = searched_for(search)
    with runtime.current().session() as session:
        found = directory.staff(session, search)
        contact_log.append(session, "access.list_staff", actor=actor(), detail={
            "command": "hub staff list", "rows": len(found), "searched": search is not None})
    if not found:
        click.echo("no staff member matches the search" if search else "no staff yet")
        return
    echo_table(("id", "fhir", "name", "email", "role", "active"),
               ((str(s.id), fhir_ref("Practitioner", s.fhir_id), s.name, s.email or "-",
                 s.role, "yes" if s.active else "no") for s in found))


def _account(session, email: str):  # type: ignore[no-untyped-def]
    try:
        return staff_accounts.by_email(session, email)
    except staff_accounts.NoSuchStaff as exc:
        raise click.UsageError(f"EMAIL: {exc} (hub staff list shows them)") from None


@staff_group.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, required=True,
              help="read the password from the first line of standard input")
@with_appcontext
def set_password_command(email: str, password_stdin: bool) -> None:
    """Set a staff member's password (argon2-hashed), read from stdin; never an argument."""
    password = sys.stdin.readline().rstrip("\r\n")
    with runtime.current().session() as session:
        staff = _account(session, email)
        try:
            staff_accounts.set_password(staff, password)
        except WeakPassword as exc:
            raise click.UsageError(f"password: {exc}") from None
        contact_log.append(session, "staff.password_set", actor=actor(),
                           detail={"staff_id": staff.id})
    click.echo(f"password set for {staff.email}")


@staff_group.command("role")
@click.argument("email")
@click.argument("role", metavar="nurse|physician|care-manager|manager|admin")
@with_appcontext
def role_command(email: str, role: str) -> None:
    """Give a staff member a role (managers and admins sign in with a TOTP code too)."""
    try:
        stored = staff_accounts.role_name(role)
    except ValueError as exc:
        raise click.UsageError(f"ROLE: {exc}") from None
    with runtime.current().session() as session:
        staff = _account(session, email)
        before, staff.role = staff.role, stored
        contact_log.append(session, "staff.role_set", actor=actor(),
                           detail={"staff_id": staff.id, "from": before, "to": stored})
        enrolled = staff.totp_secret is not None
    click.echo(f"{staff.email} is now {role.strip().lower()}")
    if stored in staff_accounts.SECOND_FACTOR_ROLES and not enrolled:
        click.echo(f"note: a {stored} cannot sign in without a code; run "
                   f"`hub staff enroll-totp {staff.email}`")


@staff_group.command("enroll-totp")
@click.argument("email")
@with_appcontext
def enroll_totp_command(email: str) -> None:
    """Give a staff member a TOTP second factor; prints its otpauth:// URI (an older one stops
    working). The account page shows it as a QR code until its first use."""
    rt = runtime.current()
    with rt.session() as session:
        staff = _account(session, email)
        uri = staff_accounts.enroll_totp(staff, rt.settings.practice_name)
        contact_log.append(session, "staff.totp_enrolled", actor=actor(),
                           detail={"staff_id": staff.id})
    click.echo(uri)


@staff_group.command("deactivate")
@click.argument("email")
@with_appcontext
def deactivate_command(email: str) -> None:
    """The person can no longer sign in; every open session of theirs ends at once."""
    with runtime.current().session() as session:
        staff = _account(session, email)
        ended = staff_accounts.deactivate(session, staff, utcnow())
        contact_log.append(session, "staff.deactivated", actor=actor(),
                           detail={"staff_id": staff.id, "sessions_ended": ended})
    click.echo(f"{staff.email} deactivated; {ended} open session(s) ended")
