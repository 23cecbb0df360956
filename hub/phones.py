"""Phone numbers: parse anything people type into E.164, and the keyed hash used to find them."""

from __future__ import annotations

import phonenumbers

from hub.crypto import active


class NotAPhoneNumber(ValueError):
    """The text does not parse as a possible phone number (the message never echoes it)."""


DEFAULT_REGION = "US"
MEXICO = 52


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """Parse ``raw`` (E.164, international, or national format in ``region``) to E.164.

    A Mexican mobile written the pre-2019 way, with a 1 after the country code (+52 1 55
    1234 5678), is the same line as +52 55 1234 5678, which is how carriers (and Twilio's
    ``From``) give it now: the 1 is dropped so both match.
    """
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise NotAPhoneNumber("not a phone number") from None
    national = str(number.national_number)
    if number.country_code == MEXICO and len(national) == 11 and national.startswith("1"):
        number.national_number = int(national[1:])
    if not phonenumbers.is_possible_number(number):
        raise NotAPhoneNumber("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_index(e164: str) -> str:
    """The keyed hash a number is looked up by; never the number itself."""
    return active().blind_index(e164)
