"""Real words that are never read as a misspelling of a lexicon word ("doing" is not "dying").

The lexicon reads a word it does not know as the lexicon word one edit, a sound or (when long)
two edits away: "chest pian", "bomitando", "unconsious". A real word there is a different word:
"doing" is not "dying", "great" not "breath", "ankles" not "cankles", "breeding" not
"bleeding". ``config/triage_real_words.txt`` lists the English and Spanish dictionary words
(accent-free, lowercase) that the fuzzy reading would otherwise turn into a lexicon word of
another stem; the lexicon leaves them as written (forms of one stem, "desmayar" for
"desmayo", are not listed: verb forms are what the fuzzy reading is for). Words a practice
wants read as misspellings although they are words too ("pian" is Spanish for "they chirp")
are listed in ``[spelling] kept`` of the TOML.

Rebuild after changing the lexicon (the list then covers the new words' neighbours):

    python -m hub.triage.real_words /usr/share/dict/american-english /usr/share/dict/spanish

(Debian packages ``wamerican`` and ``wspanish``.) The list is data, reviewed like the lexicon.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from hub.triage.normalize import normalize

FILE_NAME = "triage_real_words.txt"


def read(path: Path) -> frozenset[str]:
    """The list (one word a line, ``#`` comments); empty when the file is absent."""
    if not path.is_file():
        return frozenset()
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))


def build(lexicon, dictionary_words: Iterable[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """The dictionary words that ``lexicon`` (built without a real-word list) would read as
    another word of its own."""
    out = set()
    for word in _with_plurals(normalize(raw.replace("'", "")) for raw in dictionary_words):
        if not word.isalpha() or len(word) < 4:
            continue
        read_as = lexicon.canonical([word])[0]
        if read_as != word and not same_stem(word, read_as):
            out.add(word)
    return sorted(out)


def _with_plurals(words: Iterable[str]) -> Iterator[str]:
    """Each word and its plural: the Spanish list gives "dolar" but not "dolares" (which is
    one letter from "dolores")."""
    for word in words:
        yield word
        if word.isalpha() and not word.endswith("s"):
            yield word + ("s" if word[-1] in "aeiou" else "es")


def same_stem(word: str, other: str) -> bool:
    """Whether two words are forms of one stem ("desmayar", "desmayo"; "respire", "respira"):
    they then stay one word for triage (verb forms and plurals are what fuzzy reading is for)."""
    common = 0
    for a, b in zip(word, other, strict=False):
        if a != b:
            break
        common += 1
    return common >= max(4, min(len(word), len(other)) - 2)


def main(argv: list[str]) -> int:
    import tomllib

    from config.settings import DEFAULT_TRIAGE
    from hub.triage.lexicon import Lexicon

    lexicon = Lexicon(tomllib.loads(DEFAULT_TRIAGE.read_text(encoding="utf-8"))["concepts"])
    words = [line for path in argv for line in Path(path).read_text(
        encoding="utf-8", errors="ignore").splitlines()]
    found = build(lexicon, words)
    target = DEFAULT_TRIAGE.parent / FILE_NAME
    target.write_text("# Real words never read as a misspelling (hub/triage/real_words.py).\n"
                      "# Built from: " + ", ".join(Path(p).name for p in argv) + "\n"
                      + "\n".join(found) + "\n", encoding="utf-8")
    print(f"{len(found)} words -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
