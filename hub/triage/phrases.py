"""Find many phrases in a list of words with one or two dictionary lookups per word."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class PhraseIndex(Generic[T]):
    """Phrases (tuples of words) with a value each, indexed by their first two words.

    >>> index = PhraseIndex([(("short", "of", "breath"), "breathing"), (("sob",), "breathing")])
    >>> [(phrase, value) for phrase, value in index.at("im sob".split(), 1)]
    [(('sob',), 'breathing')]
    """

    def __init__(self, entries: Iterable[tuple[tuple[str, ...], T]]) -> None:
        self.single: dict[str, list[T]] = {}
        self.multi: dict[tuple[str, str], list[tuple[tuple[str, ...], T]]] = {}
        for phrase, value in entries:
            if len(phrase) == 1:
                self.single.setdefault(phrase[0], []).append(value)
            elif phrase:
                self.multi.setdefault((phrase[0], phrase[1]), []).append((phrase, value))
        for candidates in self.multi.values():
            candidates.sort(key=lambda item: len(item[0]), reverse=True)  # longest first
        self.multi_first_words = frozenset(first for first, _ in self.multi)
        self.first_words = frozenset(self.single) | self.multi_first_words

    def at(self, words: Sequence[str], i: int) -> list[tuple[tuple[str, ...], T]]:
        """Every phrase that starts at word ``i``, longest first."""
        found: list[tuple[tuple[str, ...], T]] = []
        single = self.single.get(words[i])
        multi = self.multi.get((words[i], words[i + 1])) if i + 1 < len(words) else None
        if single is None and multi is None:
            return found
        if multi:
            for phrase, value in multi:
                if len(phrase) == 2 or tuple(words[i:i + len(phrase)]) == phrase:
                    found.append((phrase, value))
        if single:
            found.extend(((words[i],), value) for value in single)
        return found

    def anywhere(self, words: Sequence[str]) -> bool:
        """Whether any phrase occurs (set operations in C first; few words looked at)."""
        present = self.first_words.intersection(words)
        if not present:
            return False
        if not present.isdisjoint(self.single):
            return True
        return any(word in present and self.at(words, i) for i, word in enumerate(words))
