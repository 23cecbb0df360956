"""Resolve FHIR references to an entry of the bundle or to a row an earlier import stored.

Understood forms: relative (``Patient/123``, ``.../_history/2``), ``urn:uuid:...`` matched
to an entry's fullUrl, absolute URLs (matched to a fullUrl, else by their ``Type/id`` tail)
and conditional ``Practitioner?identifier=system|value`` (matched to the bundle's
practitioners' identifiers, else to ``Staff.fhir_identifier``).
"""

from __future__ import annotations

from typing import cast
from urllib.parse import parse_qs

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.fhir import mapping
from hub.fhir.bundle import Entry
from hub.models import Caregiver, Goal, Patient, Staff

Target = Entry | Patient | Staff | Caregiver | Goal
# The rows an earlier import stored that a reference may resolve to, by FHIR type.
_STORED: dict[str, type[Patient | Staff | Caregiver | Goal]] = {
    "Patient": Patient, "Practitioner": Staff, "RelatedPerson": Caregiver, "Goal": Goal}
_KINDS = {table: kind for kind, table in _STORED.items()}


def kind_of(target: Target) -> str:
    """The FHIR type a resolved target stands for."""
    if isinstance(target, Entry):
        return target.kind
    return _KINDS[type(target)]


def declared_kind(reference: str) -> str | None:
    """The type a reference names in its text (None for urn: and #contained)."""
    if reference.startswith(("urn:", "#")):
        return None
    if "?" in reference:
        return reference.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None
    parts = _strip_history(reference).rstrip("/").split("/")
    return parts[-2] if len(parts) >= 2 else None


def _strip_history(reference: str) -> str:
    return reference.split("/_history/", 1)[0]


class Resolver:
    """Finds what references point at: the bundle first, then the database."""

    def __init__(self, session: Session, entries: list[Entry]) -> None:
        self._session = session
        self._by_url: dict[str, Entry] = {}
        self._by_id: dict[tuple[str, str], Entry] = {}
        self._by_identifier: dict[tuple[str, str], Entry] = {}
        self._stored: dict[tuple[str, str], Target | None] = {}
        for entry in entries:
            if entry.full_url:
                self._by_url[entry.full_url] = entry
            if entry.resource.id:
                self._by_id[entry.kind, str(entry.resource.id)] = entry
            for key in mapping.identifier_keys(getattr(entry.resource, "identifier", None)):
                self._by_identifier.setdefault((entry.kind, key), entry)
                self._by_identifier.setdefault((entry.kind, "|" + key.split("|", 1)[1]), entry)

    def resolve(self, reference: str) -> Target | None:
        """The entry or stored row ``reference`` points at, or None if it points nowhere known."""
        if reference in self._by_url:
            return self._by_url[reference]
        if reference.startswith(("urn:", "#")):
            return None  # urn: must resolve inside the bundle; contained resources are not kept
        if "?" in reference:
            return self._conditional(reference)
        plain = _strip_history(reference).rstrip("/")
        if plain in self._by_url:
            return self._by_url[plain]
        parts = plain.split("/")
        if len(parts) < 2:
            return None
        kind, rid = parts[-2], parts[-1]
        if (kind, rid) in self._by_id:
            return self._by_id[kind, rid]
        table = _STORED.get(kind)
        if table is None:
            return None
        if (kind, rid) not in self._stored:  # an export names the same outsider many times
            self._stored[kind, rid] = cast("Target | None", self._session.scalars(
                select(table).where(table.fhir_id == rid)).first())
        return self._stored[kind, rid]

    def _conditional(self, reference: str) -> Target | None:
        kind = declared_kind(reference)
        query = parse_qs(reference.split("?", 1)[1])
        tokens = query.get("identifier") or []
        if kind is None or len(query) != 1 or len(tokens) != 1:
            return None  # only a single identifier search is understood
        system, _, value = tokens[0].rpartition("|")
        key = f"{system}|{value}"  # "|value" (no system) matches that value in any system
        entry = self._by_identifier.get((kind, key))
        if entry is not None or kind != "Practitioner" or not value:
            return entry
        if system:
            where = Staff.fhir_identifier == key
        else:
            where = Staff.fhir_identifier.endswith(key, autoescape=True)
        return self._session.scalars(select(Staff).where(where).order_by(Staff.id)).first()
