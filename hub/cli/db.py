"""``hub db upgrade``: bring the database's schema to the newest migration before the web
and engine processes start (a deployment step; every process also does it at start, under
a lock, so this is for seeing it happen and failing early, not a requirement)."""

from __future__ import annotations

import sys

import click
from alembic.runtime.migration import MigrationContext

from config.settings import SettingError, load_settings
from hub import db


def _revision(url: str) -> str | None:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


@click.group("db")
def db_group() -> None:
    """The database's schema (Alembic migrations)."""


@db_group.command("upgrade")
def upgrade_command() -> None:
    """Apply every migration not yet applied; say where the schema was and is now."""
    try:
        settings = load_settings()
    except SettingError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    url = settings.database_url
    before = _revision(url)
    db.upgrade(url)
    after = _revision(url)
    where = db.shown(url)
    if before == after:
        click.echo(f"{where}: schema already at {after}")
    else:
        click.echo(f"{where}: schema upgraded from {before or 'empty'} to {after}")
