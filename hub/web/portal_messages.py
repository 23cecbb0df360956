"""The portal's conversation: a patient's (or caregiver's) messages with the care team, and
writing a new one, with a photo if they like. A message becomes a contact like a text
(``channel`` "portal"): triaged, routed, paged, logged
(:func:`messages.webhooks.take_in_secure_message`); the answer shows on the page at once,
911/988 first for a red flag. The form's idempotency token is the contact's provider id, so a
form sent twice makes one contact (and keeps its photo once). A photo is checked (size, type
by its bytes) before anything is stored, and kept encrypted (:mod:`hub.attachments`); a
refused one gives the page back with the words kept. Asking for a patient this session does
not speak for, or a file not of their conversation, is a 404, audited.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from flask import Blueprint, abort, redirect, request, session, url_for
from sqlalchemy.orm import Session as DbSession
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from hub import attachments, contact_log, portal_people
from hub.matching import SenderMatch
from hub.models import Attachment, Patient, utcnow
from hub.web.file_answer import file_response, sandboxed
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
    _denied(None)
    raise NotFound("no such conversation")


def _denied(choice: portal_people.Choice | None, db: DbSession | None = None) -> None:
    """Audit a refused ask (in ``db``'s transaction when one is open)."""
    if db is None:
        with runtime.current().session() as own:
            return _denied(choice, own)
    contact_log.append(db, "access.portal_denied", actor=actor(choice), detail={
        "from": request.remote_addr, "number": session.get("portal_index"),
        "asked": request.path})
    return None


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
                    max_mb=runtime.current().settings.attachment_max_bytes // 2**20,
                    inline_types=attachments.SHOWN_INLINE,
                    **context)


@bp.get("/portal/p/<ref>")
def conversation(ref: str) -> Any:
    return _show(chosen(ref))


@bp.post("/portal/p/<ref>")
def write(ref: str) -> Any:
    """A new message to the care team: stored, routed and paged like a text; answered here."""
    choice = chosen(ref)
    rt = runtime.current()
    w = words(language(session.get("profile_lang")))
    body = request.form.get("body", "").strip()
    photo = _photo(request.files.get("photo"))
    token = request.form.get("token", "")
    if not TOKEN.fullmatch(token):
        abort(400, description="token: the form's token is missing or malformed; reload")
    if not body and photo is None:
        return _show(choice, 400, error=w["empty"], draft=body)
    if len(body) > MESSAGE_LIMIT:
        return _show(choice, 400, error=w["too_long"].format(limit=MESSAGE_LIMIT), draft=body)
    if photo is not None:
        try:  # checked before anything is stored: a refused photo leaves no half message
            with rt.sessions() as scratch:  # never flushed: nothing written, nothing encrypted
                attachments.store_attachment(scratch, contact_id=0, data=photo[0],
                                             declared_type=photo[1], source="portal")
        except attachments.AttachmentRefused as refused:
            large = str(refused).startswith("too large")
            error = (w["photo_too_large"].format(mb=rt.settings.attachment_max_bytes // 2**20)
                     if large else w["photo_type"])
            return _show(choice, 413 if large else 415, error=error, draft=body)
    index = session["portal_index"]
    with rt.session() as db:
        number = portal_people.number_on_file(db, index, choice)
        patient = db.get(Patient, choice.patient_id)
        profile = patient.language if patient else None
    sender = SenderMatch("caregiver" if choice.caregiver_id else "patient",
                         patient_id=choice.patient_id, caregiver_id=choice.caregiver_id,
                         candidates=(choice.patient_id,), language=profile)
    contact_id, answer, urgent = webhooks.take_in_secure_message(
        rt, "PT" + token, number, sender, body or w["photo_only"], utcnow())
    if photo is not None:
        _keep(contact_id, photo)
    return _show(choice, answer=answer, urgent=urgent)


@bp.url_value_preprocessor
def _room_for_a_photo(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """The message form may carry a photo: its request may be as large as the store takes
    (every other form of the hub stays under the app's 512 KB). Set before the CSRF check
    reads the form; past it, the upload is refused as it arrives (:func:`_too_large`)."""
    if endpoint == "portal_messages.write":
        limit = runtime.current().settings.attachment_max_bytes + 2**16
        if (request.content_length or 0) > limit:
            raise RequestEntityTooLarge()  # said before a byte of it is read
        request.max_content_length = limit


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Any:
    """An upload far past the limit: the conversation again, saying so (nothing was sent)."""
    choice = chosen((request.view_args or {}).get("ref", ""))
    w = words(language(session.get("profile_lang")))
    return _show(choice, 413, error=w["photo_too_large"].format(
        mb=runtime.current().settings.attachment_max_bytes // 2**20))


def _photo(upload: FileStorage | None) -> tuple[bytes, str | None] | None:
    """The uploaded file's bytes and declared type, or None when none was chosen."""
    if upload is None or not upload.filename:
        return None
    try:
        return upload.read(), upload.mimetype or None
    finally:
        upload.close()  # a large one sits in a temporary file: closed at once


def _keep(contact_id: int, photo: tuple[bytes, str | None]) -> None:
    """Keep the photo with its contact, once (a form sent twice brings it twice)."""
    digest = hashlib.sha256(photo[0]).hexdigest()
    with runtime.current().session() as db:
        if any(a.sha256 == digest for a in attachments.attachments_for(db, contact_id)):
            return
        kept = attachments.store_attachment(db, contact_id=contact_id, data=photo[0],
                                            declared_type=photo[1], source="portal")
        db.flush()
        contact_log.append(db, "contact.attachment", contact_id=contact_id, actor="portal",
                           detail={"attachment_id": kept.id, "type": kept.content_type,
                                   "size": kept.size})


@bp.get("/portal/p/<ref>/files/<int:attachment_id>")
@sandboxed
def attachment(ref: str, attachment_id: int) -> Any:
    """A photo of this patient's portal conversation, decrypted and sandboxed; any other file
    is a 404, audited."""
    choice = chosen(ref)
    with runtime.current().session() as db:
        kept = db.get(Attachment, attachment_id)
        if kept is None or not portal_people.may_see_contact(db, kept.contact_id,
                                                             choice.patient_id):
            _denied(choice, db)
            db.commit()
            raise NotFound("no such file")
        contact_log.append(db, "access.portal_view_attachment", contact_id=kept.contact_id,
                           actor=actor(choice), detail={"patient_id": choice.patient_id,
                                                        "attachment_id": kept.id})
        return file_response(attachments.read_attachment(kept), kept.content_type)
