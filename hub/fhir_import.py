"""``import_bundle``: load a FHIR R4 Bundle into the hub (the work is in :mod:`hub.fhir`)."""

from __future__ import annotations

from hub.fhir import MAX_FILE_BYTES, FhirImportError, ImportSummary, import_bundle, read_file

__all__ = ["MAX_FILE_BYTES", "FhirImportError", "ImportSummary", "import_bundle", "read_file"]
