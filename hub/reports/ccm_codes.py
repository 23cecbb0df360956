"""CCM minutes of a month against the CPT codes, and the combinations Medicare refuses.

The codes (NGS Medicare, "Care Management: Billing Codes",
https://www.ngsmedicare.com/web/ngs/care-management?selectedArticleId=3451732):
99490 20 min of clinical staff time, 99439 each further 20 min (at most twice: 60 min in
all); 99487 complex CCM, 60 min of clinical staff time, 99489 each further 30 min; 99491
30 min spent personally by the billing physician, 99437 each further 30 min.

What may not be billed together for one patient in one calendar month:
- complex (99487/99489) and non-complex (99490/99439) CCM: CMS MLN909188 "Chronic Care
  Management Services" ("the billing practitioner cannot report both complex and
  non-complex CCM for a given patient for a given calendar month");
- 99491 with 99487, 99489 or 99490: CPT's guidance as carried by the CMS contractors'
  pages ("Do not report 99491 in the same calendar month as 99487, 99489, 99490");
- an add-on without its base code (99439 without 99490, 99489 without 99487, 99437 without
  99491), and 99439 more than twice.

Complex CCM also needs moderate or high complexity medical decision making, which is the
physician's call: the time alone suggests the non-complex codes, and says when it would
reach complex CCM.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from hub.care_time import MonthTime

CODES = ("99490", "99439", "99487", "99489", "99491", "99437")
BASE_OF = {"99439": "99490", "99489": "99487", "99437": "99491"}
MAX_TIMES = {"99439": 2}
NOT_TOGETHER = (
    ({"99490", "99439"}, {"99487", "99489"},
     "complex (99487/99489) and non-complex (99490/99439) CCM in one month"),
    ({"99491"}, {"99490", "99487", "99489"}, "99491 with 99490, 99487 or 99489 in one month"),
)


def problems(codes: Iterable[str]) -> list[str]:
    """Why this month's codes for one patient would not be paid together (empty: fine)."""
    counted = Counter(codes)
    found = [reason for left, right, reason in NOT_TOGETHER
             if counted.keys() & left and counted.keys() & right]
    for addon, base in BASE_OF.items():
        if counted[addon] and not counted[base]:
            found.append(f"{addon} without {base}")
    for code, most in MAX_TIMES.items():
        if counted[code] > most:
            found.append(f"{code} more than {most} times")
    return found


def non_complex(clinical_minutes: int) -> list[str]:
    """99490 and its add-ons for clinical staff minutes (the physician's count too)."""
    if clinical_minutes < 20:
        return []
    return ["99490"] + ["99439"] * min(MAX_TIMES["99439"], (clinical_minutes - 20) // 20)


def complex_ccm(clinical_minutes: int) -> list[str]:
    """99487 and its add-ons, if the physician judges the month complex."""
    if clinical_minutes < 60:
        return []
    return ["99487"] + ["99489"] * ((clinical_minutes - 60) // 30)


def physician(physician_minutes: int) -> list[str]:
    """99491 and its add-ons for the billing physician's own minutes."""
    if physician_minutes < 30:
        return []
    return ["99491"] + ["99437"] * ((physician_minutes - 30) // 30)


@dataclass(frozen=True)
class MonthCodes:
    """One patient's month: minutes and what they support."""

    time: MonthTime
    codes: list[str]  # what the time supports (non-complex track)
    complex_codes: list[str]  # instead of ``codes``, when the physician judges it complex
    physician_codes: list[str]  # the physician's own time, an alternative to ``codes``
    flags: list[str]  # combinations the time alone would tempt, which Medicare refuses

    @property
    def clinical_minutes(self) -> int:
        return self.time.counted_minutes


def for_month(time: MonthTime) -> MonthCodes:
    """The codes one patient's month of minutes supports, with what cannot go together."""
    codes = non_complex(time.counted_minutes)
    by_physician = physician(time.physician // 60)
    flags = problems(codes + by_physician) if codes and by_physician else []
    if flags:
        flags = [f"{flag}: bill one" for flag in flags]
    return MonthCodes(time, codes, complex_codes=complex_ccm(time.counted_minutes),
                      physician_codes=by_physician, flags=flags)


class BadCodes(ValueError):
    """Billed codes that are not CCM codes; the message names them."""


def parse_billed(raw: str) -> list[str]:
    """``99490 99439`` (commas, ``+`` or ``x2`` allowed: ``99490 + 99439 x2``) as a list
    with each add-on repeated; BadCodes naming any other code."""
    codes: list[str] = []
    for word in raw.replace(",", " ").replace("+", " ").split():
        if word.lower().startswith("x") and word[1:].isdigit() and codes:
            codes.extend([codes[-1]] * (int(word[1:]) - 1))
        elif word in CODES:
            codes.append(word)
        else:
            raise BadCodes(f"codes: {word!r} is not one of {', '.join(CODES)}")
    if len(codes) > 12:
        raise BadCodes("codes: at most 12 in a month")
    return codes


def unsupported(billed: list[str], month: MonthCodes) -> list[str]:
    """Billed codes the recorded minutes do not reach (any track counted)."""
    allowed = Counter(month.codes) | Counter(month.complex_codes) | Counter(month.physician_codes)
    found = []
    for code, times in sorted(Counter(billed).items()):
        if times > allowed[code]:
            found.append(f"{code} x{times} billed, the minutes support {allowed[code]}")
    return found


def shown(codes: list[str]) -> str:
    """``99490 + 99439 x2`` for a list of codes."""
    counted = Counter(codes)
    return " + ".join(code if n == 1 else f"{code} x{n}" for code, n in counted.items())
