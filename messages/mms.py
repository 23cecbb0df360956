"""An inbound MMS's media fields (``NumMedia``, ``MediaUrlN``, ``MediaContentTypeN``), and a
chat message's media: which URLs the hub will fetch, and which it refuses.

A media URL is fetched with the account's credentials, so only one that names this
account's media of this very message on the configured Twilio API host
(``HUB_TWILIO_API_URL``) is kept: ``{api}/2010-04-01/Accounts/{AccountSid}/Messages/
{MessageSid}/Media/ME...``. Anything else (another host, another account or message, a
different path) is refused and never requested (no server-side request forgery); the text
itself is still taken in. A chat message's media are fetched from Twilio's Media Content
Service (``HUB_TWILIO_MCS_URL``), built by the hub from the Service and Media Sids alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from hub.media_fetches import MediaRef

MAX_MEDIA = 10  # Twilio delivers at most 10 media with one MMS
MEDIA_SID = re.compile(r"ME[0-9a-f]{32}")
CHAT_MEDIA = re.compile(r"IS[0-9a-f]{32}/Media/ME[0-9a-f]{32}/Content")
CONTENT_TYPE = re.compile(r"[\w.+-]{1,40}/[\w.+-]{1,60}")


def allowed_url(url: str, api_url: str, account_sid: str, message_sid: str) -> bool:
    """True for this message's media resource on the Twilio API host we are configured with."""
    if len(url) > 500:
        return False
    api, got = urlsplit(api_url), urlsplit(url)
    if (got.scheme, got.netloc) != (api.scheme, api.netloc) or got.query or got.fragment:
        return False
    prefix = (f"{api.path.rstrip('/')}/2010-04-01/Accounts/{account_sid}"
              f"/Messages/{message_sid}/Media/")
    return got.path.startswith(prefix) and bool(MEDIA_SID.fullmatch(got.path[len(prefix):]))


def chat_media_url(mcs_url: str, service_sid: str, media_sid: str) -> str | None:
    """The Content URL of one chat medium on the Media Content Service, or None for Sids
    that are not Twilio's."""
    path = f"{service_sid}/Media/{media_sid}/Content"
    return f"{mcs_url}/v1/Services/{path}" if CHAT_MEDIA.fullmatch(path) else None


def allowed_chat_url(url: str, mcs_url: str) -> bool:
    """True for a chat medium's Content URL on the configured Media Content Service."""
    prefix = f"{mcs_url}/v1/Services/"
    return url.startswith(prefix) and bool(CHAT_MEDIA.fullmatch(url[len(prefix):]))


def media_of(form: Mapping[str, str], api_url: str, account_sid: str
             ) -> tuple[tuple[MediaRef, ...], tuple[MediaRef, ...]]:
    """The media to fetch, and those refused (a URL the hub will never request)."""
    count = form.get("NumMedia", "0") or "0"
    if not count.isdigit() or int(count) == 0:
        return (), ()
    message_sid = form.get("MessageSid", "")
    kept: list[MediaRef] = []
    refused: list[MediaRef] = []
    for position in range(min(int(count), MAX_MEDIA)):
        url = form.get(f"MediaUrl{position}", "")
        declared = form.get(f"MediaContentType{position}") or None
        ref = MediaRef(position, url[:500],
                       declared if declared and CONTENT_TYPE.fullmatch(declared) else None)
        (kept if allowed_url(url, api_url, account_sid, message_sid) else refused).append(ref)
    return tuple(kept), tuple(refused)


def media_sids(url: str) -> tuple[str, str]:
    """(MessageSid, MediaSid) of an accepted media URL."""
    parts = urlsplit(url).path.rstrip("/").split("/")
    return parts[-3], parts[-1]
