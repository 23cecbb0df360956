"""Vital-sign readings in a patient's words: blood pressure, glucose, weight and weight gain.

Works on normalized text (``hub.triage.normalize``): "BP one ninety over one twenty" is
"bp 190 over 120" by then. A number counts as glucose or weight only beside a word that says
so (sugar, glucosa, meter; weigh, peso, lbs); two numbers around "/" or "over" are a blood
pressure when they are plausible as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import accumulate

_NOT_AFTER_GLUCOSE = (r"(?!\s*(?:/|over|sobre|lb|lbs|pounds|libras|kg|kilos|units|unidades|u|"
                      r"am|pm|hours|hrs|horas|minutes|min|days|dias)\b)")
GLUCOSE_WORDS = ("sugar", "suger", "sugars", "glucose", "glucoses", "bs", "bg", "cbg", "fsbs",
                 "glucosa", "azucar", "glicemia", "glucemia", "meter", "glucometer",
                 "glucometro", "dexcom", "libre", "cgm")
# Anchored at a glucose word: the first number within the next few words...
_GLUCOSE_AT = re.compile(r"\S+(?:\s+(?!\d)\S+){0,6}?\s+(\d{2,3})s?\b" + _NOT_AFTER_GLUCOSE)
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
_WEIGHT_AT = re.compile(r"\S+(?:\s+(?!\d)\S+){0,5}?\s+(\d{2,3}(?:\.\d+)?)\b")
_UNITS = r"(?:lb|lbs|pound|pounds|libra|libras|kg|kgs|kilo|kilos|kilogramos)"
_GAIN_AT = re.compile(r"(?:put on|\S+)(?:\s+(?!\d)\S+){0,2}?\s+(\d{1,2}(?:\.\d+)?)\s+"
                      + _UNITS + r"\b")
_UNIT_AFTER = re.compile(r" " + _UNITS + r"\b")
_NUMBER_BEFORE_UNIT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?) $")
_MORE_AFTER_UNIT = re.compile(r"\S+ (?:more|heavier|up|mas|de mas|arriba)\b")
_WEEK = re.compile(r"\b(?:week|weeks|7 days|semana|semanas|7 dias)\b")
_WEEKDAY = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|lunes|martes|"
                      r"miercoles|jueves|viernes|sabado|domingo|last week|la semana)\b")
WITHIN = 2000  # characters: a weight or sugar compared within the message, as number words
_TODAY = frozenset({"today", "now", "morning", "tonight", "hoy", "ahora", "manana"})
_BARE_NUMBER = re.compile(r"(?<![\d/.])(\d{2,3}(?:\.\d)?)(?![\d.]| / | over | sobre )")
_KG_TO_LB = 2.20462
SPO2_WORDS = ("spo2", "o2", "oxygen", "oxigeno", "oxigenito", "pulsioximetro", "sat", "sats",
              "saturation", "saturacion", "oximeter", "oximetro", "oxigenometro", "ox", "pulseox")
# the first number within a few words of an oxygen word, unless it is a flow ("2 liters")
_SPO2_AT = re.compile(r"\S+(?:\s+(?!\d)\S+){0,6}?\s+(\d{2,3})\b(?!\s*(?:l|liters|litres|"
                      r"litros|lpm|lt)\b)")
_AFTER_NUMBER = frozenset({"bpm", "beats", "latidos", "lpm"})
PULSE_WORDS = ("pulse", "rate", "hr", "bpm", "beats", "lpm", "heartrate", "pulso", "latidos",
               "ritmo", "watch", "reloj", "frecuencia", "latiendo", "beating")
# "pulse is 38", "heart rate 44", "apple watch says 148", "el reloj marca 150": the first number
# within a few words (not a blood pressure's, not a time or a count of minutes)
_PULSE_AT = re.compile(r"\S+(?:\s+(?!\d)\S+){0,3}?\s+(\d{2,3})\b(?!\s*(?:/|over|sobre|min|"
                       r"minutes|minutos|mins|hours|horas|am|pm|days|dias|years|anos|lb|lbs)\b)")
_BPM_BEFORE = re.compile(r"\b(\d{2,3}) $")
# "top number 186 bottom 104", "la de arriba 180": a systolic written alone
_TOP_AT = re.compile(r"\S+(?:\s+(?!\d)\S+){0,2}?\s+(\d{2,3})\b(?:\s+(?:bottom|de abajo|la de abajo|"
                     r"diastolic|diastolica)(?:\s+(?:number|numero|is|es|en))?\s+(\d{2,3})\b)?")
TOP_WORDS = ("top", "upper", "systolic", "sistolica", "arriba")
POTASSIUM_WORDS = ("potassium", "potasio", "k")
_POTASSIUM_AT = re.compile(r"\S+(?:\s+(?!\d)\S+){0,4}?\s+(\d(?:\.\d)?)\b")
TEMP_WORDS = ("temp", "temperature", "temperatura", "fever", "fiebre", "calentura", "thermometer",
              "termometro")
# "temp 101.2", "fever of 101", "fiebre de 39": a number within a few words after the word...
_TEMP_AT = re.compile(r"\S+(?:\s+(?!\d)\S+){0,3}?\s+(\d{2,3}(?:\.\d)?)\b(?!\s*(?:/|over|lb|lbs|"
                      r"hours|horas|days|dias|minutes|minutos|years|anos)\b)")
# ...or just before it ("38.6 de fiebre", "38.1 on the ear thermometer")
_TEMP_BEFORE = re.compile(r"\b(\d{2,3}(?:\.\d)?) (?:\S+ ){0,3}$")


_FAMILY = {**{w: "glucose" for w in GLUCOSE_WORDS}, **{w: "weight" for w in WEIGHT_WORDS},
           **{w: "unit" for w in UNIT_WORDS}, **{w: "spo2" for w in SPO2_WORDS},
           **{w: "gain" for w in GAIN_WORDS},
           **{w: "bp" for w in ("/", "over", "sobre", "entre", "con")},
           **{w: "pulse" for w in PULSE_WORDS}, **{w: "top" for w in TOP_WORDS},
           **{w: "temp" for w in TEMP_WORDS}, **{w: "potassium" for w in POTASSIUM_WORDS}}
_BP_NUMBER = re.compile(r"\d{2,3}")


@dataclass(frozen=True)
class Reading:
    """One reading; ``kind`` is bp|glucose|glucose_hi|glucose_lo|weight|weight_gain_day|
    weight_gain_week|spo2|pulse|temp|potassium, ``value`` in mmHg (systolic), mg/dL, lb, %,
    beats a minute, Fahrenheit or mmol/L, ``second`` the diastolic."""

    kind: str
    value: float
    second: float | None = None
    position: int = field(default=-1, compare=False)  # word index in the normalized text


class _Index:
    """The words of one normalized text, where the keywords of readings are, and offsets."""

    def __init__(self, text: str, words: list[str] | None = None) -> None:
        self.text = text
        self.words = text.split(" ") if words is None else words
        self.keywords: dict[str, list[int]] = {}
        hits = _FAMILY.keys() & set(self.words)  # in C; most messages stop here
        if not hits:
            return
        self.ends = list(accumulate(map(len, self.words)))  # in C
        for i, word in enumerate(self.words):
            if word in hits:
                self.keywords.setdefault(_FAMILY[word], []).append(i)
        self._offset, self._count = 0, 0

    def start(self, i: int) -> int:
        """Character offset of word ``i``."""
        return self.ends[i] - len(self.words[i]) + i

    def offsets(self, family: str) -> list[int]:
        return [self.start(i) for i in self.keywords.get(family, ())]

    def word_at(self, offset: int) -> int:
        """Word index at a character offset: spaces counted (in C) since the last offset
        asked, so rising offsets cost one pass over the text in all."""
        if offset < self._offset:
            self._offset, self._count = 0, 0
        self._count += self.text.count(" ", self._offset, offset)
        self._offset = offset
        return self._count


def _pounds(number: str, unit_text: str) -> float:
    value = float(number)
    return value * _KG_TO_LB if re.search(r"\bk", unit_text) else value


def blood_pressures(index: _Index) -> list[Reading]:
    out, words = [], index.words
    for i in index.keywords.get("bp", ()):
        if 0 < i < len(words) - 1 and _BP_NUMBER.fullmatch(words[i - 1]) and (
                _BP_NUMBER.fullmatch(words[i + 1])):
            systolic, diastolic = int(words[i - 1]), int(words[i + 1])
            if 50 <= systolic <= 300 and 20 <= diastolic <= 200 and systolic > diastolic:
                out.append(Reading("bp", systolic, diastolic, i - 1))
    return out


def glucoses(text: str, index: _Index, bp_words: set[int]) -> list[Reading]:
    out = []
    for at in index.offsets("glucose"):
        number = _GLUCOSE_AT.match(text, at)
        before = _GLUCOSE_BEFORE.search(text, max(0, at - 12), at)
        for match in (number, before):
            if match is None or index.word_at(match.start(1)) in bp_words:
                continue
            value = int(match.group(1))
            if 10 <= value <= 999:
                out.append(Reading("glucose", value, position=index.word_at(match.start(1))))
        meter = _METER_AT.match(text, at)
        if meter is not None:
            high = meter.group(1) in ("hi", "high", "alto")
            out.append(Reading("glucose_hi" if high else "glucose_lo", 600 if high else 20,
                               position=index.word_at(meter.start(1))))
    return out


# a sugar checked again after a first one: "came up to 112", "subio a 98", "amaneci en 105"
_RECHECK = re.compile(r"\b(?:came up to|went up to|went down to|back up to|now|its|subio a|bajo a|"
                      r"(?:came|went|got) (?:down|up) from \d{2,3} to|bajo de \d{2,3} a|"
                      r"amaneci en|amanecio en|rechecked|recheck|later)\s+(?:(?!\d)\S+\s+){0,3}?"
                      r"(\d{2,3})\b" + _NOT_AFTER_GLUCOSE)


def rechecked(text: str, index: _Index, found: list[Reading]) -> list[Reading]:
    """Sugars a message gives after its first one, on a word of checking again."""
    first = min((r.position for r in found if r.kind == "glucose"), default=None)
    if first is None:
        return []
    out = []
    for match in _RECHECK.finditer(text, max(0, index.start(first) - 24), WITHIN):
        value = int(match.group(1))
        if 20 <= value <= 600:
            out.append(Reading("glucose", value, position=index.word_at(match.start(1))))
    return out


def _period(text: str, start: int, end: int) -> str:
    near = text[max(0, start - 40):start] + " " + text[end:end + 40]
    return "week" if _WEEK.search(near) else "day"


def weights(text: str, index: _Index) -> list[Reading]:
    out = []
    for at in index.offsets("gain"):
        gain = _GAIN_AT.match(text, at)
        if gain is not None:
            out.append(Reading(f"weight_gain_{_period(text, gain.start(), gain.end())}",
                               _pounds(gain.group(1), gain.group(0)),
                               position=index.word_at(gain.start())))
    for i in index.keywords.get("unit", ()):
        at, unit = index.start(i), index.words[i]
        number = _NUMBER_BEFORE_UNIT.search(text, max(0, at - 9), at)
        if number is None:
            continue
        if _MORE_AFTER_UNIT.match(text, at):  # "4 lbs heavier"
            if float(number.group(1)) < 100:
                out.append(Reading(f"weight_gain_{_period(text, number.start(), at)}",
                                   _pounds(number.group(1), unit), position=i - 1))
            continue
        pounds = _pounds(number.group(1), unit)
        if 60 <= pounds <= 700:
            out.append(Reading("weight", pounds, position=i - 1))
    for at in index.offsets("weight"):
        match = _WEIGHT_AT.match(text, at)
        if match is not None and not _UNIT_AFTER.match(text, match.end()):  # else: units found it
            pounds = _pounds(match.group(1), match.group(0))
            if 60 <= pounds <= 700:
                out.append(Reading("weight", pounds, position=index.word_at(match.start(1))))
    return out


def oxygen(text: str, index: _Index) -> list[Reading]:
    """Oxygen saturations: "o2 sat 86", "oxigeno en 87%" (50 to 100)."""
    out = []
    for at in index.offsets("spo2"):
        match = _SPO2_AT.match(text, at)
        if match is not None and 50 <= int(match.group(1)) <= 100:
            out.append(Reading("spo2", int(match.group(1)),
                               position=index.word_at(match.start(1))))
    return out


def pulses(text: str, index: _Index) -> list[Reading]:
    """Heart rates: "pulse is 38", "heart rate 44", "watch says 148", "110 bpm" (25 to 250)."""
    out = []
    for i in index.keywords.get("pulse", ()):
        at = index.start(i)
        match = None
        if index.words[i] in _AFTER_NUMBER:  # "110 bpm", "140 beats a minute"
            match = _BPM_BEFORE.search(text, max(0, at - 4), at)
        if match is None:
            match = _PULSE_AT.match(text, at)
        if match is not None and 25 <= int(match.group(1)) <= 250:
            out.append(Reading("pulse", int(match.group(1)),
                               position=index.word_at(match.start(1))))
    return out


def systolics(text: str, index: _Index) -> list[Reading]:
    """A blood pressure written by its numbers' names: "top number 186 bottom 104"."""
    out = []
    for at in index.offsets("top"):
        match = _TOP_AT.match(text, at)
        if match is not None and 60 <= int(match.group(1)) <= 300:
            second = int(match.group(2)) if match.group(2) else None
            out.append(Reading("bp", int(match.group(1)), second,
                               position=index.word_at(match.start(1))))
    return out


def temperatures(text: str, index: _Index) -> list[Reading]:
    """Temperatures, in Fahrenheit (a Celsius figure, 34 to 43, is converted): 97 to 108."""
    out = []
    for at in index.offsets("temp"):
        for match in (_TEMP_AT.match(text, at), _TEMP_BEFORE.search(text, max(0, at - 20), at)):
            if match is None:
                continue
            value = float(match.group(1))
            value = value * 9 / 5 + 32 if 34 <= value <= 43 else value
            if 97 <= value <= 108:
                out.append(Reading("temp", round(value, 1),
                                   position=index.word_at(match.start(1))))
    return out


def potassiums(text: str, index: _Index) -> list[Reading]:
    """A lab's potassium the patient was told: "potassium is 6.8", "el potasio en 6.8"."""
    out = []
    for at in index.offsets("potassium"):
        match = _POTASSIUM_AT.match(text, at)
        if match is not None and 2 <= float(match.group(1)) <= 9.9:
            out.append(Reading("potassium", float(match.group(1)),
                               position=index.word_at(match.start(1))))
    return out


def weight_change(found: list[Reading], text: str, index: _Index) -> list[Reading]:
    """Two weights in one message ("weighed 182 yesterday and 186.5 this morning") give a
    gain: the last weight less the lowest one before it, over a day or (when the message names
    a week or a weekday) a week. Once a weight is read, the other numbers within 30 lb of it
    (not a blood pressure's) are weights too."""
    first = next((r for r in found if r.kind == "weight"), None)
    if first is None:
        return []
    taken = {r.position for r in found if r.kind != "weight"}
    weights = {r.position: r for r in found if r.kind == "weight"}
    for match in _BARE_NUMBER.finditer(text, 0, WITHIN):
        at = index.word_at(match.start(1))
        if at not in weights and at not in taken and abs(float(match.group(1)) - first.value) < 30:
            weights[at] = Reading("weight", float(match.group(1)), position=at)
    if len(weights) < 2:
        return []
    ordered = [weights[k] for k in sorted(weights)]
    # today's weight: the one nearest a word of today ("211 today, was 207 on monday"), else
    # the last one written
    todays = [i for i, w in enumerate(index.words) if w in _TODAY]
    now = min(ordered, key=lambda r: min(abs(r.position - i) for i in todays)) if todays \
        else ordered[-1]
    gain = now.value - min(r.value for r in ordered if r is not now)
    if not 0 < gain < 30:
        return []
    period = "week" if _WEEK.search(text) or _WEEKDAY.search(text) else "day"
    return [Reading(f"weight_gain_{period}", round(gain, 1), position=now.position)]


def readings(text: str, words: list[str] | None = None) -> list[Reading]:
    """Every reading in a normalized message (``words``: its words, when already split)."""
    index = _Index(text, words)
    if not index.keywords:
        return []
    bp = blood_pressures(index)
    found = bp + glucoses(text, index, {r.position for r in bp} | {r.position + 2 for r in bp})
    if "glucose" in index.keywords:
        found += rechecked(text, index, found)
    found += weights(text, index)
    found += weight_change(found, text, index)
    if "spo2" in index.keywords:
        found += oxygen(text, index)
    if "pulse" in index.keywords:
        found += pulses(text, index)
    if "top" in index.keywords:
        found += systolics(text, index)
    if "temp" in index.keywords:
        found += temperatures(text, index)
    if "potassium" in index.keywords:
        found += potassiums(text, index)
    return list(dict.fromkeys(found))  # "glucose meter says HI": one reading, not two


RECHECK = frozenset({"rechecked", "recheck", "came", "went", "now", "later", "subio", "bajo",
                     "amaneci", "ahora", "despues", "luego", "rechequee", "volvi"})


def latest_glucose(found: tuple[Reading, ...], words: list[str]) -> tuple[Reading, ...]:
    """A low or high sugar treated and checked again ("68 before breakfast, had juice and it
    came up to 112"; "subio a 98"): the last glucose of the message is the one that counts,
    when the message says it was checked again."""
    sugars = [r for r in found if r.kind == "glucose"]
    if len(sugars) < 2 or RECHECK.isdisjoint(words):
        return found
    last = max(sugars, key=lambda r: r.position)
    return tuple(r for r in found if r.kind != "glucose" or r is last)
