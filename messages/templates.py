"""Every text the hub sends or speaks. Nothing sent to a staff phone carries clinical content.

Staff pages carry an opaque contact reference, a link to the contact (after login) and the
ACK code: never the patient's name, number or words (minimum necessary).
"""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

EMERGENCY = {
    "en": "If this is an emergency, call 911. For a mental health crisis, call or text 988.",
    "es": "Si es una emergencia, llame al 911. Para una crisis de salud mental, "
          "llame o envíe un texto al 988.",
}
RECEIVED = {
    "en": "Your care team has received your message and the on-call nurse has been paged. "
          "They will call you back.",
    "es": "Su equipo de atención recibió su mensaje y se avisó a la enfermera de guardia. "
          "Le devolverán la llamada.",
}
CALL_RECEIVED = {
    "en": "Thank you for calling your care team. The on-call nurse has been paged and will "
          "call you back.",
    "es": "Gracias por llamar a su equipo de atención. Se avisó a la enfermera de guardia y "
          "le devolverá la llamada.",
}


def _lang(language: str | None) -> str:
    return language if language in EMERGENCY else "en"


def patient_reply(language: str | None) -> str:
    """The auto-reply to a patient or caregiver: reached, and what to do in an emergency."""
    lang = _lang(language)
    return f"{RECEIVED[lang]} {EMERGENCY[lang]}"


def patient_call_greeting(language: str | None) -> str:
    lang = _lang(language)
    return f"{CALL_RECEIVED[lang]} {EMERGENCY[lang]}"


def page_sms(ref: str, ack_code: str, link: str, urgent: bool) -> str:
    """The page to a staff member's phone: reference, link and ACK code only."""
    head = "URGENT care line page" if urgent else "Care line page"
    return f"{head} {ref}: a patient contact needs a callback. {link} Reply ACK {ack_code}"


def page_call_twiml(ref: str, gather_url: str, urgent: bool) -> str:
    """TwiML for a paging call: press 1 to acknowledge."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=gather_url, method="POST", timeout=10)
    words = "Urgent care line page." if urgent else "Care line page."
    spelled = " ".join(ref)
    gather.say(f"{words} Contact {spelled} needs a callback. Press 1 to acknowledge.")
    response.append(gather)
    response.say("No key pressed. Goodbye.")
    return str(response)


def call_ack_twiml(acknowledged: bool) -> str:
    response = VoiceResponse()
    response.say("Acknowledged. Thank you." if acknowledged else "Not acknowledged. Goodbye.")
    return str(response)


def twiml_message(text: str | None) -> str:
    """A messaging TwiML answer, with one message back to the sender when ``text`` is given."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)


def twiml_say(text: str) -> str:
    response = VoiceResponse()
    response.say(text)
    return str(response)


STAFF_HELP = "Reply ACK or ACK <code> to take a page, RESOLVE <code> to close it."


def staff_acknowledged(ref: str) -> str:
    return f"Acknowledged {ref}. Escalation stopped. Reply RESOLVE <code> when done."


def staff_already(ref: str, state: str) -> str:
    return f"{ref} is already {state}."


def staff_resolved(ref: str) -> str:
    return f"Resolved {ref}. Thank you."


def staff_which(codes: list[str]) -> str:
    return "Several pages are open: reply ACK " + " or ACK ".join(codes)


def staff_nothing_open() -> str:
    return "No open page for you matches. " + STAFF_HELP
