"""What a patient's own problem list and medications make of them for triage: heart failure,
COPD, diabetes, anticoagulated... (``[patient.<name>]`` in ``config/triage.toml``).

A condition is named by codes (an ICD-10 code is matched by its prefix, "I50" takes "I50.9";
a SNOMED code exactly), by words in the condition's text ("heart failure", "EPOC"), and by
medications in the patient's list ("warfarin", "Eliquis"). The red flags that carry
``when = "<name>"`` apply only to a patient the profile names (see hub.triage.classify).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hub.triage.normalize import normalize

# a problem or a prescription that no longer holds says nothing of the patient now
PAST_CONDITION = frozenset({"inactive", "resolved", "remission", "entered-in-error", "refuted"})
PAST_MEDICATION = frozenset({"stopped", "completed", "cancelled", "entered-in-error",
                             "not-taken", "ended"})


@dataclass(frozen=True)
class Profiles:
    """The practice's patient profiles: name -> (codes, words of a condition, medications)."""

    codes: dict[str, tuple[str, ...]]
    words: dict[str, tuple[str, ...]]
    medications: dict[str, tuple[str, ...]]

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> Profiles:
        def phrases(entries: Iterable[str]) -> tuple[str, ...]:
            return tuple(f" {normalize(e)} " for e in entries if normalize(e))

        return cls(
            codes={n: tuple(str(c).upper() for c in v.get("codes", ())) for n, v in raw.items()},
            words={n: phrases(v.get("words", ())) for n, v in raw.items()},
            medications={n: phrases(v.get("medications", ())) for n, v in raw.items()})

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.codes)

    def of(self, conditions: Iterable[tuple[str | None, str | None]],
           medications: Iterable[str | None] = ()) -> frozenset[str]:
        """The profiles a patient fits: ``conditions`` as (code, text), ``medications`` texts."""
        found: set[str] = set()
        texts = [f" {normalize(text)} " for _, text in conditions if text]
        codes = [str(code).upper() for code, _ in conditions if code]
        drugs = [f" {normalize(text)} " for text in medications if text]
        for name in self.codes:
            if any(_code_matches(code, wanted) for code in codes for wanted in self.codes[name]):
                found.add(name)
            elif any(w in t for t in texts for w in self.words[name]):
                found.add(name)
            elif any(m in d for d in drugs for m in self.medications[name]):
                found.add(name)
        return frozenset(found)


def _code_matches(code: str, wanted: str) -> bool:
    code = code.rsplit("|", 1)[-1]  # "system|code" as some exports write it
    if wanted[:1].isalpha():  # ICD-10: I50 covers I50.9, I5023 covers I50.23
        return code.replace(".", "").startswith(wanted.replace(".", ""))
    return code == wanted
