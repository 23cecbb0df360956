"""Every text the hub sends or speaks. Nothing sent to a staff phone carries clinical content.

Staff pages carry an opaque contact reference, a link to the contact (after login) and the
ACK code: never the patient's name, number or words (minimum necessary).
"""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

from twilio.twiml.voice_response import VoiceResponse

EMERGENCY = {
    "en": "If this is an emergency, call 911. For a mental health crisis, call or text 988.",
    "es": "Si es una emergencia, llame al 911. Para una crisis de salud mental, "
          "llame o envíe un texto al 988.",
}
URGENT = {  # red flag, dangerous reading or care-plan rule: 911 first
    "en": "This may be an emergency: call 911 now. Your care team's on-call nurse is being "
          "paged right now and will call you back.",
    "es": "Esto puede ser una emergencia: llame al 911 ahora. Estamos avisando ahora mismo a "
          "la enfermera de guardia de su equipo de atención y le devolverá la llamada.",
}
CRISIS = {  # thoughts of suicide or self-harm: 988 first
    "en": "Please call or text 988 now (Suicide & Crisis Lifeline), or call 911 if you are in "
          "danger. Your care team's on-call nurse is being paged right now and will call you.",
    "es": "Por favor llame o envíe un texto al 988 ahora (Línea de Prevención del Suicidio y "
          "Crisis), o llame al 911 si está en peligro. Estamos avisando ahora mismo a la "
          "enfermera de guardia y le llamará.",
}
ROUTINE = {
    "en": "Thank you, your care team received your message. The on-call nurse reviews it "
          "tonight; refills, appointments and other routine requests are answered on the next "
          "business day.",
    "es": "Gracias, su equipo de atención recibió su mensaje. La enfermera de guardia lo "
          "revisa esta noche; las recetas, citas y otras solicitudes de rutina se contestan el "
          "siguiente día hábil.",
}
ROUTINE_OPEN = {  # a routine message while the office is open
    "en": "Thank you, your care team received your message and will answer it today.",
    "es": "Gracias, su equipo de atención recibió su mensaje y le contestará hoy.",
}
ROUTINE_HELD = {  # a routine message while the office is closed: the morning queue
    "en": "Thank you, your care team received your message. The office is closed now; the "
          "team will answer it after {when}. If you feel worse before then, text us again.",
    "es": "Gracias, su equipo de atención recibió su mensaje. La oficina está cerrada; el "
          "equipo le contestará después de {when}. Si se siente peor antes, escríbanos de "
          "nuevo.",
}
_WEEKDAYS = {"en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                    "Sunday"),
             "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")}
_MONTHS = {"en": ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"),
           "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                  "septiembre", "octubre", "noviembre", "diciembre")}


def _when(at: datetime, lang: str) -> str:
    """A local opening time as a patient reads it: "Friday, November 27 at 8:00 AM"."""
    day, month = _WEEKDAYS[lang][at.weekday()], _MONTHS[lang][at.month - 1]
    if lang == "es":
        return f"las {at:%H:%M} del {day} {at.day} de {month}"
    clock = f"{at.hour % 12 or 12}:{at:%M} {'AM' if at.hour < 12 else 'PM'}"
    return f"{clock} on {day}, {month} {at.day}"


DETAILS = {
    "en": "We received your message but it was empty. Please reply with what you need or how "
          "you feel.",
    "es": "Recibimos su mensaje pero llegó vacío. Por favor responda con lo que necesita o "
          "cómo se siente.",
}
CALL_RECEIVED = {
    "en": "Thank you for calling your care team. The on-call nurse has been paged and will "
          "call you back.",
    "es": "Gracias por llamar a su equipo de atención. Se avisó a la enfermera de guardia y "
          "le devolverá la llamada.",
}


def _lang(language: str | None) -> str:
    return language if language in EMERGENCY else "en"


def patient_reply(language: str | None, guidance: str | None = None,
                  needs_details: bool = False, hours_known: bool = False,
                  answer_after: datetime | None = None) -> str:
    """The auto-reply to a patient or caregiver, in their language: 911 or 988 first when
    triage says so; otherwise honest about when the practice answers (after ``answer_after``,
    local time, when the message waits for opening hours), with the emergency numbers."""
    lang = _lang(language)
    if guidance == "988":
        return CRISIS[lang]
    if guidance == "911":
        return URGENT[lang]
    if needs_details:
        text = DETAILS[lang]
    elif answer_after is not None:
        text = ROUTINE_HELD[lang].format(when=_when(answer_after, lang))
    else:
        text = (ROUTINE_OPEN if hours_known else ROUTINE)[lang]
    return f"{text} {EMERGENCY[lang]}"


WHICH = {"en": ("Which patient is this about? Reply", "for", "or"),
         "es": ("¿De qué paciente se trata? Responda", "para", "o")}
NOTED = {"en": "Thank you, noted: this is about {name}.",
         "es": "Gracias, anotado: se trata de {name}."}


def which_patient(first_names: list[str], language: str | None) -> str:
    """Ask a sender who may mean several patients which one (first names only)."""
    ask, for_word, or_word = WHICH[_lang(language)]
    options = [f"{i} {for_word} {name}" for i, name in enumerate(first_names, start=1)]
    return f"{ask} {', '.join(options[:-1])} {or_word} {options[-1]}."


def patient_noted(first_name: str, language: str | None) -> str:
    return NOTED[_lang(language)].format(name=first_name)


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
    lang = _lang(language)
    return f"{CALL_RECEIVED[lang]} {EMERGENCY[lang]}"


def call_voicemail_twiml(language: str | None, transcription_url: str, done_url: str) -> str:
    """Answer a patient's call: the team was paged, emergency numbers, then a voicemail whose
    transcript Twilio posts back to be triaged."""
    lang = _lang(language)
    response = VoiceResponse()
    response.say(_call_greeting(lang), language=_VOICES[lang])
    response.say(VOICEMAIL_PROMPT[lang], language=_VOICES[lang])
    response.record(max_length=120, finish_on_key="#", play_beep=True, transcribe=True,
                    transcribe_callback=transcription_url, action=done_url, method="POST")
    return str(response)


def call_thanks_twiml(language: str | None) -> str:
    lang = _lang(language)
    response = VoiceResponse()
    response.say(VOICEMAIL_THANKS[lang], language=_VOICES[lang])
    response.hangup()
    return str(response)


def page_sms(ref: str, ack_code: str, link: str, urgent: bool,
             plan_rules: tuple[str, ...] = ()) -> str:
    """The page to a staff member's phone: reference, link and ACK code only; for a
    care-plan threshold, the rule's code (R2), which only the care plan page explains."""
    head = "URGENT care line page" if urgent else "Care line page"
    rules = f" (care-plan rule {', '.join(plan_rules)})" if plan_rules else ""
    return (f"{head} {ref}{rules}: a patient contact needs a callback. {link} "
            f"Reply ACK {ack_code}")


def page_bundle_sms(pages: list[tuple[str, str, bool]], inbox: str, listed: int = 8) -> str:
    """Several pages to one person in one SMS (they reached the rate limit): each contact's
    reference and ACK code, urgent ones first and marked, no clinical content."""
    ordered = sorted(pages, key=lambda page: not page[2])
    urgent = sum(1 for page in pages if page[2])
    head = f"Care line: {len(pages)} pages for you" + (f", {urgent} URGENT" if urgent else "")
    items = "; ".join(f"{ref} ACK {code}" + (" URGENT" if is_urgent else "")
                      for ref, code, is_urgent in ordered[:listed])
    more = f"; {len(pages) - listed} more in the inbox" if len(pages) > listed else ""
    return f"{head}: {items}{more}. {inbox} Reply ACK ALL, or ACK <code>"


_TWIML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
# What XML escapes in an attribute value besides & < > (as ElementTree writes it).
_ATTRIBUTE = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#09;"}


def page_call_twiml(ref: str, gather_url: str, urgent: bool) -> str:
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


def callback_twiml(ref: str, number: str, practice_number: str, done_url: str) -> str:
    """The staff member's phone rings; once answered, they are connected to ``number`` from
    the practice number (their own stays private). Twilio posts the connected seconds to
    ``done_url`` when the patient's side hangs up."""
    response = VoiceResponse()
    response.say(f"Care line callback for contact {' '.join(ref)}. Connecting you now.")
    dial = response.dial(caller_id=practice_number, action=done_url, method="POST")
    dial.number(number)
    return str(response)


def callback_done_twiml(connected: bool) -> str:
    response = VoiceResponse()
    if not connected:
        response.say("The call did not connect. Goodbye.")
    response.hangup()
    return str(response)


def staff_calling(ref: str) -> str:
    return f"Calling you now: answer to be connected to the sender of {ref}."


def call_ack_twiml(acknowledged: bool) -> str:
    response = VoiceResponse()
    response.say("Acknowledged. Thank you." if acknowledged else "Not acknowledged. Goodbye.")
    return str(response)


def twiml_message(text: str | None) -> str:
    """A messaging TwiML answer, with one message back to the sender when ``text`` is given.

    Every inbound text is answered with this, so it is written directly: the same document
    twilio's MessagingResponse builds (tests compare the two), without an element tree.
    """
    if not text:
        return _TWIML_HEAD + "<Response />"
    return f"{_TWIML_HEAD}<Response><Message>{escape(text)}</Message></Response>"


def staff_number_broken(staff_name: str, channel: str, code: int | None, calling: bool) -> str:
    """To the managers: a staff member's number refuses pages (no patient data in it)."""
    then = "they are being called instead" if calling else "the next on call is being paged"
    return (f"Care line: {staff_name}'s number cannot take {channel} pages (Twilio error "
            f"{code}); {then}. Please fix the number in the staff list.")


STAFF_HELP = ("Reply ACK or ACK <code> to take a page (ACK ALL for every open one), CALL "
              "<code> to be connected to the sender from the practice number, RESOLVE <code> "
              "to close it (RESOLVE <code> <minutes> also counts your care time).")


def staff_acknowledged(ref: str) -> str:
    return f"Acknowledged {ref}. Escalation stopped. Reply RESOLVE <code> when done."


def staff_already(ref: str, state: str) -> str:
    return f"{ref} is already {state}."


def staff_resolved(ref: str, minutes: int | None = None, counted: bool = True) -> str:
    """The reply to RESOLVE: whether the care time was noted (never assumed)."""
    if minutes is None:
        time = "No care time noted; add it on the contact page if you spent any."
    elif counted:
        time = f"{minutes} min of care time noted."
    else:
        time = f"{minutes} min not counted: the contact is not filed under one patient."
    return f"Resolved {ref}. {time} Thank you."


def staff_bad_minutes(reason: str) -> str:
    return f"Not done: {reason}. Example: RESOLVE 1234 15"


def staff_acknowledged_all(refs: list[str]) -> str:
    return (f"Acknowledged {len(refs)}: {', '.join(refs)}. Escalation stopped. "
            "Reply RESOLVE <code> for each when done.")


def staff_which(codes: list[str]) -> str:
    return "Several pages are open: reply ACK " + " or ACK ".join(codes)


def staff_nothing_open() -> str:
    return "No open page for you matches. " + STAFF_HELP
