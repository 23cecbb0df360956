"""A contact's photos and documents, to staff only: each view is written to the access audit.

The file is served from the hub (never a link to Twilio or any other host) with headers that
keep a hostile file harmless: shown inline as the type its bytes were sniffed as
(``X-Content-Type-Options: nosniff``), in a sandbox (``Content-Security-Policy: sandbox``:
no script, no same-origin rights even for a PDF viewer), never cached.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort
from flask_login import current_user, login_required
from sqlalchemy import select

from hub import attachments, contact_log
from hub.models import Attachment, Contact
from hub.web.file_answer import file_response, sandboxed
from hub.web.staff import access, forbidden
from messages import runtime

bp = Blueprint("staff_files", __name__)

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif",
              "image/webp": "webp", "image/heic": "heic", "application/pdf": "pdf"}


@bp.get("/staff/c/<ref>/files/<int:attachment_id>")
@login_required
@sandboxed
def attachment(ref: str, attachment_id: int) -> Any:
    """One attachment of one contact, decrypted, with the access audit's line first."""
    with runtime.current().session() as db:
        contact = db.scalar(select(Contact).where(Contact.ref == ref))
        kept = db.get(Attachment, attachment_id)
        if contact is None or kept is None or kept.contact_id != contact.id:
            abort(404, description="no such file with that contact")
        how = access(db, contact.patient, contact)
        if how is None:
            return forbidden(contact.patient, f"/staff/c/{ref}")
        detail: dict[str, Any] = {"patient_id": contact.patient_id, "attachment_id": kept.id}
        if how == "glass":
            detail["break_glass"] = True
        contact_log.append(db, "access.view_attachment", contact_id=contact.id,
                           actor=f"staff:{current_user.id}", detail=detail)
        data = attachments.read_attachment(kept)
        name = f"{contact.ref}-{kept.id}.{EXTENSIONS.get(kept.content_type, 'bin')}"
        return file_response(data, kept.content_type, name)
