"""Import one FHIR R4 bundle, all or nothing: validate and resolve everything, then write."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.fhir import derived_rules
from hub.fhir.bundle import entries
from hub.fhir.links import resolve_all
from hub.fhir.progress import Progress
from hub.fhir.refs import Resolver
from hub.fhir.summary import FhirImportError, ImportSummary
from hub.fhir.writer import Writer
from hub.phones import DEFAULT_REGION


def import_bundle(session: Session, data: bytes | str | dict[str, Any],
                  progress: Progress | None = None,
                  region: str = DEFAULT_REGION) -> ImportSummary:
    """Load a Bundle (or one kept resource) into ``session``; flushes, never commits.

    ``progress`` hears how far checking and writing have come (a large bundle takes minutes).
    Phone numbers in national format are read as numbers of ``region`` (HUB_PHONE_REGION).

    Care-plan rules are derived from the plans and goals (hub.fhir.derived_rules).

    Raises FhirImportError, before adding anything to the session, when the payload is not
    FHIR JSON, a kept resource is invalid or a needed reference resolves nowhere. A
    database refusal at the flush is raised as FhirImportError too; then, as after any
    error, the caller's rollback restores everything.
    """
    parsed = entries(data, progress=progress)
    links = resolve_all(Resolver(session, parsed.entries), parsed.entries)
    summary = ImportSummary(skipped_types=parsed.skipped_types)
    writer = Writer(session, summary, region)
    writer.write(parsed.entries, links, progress)
    if progress is not None:
        progress.note(len(parsed.entries), f"saving {len(parsed.entries):,} resources")
    try:
        session.flush()
        # the care plan's own thresholds, once the patients have their ids
        summary.rules_derived = derived_rules.derive_all(session, parsed.entries, writer.rows)
        session.flush()
    except IntegrityError:
        # The statement (and its parameters) stay out of the message: they hold patient data.
        raise FhirImportError(
            "bundle", None,
            "the database refused it (a value that must be unique is already taken, "
            "or another import ran at the same time); nothing was imported",
        ) from None
    return summary
