"""Where the outside reference data lives (FHIR examples, Twilio's OpenAPI), read in place.

It sits beside the checkout (``../shared``); a clone elsewhere finds it through
``HUB_SHARED_DIR`` or the machine's ``/work/shared``.
"""

from __future__ import annotations

import os
from pathlib import Path

_CANDIDATES = [
    *([Path(os.environ["HUB_SHARED_DIR"])] if os.environ.get("HUB_SHARED_DIR") else []),
    Path(__file__).resolve().parents[2] / "shared",
    Path("/work/shared"),
]

SHARED = next((path for path in _CANDIDATES if path.is_dir()), _CANDIDATES[0])
