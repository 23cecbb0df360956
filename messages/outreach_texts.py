"""The words of outreach: texts and calls the hub starts to a patient, in the patient's
language (English or Spanish), saying nothing clinical beyond what the patient's own plan
asks of them ("please reply with today's weight"): a phone may be read by anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from twilio.twiml.voice_response import VoiceResponse

from messages.texts import _when, lang_of

STOP_LINE = {"en": "Reply STOP to stop these texts.",
             "es": "Responda STOP para no recibir estos mensajes."}
SMS = {
    "weights": {
        "en": "{practice}: good morning. Please reply with today's weight (for example: "
              "weight 182).",
        "es": "{practice}: buenos días. Por favor responda con su peso de hoy (por ejemplo: "
              "peso 182).",
    },
    "ccm_checkin": {
        "en": "{practice}: your monthly check-in from your care team. How are you doing? "
              "Reply here with anything you need.",
        "es": "{practice}: su llamada mensual de su equipo de atención. ¿Cómo está? "
              "Responda aquí con lo que necesite.",
    },
    "discharge_checkin": {
        "en": "{practice}: your care team is checking in. How are you feeling today? Reply "
              "here, or call this number to talk with us.",
        "es": "{practice}: su equipo de atención quiere saber de usted. ¿Cómo se siente hoy? "
              "Responda aquí, o llame a este número para hablar con nosotros.",
    },
    "checkin": {
        "en": "{practice}: your care team would like to check in. How are you doing? Reply "
              "here with anything you need.",
        "es": "{practice}: su equipo de atención quiere saber de usted. ¿Cómo está? Responda "
              "aquí con lo que necesite.",
    },
    "appointment": {
        "en": "{practice}: a reminder of your appointment {when}{note}. Reply here or call "
              "this number to change it.",
        "es": "{practice}: le recordamos su cita {when}{note}. Responda aquí o llame a este "
              "número para cambiarla.",
    },
    "refill": {
        "en": "{practice}: a reminder that a prescription refill is due{note}. Reply here or "
              "call this number if you need help.",
        "es": "{practice}: le recordamos que le toca renovar una receta{note}. Responda aquí "
              "o llame a este número si necesita ayuda.",
    },
}
AT = {"en": "at {}", "es": "a {}"}
VOICE = {
    "en": "Hello, this is {practice}, your care team, with your check-in. To talk with us, "
          "call this number back, or reply to us by text. Thank you.",
    "es": "Hola, le llama {practice}, su equipo de atención, para saber cómo está. Para "
          "hablar con nosotros, devuelva la llamada a este número o escríbanos. Gracias.",
}
_VOICES = {"en": "en-US", "es": "es-US"}


@dataclass(frozen=True)
class OutreachTexts:
    """The wording the core's outreach asks for (:class:`hub.outreach.Wording`)."""

    practice: str
    practice_number: str

    def sms(self, kind: str, language: str, when: datetime | None, note: str | None) -> str:
        lang = lang_of(language)
        words = SMS.get(kind, SMS["checkin"])[lang]
        shown = _when(when, lang) if when is not None else ""
        if when is not None:
            shown = AT[lang].format(shown)
        text = words.format(practice=self.practice, when=shown,
                            note=f" ({note})" if note else "")
        return f"{text} {STOP_LINE[lang]}"

    def voice(self, kind: str, language: str) -> str:
        lang = lang_of(language)
        response = VoiceResponse()
        response.say(VOICE[lang].format(practice=self.practice), language=_VOICES[lang])
        return str(response)

    def bridge(self, patient_number: str) -> str:
        """The care manager hears who is being called (no name: the phone may be shared),
        then is connected from the practice number; the call's status callback gives its
        length, counted as care time."""
        response = VoiceResponse()
        response.say("Care line outreach call. Connecting you to your patient now.")
        dial = response.dial(caller_id=self.practice_number)
        dial.number(patient_number)
        return str(response)
