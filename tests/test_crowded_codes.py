"""A night nobody answers: thousands of contacts open at once still each get an ACK code.

Codes have four digits while those have room. When the line holds more open contacts than
four digits can tell apart (10,000 here: every four-digit code taken), a new text is still
paged, with a longer code, and the nurse's ``ACK <code>`` and ``RESOLVE <code>`` take it.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, insert, select

from hub.contacts import new_ack_codes
from hub.models import Contact, utcnow
from tests.practice import BEN, WALTER

OPEN_ALREADY = 10_000


def _open_contacts(rt, codes: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Contacts left open earlier in the night, one per code, inserted as rows (fast)."""
    at = utcnow() - timedelta(hours=3)
    with rt.sessions.begin() as session:
        session.execute(insert(Contact), [
            {"ref": f"OLD{i:07d}", "channel": "sms", "received_at": at, "status": "paging",
             "urgency": "routine", "ack_code": code, "escalation_step": 1, "version": 0}
            for i, code in enumerate(codes)])


def test_with_ten_thousand_contacts_open_a_new_text_is_paged_with_a_longer_code_and_acked(
        rt, twilio, twilio_api, practice):
    every_four_digit_code = [str(n) for n in range(1000, 10_000)]
    _open_contacts(rt, every_four_digit_code + [str(n) for n in range(10_000, 11_000)])

    twilio.sms(WALTER, "my ankles are swollen again tonight")
    (page,) = twilio_api.wait_for(1)
    code = re.search(r"Reply ACK (\d+)$", page.form["Body"]).group(1)
    assert len(code) == 5 and not 10_000 <= int(code) < 11_000
    with rt.sessions() as session:
        walter = session.scalars(select(Contact).where(Contact.ref.not_like("OLD%"))).one()
        assert walter.status == "paging" and walter.ack_code == code  # never set aside
        assert session.scalar(select(func.count()).select_from(Contact)) == OPEN_ALREADY + 1

    assert "Acknowledged" in twilio.sms(BEN, f"ACK {code}").text
    assert "Resolved" in twilio.sms(BEN, f"RESOLVE {code} 10").text
    with rt.sessions() as session:
        assert session.get(Contact, walter.id).status == "resolved"


def test_a_burst_of_codes_at_once_are_all_different_and_none_an_open_contacts(rt, practice):
    taken = [str(n) for n in range(1000, 10_000) if n % 10]  # nine in ten four-digit codes
    _open_contacts(rt, taken)
    with rt.sessions() as session:
        codes = new_ack_codes(session, 250)  # one engine batch
    assert len(set(codes)) == 250
    assert not set(codes) & set(taken)
    assert all(code.isdigit() and 4 <= len(code) <= 8 for code in codes)


def test_while_few_contacts_are_open_codes_keep_four_digits(rt, practice):
    with rt.sessions() as session:
        codes = new_ack_codes(session, 250)
    assert {len(code) for code in codes} == {4} and len(set(codes)) == 250
