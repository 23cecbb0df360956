"""Turn a patient's text into comparable tokens: case, accents, spacing and numbers in words.

``"Sugar is FORTY two!!"`` and ``"sugar is 42"`` become the same tokens; ``"azúcar"`` becomes
``"azucar"``. Numbers written in words go through text2num (English and Spanish); the spoken
way of reading vitals ("one ninety over one twenty") is joined into 190 / 120 here.
"""

from __future__ import annotations

import re
import unicodedata

from text_to_num import alpha2digit

BOUNDARY = "."
NUMBER_WORDS_WITHIN = 2000
# Passes in C over the (accent-free, ASCII) text: letters and digits stay, a clause break
# becomes the word ".", "/" stands apart (190/120 -> 190 / 120), anything else is a space.
def _byte_table() -> bytes:
    table = bytearray(c if c < 128 and chr(c).isalnum() else 32 for c in range(256))
    for chars, mark in ((",;!?\n\r", 2), (".", 1), ("/", 3)):  # marks, widened just below
        for char in chars:
            table[ord(char)] = mark
    return bytes(table)


_TABLE = _byte_table()
_DECIMAL = re.compile(r"(\d) \x01 (\d)")  # 98.6 stays whole; "80. Then" ends a clause
_BREAKS = re.compile(r"\.(?: \.)+")  # "!!!" is one clause break
# "soooo" -> "soo", keeping real double letters: a substring test per letter (in C) finds the
# letters written three times or more, and a literal pattern per such letter shortens them.
_TRIPLES = [(letter * 3, re.compile(letter * 3 + "+"), letter * 2)
            for letter in "abcdefghijklmnopqrstuvwxyz"]
_SPOKEN_HUNDREDS = re.compile(r"\b([12]) ([1-9]\d)\b")  # "1 90" (read "one ninety") -> 190


def _strip_accents(text: str) -> str:
    """"azúcar" -> "azucar"; letters of other scripts and emoji drop out (not in the lexicon)."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def normalize(text: str | None, numbers: bool = True) -> str:
    """Lowercase, accent-free, digits for number words (unless ``numbers`` is false: a long
    message's later pieces), single spaces; ``/`` kept for 190/120 and each clause break
    (``, ; . ! ?``) kept as a ``.`` word."""
    if not text:
        return ""
    text = _strip_accents(text.lower().replace("’", "'"))  # can't -> cant, don't -> dont
    marked = text.replace("'", "").encode("ascii", "ignore").translate(_TABLE).decode("ascii")
    marked = marked.replace("\x02", " . ").replace("\x01", " \x01 ").replace("\x03", " / ")
    text = " ".join(marked.split())
    if "\x01" in text:
        text = _DECIMAL.sub(r"\1.\2", text).replace("\x01", ".")
    if ". ." in text:
        text = _BREAKS.sub(".", text)
    for triple, pattern, double in _TRIPLES:
        if triple in text:
            text = pattern.sub(double, text)
    # Numbers in words are read in the first few thousand characters: where readings are
    # written, and text2num's cost grows quickly with runs of number words.
    if not numbers:
        return text
    head, tail = text[:NUMBER_WORDS_WITHIN], text[NUMBER_WORDS_WITHIN:]
    for language in ("en", "es"):
        head = alpha2digit(head, language)
    head = _SPOKEN_HUNDREDS.sub(r"\1\2", head)
    return head + tail
