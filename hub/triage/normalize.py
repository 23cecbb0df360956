"""Turn a patient's text into comparable tokens: case, accents, spacing and numbers in words.

``"Sugar is FORTY two!!"`` and ``"sugar is 42"`` become the same tokens; ``"azúcar"`` becomes
``"azucar"``. Numbers written in words go through text2num (English and Spanish); the spoken
way of reading vitals ("one ninety over one twenty") is joined into 190 / 120 here.
"""

from __future__ import annotations

import re
import unicodedata

from text_to_num import alpha2digit

_NOT_WORD = re.compile(r"[^a-z0-9/.]+")
_BOUNDARY = re.compile(r"(?<!\d)[.](?!\d)|[,;!?\n\r]+")  # a clause ends; 98.6 stays whole
BOUNDARY = "."
NUMBER_WORDS_WITHIN = 2000
_REPEATS = re.compile(r"([a-z])\1{2,}")  # "soooo" -> "soo": keeps real double letters
_SPOKEN_HUNDREDS = re.compile(r"\b([12]) ([1-9]\d)\b")  # "1 90" (read "one ninety") -> 190
_SLASHED = re.compile(r"(\d)/(\d)")


def _strip_accents(text: str) -> str:
    """"azúcar" -> "azucar"; letters of other scripts and emoji drop out (not in the lexicon)."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def normalize(text: str | None) -> str:
    """Lowercase, accent-free, digits for number words, single spaces; ``/`` kept for 190/120
    and each clause break (``, ; . ! ?``) kept as a ``.`` word."""
    if not text:
        return ""
    text = _strip_accents(text.lower())
    text = text.replace("’", "'").replace("'", "")  # can't -> cant, don't -> dont
    text = _BOUNDARY.sub(" . ", text)
    text = _NOT_WORD.sub(" ", text)
    text = _REPEATS.sub(r"\1\1", text)
    # Numbers in words are read in the first few thousand characters: where readings are
    # written, and text2num's cost grows quickly with runs of number words.
    head, tail = text[:NUMBER_WORDS_WITHIN], text[NUMBER_WORDS_WITHIN:]
    for language in ("en", "es"):
        head = alpha2digit(head, language)
    text = head + tail
    text = _SPOKEN_HUNDREDS.sub(r"\1\2", text)
    return _SLASHED.sub(r"\1 / \2", text).strip()


def tokens(text: str | None) -> list[str]:
    """The normalized words of a message."""
    return normalize(text).split()
