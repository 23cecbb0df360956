"""Where the local instance lives (generated keys, the SQLite file): the same folder wherever
a command runs.

In order: ``HUB_INSTANCE_DIR``; else ``instance/`` in the project's folder (the checkout that
holds ``app.py`` and ``pyproject.toml``, where ``python app.py`` is run) when it can be
written; else the user's data folder (``~/.local/share/careline-hub`` on Linux, as
platformdirs says for each system). Never the current directory: ``cd /tmp && hub ...`` must
reach the database ``python app.py`` made, not a new empty one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "careline-hub"


def _project_dir() -> Path | None:
    """The checkout this code runs from, or None when it is installed (site-packages holds
    ``app.py`` too, but no ``pyproject.toml``)."""
    root = Path(__file__).resolve().parent.parent
    if (root / "app.py").is_file() and (root / "pyproject.toml").is_file():
        return root
    return None


PROJECT_DIR = _project_dir()


def _writable(folder: Path) -> bool:
    """The folder can be written, or made in a parent that can."""
    while not folder.exists():
        folder = folder.parent
    return os.access(folder, os.W_OK | os.X_OK)


def find_instance_dir(raw: Mapping[str, str]) -> Path:
    """The instance folder the settings ``raw`` name, else the project's, else the user's."""
    given = raw.get("HUB_INSTANCE_DIR")
    if given:
        return Path(given).expanduser().resolve()
    if PROJECT_DIR is not None and _writable(PROJECT_DIR / "instance"):
        return PROJECT_DIR / "instance"
    return Path(user_data_dir(APP_NAME, appauthor=False))
