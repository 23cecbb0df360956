"""Twilio's reserved SMS keywords: a message that is only one of these is not a contact.

Twilio handles them on the practice number (default opt-out handling, or a Messaging
Service's Advanced Opt-Out): after an opt-out word it refuses every SMS to the sender until an
opt-in word, and it confirms each itself. The hub records them and answers HELP with the
practice's own words. Matching follows Twilio's: the whole message, any case, surrounding
spaces and punctuation ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from hub import contact_log, opt_outs
from hub.matching import identify
from hub.models import InboundReceipt
from hub.phones import phone_index
from messages import texts
from messages.runtime import Runtime

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT",
                     "REVOKE"})
OPT_IN = frozenset({"START", "UNSTOP", "YES"})
HELP = frozenset({"HELP", "INFO"})
_WORD = re.compile(r"^[\s\W_]*([A-Za-z]+)[\s\W_]*$")


@dataclass(frozen=True)
class Keyword:
    kind: str  # opt_out | opt_in | help
    word: str  # as Twilio names it: STOP, START, HELP...


def match(body: str | None) -> Keyword | None:
    """The keyword a message is, or None for any other message."""
    found = _WORD.match(body or "")
    if found is None:
        return None
    word = found.group(1).upper()
    for kind, words in (("opt_out", OPT_OUT), ("opt_in", OPT_IN), ("help", HELP)):
        if word in words:
            return Keyword(kind, word)
    return None


def answer(keyword: Keyword, sid: str, sender: str | None, rt: Runtime,
           now: datetime) -> str | None:
    """Record an opt-out or opt-in (audited) or answer HELP; return the text to answer with
    ("" for none: Twilio confirms STOP and START itself), or None when the message is no
    keyword after all: a nurse's HELP (the staff help answers it) or a YES from a number
    that never opted out (an answer like any other)."""
    index = phone_index(sender) if sender else None
    with rt.session() as session:
        seen = session.get(InboundReceipt, sid)
        if seen is not None:  # Twilio delivering the same message again
            return seen.reply or ""
        found = identify(session.connection(), index)
        if keyword.kind == "help" and found.staff_id is not None and found.kind == "unknown":
            return None
        if keyword.word == "YES" and not found.opted_out:
            return None
        reply = ""
        if keyword.kind == "help":
            reply = texts.help_reply(rt.settings.practice_name, rt.policy.hours,
                                     found.language)
        elif index is not None and opt_outs.record(session, index, keyword.kind == "opt_out",
                                                   keyword.word, now):
            contact_log.append(
                session, "sms.opted_out" if keyword.kind == "opt_out" else "sms.opted_in",
                at=now, actor="sms", detail={
                    "keyword": keyword.word, "patient_ids": list(found.candidates),
                    "caregiver_id": found.caregiver_id, "staff_id": found.staff_id})
        session.add(InboundReceipt(sid=sid, kind="keyword", reply=reply))
    return reply
