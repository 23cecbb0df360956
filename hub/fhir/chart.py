"""Pure functions from R4B medications, allergies and consents to what the hub stores.

The consent's method (how it was obtained) is read as real EHR exports carry it:

- the words of ``category``, ``policyRule``, ``policy.uri`` and the ``sourceAttachment``
  title: "verbal", "oral", "spoken", "phone" give "verbal"; "written", "signed",
  "signature", "paper" give "written" (both or neither: read on);
- else a ``sourceAttachment`` or ``sourceReference`` (a signed document on file): "written";
- else a ``verification`` that says ``verified: true`` (staff confirmed it with the
  patient, no document): "verbal";
- else unknown (None).

Who obtained it is the display of the first ``performer`` that is not the patient or a
related person, else of the first ``organization``.
"""

from __future__ import annotations

import re
from typing import Any

from hub.fhir.mapping import concept_text, fhir_date, first_code
from hub.fhir.refs import declared_kind

_VERBAL = re.compile(r"\b(verbal|verbally|oral|orally|spoken|phone|telephone)\b")
_WRITTEN = re.compile(r"\b(written|signed|signature|paper)\b")
_NOT_OBTAINER = {"Patient", "RelatedPerson"}


def medication_text(resource: Any) -> str | None:
    """The medication's name: its concept's text or display, else the reference's display."""
    text = concept_text(resource.medicationCodeableConcept)
    if text:
        return text
    reference = resource.medicationReference
    return str(reference.display) if reference is not None and reference.display else None


def medication_code(resource: Any) -> str | None:
    """The first code of the medication's concept (RxNorm in US Core)."""
    return first_code(resource.medicationCodeableConcept)


def dosage_text(dosages: list[Any] | None) -> str | None:
    """The dosage instructions' texts ("10 mL bid"), one after another."""
    texts = [str(d.text).strip() for d in dosages or [] if d.text and str(d.text).strip()]
    return "; ".join(texts) or None


def statement_date(resource: Any) -> str | None:
    """When a MedicationStatement was asserted, else when it took effect."""
    if resource.dateAsserted is not None:
        return fhir_date(resource.dateAsserted)
    if resource.effectiveDateTime is not None:
        return fhir_date(resource.effectiveDateTime)
    period = resource.effectivePeriod
    return fhir_date(period.start) if period is not None else None


def allergy_substance(resource: Any) -> str | None:
    """What the patient is allergic to: the code, else the first reaction's substance."""
    text = concept_text(resource.code)
    if text:
        return text
    return next((t for t in (concept_text(r.substance) for r in resource.reaction or []) if t),
                None)


def allergy_reaction(resource: Any) -> str | None:
    """The reactions as "skin rash (mild); hives", manifestations then severity."""
    parts = []
    for reaction in resource.reaction or []:
        signs = [t for t in (concept_text(m) for m in reaction.manifestation or []) if t]
        text = ", ".join(signs) or reaction.description
        if text and reaction.severity:
            text = f"{text} ({reaction.severity})"
        if text:
            parts.append(str(text))
    return "; ".join(parts) or None


def _consent_words(consent: Any) -> str:
    words: list[str] = []
    concepts = [*(consent.category or []), *([consent.policyRule] if consent.policyRule else [])]
    for concept in concepts:
        words.append(concept.text or "")
        words.extend(f"{c.display or ''} {c.code or ''}" for c in concept.coding or [])
    words.extend(p.uri or "" for p in consent.policy or [])
    if consent.sourceAttachment is not None:
        words.append(consent.sourceAttachment.title or "")
    return " ".join(words).lower()


def consent_method(consent: Any) -> str | None:
    """"verbal", "written" or None, by the rules in this module's docstring."""
    words = _consent_words(consent)
    verbal, written = bool(_VERBAL.search(words)), bool(_WRITTEN.search(words))
    if verbal != written:
        return "verbal" if verbal else "written"
    if consent.sourceAttachment is not None or consent.sourceReference is not None:
        return "written"
    if any(v.verified for v in consent.verification or []):
        return "verbal"
    return None


def consent_obtained_by(consent: Any) -> str | None:
    """Display of the first performer who is not the patient, else of the organization."""
    for ref in consent.performer or []:
        kind = (declared_kind(ref.reference) if ref.reference else None) or ref.type
        if kind not in _NOT_OBTAINER and ref.display:
            return str(ref.display)
    return next((str(o.display) for o in consent.organization or [] if o.display), None)


def consent_scope(consent: Any) -> str | None:
    """The scope's code (treatment, patient-privacy, research, adr)."""
    code = first_code(consent.scope)
    return code if code and len(code) <= 64 else None
