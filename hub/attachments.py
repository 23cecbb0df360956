"""The attachment store: photos and documents kept with a contact, encrypted.

Every way a file reaches the hub (an MMS photo, chat media, a portal upload) goes through
:func:`store_attachment`: the size is checked against ``HUB_ATTACHMENT_MAX_MB`` (5 MB, what
Twilio accepts for one MMS), the type is read from the bytes themselves (``filetype``, by
magic numbers; what the sender declared is never trusted), and the bytes are encrypted with
the hub's field cipher before they reach the session. A refusal raises
:class:`AttachmentRefused`, whose message names what is wrong and never holds the content.
"""

from __future__ import annotations

import hashlib

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Attachment

DEFAULT_MAX_BYTES = 5 * 2**20
# What a patient is asked to send: photos (phones send HEIC too) and PDF letters or results.
ALLOWED = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "application/pdf": "PDF",
}
# A browser shows these in an <img>; HEIC and PDF are offered as files to open.
SHOWN_INLINE = ("image/jpeg", "image/png", "image/gif", "image/webp")
SOURCES = ("mms", "chat", "portal")

_max_bytes = DEFAULT_MAX_BYTES


class AttachmentRefused(ValueError):
    """A file the store does not keep: too large, empty, or of a type not allowed."""


def configure(max_bytes: int) -> None:
    """The largest file this process stores (HUB_ATTACHMENT_MAX_MB), set once at start-up."""
    global _max_bytes
    _max_bytes = max_bytes


def sniff(data: bytes) -> str | None:
    """The allowed content type the bytes themselves show, or None."""
    kind = filetype.guess(data)
    mime = "image/png" if kind is not None and kind.mime == "image/apng" else (
        kind.mime if kind is not None else None)
    return mime if mime in ALLOWED else None


def store_attachment(session: Session, *, contact_id: int, data: bytes,
                     declared_type: str | None, source: str) -> Attachment:
    """Check, encrypt and add one file to ``session`` (the caller commits); refused files
    raise :class:`AttachmentRefused`."""
    if source not in SOURCES:
        raise ValueError(f"source: not one of {', '.join(SOURCES)}")
    if not data:
        raise AttachmentRefused("the file is empty")
    if len(data) > _max_bytes:
        raise AttachmentRefused(f"too large: {_megabytes(len(data))} MB, the most is "
                                f"{_megabytes(_max_bytes)} MB")
    content_type = sniff(data)
    if content_type is None:
        said = f" (sent as {declared_type[:60]})" if declared_type else ""
        raise AttachmentRefused(f"type not allowed{said}: send a photo "
                                f"({', '.join(list(ALLOWED.values())[:-1])}) or a PDF")
    attachment = Attachment(contact_id=contact_id, content_type=content_type, size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), source=source, data=data)
    session.add(attachment)
    return attachment


def attachments_for(session: Session, contact_id: int) -> list[Attachment]:
    """A contact's attachments, oldest first (their bytes not read)."""
    return list(session.scalars(select(Attachment).where(Attachment.contact_id == contact_id)
                                .order_by(Attachment.id)))


def read_attachment(attachment: Attachment) -> bytes:
    """The file's bytes, decrypted (loads the deferred column from its session)."""
    return attachment.data


def _megabytes(count: int) -> str:
    return f"{count / 2**20:.1f}".removesuffix(".0")
