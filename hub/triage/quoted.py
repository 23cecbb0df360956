"""A threshold quoted from the care plan is not a reading: "plan says over 180/110 so im ok?".

Patients check a reading against the sheet they were given and quote its limit back: "bp
138/84, the sheet says tell you if over 180/110", "el papel dice llamar si pasa de 170/100".
The quoted figure reads like a blood pressure or a sugar, and it sits right at the plan's
threshold. A number is a quoted threshold when a comparison word stands just before it
("over", "above", "under", "more than", "pasa de", "arriba de") and an instruction word
("if", "si", "says", "dice", "plan", "sheet", "papel", "told"; or "that", "eso": a reading
already given, compared) within a few words before that: "my sugar is over 400" stays a
reading. Only the quoted number is set aside; every
other reading of the message counts as ever.
"""

from __future__ import annotations

from collections.abc import Sequence

COMPARE = frozenset({"over", "above", "under", "below", "exceeds", "_above", "_below"})
COMPARE_TWO = frozenset({"more", "less", "greater", "higher", "lower", "pasa", "mas", "menos",
                         "arriba", "abajo", "debajo", "encima", "mayor", "menor"})
# words of an instruction quoted, or of a reading already given being compared ("is that
# over 90", "eso esta arriba de 90 verdad")
INSTRUCTION = frozenset({"if", "si", "says", "said", "say", "dice", "dijo", "decia", "plan",
                         "sheet", "paper", "papel", "hoja", "told", "instructions", "supposed",
                         "llamar", "llame", "avisar", "that", "thats", "eso", "esto"})
LOOK_BACK = 8  # words before the comparison word


def quoted_threshold(words: Sequence[str], at: int) -> bool:
    """Whether the number at word ``at`` is a limit the message quotes, not a reading.

    >>> quoted_threshold("plan says over 180 / 110 so im ok".split(), 3)
    True
    >>> quoted_threshold("my sugar is over 400".split(), 4)
    False
    """
    if at < 1:
        return False
    before = words[at - 1]
    if before in COMPARE:
        start = at - 1
    elif before in ("than", "de", "of") and at >= 2 and words[at - 2] in COMPARE_TWO:
        start = at - 2
    else:
        return False
    return not INSTRUCTION.isdisjoint(words[max(0, start - LOOK_BACK):start])
