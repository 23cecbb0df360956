"""Every TwiML document the hub answers Twilio with: what a caller or a paged staff member
hears, and the messaging answer to an inbound text. Spoken words never carry clinical
content to a staff phone."""

from __future__ import annotations

from xml.sax.saxutils import escape

from twilio.twiml.voice_response import VoiceResponse

from messages.texts import EMERGENCY, lang_of

CALL_RECEIVED = {
    "en": "Thank you for calling your care team. The on-call nurse has been paged and will "
          "call you back.",
    "es": "Gracias por llamar a su equipo de atención. Se avisó a la enfermera de guardia y "
          "le devolverá la llamada.",
}


VOICEMAIL_PROMPT = {
    "en": "After the tone, please say what is happening and press the pound key when done.",
    "es": "Después del tono, por favor diga qué está pasando y oprima la tecla numeral al "
          "terminar.",
}
VOICEMAIL_THANKS = {
    "en": "Thank you. The on-call nurse will call you back.",
    "es": "Gracias. La enfermera de guardia le devolverá la llamada.",
}
_VOICES = {"en": "en-US", "es": "es-US"}


def _call_greeting(language: str | None) -> str:
    lang = lang_of(language)
    return f"{CALL_RECEIVED[lang]} {EMERGENCY[lang]}"


def voicemail(language: str | None, transcription_url: str, done_url: str) -> str:
    """Answer a patient's call: the team was paged, emergency numbers, then a voicemail whose
    transcript Twilio posts back to be triaged."""
    lang = lang_of(language)
    response = VoiceResponse()
    response.say(_call_greeting(lang), language=_VOICES[lang])
    response.say(VOICEMAIL_PROMPT[lang], language=_VOICES[lang])
    response.record(max_length=120, finish_on_key="#", play_beep=True, transcribe=True,
                    transcribe_callback=transcription_url, action=done_url, method="POST")
    return str(response)


def voicemail_thanks(language: str | None) -> str:
    lang = lang_of(language)
    response = VoiceResponse()
    response.say(VOICEMAIL_THANKS[lang], language=_VOICES[lang])
    response.hangup()
    return str(response)


_TWIML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
# What XML escapes in an attribute value besides & < > (as ElementTree writes it).
_ATTRIBUTE = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#09;"}


def page_call(ref: str, gather_url: str, urgent: bool) -> str:
    """TwiML for a paging call: press 1 to acknowledge.

    Written as text, not built with twilio's ``VoiceResponse`` as the other TwiML here: a
    storm of due steps renders thousands at once, and the element tree cost more than the
    rest of a step's page. The output is the same document ``VoiceResponse`` would write.
    """
    words = "Urgent care line page." if urgent else "Care line page."
    spelled = escape(" ".join(ref))
    return (f"{_TWIML_HEAD}<Response>"
            f'<Gather action="{escape(gather_url, _ATTRIBUTE)}" method="POST" numDigits="1" '
            f'timeout="10">'
            f"<Say>{words} Contact {spelled} needs a callback. Press 1 to acknowledge.</Say>"
            f"</Gather><Say>No key pressed. Goodbye.</Say></Response>")


def fallback_call(ref: str, urgent: bool) -> str:
    """The call to the fallback number (an answering service) when every escalation step
    went unanswered: the contact's reference, said twice; no patient data."""
    words = (f"{'Urgent care' if urgent else 'Care'} line. Contact {escape(' '.join(ref))} "
             "has not been acknowledged by anyone on call. Please reach the on-call team or "
             "the practice manager now.")
    return f"{_TWIML_HEAD}<Response><Say>{words}</Say><Say>{words}</Say></Response>"


def _refs_said(refs: list[str], listed: int = 5) -> str:
    said = ", ".join(" ".join(ref) for ref in refs[:listed])
    more = f", and {len(refs) - listed} more" if len(refs) > listed else ""
    return escape(said + more)


def round_call(refs: list[str], urgent: int, gather_url: str) -> str:
    """A last-resort round's one call to a manager about every contact waiting for her this
    round (references only): press 1 to acknowledge them all."""
    how_many = f"{len(refs)} contacts, {urgent} urgent," if urgent else f"{len(refs)} contacts"
    return (f"{_TWIML_HEAD}<Response>"
            f'<Gather action="{escape(gather_url, _ATTRIBUTE)}" method="POST" numDigits="1" '
            f'timeout="10">'
            f"<Say>Care line, last resort. {how_many} have not been acknowledged by anyone on "
            f"call: {_refs_said(refs)}. Press 1 to acknowledge all of them, or open the care "
            f"line inbox.</Say></Gather><Say>No key pressed. Goodbye.</Say></Response>")


def page_bundle_call(refs: list[str], urgent: int, gather_url: str) -> str:
    """One paging call about several contacts due at once for the person it rings
    (references only): press 1 to acknowledge them all."""
    how_many = (f"{len(refs)} contacts, {urgent} urgent, are" if urgent
                else f"{len(refs)} contacts are")
    return (f"{_TWIML_HEAD}<Response>"
            f'<Gather action="{escape(gather_url, _ATTRIBUTE)}" method="POST" numDigits="1" '
            f'timeout="10">'
            f"<Say>{'Urgent care' if urgent else 'Care'} line page. {how_many} waiting for "
            f"you: {_refs_said(refs)}. Press 1 to acknowledge all of them, or open the care "
            f"line inbox.</Say></Gather><Say>No key pressed. Goodbye.</Say></Response>")


def all_taken() -> str:
    """A call about contacts that were all taken by someone before it was answered."""
    return (f"{_TWIML_HEAD}<Response><Say>Care line. Those contacts have already been "
            "taken. Goodbye.</Say></Response>")


def fallback_round_call(refs: list[str], urgent: int) -> str:
    """A last-resort round's one call to the fallback number about several contacts."""
    words = (f"Care line. {len(refs)} contacts{f', {urgent} urgent,' if urgent else ''} have "
             f"not been acknowledged by anyone on call: {_refs_said(refs)}. Please reach the "
             "on-call team or the practice manager now.")
    return f"{_TWIML_HEAD}<Response><Say>{words}</Say><Say>{words}</Say></Response>"


def callback(ref: str, number: str, practice_number: str, done_url: str) -> str:
    """The staff member's phone rings; once answered, they are connected to ``number`` from
    the practice number (their own stays private). Twilio posts the connected seconds to
    ``done_url`` when the patient's side hangs up."""
    response = VoiceResponse()
    response.say(f"Care line callback for contact {' '.join(ref)}. Connecting you now.")
    dial = response.dial(caller_id=practice_number, action=done_url, method="POST")
    dial.number(number)
    return str(response)


def callback_done(connected: bool) -> str:
    response = VoiceResponse()
    if not connected:
        response.say("The call did not connect. Goodbye.")
    response.hangup()
    return str(response)


def call_ack(acknowledged: bool) -> str:
    response = VoiceResponse()
    response.say("Acknowledged. Thank you." if acknowledged else "Not acknowledged. Goodbye.")
    return str(response)


def message(text: str | None) -> str:
    """A messaging TwiML answer, with one message back to the sender when ``text`` is given.

    Every inbound text is answered with this, so it is written directly: the same document
    twilio's MessagingResponse builds (tests compare the two), without an element tree.
    """
    if not text:
        return _TWIML_HEAD + "<Response />"
    return f"{_TWIML_HEAD}<Response><Message>{escape(text)}</Message></Response>"
