"""A patient or caregiver using the portal through the test client: asks for a code, reads
it from the text the loopback Twilio server received, types it in, writes messages."""

from __future__ import annotations

import re

from messages import kick
from tests.staff_login import csrf_of

CODE = re.compile(r"\b(\d{6})\b")
FORM_TOKEN = re.compile(r'name="token" value="([^"]+)"')


def ask_code(client, phone: str, headers: dict[str, str] | None = None):
    """Post "Phone" on the sign-in form, as a browser does (its CSRF token first)."""
    form = client.get("/portal", headers=headers or {}).get_data(as_text=True)
    answer = client.post("/portal/code", data={"phone": phone, "csrf_token": csrf_of(form)},
                         headers=headers or {})
    kick.drain()  # the text goes out in the background
    return answer


def code_texted_to(twilio_api, phone: str) -> str:
    """The code in the last text the hub sent to ``phone``."""
    texts = [r for r in twilio_api.sent_to(phone) if r.resource == "Messages"]
    assert texts, f"no text reached {phone}"
    found = CODE.search(texts[-1].form["Body"])
    assert found, "the last text holds no code"
    return found.group(1)


def type_code(client, code: str):
    """Post "Code" on the form the code step shows."""
    form = client.get("/portal").get_data(as_text=True)
    return client.post("/portal/verify", data={"code": code, "csrf_token": csrf_of(form)})


def sign_in(client, twilio_api, phone: str):
    """The whole sign-in: ask, read the text, type the code; the last answer."""
    asked = ask_code(client, phone)
    code = code_texted_to(twilio_api, phone)
    return client.post("/portal/verify", data={"code": code, "csrf_token": csrf_of(
        asked.get_data(as_text=True))})


def write(client, conversation: str, body: str, token: str | None = None, **files):
    """Send a message from the conversation page's form (its idempotency token unless
    ``token`` is given); the answer page."""
    html = client.get(conversation).get_data(as_text=True)
    data = {"body": body, "csrf_token": csrf_of(html),
            "token": token or FORM_TOKEN.search(html).group(1), **files}
    answer = client.post(conversation, data=data, content_type="multipart/form-data")
    answer.get_data()
    answer.request.input_stream.close()  # a large upload's temporary file (unread when refused)
    kick.drain()  # routing and paging, in the background
    return answer
