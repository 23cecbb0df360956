"""Signing in to the portal (``/portal``) with a one-time code texted to the number on file.

"Phone" first: the same page and the same work follow for a number the practice knows and
one it does not (a code row is made for either; only a known number is texted), so the form
tells nobody whose number is on file. Then "Code": five wrong tries lock the number
(:mod:`hub.portal_codes`), audited. Code requests are limited per number and per address
(Flask-Limiter, ``HUB_PORTAL_CODE_LIMIT``). A caregiver of several patients picks one. The
portal's session is its own (cookie ``hub_portal``, table ``portal_sessions``).
"""

from __future__ import annotations

from typing import Any

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
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from hub import contact_log, opt_outs, outbox, portal_codes, portal_people
from hub.crypto import active
from hub.models import Patient, utcnow
from hub.phones import NotAPhoneNumber, phone_index, to_e164
from hub.web.portal_words import LANGUAGES, language, words
from hub.web.sessions import ServerSession
from messages import kick, runtime, texts

bp = Blueprint("portal", __name__, template_folder="templates")


def page(template: str, status: int = 200, **context: Any) -> Any:
    """A portal page in the request's language (the patient's profile once one is chosen)."""
    lang = language(session.get("profile_lang"))
    return render_template(template, w=words(lang), lang=lang,
                           practice=runtime.current().settings.practice_name,
                           signed_in="portal_index" in session, **context), status


@bp.before_app_request
def _switch_language() -> None:
    """``?lang=es`` on any portal page: the reader's choice, kept for the session."""
    chosen = request.args.get("lang")
    if request.path.startswith("/portal") and chosen in LANGUAGES:
        session["lang"] = chosen


def _typed_number() -> str | None:
    try:
        return to_e164(request.form.get("phone", "").strip(),
                       runtime.current().settings.phone_region)
    except NotAPhoneNumber:
        return None


def _number_key() -> str:
    """The per-number limiter key: a keyed hash, never the number."""
    return "portal-number:" + active().blind_index("portal-send:" + (_typed_number() or "-"))


def _too_many(_limit: RequestLimit) -> Response:
    body, status = page("portal_login.html", 429, step="phone",
                        error=words(language())["too_many"])
    return make_response(body, status)


def limit_codes(app: Flask, limiter: Limiter) -> None:
    """Count code requests per number and per address (HUB_PORTAL_CODE_LIMIT)."""
    def limit() -> str:
        return runtime.current().settings.portal_code_limit

    view: Any = app.view_functions["portal.send_code"]
    for key in (get_remote_address, _number_key):
        view = limiter.limit(limit, key_func=key, methods=["POST"], on_breach=_too_many,
                             scope=f"portal-{key.__name__}")(view)
    app.view_functions["portal.send_code"] = view


@bp.get("/portal")
def start() -> Any:
    """The conversation when signed in, else the sign-in form (with why a session ended)."""
    if "portal_index" in session:
        return redirect(_home())
    w = words(language())
    ended = getattr(session, "ended_why", None)
    minutes = runtime.current().settings.session_idle_minutes
    note = (w["ended_idle"].format(minutes=f"{minutes:g}") if ended == "idle"
            else w["ended_logout"] if ended == "logout" else None)
    return page("portal_login.html", step="phone", note=note)


@bp.post("/portal/code")
def send_code() -> Any:
    """Text a code to the number when it is on file; the same answer when it is not."""
    w = words(language())
    number = _typed_number()
    if number is None:
        return page("portal_login.html", 400, step="phone", error=w["bad_phone"])
    index = phone_index(number)
    rt = runtime.current()
    now = utcnow()
    with rt.session() as db:
        try:
            code = portal_codes.issue(db, index, now)
        except portal_codes.Locked as locked:
            session["portal_pending"] = index
            return page("portal_login.html", 429, step="code",
                        error=w["locked"].format(until=f"{locked.until:%H:%M}"))
        # A number that sent STOP is texted nothing (carriers refuse it): START lets it in.
        if portal_people.choices(db, index) and not opt_outs.opted_out(db, [index]):
            outbox.queue(db, kind="code", channel="sms", to=number, now=now,
                         body=texts.portal_code(rt.settings.practice_name, code,
                                                language()))
    kick.work_soon(rt)
    session["portal_pending"] = index
    return page("portal_login.html", step="code")


@bp.post("/portal/verify")
def verify() -> Any:
    """Check the code; sign in (a new session token) and open the patient, or say why not."""
    w = words(language())
    index = session.get("portal_pending")
    if not index:
        return page("portal_login.html", 400, step="phone", error=w["no_code_yet"])
    now = utcnow()
    with runtime.current().session() as db:
        checked = portal_codes.check(db, index, request.form.get("code", ""), now)
        choices = portal_people.choices(db, index) if checked.outcome == "ok" else []
        if checked.outcome != "ok" or not choices:
            why = "locked" if checked.outcome == "locked" else (
                "no_code" if checked.outcome == "none" else "code")
            contact_log.append(db, "access.portal_login_failed", actor="portal", at=now,
                               detail={"from": request.remote_addr, "why": why,
                                       "number": index})
            if checked.outcome == "locked":
                contact_log.append(db, "access.portal_locked", actor="portal", at=now,
                                   detail={"from": request.remote_addr, "number": index,
                                           "until": now + portal_codes.LOCKED_FOR})
                until = f"{now + portal_codes.LOCKED_FOR:%H:%M}"
                return page("portal_login.html", 429, step="code",
                            error=w["locked"].format(until=until))
            error = (w["code_wrong"].format(left=checked.tries_left)
                     if checked.outcome == "wrong" else w["code_none"])
            return page("portal_login.html", 401, step="code", error=error)
        contact_log.append(db, "access.portal_login", actor="portal", at=now,
                           detail={"from": request.remote_addr, "number": index,
                                   "patient_ids": [c.patient_id for c in choices]})
    if isinstance(session, ServerSession):
        session.regenerate()
    session.pop("portal_pending", None)
    session["portal_index"] = index
    session["portal_choices"] = [c.as_json() for c in choices]
    if len(choices) == 1:
        return redirect(_open(choices[0]))
    return redirect(url_for("portal.choose"))


def signed_in_choices() -> list[portal_people.Choice]:
    return [portal_people.Choice.from_json(c) for c in session.get("portal_choices", [])]


def _open(choice: portal_people.Choice) -> str:
    """Remember the chosen patient's profile language; the URL of their conversation."""
    with runtime.current().session() as db:
        patient = db.get(Patient, choice.patient_id)
        session["profile_lang"] = patient.language if patient else None
    return url_for("portal_messages.conversation", ref=choice.patient_ref)


def _home() -> str:
    choices = signed_in_choices()
    return _open(choices[0]) if len(choices) == 1 else url_for("portal.choose")


@bp.get("/portal/choose")
def choose() -> Any:
    """A caregiver of several patients picks whose messages to open (first names only)."""
    if "portal_index" not in session:
        return redirect(url_for("portal.start"))
    choices = signed_in_choices()
    with runtime.current().session() as db:
        names = _first_names(db, [c.patient_id for c in choices])
    return page("portal_choose.html", people=[(c.patient_ref, names.get(c.patient_id, "?"))
                                              for c in choices])


@bp.get("/portal/open/<ref>")
def open_patient(ref: str) -> Any:
    """Open one of the patients this number speaks for (its profile language with it)."""
    for choice in signed_in_choices():
        if choice.patient_ref == ref:
            return redirect(_open(choice))
    return redirect(url_for("portal.choose"))


def _first_names(db: DbSession, ids: list[int]) -> dict[int, str]:
    return {p.id: portal_people.first_name(p.name)
            for p in db.scalars(select(Patient).where(Patient.id.in_(ids)))}


@bp.post("/portal/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("portal.start"))
