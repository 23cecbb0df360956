"""A small FHIR endpoint for the EHR: ``POST /fhir/Encounter`` (one Encounter) and ``POST /fhir``
(a Bundle), ``application/fhir+json``, each EHR client with its own bearer token
(``hub fhir-client add NAME``). A discharge opens the patient's transition task, exactly as
``hub import-fhir`` does; a refusal is a 4xx with an OperationOutcome naming the problem.

401 without a good token, 415 for another content type, 413 over the size limit, 400 for a
body that is not a FHIR resource of the kind the path takes, 422 for a resource the hub cannot
act on (unknown patient, no discharge date, not a discharge), 409 for an Encounter already
received (no second task); 201 when a task opened, 200 for a Bundle taken in.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, request
from flask_limiter import Limiter

from hub import contact_log, fhir_clients
from hub.fhir.importer import import_bundle
from hub.fhir.summary import FhirImportError, ImportSummary
from hub.models import utcnow
from messages import runtime

bp = Blueprint("fhir_api", __name__)

FHIR_JSON = "application/fhir+json"
MAX_BYTES = 10 * 1024 * 1024
LIMIT = "120 per minute"  # per address: an EHR's feed, not a crawler


def outcome(status: int, code: str, text: str, severity: str = "error",
            headers: dict[str, str] | None = None) -> Response:
    """A FHIR OperationOutcome (R4) with one issue."""
    body = {"resourceType": "OperationOutcome", "issue": [
        {"severity": severity, "code": code, "diagnostics": text}]}
    return Response(json.dumps(body), status=status, mimetype=FHIR_JSON, headers=headers)


def _client_name() -> str | Response:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        with runtime.current().session() as session:
            client = fhir_clients.authenticate(session, token.strip())
            if client is not None:
                client.last_used_at = utcnow()
                return client.name
    return outcome(401, "login", "a valid bearer token is needed (hub fhir-client add NAME)",
                   headers={"WWW-Authenticate": 'Bearer realm="hub-fhir"'})


def _body(kind: str) -> dict[str, Any] | Response:
    mimetype = request.mimetype
    if mimetype not in (FHIR_JSON, "application/json"):
        return outcome(415, "not-supported", f"send {FHIR_JSON}, not {mimetype or 'no type'}")
    if (request.content_length or 0) > MAX_BYTES:
        return outcome(413, "too-costly", f"at most {MAX_BYTES // (1024 * 1024)} MB")
    try:
        document = json.loads(request.get_data(cache=False))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return outcome(400, "structure", "the body is not JSON")
    if not isinstance(document, dict) or document.get("resourceType") != kind:
        return outcome(400, "structure", f"the body must be one {kind} resource")
    return document


def _take(document: dict[str, Any], client: str) -> ImportSummary | Response:
    rt = runtime.current()
    try:
        with rt.session() as session:
            summary = import_bundle(session, document, None, rt.settings.phone_region,
                                    rt.settings.tz, source=f"ehr:{client}")
            contact_log.append(session, "fhir.import", actor=f"ehr:{client}",
                               detail=summary.counts())
    except FhirImportError as exc:
        status, code = (400, "structure") if exc.resource in ("input", "Bundle") else (
            422, "processing")
        return outcome(status, code, str(exc))
    return summary


@bp.post("/fhir/Encounter")
def post_encounter() -> Response:
    """One Encounter: a discharge opens its transition task (201)."""
    client = _client_name()
    if isinstance(client, Response):
        return client
    document = _body("Encounter")
    if isinstance(document, Response):
        return document
    summary = _take(document, client)
    if isinstance(summary, Response):
        return summary
    if summary.transitions_opened:
        return outcome(201, "informational", str(summary), severity="information")
    if summary.transitions_known:
        return outcome(409, "duplicate", "this Encounter was received before: its transition "
                       "task is already open; none opened again")
    passed = ", ".join(summary.skipped_types) or "Encounter"
    return outcome(422, "business-rule", f"no transition task opened: {passed} (only a "
                   "discharge of the last 30 days from an inpatient, emergency or short stay "
                   "opens one)")


@bp.post("/fhir")
def post_bundle() -> Response:
    """A Bundle, taken in as ``hub import-fhir`` takes one (all or nothing)."""
    client = _client_name()
    if isinstance(client, Response):
        return client
    document = _body("Bundle")
    if isinstance(document, Response):
        return document
    summary = _take(document, client)
    if isinstance(summary, Response):
        return summary
    return outcome(200, "informational", str(summary), severity="information")


def protect(app: Flask, limiter: Limiter) -> None:
    """No CSRF token (a program posts here, authenticated by its bearer token), and a rate
    limit per address."""
    app.extensions["csrf"].exempt(bp)
    limiter.limit(LIMIT)(bp)
