"""A FHIR collection Bundle written to a stream as its entries are made (a long export
never holds every resource in memory)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from hub.fhir_export.refs import Namespace
from hub.models import utcnow


class Writable(Protocol):
    def write(self, text: str, /) -> int: ...


def _envelope() -> dict[str, Any]:
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection",
            "timestamp": utcnow().isoformat()}


def _entry(resource: dict[str, Any], ns: Namespace) -> dict[str, Any]:
    return {"fullUrl": ns.full_url(resource["resourceType"], resource["id"]),
            "resource": resource}


def write_collection(out: Writable, resources: Iterable[dict[str, Any]], ns: Namespace) -> int:
    """Write the resources as one collection Bundle (JSON) to ``out``; return how many."""
    head = json.dumps(_envelope(), ensure_ascii=False)
    out.write(head[:-1])
    count = 0
    for resource in resources:
        # FHIR JSON has no empty arrays: "entry" opens with the first resource.
        out.write((",\n  " if count else ', "entry": [\n  ')
                  + json.dumps(_entry(resource, ns), ensure_ascii=False))
        count += 1
    out.write("\n]}\n" if count else "}\n")
    return count
