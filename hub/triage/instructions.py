"""Read a care plan's plain-language instruction into care-plan rules (English and Spanish).

    >>> [(d.metric, d.threshold) for d in derive("Call if weight up more than 3 lb in a day "
    ...                                          "or 5 lb in a week")]
    [('weight_gain_day', 3.0), ('weight_gain_week', 5.0)]
    >>> [(d.metric, d.threshold) for d in derive("llame si el azucar esta arriba de 300 o "
    ...                                          "debajo de 70")]
    [('glucose_above', 300.0), ('glucose_below', 70.0)]

The words are read left to right: a measure word (weight, sugar, presion, SpO2...) says what the
next numbers are about, a direction word (over, under, up, gain, mas de, debajo de...) which way,
and for a weight gain, the period after the number ("in a day", "en una semana"). A sentence
that reads like an instruction (a call to call, with "if"/"when"/"si") but gives no rule
is reported by :func:`not_understood`: the care plan page shows it, so nothing is dropped
silently. Pure functions; used by the FHIR import, the bench and the tests alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.triage.normalize import normalize

_KG_TO_LB, _MMOL_TO_MGDL = 2.20462, 18.0
MEASURES: dict[str, frozenset[str]] = {
    "weight": frozenset({"weight", "weigh", "weighs", "weighed", "peso", "pesa", "pesarse",
                         "gain", "gained", "gains", "aumenta", "aumento", "sube", "subir",
                         "libras", "pounds", "lb", "lbs", "kg", "kilos"}),
    "glucose": frozenset({"sugar", "sugars", "glucose", "bg", "bs", "cbg", "azucar",
                          "glucosa", "glucemia", "glicemia"}),
    "bp": frozenset({"bp", "pressure", "presion", "systolic", "sistolica", "diastolic",
                     "diastolica", "tension", "top", "bottom"}),
    "spo2": frozenset({"spo2", "o2", "oxygen", "saturation", "sat", "sats", "oximeter",
                       "oxigeno", "saturacion", "oximetro"}),
    "pulse": frozenset({"pulse", "rate", "hr", "bpm", "pulso", "frecuencia", "latidos"}),
    "temp": frozenset({"temperature", "temp", "fever", "temperatura", "fiebre", "calentura"}),
}
_MEASURE_OF = {word: kind for kind, words in MEASURES.items() for word in words}
_DIASTOLIC = frozenset({"diastolic", "diastolica", "bottom", "minima"})
ABOVE = frozenset({"over", "above", "more", "greater", "higher", "exceeds", "exceed", "up",
                   "gain", "gained", "gains", "increase", "increases", "rises", "rise",
                   "mas", "mayor", "arriba", "encima", "sube", "suben", "aumenta", "aumento",
                   "sobre", "supera", "pasa", "_above"})
BELOW = frozenset({"under", "below", "less", "lower", "drops", "falls", "fewer", "menos",
                   "menor", "debajo", "abajo", "baja", "bajo", "_below"})
_DAY = frozenset({"day", "days", "dia", "dias", "overnight", "night", "noche", "24", "hours",
                  "horas", "1"})
_WEEK = frozenset({"week", "weeks", "semana", "semanas", "7"})
_UNITS = frozenset({"lb", "lbs", "pound", "pounds", "libra", "libras", "kg", "kgs", "kilo",
                    "kilos", "kilogramos", "mg", "mgdl", "mmol", "percent", "por", "mmhg"})
_OTHER_UNITS = frozenset({"oz", "ounces", "onzas", "units", "unidades", "unit", "unidad",
                          "tablets", "tabletas", "pills", "pastillas", "grams", "gramos", "g",
                          "ml", "cc", "tablespoons", "cucharadas", "puffs", "inhalaciones",
                          "times", "veces", "liters", "litros", "l"})
_PERIOD_WORDS = frozenset({"hours", "hour", "horas", "hora", "days", "day", "dias", "dia",
                           "weeks", "week", "semana", "semanas", "minutes", "minutos"})
_SMALL = {"a": 1, "an": 1, "one": 1, "un": 1, "una": 1, "uno": 1, "two": 2, "dos": 2,
          "three": 3, "tres": 3, "four": 4, "cuatro": 4, "five": 5, "cinco": 5, "six": 6,
          "seis": 6, "seven": 7, "siete": 7, "ten": 10, "diez": 10}
_CALL = re.compile(r"\b(call|calls|contact|notify|report|text|page|seek|phone|go to|llame|"
                   r"llamar|llamen|avise|avisar|avisenos|comuniquese|reporte|acuda|vaya)\b")
_IF = re.compile(r"\b(if|when|whenever|si|cuando)\b")
# an instruction to check something at a threshold ("check ketones if sugar over 250",
# "revise cetonas si...", "si esta bajo 70 tome jugo y vuelva a medir") is a step of
# self-care, not a reason to page: no rule, unless the sentence also says to call
_CHECK = re.compile(r"\b(check|test|recheck|measure|revise|revisar|cheque|chequee|checar|mida|"
                    r"medir)\b")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SIGNS = str.maketrans({">": " _above ", "<": " _below ", "≥": " _above ", "≤": " _below "})


@dataclass(frozen=True)
class Derived:
    """One rule read from an instruction: ``metric`` (hub.triage.plan_rules.METRICS)."""

    metric: str
    threshold: float


def _words(text: str) -> list[str]:
    return normalize(text.replace("=", " ").translate(_SIGNS)).split()


def _number(word: str) -> float | None:
    if _NUMBER.fullmatch(word):
        return float(word)
    return None


def _period(words: list[str], at: int) -> str | None:
    """"day" or "week" when the words just after a weight gain's number say so."""
    for word in words[at + 1:at + 6]:
        if word in _WEEK:
            return "week"
        if word in _DAY and word != "1":
            return "day"
        if word == "." or word in ("or", "o", "and", "y"):
            break
    return None


def _measure_ahead(words: list[str], at: int) -> str | None:
    """A number before its measure ("3 lb weight gain"): the measure within 4 words."""
    for word in words[at + 1:at + 5]:
        if word in _MEASURE_OF and word not in _UNITS:
            return _MEASURE_OF[word]
    return None


def _unit_after(words: list[str], at: int) -> str:
    return next((w for w in words[at + 1:at + 3] if w in _UNITS), "")


def _direction_after(words: list[str], at: int) -> str | None:
    """"100.4 F or higher", "50 o menos": the direction written after the number."""
    for word in words[at + 1:at + 6]:
        if word in ("higher", "more", "above", "greater", "mas", "mayor", "over"):
            return "above"
        if word in ("lower", "less", "below", "under", "menos", "menor"):
            return "below"
    return None


def _one(measure: str, direction: str | None, value: float, words: list[str], at: int,
         diastolic: bool) -> list[Derived]:
    unit = _unit_after(words, at)
    if measure == "temp":  # a temperature instruction reads as a rise: "100.4 F or higher"
        direction = direction or _direction_after(words, at) or "above"
        fahrenheit = value * 9 / 5 + 32 if 34 <= value <= 43 else value
        return [Derived("temperature_above", round(fahrenheit, 1))] if (
            direction == "above" and 97 <= fahrenheit <= 106) else []
    direction = direction or _direction_after(words, at)
    if measure == "weight":
        if unit.startswith("k"):
            value = round(value * _KG_TO_LB, 1)
        period = _period(words, at)
        if period and value < 30 and direction != "below":
            return [Derived(f"weight_gain_{period}", value)]
        if period is None and direction == "above" and value >= 60:
            return [Derived("weight_above", value)]
        return []
    if direction is None:
        return []
    if measure == "glucose":
        if unit == "mmol" or value < 35:
            value = float(round(value * _MMOL_TO_MGDL))
        return [Derived(f"glucose_{direction}", value)] if 20 <= value <= 700 else []
    if measure == "pulse":
        return [Derived(f"pulse_{direction}", value)] if 25 <= value <= 250 else []
    if measure == "spo2":
        return [Derived("spo2_below", value)] if direction == "below" and 50 <= value <= 100 \
            else []
    if measure == "bp":
        second = _number(words[at + 2]) if at + 2 < len(words) and words[at + 1] == "/" else None
        if diastolic and second is None:
            return [Derived("bp_diastolic_above", value)] if direction == "above" else []
        if direction == "below":
            return [Derived("bp_systolic_below", value)] if 50 <= value <= 160 else []
        out = [Derived("bp_systolic_above", value)] if 90 <= value <= 260 else []
        if second is not None and 40 <= second <= 160:
            out.append(Derived("bp_diastolic_above", second))
        return out
    return []


def derive(text: str | None) -> list[Derived]:
    """The rules an instruction gives, in the order written (none when it gives none)."""
    if not text:
        return []
    words = _words(text)
    joined = " ".join(words)
    if _CHECK.search(joined) and not _CALL.search(joined):
        return []
    found: list[Derived] = []
    measure: str | None = None
    direction: str | None = None
    diastolic = False
    skip: set[int] = set()
    for i, word in enumerate(words):
        if i in skip or word == "/":
            continue
        if word == ".":
            measure, direction, diastolic = None, None, False
            continue
        kind = _MEASURE_OF.get(word)
        if kind is not None and word not in _UNITS and kind != measure:
            measure, diastolic = kind, False
        if word in _DIASTOLIC:
            diastolic = True
        if word in ABOVE:
            direction = "above"
        elif word in BELOW:
            direction = "below"
        value = _number(word)
        if value is None and word in _SMALL and i + 1 < len(words) and (
                words[i + 1] in _UNITS):
            value = float(_SMALL[word])
        if value is None:
            continue
        if i + 1 < len(words) and words[i + 1] in _PERIOD_WORDS | _OTHER_UNITS:
            continue  # "in 24 hours", "7 days", "4 oz of juice": not the measure's figure
        about = measure or _measure_ahead(words, i)
        if about is None:
            continue
        if about == "weight" and direction is None:
            direction = "above" if any(w in ABOVE for w in words) else None
        found += _one(about, direction, value, words, i, diastolic)
        if about == "bp" and i + 2 < len(words) and words[i + 1] == "/":
            skip.add(i + 2)
    return _most_careful(found)


def _most_careful(found: list[Derived]) -> list[Derived]:
    """One rule a metric: "2-3 lb overnight" is the 2 lb rule (the lower a rise's threshold,
    the higher a fall's, the sooner the call)."""
    best: dict[str, Derived] = {}
    for rule in found:
        kept = best.get(rule.metric)
        falls = rule.metric.endswith("_below")
        if kept is None or (rule.threshold > kept.threshold if falls
                            else rule.threshold < kept.threshold):
            best[rule.metric] = rule
    return list(best.values())


def looks_like_instruction(text: str | None) -> bool:
    """Whether the text reads as an instruction to act ("call if...", "llame si...")."""
    if not text:
        return False
    normalized = normalize(text)
    return bool(_CALL.search(normalized)) and bool(_IF.search(normalized))


def not_understood(text: str | None) -> bool:
    """An instruction the hub cannot read as a rule (shown as such, never dropped)."""
    return looks_like_instruction(text) and not derive(text)
