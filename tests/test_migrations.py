"""The schema that Alembic builds is the schema the models describe (no drift either way)."""

from __future__ import annotations

from datetime import date, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from hub import db
from hub.models import Base

# The tables whose ids people type (override and swap ids, rotations in the log): on SQLite a
# deleted row's id would otherwise go to the next row (the largest rowid is reused).
NEVER_REUSED = ("rotations", "schedule_overrides")


def test_the_migrations_build_exactly_what_the_models_describe(database_url):
    db.upgrade(database_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def _autoincrement_tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(text(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE "
                "'%AUTOINCREMENT%'")))
    finally:
        engine.dispose()


def test_on_sqlite_the_typed_ids_are_never_reused_in_models_and_migrations_alike(tmp_path):
    migrated, described = f"sqlite:///{tmp_path / 'migrated.db'}", f"sqlite:///{tmp_path / 'm.db'}"
    db.upgrade(migrated)
    engine = create_engine(described)
    Base.metadata.create_all(engine)
    engine.dispose()

    assert _autoincrement_tables(migrated) == _autoincrement_tables(described)
    assert set(NEVER_REUSED) <= _autoincrement_tables(migrated)


def test_the_migration_keeps_a_rotations_members_and_every_override(tmp_path):
    """Rebuilding a table on SQLite drops the old one, and with foreign keys on that deletes
    the rows that cascade from it: the rotation's members must come through."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    command.upgrade(db.alembic_config(url), "0012")  # just before 0013_ids_never_reused
    engine = db.make_engine(url)
    now = datetime(2026, 3, 1, 12)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO staff (id, name, email, role, active) VALUES "
                          "(1, 'Ben', 'ben@clinic.test', 'nurse', 1), "
                          "(2, 'Nora', 'nora@clinic.test', 'nurse', 1)"))
        conn.execute(text(
            "INSERT INTO rotations (id, name, layer, every_days, handoff_minute, start_date, "
            "time_zone, created_at) VALUES (3, 'nights', 'primary', 1, 120, :day, "
            "'America/New_York', :now)"), {"day": date(2026, 3, 7), "now": now})
        conn.execute(text("INSERT INTO rotation_members (rotation_id, position, staff_id) "
                          "VALUES (3, 0, 1), (3, 1, 2)"))
        conn.execute(text(
            "INSERT INTO schedule_overrides (id, kind, layer, staff_id, replaces_id, "
            "starts_at, ends_at, is_long, created_at) VALUES (7, 'replace', NULL, 2, 1, "
            ":now, :now, 0, :now)"), {"now": now})
    engine.dispose()

    db.upgrade(url)

    engine = db.make_engine(url)
    with engine.connect() as conn:
        members = conn.execute(text(
            "SELECT rotation_id, position, staff_id FROM rotation_members ORDER BY position"))
        assert members.all() == [(3, 0, 1), (3, 1, 2)]
        assert conn.scalars(text("SELECT id FROM schedule_overrides")).all() == [7]
        conn.execute(text("DELETE FROM schedule_overrides"))
        conn.execute(text(
            "INSERT INTO schedule_overrides (kind, staff_id, starts_at, ends_at, is_long, "
            "created_at) VALUES ('add', 1, :now, :now, 0, :now)"), {"now": now})
        assert conn.scalars(text("SELECT id FROM schedule_overrides")).all() == [8]
        indexes = set(conn.scalars(text(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'schedule_overrides' "
            "AND type = 'index'")))
    engine.dispose()
    assert any("WHERE is_long = 1" in (sql or "") for sql in indexes), indexes
    assert set(NEVER_REUSED) <= _autoincrement_tables(url)


def test_the_migration_goes_back_down(tmp_path):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    db.upgrade(url)
    command.downgrade(db.alembic_config(url), "0012")
    assert not set(NEVER_REUSED) & _autoincrement_tables(url)
