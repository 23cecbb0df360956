"""An inbound MMS's media fields (``NumMedia``, ``MediaUrlN``, ``MediaContentTypeN``): which
URLs the hub will fetch, and which it refuses.

A media URL is fetched with the account's credentials, so only one that names this
account's media of this very message on the configured Twilio API host
(``HUB_TWILIO_API_URL``) is kept: ``{api}/2010-04-01/Accounts/{AccountSid}/Messages/
{MessageSid}/Media/ME...``. Anything else (another host, another account or message, a
different path) is refused and never requested (no server-side request forgery); the text
itself is still taken in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from hub.media_fetches import MediaRef

MAX_MEDIA = 10  # Twilio delivers at most 10 media with one MMS
MEDIA_SID = re.compile(r"ME[0-9a-f]{32}")
CONTENT_TYPE = re.compile(r"[\w.+-]{1,40}/[\w.+-]{1,60}")


def allowed_url(url: str, api_url: str, account_sid: str, message_sid: str) -> bool:
    """True for this message's media resource on the Twilio API host we are configured with."""
    if len(url) > 500:
        return False
    api, got = urlsplit(api_url), urlsplit(url)
    if (got.scheme, got.netloc) != (api.scheme, api.netloc) or got.query or got.fragment:
        return False
    prefix = f"{api.path.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Media/"
    return got.path.startswith(prefix) and bool(MEDIA_SID.fullmatch(got.path[len(prefix):]))


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
