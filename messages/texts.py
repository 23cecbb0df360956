"""Every text the hub sends by SMS, to patients and to staff. Nothing sent to a staff phone
carries clinical content.

Staff pages carry an opaque contact reference, a link to the contact (after login) and the
ACK code: never the patient's name, number or words (minimum necessary). What is spoken on a
call is :mod:`messages.twiml`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

from routing.coverage import Gap
from routing.hours import OpeningHours

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
KEPT = {  # the database was unreachable: the text is on the spool (hub/spool.py)
    "en": "We cannot open your care record right now; your message is saved and will reach "
          "your care team as soon as we can.",
    "es": "No podemos abrir su expediente en este momento; su mensaje está guardado y "
          "llegará a su equipo de atención lo antes posible.",
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
PLAN = {  # only the patient's own care-plan threshold fired: the plan's words, then the page
    "en": "Your care plan says: {instruction} Your care team's on-call nurse is being paged "
          "now and will call you back.",
    "es": "Su plan de cuidado dice: {instruction} Estamos avisando ahora mismo a la enfermera "
          "de guardia de su equipo de atención y le devolverá la llamada.",
}
PLAN_WITHOUT_WORDS = {
    "en": "Your reading is past a limit in your care plan. Your care team's on-call nurse is "
          "being paged now and will call you back.",
    "es": "Su medición pasa un límite de su plan de cuidado. Estamos avisando ahora mismo a la "
          "enfermera de guardia de su equipo de atención y le devolverá la llamada.",
}


def lang_of(language: str | None) -> str:
    return language if language in EMERGENCY else "en"


def patient_reply(language: str | None, guidance: str | None = None,
                  needs_details: bool = False, hours_known: bool = False,
                  answer_after: datetime | None = None,
                  plan_instructions: Sequence[str] = ()) -> str:
    """The auto-reply to a patient or caregiver, in their language: 911 or 988 first when
    triage says so; the care plan's own instruction when only its threshold fired; otherwise
    honest about when the practice answers (after ``answer_after``, local time, when the
    message waits for opening hours); the emergency numbers always."""
    lang = lang_of(language)
    if guidance == "988":
        return CRISIS[lang]
    if guidance == "911":
        return URGENT[lang]
    if guidance == "plan":
        text = (PLAN[lang].format(instruction=_sentence(" ".join(plan_instructions)))
                if plan_instructions else PLAN_WITHOUT_WORDS[lang])
    elif needs_details:
        text = DETAILS[lang]
    elif answer_after is not None:
        text = ROUTINE_HELD[lang].format(when=_when(answer_after, lang))
    else:
        text = (ROUTINE_OPEN if hours_known else ROUTINE)[lang]
    return f"{text} {EMERGENCY[lang]}"


def kept_while_down(language: str | None) -> str:
    """The answer to a text the hub could only keep on disk (its database was unreachable):
    the emergency numbers first, then that the message is kept and will reach the team."""
    lang = lang_of(language)
    return f"{EMERGENCY[lang]} {KEPT[lang]}"


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else f"{text}."


HELP = {
    "en": ("{practice}: this number reaches your care team at any hour; the on-call nurse "
           "answers at night. {hours} {emergency} Reply STOP to stop texts, START to resume."),
    "es": ("{practice}: este número llega a su equipo de atención a cualquier hora; de noche "
           "contesta la enfermera de guardia. {hours} {emergency} Responda STOP para no recibir "
           "más mensajes, START para volver a recibirlos."),
}
HOURS = {"en": ("Office hours: {windows}.", "to", "The office answers routine requests on "
                "business days."),
         "es": ("Horario de oficina: {windows}.", "a", "La oficina contesta las solicitudes de "
                "rutina en días hábiles.")}


def help_reply(practice: str, hours: OpeningHours | None, language: str | None) -> str:
    """The answer to HELP: who this is, when the office answers, the emergency numbers, and
    how to stop the texts (what carriers ask of every text line)."""
    lang = lang_of(language)
    return HELP[lang].format(practice=practice, hours=_office_hours(hours, lang),
                             emergency=EMERGENCY[lang])


def _office_hours(hours: OpeningHours | None, lang: str) -> str:
    sentence, to_word, unknown = HOURS[lang]
    if hours is None:
        return unknown
    runs: list[tuple[int, int, tuple[time, time]]] = []  # first day, last day, window
    for day, window in enumerate(hours.windows):
        if window is None:
            continue
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == window:
            runs[-1] = (runs[-1][0], day, window)
        else:
            runs.append((day, day, window))
    names = _WEEKDAYS[lang]
    shown = ", ".join(
        (names[first] if first == last else f"{names[first]} {to_word} {names[last]}")
        + f" {opens:%H:%M}-{closes:%H:%M}" for first, last, (opens, closes) in runs)
    return sentence.format(windows=shown) if shown else unknown


WHICH = {"en": ("Which patient is this about? Reply", "for", "or"),
         "es": ("¿De qué paciente se trata? Responda", "para", "o")}
NOTED = {"en": "Thank you, noted: this is about {name}.",
         "es": "Gracias, anotado: se trata de {name}."}


def which_patient(first_names: list[str], language: str | None) -> str:
    """Ask a sender who may mean several patients which one (first names only)."""
    ask, for_word, or_word = WHICH[lang_of(language)]
    options = [f"{i} {for_word} {name}" for i, name in enumerate(first_names, start=1)]
    return f"{ask} {', '.join(options[:-1])} {or_word} {options[-1]}."


def patient_noted(first_name: str, language: str | None) -> str:
    return NOTED[lang_of(language)].format(name=first_name)


def page_sms(ref: str, ack_code: str, link: str, urgent: bool,
             plan_rules: tuple[str, ...] = ()) -> str:
    """The page to a staff member's phone: reference, link and ACK code only; for a
    care-plan threshold, the rule's code (R2), which only the care plan page explains."""
    head = "URGENT care line page" if urgent else "Care line page"
    rules = f" (care-plan rule {', '.join(plan_rules)})" if plan_rules else ""
    return (f"{head} {ref}{rules}: a patient contact needs a callback. {link} "
            f"Reply ACK {ack_code}")


def page_bundle_sms(pages: list[tuple[str, str, bool]], inbox: str, listed: int = 8,
                    alerts: Sequence[str] = (), alerts_listed: int = 3) -> str:
    """Several pages to one person in one SMS (they reached the rate limit): each contact's
    reference and ACK code, urgent ones first and marked, no clinical content; then the
    managers' alerts that waited with them (their own words, which carry no patient data)."""
    said = [alert.removeprefix("Care line: ") for alert in alerts[:alerts_listed]]
    more_alerts = (f" | {len(alerts) - alerts_listed} more alerts: hub outbox"
                   if len(alerts) > alerts_listed else "")
    also = f"{len(alerts)} alert(s): {' | '.join(said)}{more_alerts}" if alerts else ""
    if not pages:
        return f"Care line: {also}"
    ordered = sorted(pages, key=lambda page: not page[2])
    urgent = sum(1 for page in pages if page[2])
    head = f"Care line: {len(pages)} pages for you" + (f", {urgent} URGENT" if urgent else "")
    items = "; ".join(f"{ref} ACK {code}" + (" URGENT" if is_urgent else "")
                      for ref, code, is_urgent in ordered[:listed])
    more = f"; {len(pages) - listed} more in the inbox" if len(pages) > listed else ""
    text = f"{head}: {items}{more}. {inbox} Reply ACK ALL, or ACK <code>"
    return f"{text}. Also {also}" if also else text


def staff_took_call(ref: str, ack_code: str, link: str) -> str:
    """To the staff member who accepted a live call: the reference, link and code to close it."""
    return (f"Care line call {ref}: you took it. {link} Reply RESOLVE {ack_code} [minutes] "
            "when done.")


def staff_calling(ref: str) -> str:
    return f"Calling you now: answer to be connected to the sender of {ref}."


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


def staff_bad_minutes(reason: str, code: str) -> str:
    return f"Not done: {reason}. Example: RESOLVE {code} 15"


def staff_acknowledged_all(refs: list[str]) -> str:
    return (f"Acknowledged {len(refs)}: {', '.join(refs)}. Escalation stopped. "
            "Reply RESOLVE <code> for each when done.")


def staff_which(codes: list[str]) -> str:
    return "Several pages are open: reply ACK " + " or ACK ".join(codes)


def staff_not_understood(open_codes: list[str]) -> str:
    """A staff text that is no command: nothing done, and what could be answered instead."""
    if not open_codes:
        return "Nothing was done: that is not a command, and no page is open for you. " + STAFF_HELP
    shown = ", ".join(f"ACK {code}" for code in open_codes[:6])
    more = f" and {len(open_codes) - 6} more" if len(open_codes) > 6 else ""
    return (f"Nothing was done: that is not a command. Open for you: {shown}{more}. "
            "Reply ACK <code>, CALL <code> or RESOLVE <code> [minutes]; HELP for more.")


def staff_nothing_open() -> str:
    return "No open page for you matches. " + STAFF_HELP


def _gap_list(gaps: Sequence[Gap], tz: ZoneInfo) -> str:
    """The first three gaps as local times in ``tz`` (staff names, never patients)."""
    shown = [f"{g.start.astimezone(tz):%a %m-%d %H:%M} to {g.end.astimezone(tz):%a %m-%d %H:%M}"
             f" {g.what}" for g in gaps[:3]]
    more = f"; and {len(gaps) - 3} more" if len(gaps) > 3 else ""
    return f"{'; '.join(shown)}{more}"


def coverage_alert(gaps: Sequence[Gap], days: int, *, tz: ZoneInfo) -> str:
    """The managers' SMS about coverage gaps in the next ``days`` days."""
    return (f"Care line: on-call coverage gap(s) in the next {days} days: "
            f"{_gap_list(gaps, tz)}. Run 'hub coverage' and fix the schedule.")


def self_test_alert(gaps: Sequence[Gap], hours: int, *, tz: ZoneInfo) -> str:
    """The managers' SMS when the self-test finds nobody reachable on call soon."""
    return (f"Care line self-test FAILED: the line cannot page as it should in the next "
            f"{hours} hours: {_gap_list(gaps, tz)}. Fix it now (hub coverage).")


def set_aside_alert(what: str, ref: str | None, error: str) -> str:
    """The managers' SMS about a row the engine set aside (quarantined) after failing again
    and again: what it was, the contact's opaque reference, the error's type; nothing more."""
    about = f" (contact {ref})" if ref else ""
    return (f"Care line: the engine set aside a {what}{about} that failed repeatedly "
            f"({error}). Everything else goes on. Check it: 'hub quarantine list'.")


PORTAL_CODE = {"en": "{practice}: your sign-in code is {code}. It is valid for 10 minutes.",
               "es": "{practice}: su código para entrar es {code}. Vale por 10 minutos."}
PORTAL_NEW = {"en": "You have a new message from your care team. Read it at {link}",
              "es": "Tiene un mensaje nuevo de su equipo de atención. Léalo en {link}"}


def portal_code(practice: str, code: str, language: str | None) -> str:
    """The portal's sign-in code: the practice's name and the code, nothing else."""
    return PORTAL_CODE[lang_of(language)].format(practice=practice, code=code)


def portal_new_message(link: str, language: str | None) -> str:
    """A care team reply waits in the portal: no words of it, only the link."""
    return PORTAL_NEW[lang_of(language)].format(link=link)
