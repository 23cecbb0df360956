"""Twilio Conversations as a channel: ``POST /twilio/conversations`` (onMessageAdded).

A practice running web or in-app chat on Twilio Conversations points the service's
post-event webhook (``onMessageAdded``) here. The view is as thin as the SMS one: signature,
the fields parsed, then the same intake as a text (:func:`messages.webhooks.take_in`),
channel ``chat``: matched, triaged, stored once per MessageSid (``IM...``), routed and paged.
The answer a text would get (the 911/988 guidance first when triage says so) is posted back
into the conversation through the Conversations REST API, queued like any outbound message
(once per MessageSid); so are the staff's replies from the contact page. Its media are
fetched by the engine from the Media Content Service into the attachment store, as an MMS's.

Who wrote it: the message's ``Author``. A participant reached by SMS or WhatsApp has their
address as author; a chat (SDK) participant has the identity the practice's token server
gave them, which must be their mobile number in E.164 (``+12025550142``): either way it is
matched like a text's sender. Any other author is an unknown sender, as for SMS. The hub's
own messages (author ``HUB_CONVERSATIONS_IDENTITY``, or ``system``) and every other event
type are answered 200 and ignored.
"""

from __future__ import annotations

import json
from datetime import datetime

from flask import Blueprint, Response, abort, request
from sqlalchemy import select

from hub import outbox
from hub.db import insert_unless_duplicate
from hub.media_fetches import MediaRef
from hub.models import Contact, InboundReceipt, utcnow
from messages import forms, mms, runtime, webhooks
from messages.kick import work_soon
from messages.signature import twilio_signed

bp = Blueprint("conversations", __name__, url_prefix="/twilio")
MAX_AUTHOR = 256
MAX_MEDIA = 10
NOT_TWILIOS = "its Media Sid or ChatServiceSid is not Twilio's: never requested"


@bp.post("/conversations")
@twilio_signed
def message_added() -> Response:
    """onMessageAdded: a patient's or caregiver's chat message becomes a contact."""
    if request.form.get("EventType") != "onMessageAdded":
        return Response(status=200)
    rt = runtime.current()
    author = request.form.get("Author", "").strip()
    if author in (rt.settings.conversations_identity, "system"):
        return Response(status=200)  # the hub's own answer or reply, come back as an event
    if not author or len(author) > MAX_AUTHOR:
        abort(400, description="Author is missing or longer than 256 characters")
    message_sid = forms.sid("MessageSid", ("IM",))
    conversation_sid = forms.sid("ConversationSid", ("CH",))
    body = forms.body()
    media, refused = _media(rt.settings.twilio_mcs_url)
    now = utcnow()
    taken = webhooks.take_in(rt, "chat", message_sid, author.removeprefix("whatsapp:"), body,
                             now, media, refused, thread=conversation_sid)
    if taken.triage is not None:
        _answer(rt, message_sid, webhooks.patient_reply(rt, taken, body, now), now)
    return Response(status=200)


def _media(mcs_url: str) -> tuple[tuple[MediaRef, ...], tuple[MediaRef, ...]]:
    """The message's media (JSON list of Sid, ContentType, Filename, Size): their Content
    URLs on the Media Content Service, to fetch like an MMS's; a Sid that is not Twilio's is
    refused (kept as not fetched: it still makes a photo-only message a contact)."""
    raw = request.form.get("Media", "")
    if not raw:
        return (), ()
    try:
        items = json.loads(raw)
    except ValueError:
        abort(400, description="Media is not a JSON list")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        abort(400, description="Media is not a JSON list of media")
    service = request.form.get("ChatServiceSid", "")
    kept: list[MediaRef] = []
    refused: list[MediaRef] = []
    for n, item in enumerate(items[:MAX_MEDIA]):
        declared = str(item.get("ContentType", ""))[:64] or None
        url = mms.chat_media_url(mcs_url, service, str(item.get("Sid", "")))
        if url is None:
            refused.append(MediaRef(n, "chat-media", declared, NOT_TWILIOS))
        else:
            kept.append(MediaRef(n, url, declared))
    return tuple(kept), tuple(refused)


def _answer(rt: runtime.Runtime, message_sid: str, reply: str | None, now: datetime) -> None:
    """Post the answer into the conversation, once per MessageSid (a retried event finds the
    receipt and queues nothing)."""
    if reply is None:
        return
    with rt.session() as session:
        first = session.execute(
            insert_unless_duplicate(session.connection(), InboundReceipt, "sid",
                                    returning=InboundReceipt.sid),
            {"sid": message_sid, "kind": "chat", "reply": reply, "received_at": now}).first()
        if first is None:
            return
        contact = session.scalar(select(Contact).where(Contact.provider_sid == message_sid))
        if contact is None or contact.conversation_sid is None:
            return
        outbox.queue(session, kind="reply", channel="chat", to=contact.conversation_sid,
                     body=reply, now=now, contact_id=contact.id)
    work_soon(rt)
