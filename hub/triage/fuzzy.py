"""Spellings the lexicon's one-edit table does not reach: by sound, and two edits in long words.

People write symptoms as they say them: "bomitando", "corason", "callo" (cayó), "asfixia"
as "asfisia", "dolor de cavesa"; and long words with two slips: "breathign" is one, but
"unconsious" or "dificultad" as "dificultas" may be two. Two mechanisms, worked out once at load
from the lexicon's vocabulary, then cheap per word:

- a **sound key** (Spanish spelling by sound: v/b, z/s/ce/ci, c/qu/k, ll/y, silent h,
  doubled letters) for words of four letters or more: a message word whose key is a lexicon
  word's key (or one edit from it, for keys of five letters or more) reads as that word;
- **two edits** for words of eight letters or more (the symmetric-deletion method: each
  vocabulary word's spellings with up to two letters dropped, looked up with the message
  word's with up to one), checked with a real edit distance.

A word the lexicon knows exactly or at one edit never gets here (:class:`Lexicon` asks only
about words it does not know), and a key shared by two lexicon words keeps the first in a
fixed order, so every process reads the same word the same way.

Cost is bounded whatever the message: each distinct word is looked at once per message, and
its answer is remembered for the process (:data:`MEMO_SIZE` words; patients reuse words). The
sound key is read for every word of the message; the two-edit search, the one costly step
(a few microseconds a word), for at most :data:`TWO_EDITS_PER_MESSAGE` new long words a
message, in the order written: a pasted 20,000-character body of invented words costs no
more than a long letter, and a red flag spelt within one edit or by its sound is found
anywhere in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# in order: ch before the silent h, que/qui and ce/ci before c -> k (plain replaces, in C)
_SOUNDS = (("ch", "\x01"), ("h", ""), ("\x01", "ch"), ("que", "ke"), ("qui", "ki"),
           ("ce", "se"), ("ci", "si"), ("ck", "k"), ("c", "k"), ("q", "k"), ("z", "s"),
           ("v", "b"), ("ll", "y"), ("xa", "ksa"), ("xe", "kse"), ("xi", "ksi"), ("xo", "kso"),
           ("xu", "ksu"))
_DOUBLED = re.compile(r"([a-z])\1+")
MIN_SOUND, MIN_TWO_EDITS = 4, 8
TWO_EDITS_PER_MESSAGE = 200  # new (unremembered) long words searched at two edits
MEMO_SIZE = 50_000  # words whose reading the process remembers (then starts afresh)


def sound_key(word: str) -> str:
    """"vomitando" and "bomitando" -> "bomitando"; "corazon", "corason" -> "korason"."""
    for letters, sound in _SOUNDS:
        if letters in word:
            word = word.replace(letters, sound)
    return _DOUBLED.sub(r"\1", word)


def _deletes(word: str) -> set[str]:
    """``word`` with up to two letters dropped."""
    ones = {word[:i] + word[i + 1:] for i in range(len(word))}
    return {word} | ones | {w[:i] + w[i + 1:] for w in ones for i in range(len(w))}


def _one_edit(key: str) -> set[str]:
    """Keys one letter dropped, changed, added or swapped away (letters of the key alphabet)."""
    letters = "abdefgijklmnoprstuwyz"
    splits = [(key[:i], key[i:]) for i in range(len(key) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in letters}
            | {a + c + b for a, b in splits for c in letters})


def distance(a: str, b: str) -> int:
    """Edit distance with swaps (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


class Fuzzy:
    """The lexicon's words by sound and by two-edit neighbourhood."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        words = sorted({w for w in vocabulary if w.isalpha() and len(w) >= MIN_SOUND},
                       key=lambda w: (-len(w), w))  # same in every process
        self.by_sound: dict[str, str] = {}
        for word in words:
            if len(key := sound_key(word)) >= MIN_SOUND:
                self.by_sound.setdefault(key, word)
        near: dict[str, str] = {}
        for key, word in sorted(self.by_sound.items()):
            if len(key) >= 5:
                for variant in _one_edit(key):
                    near.setdefault(variant, word)
        self.by_sound_near = {k: w for k, w in near.items() if k not in self.by_sound}
        self.deleted: dict[str, list[str]] = {}
        for word in words:
            if len(word) >= MIN_TWO_EDITS:
                for variant in _deletes(word):
                    self.deleted.setdefault(variant, []).append(word)
        self._memo: dict[str, str | None] = {}

    def words(self, unknown: list[str]) -> dict[str, str]:
        """The lexicon word each of ``unknown`` (distinct words the one-edit table does not
        know) stands for, where one does; the sound keys of all of them in one pass."""
        memo = self._memo
        found: dict[str, str] = {}
        fresh = []
        for written in unknown:
            if written in memo:
                if (word := memo[written]) is not None:
                    found[written] = word
            elif len(written) >= MIN_SOUND and written.isalpha():
                fresh.append(written)
        if not fresh:
            return found
        if len(memo) + len(fresh) > MEMO_SIZE:
            memo.clear()
        budget = TWO_EDITS_PER_MESSAGE
        for written, key in zip(fresh, sound_key(" ".join(fresh)).split(" "), strict=True):
            word = self.by_sound.get(key) or self.by_sound_near.get(key)
            if word is None and len(written) >= MIN_TWO_EDITS:
                if budget <= 0:
                    continue  # not remembered: a later, shorter message searches it
                budget -= 1
                word = self._two_edits(written)
            memo[written] = word
            if word is not None:
                found[written] = word
        return found

    def word(self, written: str, key: str | None = None) -> str | None:
        """The lexicon word ``written`` stands for, or None."""
        if len(written) < MIN_SOUND or not written.isalpha():
            return None
        key = sound_key(written) if key is None else key
        found = self.by_sound.get(key) or self.by_sound_near.get(key)
        if found is not None or len(written) < MIN_TWO_EDITS:
            return found
        return self._two_edits(written)

    def _two_edits(self, written: str) -> str | None:
        best: tuple[int, str] | None = None
        # the message word with up to one letter dropped, against the vocabulary's spellings
        # with up to two dropped: two letters missing, or one changed, or one missing and one
        # added (two letters added are not looked for: it keeps a word's cost to its length)
        for variant in {written, *(written[:i] + written[i + 1:] for i in range(len(written)))}:
            for word in self.deleted.get(variant, ()):
                d = distance(written, word)
                if d <= 2 and (best is None or (d, word) < best):
                    best = (d, word)
        return best[1] if best else None
