"""Triage: is a message urgent? Red flags, vital-sign readings and the care plan's own rules.

Rules only ever raise priority; every message is still read by a person. The lexicon and the
thresholds are clinicians' configuration (``config/triage.toml``), not code.
"""

from hub.triage.classify import Triage, Triager, load_triager

__all__ = ["Triage", "Triager", "load_triager"]
