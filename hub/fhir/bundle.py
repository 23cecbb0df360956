"""Read a file or payload into the kept, validated entries of a Bundle (or of one resource)."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.fhir.summary import KEPT_TYPES, READ_TYPES, FhirImportError
from hub.fhir.validate import validate

MAX_FILE_BYTES = 200 * 1024 * 1024
FHIR_ID_LENGTH = 128  # the models' fhir_id columns


@dataclass(frozen=True, eq=False)
class Entry:
    """One kept resource of the bundle: its R4B model, the key rows are found by, its fullUrl."""

    kind: str
    key: str
    label: str
    full_url: str | None
    resource: Any


@dataclass
class Parsed:
    """The kept entries in bundle order, and what was passed over."""

    entries: list[Entry]
    skipped_types: Counter[str]


def read_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of an import file, refusing one over 200 MB before reading it."""
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise FhirImportError(
            "file", None, f"{size // (1024 * 1024)} MB is more than the 200 MB an import may be"
        )
    with open(path, "rb") as handle:
        return handle.read()


def load_json(data: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """The payload as a JSON object that claims to be a FHIR resource."""
    if isinstance(data, dict):
        document: Any = data
    else:
        try:
            document = json.loads(data)
        except UnicodeDecodeError:
            raise FhirImportError("input", None, "not JSON: not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise FhirImportError(
                "input", None, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except RecursionError:
            raise FhirImportError("input", None, "not JSON: nested too deeply") from None
    if not isinstance(document, dict):
        raise FhirImportError("input", None, "not a FHIR resource: the JSON is not an object")
    kind = document.get("resourceType")
    if not isinstance(kind, str) or not kind:
        raise FhirImportError("input", "resourceType", "not a FHIR resource: no resourceType")
    return document


def _label(kind: str, raw: dict[str, Any], full_url: str | None, position: int) -> str:
    raw_id = raw.get("id")
    if isinstance(raw_id, str) and raw_id:
        return f"{kind}/{raw_id[:64]}"
    if full_url:
        return f"{kind} {full_url[:100]}"
    return f"{kind} (entry {position + 1})"


def _key(kind: str, resource: Any, full_url: str | None, label: str) -> str:
    if resource.id:
        return str(resource.id)
    if full_url and full_url.startswith("urn:uuid:"):
        return full_url[len("urn:uuid:"):]
    if full_url and len(full_url) <= FHIR_ID_LENGTH:
        return full_url
    raise FhirImportError(
        label, "id", "no id and no urn:uuid fullUrl, so it could not be imported idempotently"
    )


def entries(data: bytes | str | dict[str, Any], kept: tuple[str, ...] = KEPT_TYPES + READ_TYPES,
            progress: Callable[[str, int, int], None] | None = None) -> Parsed:
    """Validate every resource of ``data`` (a Bundle or one resource) whose type is ``kept``;
    ``progress("checked", done, total)`` is called after each entry."""
    document = load_json(data)
    kind = document["resourceType"]
    if kind == "Bundle":
        raw_entries = document.get("entry") or []
        if not isinstance(raw_entries, list) or not all(isinstance(e, dict) for e in raw_entries):
            raise FhirImportError("Bundle", "entry", "must be a list of objects")
        # The envelope (type, fullUrl, request...) is checked without the resources, which
        # are each checked below by their own model (or passed over).
        shell = dict(document, entry=[{k: v for k, v in e.items() if k != "resource"}
                                      for e in raw_entries])
        validate("Bundle", shell, _label("Bundle", document, None, 0))
        pairs = [(e.get("fullUrl"), e.get("resource")) for e in raw_entries]
    elif kind in kept:
        pairs = [(None, document)]
    else:
        raise FhirImportError(
            kind, None,
            "not a resource the hub imports; give a Bundle or one of " + ", ".join(kept),
        )

    parsed = Parsed(entries=[], skipped_types=Counter())
    seen: dict[tuple[str, str], str] = {}
    for position, (full_url, raw) in enumerate(pairs):
        if progress is not None:
            progress("checked", position + 1, len(pairs))
        if raw is None:
            parsed.skipped_types["(entry without resource)"] += 1
            continue
        if not isinstance(raw, dict) or not isinstance(raw.get("resourceType"), str):
            raise FhirImportError(f"Bundle entry {position + 1}", "resource",
                                  "not a FHIR resource: no resourceType")
        entry_kind = raw["resourceType"]
        if entry_kind not in kept:
            parsed.skipped_types[entry_kind] += 1
            continue
        label = _label(entry_kind, raw, full_url, position)
        resource = validate(entry_kind, raw, label)
        key = _key(entry_kind, resource, full_url, label)
        if (entry_kind, key) in seen:
            raise FhirImportError(
                label, "id", f"appears twice in the bundle (first at {seen[entry_kind, key]})"
            )
        seen[entry_kind, key] = f"entry {position + 1}"
        parsed.entries.append(Entry(entry_kind, key, label, full_url, resource))
    return parsed
