"""The NDJSON files of a FHIR Bulk Data ``$export`` (one resource a line, one resource type a
file: ``Patient.ndjson``, ``Encounter.ndjson``...) read as one import, all or nothing.

Every line of every file is read and checked before anything is written, so a resource may
refer to one in another file (an Encounter to its Patient); a line that is not one JSON
resource refuses the whole import, naming the file and the line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hub.fhir.bundle import MAX_FILE_BYTES
from hub.fhir.summary import FhirImportError

SUFFIXES = (".ndjson", ".jsonl")


def is_ndjson(path: str | os.PathLike[str]) -> bool:
    return Path(path).is_dir() or str(path).endswith(SUFFIXES)


def files_of(paths: list[str]) -> list[Path]:
    """The NDJSON files named, a folder standing for the ``*.ndjson`` files in it (sorted)."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.name.endswith(SUFFIXES))
            if not inside:
                raise FhirImportError(str(path), None, "a folder with no .ndjson file in it")
            found += inside
        else:
            found.append(path)
    return found


def _label(resource: dict[str, Any], position: int) -> str:
    """The label hub.fhir.bundle gives the entry at ``position`` (to name its line back)."""
    kind, raw_id = resource["resourceType"], resource.get("id")
    if isinstance(raw_id, str) and raw_id:
        return f"{kind}/{raw_id[:64]}"
    return f"{kind} (entry {position + 1})"


class Lines:
    """Every resource of the files, as the entries of one collection Bundle."""

    def __init__(self, files: list[Path]) -> None:
        self.resources: list[dict[str, Any]] = []
        self.where: dict[str, str] = {}  # an entry's label -> "file line n"
        total = 0
        for path in files:
            total += path.stat().st_size
            if total > MAX_FILE_BYTES:
                raise FhirImportError(str(path), None,
                                      "the files add up to more than the 200 MB an import "
                                      "may be")
            self._read(path)

    def _read(self, path: Path) -> None:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue  # a trailing empty line is no resource
                where = f"{path.name} line {number}"
                try:
                    resource = json.loads(raw)
                except UnicodeDecodeError:
                    raise FhirImportError(where, None, "not UTF-8 text") from None
                except json.JSONDecodeError as exc:
                    raise FhirImportError(where, None,
                                          f"not JSON: {exc.msg} at column {exc.colno}") from None
                except RecursionError:
                    raise FhirImportError(where, None, "not JSON: nested too deeply") from None
                if not isinstance(resource, dict) or not isinstance(
                        resource.get("resourceType"), str):
                    raise FhirImportError(where, "resourceType",
                                          "not a FHIR resource: no resourceType")
                if resource["resourceType"] == "Bundle":
                    raise FhirImportError(where, "resourceType",
                                          "a Bundle inside NDJSON: give it as a file of its own")
                self.where[_label(resource, len(self.resources))] = where
                self.resources.append(resource)

    def bundle(self) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "collection",
                "entry": [{"resource": r} for r in self.resources]}

    def placed(self, error: FhirImportError) -> FhirImportError:
        """The refusal of an entry, naming the file and line it came from."""
        where = self.where.get(error.resource)
        if where is None:
            return error
        return FhirImportError(f"{where} ({error.resource})", error.field, error.reason)
