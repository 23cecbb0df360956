"""The engine's duty that fetches MMS photos (and chat media) from Twilio, off the webhook's
request.

For each claimed row of :mod:`hub.media_fetches`: GET the media URL with the account's
credentials (HTTP basic auth, Account SID and auth token), only on the configured Twilio API
host (checked again here, whatever the row says); keep it through the attachment store
(encrypted, size- and type-checked); then, with ``HUB_TWILIO_DELETE_MEDIA`` on (the
default), DELETE the media resource, since Twilio keeps media until it is deleted. Twilio
down (no answer, 5xx, 429) or refusing our credentials: the same step later, nothing lost.

Twilio answers a media URL with a redirect to its content store; that hop is followed
(https only, at most two) without the credentials, which go to the API host alone. A chat
message's media come from the Media Content Service (``HUB_TWILIO_MCS_URL``, its Content
URL, with the same credentials) and are not deleted: they belong to the conversation.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit

import requests

from hub import media_fetches
from hub.models import MediaFetch
from messages import mms
from messages.runtime import Runtime

log = logging.getLogger(__name__)
TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
REDIRECTS = 2


class TryLater(Exception):
    """Twilio did not answer as it should: the same step after a while."""


class Gone(Exception):
    """Twilio holds no such media (404)."""


def fetch_due(rt: Runtime, now: datetime, limit: int = 20) -> int:
    """Fetch, store and delete what is due; return how many rows were worked on."""
    with rt.sessions.begin() as session:
        work = [(row.id, row.status, row.url) for row in media_fetches.claim(session, now, limit)]
    if not work:
        return 0
    settings = rt.settings
    auth = (settings.twilio_account_sid, settings.twilio_auth_token)
    with requests.Session() as http:
        for row_id, status, url in work:
            try:
                chat = mms.allowed_chat_url(url, settings.twilio_mcs_url)
                if not chat and not mms.allowed_url(url, settings.twilio_api_url, auth[0],
                                                    mms.media_sids(url)[0]):
                    raise Gone("not a media URL of this account on the Twilio API host")
                # A chat's media stay in the conversation (the patient sees them there).
                delete = settings.twilio_delete_media and not chat
                if status == "pending":
                    data, content_type = _get(http, url, auth, settings.attachment_max_bytes)
                    source = "chat" if chat else "mms"
                    _record(rt, row_id, lambda s, row, data=data, kind=content_type,
                            delete=delete, source=source: media_fetches.fetched(
                                s, row, data, kind, now, delete, source=source))
                if status == "deleting" or delete:
                    _delete(http, url, auth)
                    _record(rt, row_id, lambda s, row: media_fetches.deleted(s, row, now))
            except Gone as exc:
                _record(rt, row_id, lambda s, row, why=str(exc): media_fetches.gone(
                    s, row, why, now))
            except (TryLater, requests.RequestException) as exc:
                why = str(exc) if isinstance(exc, TryLater) else type(exc).__name__
                log.warning("media %s: Twilio %s; retried later", row_id, why)
                _record(rt, row_id, lambda s, row, why=why: media_fetches.retry_later(
                    s, row, why, now))
    return len(work)


def _record(rt: Runtime, row_id: int, change) -> None:  # type: ignore[no-untyped-def]
    with rt.sessions.begin() as session:
        row: MediaFetch | None = session.get(MediaFetch, row_id, with_for_update=True)
        if row is not None:
            change(session, row)


def _get(http: requests.Session, url: str, auth: tuple[str, str],
         max_bytes: int) -> tuple[bytes, str | None]:
    """The media's bytes (at most ``max_bytes`` + 1: more is refused by the store) and type."""
    answer = http.get(url, auth=auth, timeout=TIMEOUT, allow_redirects=False, stream=True)
    for _hop in range(REDIRECTS):
        if answer.status_code not in (301, 302, 303, 307, 308):
            break
        target = answer.headers.get("Location", "")
        answer.close()
        if urlsplit(target).scheme != "https":
            raise Gone("Twilio redirected the media to a non-https address")
        answer = http.get(target, timeout=TIMEOUT, allow_redirects=False, stream=True)
    with answer:
        _check(answer, "fetching media")
        data = b""
        for chunk in answer.iter_content(64 * 1024):
            data += chunk
            if len(data) > max_bytes:
                break
        return data, answer.headers.get("Content-Type")


def _delete(http: requests.Session, url: str, auth: tuple[str, str]) -> None:
    """DELETE the media resource (``{url}.json``); a 404 means it is gone already."""
    answer = http.delete(f"{url}.json", auth=auth, timeout=TIMEOUT)
    if answer.status_code == 404:
        return
    _check(answer, "deleting media")


def _check(answer: requests.Response, doing: str) -> None:
    if answer.status_code == 404:
        raise Gone(f"Twilio 404 {doing}")
    if answer.status_code >= 300:
        raise TryLater(f"answered {answer.status_code} {doing}")
