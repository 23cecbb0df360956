"""Vital-sign readings in a patient's words: blood pressure, glucose, weight and weight gain.

Works on normalized text (``hub.triage.normalize``): "BP one ninety over one twenty" is
"bp 190 over 120" by then. A number counts as glucose or weight only beside a word that says
so (sugar, glucosa, meter; weigh, peso, lbs); two numbers around "/" or "over" are a blood
pressure when they are plausible as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BP = re.compile(r"\b(\d{2,3}) (?:/|over|sobre|entre) (\d{2,3})\b")
_NOT_AFTER_GLUCOSE = (r"(?!\s*(?:/|over|sobre|lb|lbs|pounds|libras|kg|kilos|units|unidades|u|"
                      r"am|pm|hours|hrs|horas|minutes|min|days|dias)\b)")
GLUCOSE_WORDS = ("sugar", "suger", "sugars", "glucose", "glucoses", "bs", "bg", "cbg", "fsbs",
                 "glucosa", "azucar", "glicemia", "glucemia", "meter", "glucometer",
                 "glucometro", "dexcom", "libre", "cgm")
# Anchored at a glucose word: the first number within the next few words...
_GLUCOSE_AT = re.compile(r"\S+(?:\s+(?!\d)\S+){0,6}?\s+(\d{2,3})\b" + _NOT_AFTER_GLUCOSE)
# ...or a meter that reads HI or LO...
_METER_AT = re.compile(r"\S+(?:\s+\S+){0,3}?\s+(?:says|reads|shows|showing|said|read|dice|"
                       r"marca|sale|salio)\s+(hi|high|lo|low|alto|bajo)\b")
# ...or a number just before it ("45 mg sugar"), searched up to the glucose word.
_GLUCOSE_BEFORE = re.compile(r"\b(\d{2,3}) (?:mg |mgdl )?$")
WEIGHT_WORDS = ("weight", "weigh", "weighs", "weighed", "peso", "pese", "pesaba", "scale",
                "bascula")
UNIT_WORDS = ("lb", "lbs", "pound", "pounds", "libra", "libras", "kg", "kgs", "kilo", "kilos",
              "kilogramos")
GAIN_WORDS = ("gained", "gain", "gaining", "up", "put", "subi", "aumente", "aumento", "subio",
              "gane")
_WEIGHT_AT = re.compile(r"\S+(?:\s+(?!\d)\S+){0,3}?\s+(\d{2,3}(?: \d)?)\b")
_UNITS = r"(?:lb|lbs|pound|pounds|libra|libras|kg|kgs|kilo|kilos|kilogramos)"
_GAIN_AT = re.compile(r"(?:put on|\S+)(?:\s+(?!\d)\S+){0,2}?\s+(\d{1,2})\s+" + _UNITS + r"\b")
_UNIT_AFTER = re.compile(r" " + _UNITS + r"\b")
_NUMBER_BEFORE_UNIT = re.compile(r"\b(\d{1,3}) $")
_MORE_AFTER_UNIT = re.compile(r"\S+ (?:more|heavier|up|mas|de mas|arriba)\b")
_WEEK = re.compile(r"\b(?:week|weeks|7 days|semana|semanas|7 dias)\b")
_KG_TO_LB = 2.20462
_DIGIT = re.compile(r"\d")


def _occurrences(text: str, words: tuple[str, ...]) -> list[int]:
    """Start of every whole-word occurrence of any of ``words`` (found with str.find, in C)."""
    found = []
    for word in words:
        i = text.find(word)
        while i >= 0:
            end = i + len(word)
            if (i == 0 or text[i - 1] == " ") and (end == len(text) or text[end] == " "):
                found.append(i)
            i = text.find(word, end)
    return sorted(found)


@dataclass(frozen=True)
class Reading:
    """One reading; ``kind`` is bp|glucose|glucose_hi|glucose_lo|weight|weight_gain_day|
    weight_gain_week, ``value`` in mmHg (systolic), mg/dL or lb, ``second`` the diastolic."""

    kind: str
    value: float
    second: float | None = None
    position: int = field(default=-1, compare=False)  # word index in the normalized text


class _Words:
    """Word index of a character offset in one text: spaces counted (in C) since the last
    offset asked, so offsets asked in rising order cost one pass over the text in all."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.count = 0

    def at(self, offset: int) -> int:
        if offset < self.offset:
            self.offset, self.count = 0, 0
        self.count += self.text.count(" ", self.offset, offset)
        self.offset = offset
        return self.count


def _pounds(number: str, unit_text: str) -> float:
    value = float(number.replace(" ", "."))
    return value * _KG_TO_LB if re.search(r"\bk", unit_text) else value


def blood_pressures(text: str, words: _Words, matches: list[re.Match[str]]) -> list[Reading]:
    out = []
    for match in matches:
        systolic, diastolic = int(match.group(1)), int(match.group(2))
        if 50 <= systolic <= 300 and 20 <= diastolic <= 200 and systolic > diastolic:
            out.append(Reading("bp", systolic, diastolic, words.at(match.start())))
    return out


def glucoses(text: str, words: _Words, bp_starts: set[int]) -> list[Reading]:
    out = []
    for at in _occurrences(text, GLUCOSE_WORDS):
        number = _GLUCOSE_AT.match(text, at)
        before = _GLUCOSE_BEFORE.search(text, max(0, at - 12), at)
        for match in (number, before):
            if match is None or match.start(1) in bp_starts:
                continue
            value = int(match.group(1))
            if 10 <= value <= 999:
                out.append(Reading("glucose", value, position=words.at(match.start(1))))
        meter = _METER_AT.match(text, at)
        if meter is not None:
            high = meter.group(1) in ("hi", "high", "alto")
            out.append(Reading("glucose_hi" if high else "glucose_lo", 600 if high else 20,
                               position=words.at(meter.start(1))))
    return out


def _period(text: str, start: int, end: int) -> str:
    near = text[max(0, start - 40):start] + " " + text[end:end + 40]
    return "week" if _WEEK.search(near) else "day"


def weights(text: str, words: _Words) -> list[Reading]:
    out = []
    for at in _occurrences(text, GAIN_WORDS):
        gain = _GAIN_AT.match(text, at)
        if gain is not None:
            out.append(Reading(f"weight_gain_{_period(text, gain.start(), gain.end())}",
                               _pounds(gain.group(1), gain.group(0)),
                               position=words.at(gain.start())))
    for at in _occurrences(text, UNIT_WORDS):
        number = _NUMBER_BEFORE_UNIT.search(text, max(0, at - 5), at)
        if number is None:
            continue
        unit = text[at:text.find(" ", at) if " " in text[at:] else len(text)]
        if _MORE_AFTER_UNIT.match(text, at):  # "4 lbs heavier"
            if int(number.group(1)) < 100:
                out.append(Reading(f"weight_gain_{_period(text, number.start(), at)}",
                                   _pounds(number.group(1), unit),
                                   position=words.at(number.start(1))))
            continue
        pounds = _pounds(number.group(1), unit)
        if 60 <= pounds <= 700:
            out.append(Reading("weight", pounds, position=words.at(number.start(1))))
    for at in _occurrences(text, WEIGHT_WORDS):
        match = _WEIGHT_AT.match(text, at)
        if match is not None and not _UNIT_AFTER.match(text, match.end()):  # else: units found it
            pounds = _pounds(match.group(1), match.group(0))
            if 60 <= pounds <= 700:
                out.append(Reading("weight", pounds, position=words.at(match.start(1))))
    return out


def readings(text: str) -> list[Reading]:
    """Every reading in a normalized message."""
    words = _Words(text)
    found: list[Reading] = []
    bp = list(_BP.finditer(text)) if _DIGIT.search(text) else []
    if bp:
        found += blood_pressures(text, words, bp)
    found += glucoses(text, words, {m.start(i) for m in bp for i in (1, 2)})
    found += weights(text, words)
    return list(dict.fromkeys(found))  # "glucose meter says HI": one reading, not two
