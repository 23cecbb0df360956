"""Signing in and out of the staff pages, and the account page (with the second factor's QR).

One form takes "Email", "Password" and "Code" (the TOTP code; required for managers and
admins, and for anyone enrolled). Every failure gets the same answer and, through a dummy
argon2 check for an unknown e-mail, the same time; failures are audited and counted
(Flask-Limiter, per address and per e-mail).
"""

from __future__ import annotations

from typing import Any

import segno
from flask import (
    Blueprint,
    Flask,
    Response,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from hub import contact_log, passwords, staff_accounts
from hub.crypto import active
from hub.models import Staff, utcnow
from hub.web.security import SignedIn
from hub.web.sessions import ServerSession
from messages import runtime

bp = Blueprint("auth", __name__, template_folder="templates")

NOT_RECOGNISED = "Email, password or code not recognised."
NO_SECOND_FACTOR = ("Managers and admins must sign in with a code from an authenticator app, "
                    "and you have none set up yet. Ask an admin to run "
                    "`hub staff enroll-totp` with your e-mail, then scan the code it gives.")
ENDED = {"idle": "You were signed out after {minutes} of inactivity. Sign in again.",
         "deactivated": "Your account was deactivated. Ask the practice manager.",
         "logout": "You signed out."}


def _email() -> str:
    return request.form.get("email", "").strip().lower()


def _email_key() -> str:
    """The per-e-mail limiter key: a keyed hash, so no typed e-mail is stored in clear."""
    return "email:" + active().blind_index("login:" + _email())


def _failed(response: Any) -> bool:
    return bool(response.status_code == 401)


def _too_many(_limit: RequestLimit) -> Response:
    return make_response(render_template(
        "login.html", error="Too many failed sign-ins. Wait a few minutes and try again, or "
        "ask an admin to reset your password."), 429)


def limit_login(app: Flask, limiter: Limiter) -> None:
    """Count failed sign-ins per address and per e-mail (HUB_LOGIN_LIMIT)."""
    def limit() -> str:
        return runtime.current().settings.login_limit

    view: Any = app.view_functions["auth.login"]
    for key in (get_remote_address, _email_key):
        view = limiter.limit(limit, key_func=key, methods=["POST"], deduct_when=_failed,
                             on_breach=_too_many, scope=f"login-{key.__name__}")(view)
    app.view_functions["auth.login"] = view


@bp.route("/staff/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        ended = getattr(session, "ended_why", None)
        minutes = runtime.current().settings.session_idle_minutes
        note = ENDED.get(ended or "", "").format(minutes=_minutes(minutes))
        return render_template("login.html", note=note or None)
    now = utcnow()
    with runtime.current().session() as db:
        staff = db.scalar(select(Staff).where(Staff.email == _email()))
        usable = staff is not None and staff.active
        checked = passwords.check(staff.password_hash if usable and staff else None,
                                  request.form.get("password", ""))
        if not checked.ok or staff is None:
            contact_log.append(db, "access.login_failed", actor=_actor(staff),
                               detail={"from": request.remote_addr, "why": "password"})
            return render_template("login.html", error=NOT_RECOGNISED), 401
        if checked.new_hash:
            staff.password_hash = checked.new_hash  # argon2 from now on
        if staff_accounts.needs_second_factor(staff):
            why = ("not_enrolled" if staff.totp_secret is None else None if
                   staff_accounts.code_accepted(staff, request.form.get("code", ""), now)
                   else "code")
            if why is not None:
                contact_log.append(db, "access.login_failed", actor=_actor(staff),
                                   detail={"from": request.remote_addr, "why": why})
                error = NO_SECOND_FACTOR if why == "not_enrolled" else NOT_RECOGNISED
                return render_template("login.html", error=error), 401
        user = SignedIn(staff.id, staff.name, staff.email or "", staff.role)
        contact_log.append(db, "access.login", actor=f"staff:{staff.id}",
                           detail={"from": request.remote_addr})
    if isinstance(session, ServerSession):
        session.regenerate()
    login_user(user)
    target = request.args.get("next", "")
    safe = target.startswith(("/staff", "/manager")) and not target.startswith("//")
    return redirect(target if safe else url_for("staff.inbox"))


def _actor(staff: Staff | None) -> str:
    return f"staff:{staff.id}" if staff is not None else "unknown"


def _minutes(value: float) -> str:
    whole = int(value) if value == int(value) else value
    return f"{whole} minute{'' if whole == 1 else 's'}"


@bp.post("/staff/logout")
def logout() -> Any:
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/staff/account")
@login_required
def account() -> str:
    """Who is signed in, and the second factor: its QR code until it has signed in once."""
    rt = runtime.current()
    with rt.session() as db:
        staff = db.get(Staff, current_user.id)
        assert staff is not None
        qr = None
        if staff.totp_secret is not None and staff.totp_last_step is None:
            uri = staff_accounts.totp_uri(staff, rt.settings.practice_name)
            qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
        return render_template(
            "account.html", staff=staff, qr=qr,
            must_enrol=staff.role in staff_accounts.SECOND_FACTOR_ROLES)
