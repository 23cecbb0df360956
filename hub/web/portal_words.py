"""The portal's words in English and Spanish, and which language a request reads them in:
the switch on the page (kept in the session) first, then the patient's profile language once
one is chosen, then the browser's Accept-Language, else English."""

from __future__ import annotations

from flask import request, session

LANGUAGES = ("en", "es")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Messages with your care team",
        "sign_in": "Sign in",
        "phone": "Phone",
        "phone_help": "The mobile number your care team has on file. We text it a code.",
        "send_code": "Text me a code",
        "code": "Code",
        "code_help": "If this number is on file with your care team, we texted it a "
                     "6-digit code. It is valid for 10 minutes.",
        "check_code": "Sign in",
        "new_code": "Text me a new code",
        "bad_phone": "Phone: give the number with its area code, like 202 555 0142.",
        "code_wrong": "That code is not right. {left} tries left.",
        "code_none": "This code is no longer valid (used, expired or replaced). Ask for a new "
                     "one.",
        "locked": "Too many wrong codes. For your safety this number is locked until {until} "
                  "UTC. Then ask for a new code.",
        "too_many": "Too many codes asked for. Wait a few minutes and try again.",
        "no_code_yet": "Give your phone number first.",
        "ended_idle": "You were signed out after {minutes} minutes of inactivity. Sign in "
                      "again.",
        "ended_logout": "You signed out.",
        "choose": "Who is this about?",
        "choose_help": "You care for more than one person. Choose whose messages to open.",
        "emergency": "In an emergency call 911. For a mental health crisis call or text 988.",
        "write": "Write to your care team",
        "message": "Message",
        "photo": "Photo (optional)",
        "photo_help": "A JPEG, PNG, GIF, WebP or HEIC picture, or a PDF, up to {mb} MB.",
        "send": "Send",
        "sent": "Sent.",
        "nothing": "No messages yet.",
        "you": "You",
        "team": "care team",
        "empty": "Write a message or add a photo.",
        "photo_too_large": "The photo was not sent: it is larger than {mb} MB. Your words "
                           "are still here: send them again with a smaller photo or none.",
        "photo_type": "The photo was not sent: only JPEG, PNG, GIF, WebP or HEIC pictures "
                      "and PDF files are taken. Your words are still here: send them again.",
        "photo_only": "(a photo)",
        "too_long": "Message: at most {limit} characters.",
        "sign_out": "Sign out",
        "switch": "Español",
        "other_person": "Switch person",
        "attachment": "Photo",
        "sms_note": "Nothing you write here is sent by text message. When your care team "
                    "answers, we text you that there is a new message.",
    },
    "es": {
        "title": "Mensajes con su equipo de atención",
        "sign_in": "Entrar",
        "phone": "Teléfono",
        "phone_help": "El número de celular que tiene su equipo de atención. Le enviamos un "
                      "código por texto.",
        "send_code": "Envíenme un código",
        "code": "Código",
        "code_help": "Si este número está registrado con su equipo de atención, le enviamos "
                     "un código de 6 dígitos. Vale por 10 minutos.",
        "check_code": "Entrar",
        "new_code": "Envíenme un código nuevo",
        "bad_phone": "Teléfono: escriba el número con su código de área, como 202 555 0142.",
        "code_wrong": "Ese código no es correcto. Le quedan {left} intentos.",
        "code_none": "Este código ya no es válido (usado, vencido o reemplazado). Pida uno "
                     "nuevo.",
        "locked": "Demasiados códigos incorrectos. Por su seguridad este número está "
                  "bloqueado hasta las {until} UTC. Después pida un código nuevo.",
        "too_many": "Pidió demasiados códigos. Espere unos minutos y vuelva a intentarlo.",
        "no_code_yet": "Primero escriba su número de teléfono.",
        "ended_idle": "Se cerró su sesión después de {minutes} minutos sin actividad. Entre "
                      "de nuevo.",
        "ended_logout": "Cerró su sesión.",
        "choose": "¿De quién se trata?",
        "choose_help": "Usted cuida a más de una persona. Elija de quién abrir los mensajes.",
        "emergency": "En una emergencia llame al 911. Para una crisis de salud mental llame "
                     "o envíe un texto al 988.",
        "write": "Escriba a su equipo de atención",
        "message": "Mensaje",
        "photo": "Foto (opcional)",
        "photo_help": "Una imagen JPEG, PNG, GIF, WebP o HEIC, o un PDF, de hasta {mb} MB.",
        "send": "Enviar",
        "sent": "Enviado.",
        "nothing": "Todavía no hay mensajes.",
        "you": "Usted",
        "team": "equipo de atención",
        "empty": "Escriba un mensaje o agregue una foto.",
        "photo_too_large": "La foto no se envió: pesa más de {mb} MB. Sus palabras siguen "
                           "aquí: envíelas de nuevo con una foto más pequeña o sin foto.",
        "photo_type": "La foto no se envió: solo se aceptan imágenes JPEG, PNG, GIF, WebP o "
                      "HEIC y archivos PDF. Sus palabras siguen aquí: envíelas de nuevo.",
        "photo_only": "(una foto)",
        "too_long": "Mensaje: como máximo {limit} caracteres.",
        "sign_out": "Salir",
        "switch": "English",
        "other_person": "Cambiar de persona",
        "attachment": "Foto",
        "sms_note": "Nada de lo que escribe aquí se envía por mensaje de texto. Cuando su "
                    "equipo de atención conteste, le avisamos por texto que tiene un mensaje "
                    "nuevo.",
    },
}


def language(profile: str | None = None) -> str:
    """The language of this request's page (see the module's docstring)."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    if profile in LANGUAGES:
        return str(profile)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def words(lang: str) -> dict[str, str]:
    return WORDS[lang]
