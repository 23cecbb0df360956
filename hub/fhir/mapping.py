"""Pure functions from R4B elements to the values the hub's models store.

Nothing here touches the database; each function takes FHIR elements (or lists of them)
and returns plain values, so every mapping rule can be read (and tested) on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

from hub.phones import DEFAULT_REGION, NotAPhoneNumber, to_e164

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
SNOMED = "http://snomed.info/sct"
CASE_MANAGER_SNOMED = "768730001"  # "Case manager (occupation)"
# The id the hub's own export gives a row entered by hand (``hub-staff-3``); an EHR's id
# for the same person may replace it.
HUB_ID_PREFIX = "hub-"

# How a name's ``use`` ranks when a resource carries several: the one people go by first.
_NAME_RANK = {"usual": 0, "official": 1, None: 2, "nickname": 3, "temp": 4,
              "anonymous": 5, "maiden": 6, "old": 7}
_PHONE_SYSTEMS = ("phone", "sms")
_INLINE = {"a", "b", "strong", "i", "em", "span", "code", "sub", "sup", "u", "small"}
_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[-_].*)?$")


def person_name(names: list[Any] | None) -> str | None:
    """"Given Family" of the name the person goes by (usual, then official, never old first)."""
    if not names:
        return None
    best = min(names, key=lambda n: _NAME_RANK.get(n.use, 2))
    words = [*(best.given or []), *([best.family] if best.family else [])]
    text = " ".join(w.strip() for w in words if w and w.strip())
    return text or (best.text.strip() if best.text else None) or None


def phones(telecom: list[Any] | None, region: str = DEFAULT_REGION
           ) -> tuple[list[tuple[str, str | None]], int]:
    """Every phone as (E.164, use), without repeats, and how many did not parse.

    A number in national format is read as one of ``region`` (the practice's country).
    """
    found: list[tuple[str, str | None]] = []
    skipped = 0
    for point in telecom or []:
        if point.system not in _PHONE_SYSTEMS or not point.value or point.use == "old":
            continue  # an "old" number may belong to someone else by now: never match it
        try:
            e164 = to_e164(point.value, region)
        except NotAPhoneNumber:
            skipped += 1
            continue
        if e164 not in (number for number, _ in found):
            found.append((e164, point.use))
    return found, skipped


def best_phone(telecom: list[Any] | None, region: str = DEFAULT_REGION
               ) -> tuple[str | None, int]:
    """The number to reach someone on (a mobile first), and how many did not parse."""
    found, skipped = phones(telecom, region)
    mobiles = [number for number, use in found if use == "mobile"]
    if mobiles:
        return mobiles[0], skipped
    return (found[0][0] if found else None), skipped


def email(telecom: list[Any] | None) -> str | None:
    """The first e-mail address, lower-cased (logins compare it case-blind)."""
    for point in telecom or []:
        if point.system == "email" and point.value:
            address = point.value.strip().removeprefix("mailto:").lower()
            if "@" in address and len(address) <= 254:
                return address
    return None


def language(communication: list[Any] | None) -> str | None:
    """The primary language subtag ("es" of "es-MX") of the preferred communication language."""
    if not communication:
        return None
    ordered = sorted(communication, key=lambda c: not c.preferred)
    for item in ordered:
        for coding in item.language.coding or []:
            match = _LANGUAGE.match(coding.code or "")
            if match:
                return match.group(1).lower()
    return None


def fhir_date(value: Any | None) -> str | None:
    """A FHIR date as text: "1987-02-20", or a partial "1987-02" / "1987" as given."""
    if value is None:
        return None
    return value if isinstance(value, str) else str(value.isoformat())


def identifier_key(identifiers: list[Any] | None) -> str | None:
    """"system|value" of the NPI, else of the first identifier with a value."""
    usable = [i for i in identifiers or [] if i.value]
    chosen = next((i for i in usable if i.system == NPI_SYSTEM), usable[0] if usable else None)
    if chosen is None:
        return None
    key = f"{chosen.system or ''}|{chosen.value}"
    return key if len(key) <= 300 else None


def identifier_keys(identifiers: list[Any] | None) -> list[str]:
    """"system|value" of every identifier (conditional references may use any of them)."""
    return [f"{i.system or ''}|{i.value}" for i in identifiers or [] if i.value]


def _words(concepts: Iterable[Any] | None) -> list[str]:
    words: list[str] = []
    for concept in concepts or []:
        if concept.text:
            words.append(concept.text.lower())
        for coding in concept.coding or []:
            words.extend(w.lower() for w in (coding.display, coding.code) if w)
    return words


def is_care_manager(roles: list[Any] | None) -> bool:
    """A care team role that designates the patient's care manager."""
    for concept in roles or []:
        for coding in concept.coding or []:
            if coding.code == CASE_MANAGER_SNOMED and coding.system in (SNOMED, None):
                return True
    return any("care manager" in w or "case manager" in w for w in _words(roles))


def staff_role(codes: list[Any] | None) -> str | None:
    """The hub's staff role a PractitionerRole's codes describe, or None to keep the current one."""
    if is_care_manager(codes):
        return "care_manager"
    words = _words(codes)
    if any(k in w for w in words for k in ("practice manager", "office manager")):
        return "manager"  # never "admin": that is given by `hub staff role` only
    if any("nurse" in w for w in words):
        return "nurse"
    if any(k in w for w in words for k in ("physician", "doctor")) or "md" in words:
        return "physician"
    return None


def concept_text(concept: Any | None) -> str | None:
    """A CodeableConcept's text, else its first coding's display, else code."""
    if concept is None:
        return None
    if concept.text:
        return str(concept.text)
    for coding in concept.coding or []:
        if coding.display or coding.code:
            return str(coding.display or coding.code)
    return None


def first_code(concept: Any | None) -> str | None:
    """The first coding's code of a CodeableConcept."""
    for coding in (concept.coding if concept is not None else None) or []:
        if coding.code:
            return str(coding.code)
    return None


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _INLINE:  # a block starts: keep its words apart from the last ones
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def narrative_text(narrative: Any | None) -> str | None:
    """The plain text of a resource's XHTML narrative (what a human wrote or generated)."""
    if narrative is None or not narrative.div or narrative.status == "empty":
        return None
    parser = _Text()
    parser.feed(str(narrative.div))
    parser.close()
    text = " ".join("".join(parser.parts).split())
    return text or None


def care_plan_content(plan: Any) -> str:
    """The care plan's narrative parts as the JSON the hub keeps (encrypted)."""
    activities = []
    for activity in plan.activity or []:
        detail = activity.detail
        if detail is not None:
            text = concept_text(detail.code) or detail.description
            activities.append({"text": text, "status": detail.status})
        elif activity.reference is not None:
            activities.append({"text": activity.reference.display, "status": None})
    return json.dumps(
        {
            "description": plan.description,
            "narrative": narrative_text(plan.text),
            "categories": [t for t in (concept_text(c) for c in plan.category or []) if t],
            "activities": activities,
            # Each goal by name; the writer adds the Goal it resolved to (the EHR's
            # reference, a urn:uuid as often as not, means nothing once imported).
            "goals": [{"display": g.display} for g in plan.goal or []],
        },
        ensure_ascii=False,
    )
