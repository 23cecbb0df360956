"""How a page to staff reads: the SMS text or the paging call's TwiML (routing's
:class:`~routing.step_writer.PageWording`), with the links it carries; no clinical content."""

from __future__ import annotations

import json
from dataclasses import dataclass

from hub.models import Contact
from messages import texts, twiml
from messages.links import Links


@dataclass(frozen=True)
class PageTexts:
    """The edge's wording of pages, handed to routing: ``PageTexts(Links(public_url))``."""

    links: Links

    def page(self, contact: Contact, page_id: int, channel: str) -> str:
        """The page of ``contact`` on ``channel`` (``call`` or ``sms``)."""
        urgent = contact.urgency == "urgent"
        if channel == "call":
            return twiml.page_call(contact.ref, self.links.call_gather(page_id), urgent)
        plan_rules = tuple(json.loads(contact.triage or "{}").get("plan_rules", ()))
        return texts.page_sms(contact.ref, contact.ack_code or "",
                              self.links.contact(contact.ref), urgent, plan_rules)

    def fallback_call(self, contact: Contact) -> str:
        """The last-resort call to the fallback number: which contact waits (no patient data)."""
        return twiml.fallback_call(contact.ref, contact.urgency == "urgent")

    def set_aside(self, what: str, ref: str | None, error: str) -> str:
        """The managers' SMS about a row the engine set aside after repeated failures."""
        return texts.set_aside_alert(what, ref, error)
