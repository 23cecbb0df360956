"""Import one FHIR R4 bundle, all or nothing: validate and resolve everything, then write."""

from __future__ import annotations

from datetime import UTC as UTC_TZ
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.fhir import derived_rules, encounters
from hub.fhir.bundle import entries
from hub.fhir.links import resolve_all
from hub.fhir.progress import Progress
from hub.fhir.refs import Resolver
from hub.fhir.summary import EVENT_TYPES, KEPT_TYPES, READ_TYPES, FhirImportError, ImportSummary
from hub.fhir.writer import Writer
from hub.models import utcnow
from hub.phones import DEFAULT_REGION

UTC = ZoneInfo("UTC")


def import_bundle(session: Session, data: bytes | str | dict[str, Any],
                  progress: Progress | None = None,
                  region: str = DEFAULT_REGION, tz: ZoneInfo = UTC,
                  source: str = "cli", now: datetime | None = None) -> ImportSummary:
    """Load a Bundle (or one kept resource) into ``session``; flushes, never commits.

    ``progress`` hears how far checking and writing have come (a large bundle takes minutes).
    Phone numbers in national format are read as numbers of ``region`` (HUB_PHONE_REGION).
    A recent discharge (an Encounter, see hub.fhir.encounters) opens a transition task due
    in business days of ``tz`` (the practice's zone); ``source`` says who sent it.

    Care-plan rules are derived from the plans and goals (hub.fhir.derived_rules).

    Raises FhirImportError, before adding anything to the session, when the payload is not
    FHIR JSON, a kept resource is invalid or a needed reference resolves nowhere. A
    database refusal at the flush is raised as FhirImportError too; then, as after any
    error, the caller's rollback restores everything.
    """
    now = now or utcnow()
    parsed = entries(data, kept=KEPT_TYPES + READ_TYPES + EVENT_TYPES, progress=progress)
    resolver = Resolver(session, parsed.entries)
    links = resolve_all(resolver, parsed.entries)
    summary = ImportSummary(skipped_types=parsed.skipped_types)
    discharges = encounters.check(resolver, parsed.entries, tz, summary)
    writer = Writer(session, summary, region)
    writer.write(parsed.entries, links, progress)
    if progress is not None:
        progress.note(len(parsed.entries), f"saving {len(parsed.entries):,} resources")
    try:
        session.flush()
        encounters.write(session, discharges, writer.rows, tz, now.astimezone(UTC_TZ),
                         source, summary)
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
