"""What a caller and the staff member rung for them hear on a live call: every voice-menu
and dial TwiML document. The staff leg's words never carry patient data (an opaque
reference only); the caller's menus name patients by first name only.

Every menu is a ``<Gather>`` followed by a ``<Redirect>`` to the same action: a caller who
presses nothing (or cannot use a keypad) moves on to the next stage, never to a hang-up.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from messages.texts import lang_of

VOICES = {"en": "en-US", "es": "es-US"}
EMERGENCY = {
    "en": "If this is a medical emergency, hang up and dial 911. For a mental health crisis, "
          "dial 988.",
    "es": "Si es una emergencia médica, cuelgue y marque el 911. Para una crisis de salud "
          "mental, marque el 988.",
}
CHOOSE_LANGUAGE = "For English, press 1. Para español, oprima el 2."
WHICH = {"en": ("Which patient is this call about?", "For {name}, press {n}."),
         "es": ("¿De qué paciente se trata?", "Para {name}, oprima el {n}.")}
BIRTH_DATE = {
    "en": "To find the patient's care plan, enter the patient's date of birth: two digits for "
          "the month, two for the day, and four for the year. Or stay on the line.",
    "es": "Para encontrar el plan de cuidado del paciente, marque su fecha de nacimiento: dos "
          "dígitos para el mes, dos para el día y cuatro para el año. O espere en la línea.",
}
MENU = {
    "en": "To speak with the on-call care team now, press 1 or stay on the line. To leave a "
          "message instead, press 2.",
    "es": "Para hablar ahora con el equipo de guardia, oprima el 1 o espere en la línea. Para "
          "dejar un mensaje, oprima el 2.",
}
CONNECTING = {
    "en": "Connecting you to the on-call care team. Please stay on the line.",
    "es": "Le estamos comunicando con el equipo de guardia. Por favor espere en la línea.",
}
STILL_CONNECTING = {
    "en": "Still connecting you to the care team. Please stay on the line.",
    "es": "Seguimos comunicándole con el equipo de atención. Por favor espere en la línea.",
}
NOBODY = {
    "en": "Nobody could take your call right now. The on-call nurse is being paged and will "
          "call you back.",
    "es": "Nadie pudo contestar su llamada en este momento. Estamos avisando a la enfermera de "
          "guardia y le devolverá la llamada.",
}
VOICEMAIL_PROMPT = {
    "en": "After the tone, please say what is happening and press the pound key when done.",
    "es": "Después del tono, por favor diga qué está pasando y oprima la tecla numeral al "
          "terminar.",
}
GOODBYE = {"en": "Thank you for calling your care team. Goodbye.",
           "es": "Gracias por llamar a su equipo de atención. Adiós."}
# On the staff member's phone: no name, number or words of the caller.
WHISPER = ("Care-line call, patient reference {ref}. Press 1 to accept, 2 to pass it to the "
           "next person.")


def _say(response: VoiceResponse, text: str, lang: str) -> None:
    response.say(text, language=VOICES[lang])


def ask_language(action: str) -> str:
    """An unknown caller: the emergency numbers, then a one-key language choice (silence:
    English)."""
    response = VoiceResponse()
    _say(response, EMERGENCY["en"], "en")
    gather = response.gather(num_digits=1, timeout=5, action=action, method="POST")
    gather.say(CHOOSE_LANGUAGE, language="en-US")
    response.redirect(action, method="POST")
    return str(response)


def ask_which(language: str | None, first_names: list[str], action: str,
              greet: bool = False) -> str:
    """A caller who may mean several patients: which one, by first name (silence: moves on,
    filed under none of them)."""
    lang = lang_of(language)
    response = VoiceResponse()
    if greet:
        _say(response, EMERGENCY[lang], lang)
    question, option = WHICH[lang]
    options = " ".join(option.format(name=name, n=n) for n, name in enumerate(first_names, 1))
    gather = response.gather(num_digits=1, timeout=6, action=action, method="POST")
    _say(gather, f"{question} {options}", lang)
    response.redirect(action, method="POST")
    return str(response)


def ask_birth_date(language: str | None, action: str, greet: bool = False) -> str:
    lang = lang_of(language)
    response = VoiceResponse()
    if greet:
        _say(response, EMERGENCY[lang], lang)
    gather = response.gather(num_digits=8, timeout=8, finish_on_key="#", action=action,
                             method="POST")
    _say(gather, BIRTH_DATE[lang], lang)
    response.redirect(action, method="POST")
    return str(response)


def menu(language: str | None, action: str, greet: bool = False) -> str:
    """Speak to someone now (1, or silence) or leave a message (2)."""
    lang = lang_of(language)
    response = VoiceResponse()
    if greet:
        _say(response, EMERGENCY[lang], lang)
    gather = response.gather(num_digits=1, timeout=5, action=action, method="POST")
    _say(gather, MENU[lang], lang)
    response.redirect(action, method="POST")
    return str(response)


def dial(language: str | None, numbers: list[tuple[str, str]], ring_seconds: int,
         action: str, caller_id: str, first: bool) -> str:
    """Ring ``numbers`` together (each with its whisper URL) for ``ring_seconds``; the
    caller hears that they are being connected, then ringing."""
    lang = lang_of(language)
    response = VoiceResponse()
    _say(response, (CONNECTING if first else STILL_CONNECTING)[lang], lang)
    dial_verb = response.dial(timeout=ring_seconds, action=action, method="POST",
                              caller_id=caller_id, answer_on_bridge=True)
    for number, whisper_url in numbers:
        dial_verb.number(number, url=whisper_url, method="POST")
    return str(response)


def dial_fallback(language: str | None, number: str, action: str, caller_id: str) -> str:
    """The practice's fallback number (an answering service): a person there answers; no
    whisper."""
    lang = lang_of(language)
    response = VoiceResponse()
    _say(response, STILL_CONNECTING[lang], lang)
    dial_verb = response.dial(timeout=30, action=action, method="POST", caller_id=caller_id)
    dial_verb.number(number)
    return str(response)


def voicemail(language: str | None, transcription_url: str, done_url: str,
              nobody: bool = False) -> str:
    """A voicemail whose transcript Twilio posts back to be triaged; ``nobody``: no staff
    member accepted the call."""
    lang = lang_of(language)
    response = VoiceResponse()
    if nobody:
        _say(response, NOBODY[lang], lang)
    _say(response, VOICEMAIL_PROMPT[lang], lang)
    response.record(max_length=120, finish_on_key="#", play_beep=True, transcribe=True,
                    transcribe_callback=transcription_url, action=done_url, method="POST")
    return str(response)


def goodbye(language: str | None) -> str:
    lang = lang_of(language)
    response = VoiceResponse()
    _say(response, GOODBYE[lang], lang)
    response.hangup()
    return str(response)


def whisper(ref: str, accept_url: str) -> str:
    """The staff leg, once answered: an opaque reference and press 1 to accept. No key (a
    voicemail, a phone in a pocket) hangs the leg up: only a keypress accepts."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, timeout=8, action=accept_url, method="POST")
    gather.say(WHISPER.format(ref=" ".join(ref)))
    gather.pause(length=1)
    gather.say(WHISPER.format(ref=" ".join(ref)))
    response.hangup()
    return str(response)


def accepted() -> str:
    """The acceptor hears this, then the caller (the whisper document ends: Twilio bridges)."""
    response = VoiceResponse()
    response.say("Connecting you to the caller.")
    return str(response)


def hang_up(words: str | None = None) -> str:
    response = VoiceResponse()
    if words:
        response.say(words)
    response.hangup()
    return str(response)


def unreachable(fallback: str | None, kept_url: str) -> str:
    """The database cannot be reached as a call comes in: the emergency numbers, then the
    fallback number when set, else (or when it does not answer) a voicemail Twilio keeps."""
    response = VoiceResponse()
    _say(response, EMERGENCY["en"], "en")
    _say(response, EMERGENCY["es"], "es")
    if fallback:
        response.dial(timeout=30).number(fallback)
    _say(response, VOICEMAIL_PROMPT["en"], "en")
    response.record(max_length=120, finish_on_key="#", play_beep=True, action=kept_url,
                    method="POST")
    return str(response)
