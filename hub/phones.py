"""Phone numbers: parse anything people type into E.164, and the keyed hash used to find them."""

from __future__ import annotations

import phonenumbers

from hub.crypto import active


class NotAPhoneNumber(ValueError):
    """The text does not parse as a possible phone number (the message never echoes it)."""


def to_e164(raw: str, region: str = "US") -> str:
    """Parse ``raw`` (E.164, national or international format) to E.164."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise NotAPhoneNumber("not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise NotAPhoneNumber("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_index(e164: str) -> str:
    """The keyed hash a number is looked up by; never the number itself."""
    return active().blind_index(e164)
