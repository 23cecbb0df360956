"""The portal's conversation: a patient's (or caregiver's) messages with the care team, and
writing a new one. A message becomes a contact like a text (``channel`` "portal"): triaged,
routed, paged, logged (:func:`messages.webhooks.take_in_secure_message`); the answer shows on
the page at once, 911/988 first for a red flag. The form's idempotency token is the
contact's provider id, so a form sent twice makes one contact. Asking for a patient this
session does not speak for is a 404, audited.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import Blueprint, abort, redirect, request, session, url_for
from werkzeug.exceptions import NotFound

from hub import contact_log, portal_people
from hub.matching import SenderMatch
from hub.models import Patient, utcnow
from hub.web.portal import page, signed_in_choices
from hub.web.portal_words import language, words
from messages import runtime, webhooks

bp = Blueprint("portal_messages", __name__, template_folder="templates")

MESSAGE_LIMIT = 2000  # characters
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,48}")


def chosen(ref: str) -> portal_people.Choice:
    """The patient of ``ref`` when this session speaks for them; else a 404, audited (the
    same 404 whether the patient exists or not)."""
    if "portal_index" not in session:
        abort(redirect(url_for("portal.start")))
    for choice in signed_in_choices():
        if choice.patient_ref == ref:
            return choice
    with runtime.current().session() as db:
        contact_log.append(db, "access.portal_denied", actor=actor(None), detail={
            "from": request.remote_addr, "number": session.get("portal_index"),
            "asked": request.path})
    raise NotFound("no such conversation")


def actor(choice: portal_people.Choice | None) -> str:
    if choice is None:
        return "portal"
    if choice.caregiver_id is not None:
        return f"portal:caregiver:{choice.caregiver_id}"
    return f"portal:patient:{choice.patient_id}"


def _show(choice: portal_people.Choice, status: int = 200, **context: Any) -> Any:
    """The conversation page (every view written to the access audit)."""
    index = session["portal_index"]
    with runtime.current().session() as db:
        patient = db.get(Patient, choice.patient_id)
        entries = portal_people.conversation(db, choice.patient_id, index)
        contact_log.append(db, "access.portal_view", actor=actor(choice),
                           detail={"patient_id": choice.patient_id,
                                   "from": request.remote_addr})
        name = portal_people.first_name(patient.name if patient else None)
        return page("portal_messages.html", status, entries=entries, patient_name=name,
                    ref=choice.patient_ref, token=secrets.token_urlsafe(24),
                    several=len(signed_in_choices()) > 1, limit=MESSAGE_LIMIT,
                    max_mb=5,
                    **context)


@bp.get("/portal/p/<ref>")
def conversation(ref: str) -> Any:
    return _show(chosen(ref))


@bp.post("/portal/p/<ref>")
def write(ref: str) -> Any:
    """A new message to the care team: stored, routed and paged like a text; answered here."""
    choice = chosen(ref)
    body = request.form.get("body", "").strip()
    token = request.form.get("token", "")
    w = words(language(session.get("profile_lang")))
    if not TOKEN.fullmatch(token):
        abort(400, description="token: the form's token is missing or malformed; reload")
    if not body:
        return _show(choice, 400, error=w["empty"], draft=body)
    if len(body) > MESSAGE_LIMIT:
        return _show(choice, 400, error=w["too_long"].format(limit=MESSAGE_LIMIT), draft=body)
    rt = runtime.current()
    index = session["portal_index"]
    with rt.session() as db:
        number = portal_people.number_on_file(db, index, choice)
        patient = db.get(Patient, choice.patient_id)
        profile = patient.language if patient else None
    sender = SenderMatch("caregiver" if choice.caregiver_id else "patient",
                         patient_id=choice.patient_id, caregiver_id=choice.caregiver_id,
                         candidates=(choice.patient_id,), language=profile)
    _contact_id, answer = webhooks.take_in_secure_message(
        rt, "PT" + token, number, sender, body, utcnow())
    return _show(choice, answer=answer, urgent="911" in answer or "988" in answer)
