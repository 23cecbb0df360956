"""Turn Twilio's form fields into small typed values, or a 400 that names the bad field."""

from __future__ import annotations

import re

from flask import abort, request

SID = re.compile(r"^[A-Z]{2}[0-9a-f]{32}$")
MAX_BODY = 20_000
MAX_FROM = 64


def sid(field: str, prefixes: tuple[str, ...]) -> str:
    value = request.form.get(field, "")
    if not SID.match(value) or not value.startswith(prefixes):
        abort(400, description=f"{field} is missing or not a Twilio SID")
    return value


def optional_sid(*fields: str) -> tuple[str, str] | None:
    for field in fields:
        value = request.form.get(field)
        if value:
            if not SID.match(value):
                abort(400, description=f"{field} is not a Twilio SID")
            return field, value
    return None


def sender(field: str = "From", required: bool = True) -> str | None:
    value = request.form.get(field, "").strip()
    if not value:
        if required:
            abort(400, description=f"{field} is missing")
        return None
    if len(value) > MAX_FROM or not any(ch.isdigit() for ch in value) and required:
        abort(400, description=f"{field} is not a phone number")
    return value


def body(field: str = "Body") -> str:
    value = request.form.get(field, "")
    if len(value) > MAX_BODY:
        abort(413, description=f"{field} is longer than {MAX_BODY} characters")
    return value


def error_code() -> int | None:
    value = request.form.get("ErrorCode")
    if value in (None, ""):
        return None
    if not value.isdigit():
        abort(400, description="ErrorCode is not a number")
    return int(value)


def seconds(field: str) -> int:
    """A duration Twilio gives in whole seconds; absent (a call that never connected) is 0."""
    value = request.form.get(field, "")
    if value == "":
        return 0
    if not value.isdigit() or len(value) > 6:
        abort(400, description=f"{field} is not a number of seconds")
    return int(value)


def status(*fields: str) -> str:
    for field in fields:
        value = request.form.get(field)
        if value:
            if not re.fullmatch(r"[a-z-]{2,20}", value):
                abort(400, description=f"{field} is not a Twilio status")
            return value
    abort(400, description=f"{' or '.join(fields)} is missing")


def recording_url(field: str = "RecordingUrl") -> str | None:
    """The voicemail's recording on Twilio (https, Twilio's API host), or None."""
    value = request.form.get(field, "")
    if not value:
        return None
    if len(value) > 500 or not re.fullmatch(r"https://api\.twilio\.com/[\w/.-]+", value):
        abort(400, description=f"{field} is not a Twilio recording URL")
    return value
