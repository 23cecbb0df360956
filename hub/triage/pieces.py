"""A long message read in pieces, so that its cost stops once its answer cannot change.

A message of more than :data:`PIECE_CHARS` characters (a pasted letter, a forwarded thread, a
hostile 20,000-character body) is read in pieces of about that many characters, cut at a
space. Each piece is normalized on its own (numbers in words in the first piece only, as for a
whole message: hub.triage.normalize) and read with the last words of the piece before it in
front, more words than any phrase and any red-flag window of the lexicon span, so a
combination across a cut ("my chest ... hurts") is whole in one piece. Nothing is skipped:
every word of the message is read until the answer is settled.

:class:`hub.triage.classify.Triager` stops reading once a piece gives the crisis answer (988:
nothing can raise it further), and once a piece gives 911 it reads the rest at once for
crisis language only (the one thing that can still change the answer). Denials and distant
pasts need the whole message (does it speak of now anywhere?), so a long message's mentions
are never set aside for them; figures of speech and hypothetical clauses, read within a
clause, are set aside as in any message.
"""

from __future__ import annotations

from collections.abc import Iterator

PIECE_CHARS = 2000  # messages up to this long are read whole (the longest labelled: ~450)


def overlap_for(longest_phrase: int, widest_window: int) -> int:
    """Words a piece repeats from the one before: a phrase within a flag's window fits."""
    return longest_phrase + widest_window + 1


def pieces(text: str, size: int = PIECE_CHARS) -> Iterator[str]:
    """``text`` in pieces of at most ``size`` characters, cut at the last space or line break
    of a piece's second half (within a word only when there is none).

    >>> list(pieces("one two. three four. five six seven", size=12))
    ['one two. ', 'three four. ', 'five six ', 'seven']
    """
    start, total = 0, len(text)
    while total - start > size:
        end = start + size
        cut = max(text.rfind(" ", start + size // 2, end), text.rfind("\n", start + size // 2, end))
        cut = end if cut < 0 else cut + 1
        yield text[start:cut]
        start = cut
    yield text[start:]
