"""``hub import-fhir FILE``: load a FHIR R4 Bundle (JSON), all or nothing, and audit it."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from hub import contact_log, runtime
from hub.fhir.progress import Progress
from hub.fhir_import import FhirImportError, import_bundle, read_file


@click.command("import-fhir")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_fhir_command(file: str) -> None:
    """Load a FHIR R4 Bundle; a bad bundle is refused whole with the reason."""
    rt = runtime.current()
    try:
        data = read_file(file)
        # One transaction: the rows and the audit entry commit together or not at all.
        with rt.session() as session:
            progress = Progress(lambda line: click.echo(line, err=True))
            summary = import_bundle(session, data, progress, rt.settings.phone_region)
            contact_log.append(session, "fhir.import", actor="cli", detail=summary.counts())
    except FhirImportError as exc:
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(1) from None
    except OSError as exc:
        click.echo(f"error: cannot read {file}: {exc.strerror or type(exc).__name__}", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(str(summary))
