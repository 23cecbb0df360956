"""Which supported language a message is written in, when that is clear.

A caregiver whose profile says English may write in Spanish; the answer follows the message
when it is clearly in another language the hub speaks, and the profile otherwise (a word or
two, "ok", a mixed sentence). Lingua is a statistical detector accurate on short texts; it
is asked only about the languages the hub answers in. Its models take most of a second to
load, so a webhook never waits for them: the first text a process sees starts the loading
on a thread of its own and is answered in the sender's own language meanwhile.
"""

from __future__ import annotations

import re
import threading

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

SUPPORTED = {Language.ENGLISH: "en", Language.SPANISH: "es"}
CLEAR = 0.8  # confidence at or above which a message is "clearly" in one language
_WORD = re.compile(r"[^\W\d_]{2,}")  # words of letters, two or more
_loading = threading.Lock()
_detector: LanguageDetector | None = None
_started = False


def warm() -> None:
    """Load the models now (once per process; later calls return at once)."""
    global _detector
    with _loading:
        if _detector is None:
            _detector = (LanguageDetectorBuilder.from_languages(*SUPPORTED)
                         .with_preloaded_language_models().build())


def _start_warming() -> None:
    global _started
    with _loading:
        if _started:
            return
        _started = True
    threading.Thread(target=warm, name="hub-language", daemon=True).start()


def written_in(text: str | None) -> str | None:
    """"en" or "es" when ``text`` clearly is (three words of letters at least), else None
    (also while the models are still loading)."""
    if text is None or len(_WORD.findall(text[:500])) < 3:
        return None
    detector = _detector
    if detector is None:
        _start_warming()
        return None
    best = detector.compute_language_confidence_values(text[:500])[0]
    return SUPPORTED[best.language] if best.value >= CLEAR else None
