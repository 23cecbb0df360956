"""The EHR clients allowed to post to the hub's ``/fhir`` endpoint, each with its own bearer
token: shown once when made, kept only as its SHA-256 (a stolen database gives no token)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import contact_log
from hub.models import FhirClient

NAME_LENGTH = 64


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add(session: Session, name: str, now: datetime) -> str:
    """Make the client and return its token (the only time it is seen); ValueError when the
    name is empty, too long or taken."""
    name = name.strip()
    if not 1 <= len(name) <= NAME_LENGTH:
        raise ValueError(f"the name must be 1 to {NAME_LENGTH} characters")
    if session.scalar(select(FhirClient.id).where(FhirClient.name == name)) is not None:
        raise ValueError(f"a FHIR client named {name!r} already exists")
    token = secrets.token_urlsafe(32)
    session.add(FhirClient(name=name, token_hash=_hash(token), active=True, created_at=now))
    contact_log.append(session, "fhir_client.added", at=now, actor="cli", detail={"name": name})
    return token


def deactivate(session: Session, name: str, now: datetime) -> bool:
    """The client's token stops working; False when there is no such active client."""
    client = session.scalar(select(FhirClient).where(FhirClient.name == name))
    if client is None or not client.active:
        return False
    client.active = False
    contact_log.append(session, "fhir_client.deactivated", at=now, actor="cli",
                       detail={"name": name})
    return True


def authenticate(session: Session, token: str) -> FhirClient | None:
    """The active client this bearer token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    client = session.scalar(select(FhirClient).where(FhirClient.token_hash == _hash(token)))
    return client if client is not None and client.active else None
