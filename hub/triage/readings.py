"""Vital-sign readings in a patient's words: blood pressure, glucose, weight and weight gain.

Works on normalized text (``hub.triage.normalize``): "BP one ninety over one twenty" is
"bp 190 over 120" by then. A number counts as glucose or weight only beside a word that says
so (sugar, glucosa, meter; weigh, peso, lbs); two numbers around "/" or "over" are a blood
pressure when they are plausible as one.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

_BP = re.compile(r"\b(\d{2,3}) (?:/|over|sobre|entre) (\d{2,3})\b")
_GLUCOSE_WORDS = (r"(?:sugar|suger|sugars|glucose|glucoses|bs|bg|cbg|fsbs|glucosa|azucar|"
                  r"glicemia|glucemia|meter|glucometer|glucometro|dexcom|libre|cgm)")
_GLUCOSE = re.compile(
    _GLUCOSE_WORDS + r"\b(?:\s+(?!\d)\S+){0,6}?\s+(\d{2,3})\b(?!\s*(?:/|over|sobre|lb|lbs|"
    r"pounds|libras|kg|kilos|units|unidades|u|am|pm|hours|hrs|horas|minutes|min|days|dias))")
_GLUCOSE_AFTER = re.compile(r"\b(\d{2,3}) (?:mg|mgdl)?\s*" + _GLUCOSE_WORDS + r"\b")
_METER_HI_LO = re.compile(_GLUCOSE_WORDS + r"\b(?:\s+\S+){0,3}?\s+(?:says|reads|shows|showing|"
                          r"said|read|dice|marca|sale|salio)\s+(hi|high|lo|low|alto|bajo)\b")
_WEIGHT_UNITS = r"(?:lb|lbs|pound|pounds|libra|libras|kg|kgs|kilo|kilos|kilogramos)"
_WEIGHT = re.compile(r"\b(?:weight|weigh|weighs|weighed|peso|pese|pesaba|scale|bascula)\b"
                     r"(?:\s+(?!\d)\S+){0,3}?\s+(\d{2,3}(?: \d)?)\b"
                     r"|\b(\d{2,3}) " + _WEIGHT_UNITS + r"\b(?!\s+(?:more|mas|heavier|up))")
_GAIN = re.compile(
    r"\b(?:gained|gain|gaining|up|put on|subi|aumente|aumento|subio|gane)\b"
    r"(?:\s+(?!\d)\S+){0,2}?\s+(\d{1,2})\s+" + _WEIGHT_UNITS
    + r"|\b(\d{1,2}) " + _WEIGHT_UNITS + r" (?:more|heavier|up|mas|de mas|arriba)\b")
_DAY = re.compile(r"\b(?:day|today|overnight|yesterday|last night|24 hours|this morning|"
                  r"dia|hoy|ayer|anoche|noche)\b")
_WEEK = re.compile(r"\b(?:week|weeks|7 days|semana|semanas|7 dias)\b")
_KG_TO_LB = 2.20462
_SPACE = re.compile(" ")
_DIGIT = re.compile(r"\d")
_GLUCOSE_HINTS = ("sugar", "suger", "gluc", "glic", "bs", "bg", "azucar", "meter", "metro",
                  "dexcom", "libre", "cgm")
_WEIGHT_HINTS = ("weigh", "peso", "pese", "pesaba", "scale", "bascula", "lb", "pound", "libra",
                 "kg", "kilo")


@dataclass(frozen=True)
class Reading:
    """One reading; ``kind`` is bp|glucose|glucose_hi|glucose_lo|weight|weight_gain_day|
    weight_gain_week, ``value`` in mmHg (systolic), mg/dL or lb, ``second`` the diastolic."""

    kind: str
    value: float
    second: float | None = None
    position: int = field(default=-1, compare=False)  # word index in the normalized text


class _Words:
    """Word index of a character offset in one text (spaces counted once, on first use)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spaces: list[int] | None = None

    def at(self, offset: int) -> int:
        if self.spaces is None:
            self.spaces = [m.start() for m in _SPACE.finditer(self.text)]
        return bisect_left(self.spaces, offset)


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
    for pattern in (_GLUCOSE, _GLUCOSE_AFTER):
        for match in pattern.finditer(text):
            if match.start(1) in bp_starts:
                continue
            value = int(match.group(1))
            if 10 <= value <= 999:
                out.append(Reading("glucose", value, position=words.at(match.start(1))))
    for match in _METER_HI_LO.finditer(text):
        high = match.group(1) in ("hi", "high", "alto")
        out.append(Reading("glucose_hi" if high else "glucose_lo", 600 if high else 20,
                           position=words.at(match.start(1))))
    return out


def weights(text: str, words: _Words) -> list[Reading]:
    out = []
    for match in _GAIN.finditer(text):
        number = match.group(1) or match.group(2)
        pounds = _pounds(number, match.group(0))
        tail = text[match.end():match.end() + 40]
        head = text[max(0, match.start() - 40):match.start()]
        period = "week" if _WEEK.search(tail) or _WEEK.search(head) else "day"
        out.append(Reading(f"weight_gain_{period}", pounds,
                           position=words.at(match.start())))
    for match in _WEIGHT.finditer(text):
        number = match.group(1) or match.group(2)
        pounds = _pounds(number, match.group(0))
        if 60 <= pounds <= 700:
            out.append(Reading("weight", pounds, position=words.at(match.start())))
    return out


def readings(text: str) -> list[Reading]:
    """Every reading in a normalized message."""
    words = _Words(text)
    found: list[Reading] = []
    bp = list(_BP.finditer(text)) if _DIGIT.search(text) else []
    if bp:
        found += blood_pressures(text, words, bp)
    # Each family of readings needs its words: cheap substring checks spare the regexes.
    if any(hint in text for hint in _GLUCOSE_HINTS):
        found += glucoses(text, words, {m.start(i) for m in bp for i in (1, 2)})
    if any(hint in text for hint in _WEIGHT_HINTS):
        found += weights(text, words)
    return found
