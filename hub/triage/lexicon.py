"""The red-flag lexicon: concepts (words and phrases, English and Spanish) found in a message.

Written by clinicians in ``config/triage.toml``. A concept is a list of words or phrases; a
word of five letters or more also matches its common misspellings (one letter dropped, added,
changed, or two swapped: "breth", "brreath", "braeth"), a four-letter word its swaps ("pian").
The misspellings are worked out once, at load, into one dictionary: finding the concepts of a
message is then one lookup per word, whatever its length. Words that table does not know are
then read by sound and, when long, at two edits (:mod:`hub.triage.fuzzy`: "bomitando",
"corason", "unconsious").
"""

from __future__ import annotations

import functools
import json
import string
from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import chain, compress, count, islice
from operator import or_

from hub.triage.fuzzy import Fuzzy
from hub.triage.normalize import normalize
from hub.triage.phrases import PhraseIndex

_LETTERS = string.ascii_lowercase


def _misspellings(word: str) -> set[str]:
    """Every spelling one edit away (Damerau: swaps count as one) that we accept for ``word``."""
    if not word.isalpha() or len(word) < 4:
        return set()
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    if len(word) < 5:
        return swaps - {word}
    drops = {a + b[1:] for a, b in splits if b}
    changes = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    adds = {a + c + b for a, b in splits for c in _LETTERS}
    return (swaps | drops | changes | adds) - {word}


class Lexicon:
    """Concepts by name, each a set of phrases (tuples of words), with misspellings resolved.

    >>> lexicon = Lexicon({"chest": ["chest", "pecho"], "breath": ["short of breath"]})
    >>> lexicon.find("SHORT of breth and my chset hurts".lower().split())
    {'breath': [(0, 3)], 'chest': [(5, 6)]}
    """

    def __init__(self, concepts: Mapping[str, Iterable[str]],
                 real_words: frozenset[str] = frozenset()) -> None:
        """``real_words``: words never read as a misspelling (hub.triage.real_words)."""
        self.concepts = frozenset(concepts)
        entries: list[tuple[tuple[str, ...], str]] = []
        for concept, phrases in concepts.items():
            for phrase in phrases:
                words = tuple(normalize(phrase).split())
                if not words:
                    raise ValueError(f"concept {concept!r}: an empty entry")
                entries.append((words, concept))
        self.index: PhraseIndex[str] = PhraseIndex(entries)
        self._entries = entries
        vocabulary = {word for words, _ in entries for word in words}
        self.longest = max((len(words) for words, _ in entries), default=1)  # words
        # Exact words first, so a misspelling never shadows a real word of the lexicon.
        self.spelling: dict[str, str] = {}
        for word in sorted(vocabulary, key=lambda w: (-len(w), w)):  # same in every process
            for variant in _misspellings(word):
                self.spelling.setdefault(variant, word)
        self.real_words = real_words - vocabulary
        for word in self.real_words & self.spelling.keys():
            del self.spelling[word]
        self.spelling.update({word: word for word in vocabulary})
        self.fuzzy = Fuzzy(vocabulary)

    def canonical(self, words: list[str]) -> list[str]:
        """Each word as the lexicon spells it (unknown words unchanged)."""
        spelling = self.spelling
        # the distinct words neither table knows, each read by sound (and when long at two
        # edits) once: hub.triage.fuzzy bounds and remembers that work
        unknown = set(words).difference(spelling, self.real_words)  # in C
        known = list(map(spelling.get, words, words))
        if not unknown:
            return known
        in_order = [w for w in dict.fromkeys(words) if w in unknown]  # the budget's order
        if not (heard := self.fuzzy.words(in_order)):
            return known
        return list(map(heard.get, known, known))

    def only(self, concepts: Iterable[str]) -> PhraseIndex[str]:
        """An index of some concepts only (for :meth:`find`'s ``index``): the crisis language
        read in the rest of a long message (hub.triage.pieces)."""
        wanted = frozenset(concepts)
        return PhraseIndex(entry for entry in self._entries if entry[1] in wanted)

    def find(self, words: list[str], index: PhraseIndex[str] | None = None
             ) -> dict[str, list[tuple[int, int]]]:
        """Where each concept occurs: concept -> [(start, end) word positions]; ``index``:
        the concepts of :meth:`only` (all of them by default).

        Set operations (in C) first pick the few words that can start a phrase; only those
        positions are then looked at one by one.
        """
        words = self.canonical(words)
        index = self.index if index is None else index
        present = set(words)
        singles = index.single.keys() & present
        firsts = index.multi_first_words & present
        if not singles and not firsts:
            return {}
        found: dict[str, list[tuple[int, int]]] = defaultdict(list)
        single, multi, last = index.single, index.multi, len(words) - 1
        # the positions where a single-word entry stands or a phrase's first two words do,
        # picked in C: common words that begin phrases ("my", "la") cost nothing elsewhere
        at_single = map(singles.__contains__, words)
        pairs = zip(words, islice(words, 1, None), strict=False)
        at_pair = chain(map(multi.__contains__, pairs), (False,))
        for start in compress(count(), map(or_, at_single, at_pair)):
            word = words[start]
            if word in singles:
                for concept in single[word]:
                    found[concept].append((start, start + 1))
            if word not in firsts or start == last:
                continue
            for phrase, concept in multi.get((word, words[start + 1]), ()):
                end = start + len(phrase)
                if len(phrase) == 2 or tuple(words[start:end]) == phrase:
                    found[concept].append((start, end))
        return dict(found)


def shared_lexicon(concepts: Mapping[str, Iterable[str]],
                   real_words: frozenset[str] = frozenset()) -> Lexicon:
    """The lexicon of these concepts and words, built once per process and shared: building
    its misspelling indexes takes about two seconds, and every app a process creates reads
    the same file (a web worker once; the test suite hundreds of times). A lexicon never
    changes once built, so sharing it decides nothing."""
    return _built(json.dumps({k: list(v) for k, v in concepts.items()}), real_words)


@functools.lru_cache(maxsize=4)
def _built(concepts_json: str, real_words: frozenset[str]) -> Lexicon:
    return Lexicon(json.loads(concepts_json), real_words)
