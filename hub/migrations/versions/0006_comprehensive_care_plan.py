"""the comprehensive care plan: goals, prognoses, activities, hand-recorded fields, caregiver
disclosures, care plan periods and the patients' opaque page references

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _patient() -> sa.Column:
    return sa.Column("patient_id", sa.Integer(),
                     sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.add_column("patients", sa.Column("ref", sa.String(length=16), nullable=True))
    patients = sa.table("patients", sa.column("id", sa.Integer()), sa.column("ref", sa.String()))
    connection = op.get_bind()
    for (patient_id,) in connection.execute(sa.select(patients.c.id)).all():
        connection.execute(sa.update(patients).where(patients.c.id == patient_id)
                           .values(ref=secrets.token_urlsafe(12)))
    # A unique index, not a constraint: SQLite would rebuild the table (and its children).
    op.create_index("ix_patients_ref", "patients", ["ref"], unique=True)
    op.add_column("care_plans", sa.Column("period_start", sa.Text(), nullable=True))
    op.add_column("care_plans", sa.Column("period_end", sa.Text(), nullable=True))

    op.create_table(
        "goals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fhir_id", sa.String(length=128), nullable=False, unique=True),
        _patient(),
        sa.Column("lifecycle_status", sa.String(length=32), nullable=False),
        sa.Column("achievement_status", sa.String(length=32), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("start", sa.Text(), nullable=True),
        sa.Column("targets", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_goals_patient_id", "goals", ["patient_id"])
    op.create_table(
        "prognoses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fhir_id", sa.String(length=128), nullable=False, unique=True),
        _patient(),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Text(), nullable=True),
        sa.Column("prognosis", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
    )
    op.create_index("ix_prognoses_patient_id", "prognoses", ["patient_id"])
    op.create_table(
        "care_plan_activities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("care_plan_id", sa.Integer(),
                  sa.ForeignKey("care_plans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("scheduled", sa.Text(), nullable=True),
        sa.Column("performer_id", sa.Integer(),
                  sa.ForeignKey("staff.id", ondelete="SET NULL"), nullable=True),
        sa.Column("performer_text", sa.Text(), nullable=True),
    )
    op.create_index("ix_care_plan_activities_care_plan_id", "care_plan_activities",
                    ["care_plan_id"])
    op.create_table(
        "care_plan_fields",
        sa.Column("id", sa.Integer(), primary_key=True),
        _patient(),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=True),
        sa.UniqueConstraint("patient_id", "field"),
    )
    op.create_table(
        "caregiver_disclosures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("caregiver_id", sa.Integer(),
                  sa.ForeignKey("caregivers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("consent_id", sa.Integer(),
                  sa.ForeignKey("consents.id", ondelete="CASCADE"), nullable=True),
        sa.Column("permit", sa.Boolean(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
    )
    op.create_index("ix_caregiver_disclosures_caregiver_id", "caregiver_disclosures",
                    ["caregiver_id"])
    op.create_index("ix_caregiver_disclosures_consent_id", "caregiver_disclosures",
                    ["consent_id"])


def downgrade() -> None:
    for table, column in (("caregiver_disclosures", "consent_id"),
                          ("caregiver_disclosures", "caregiver_id"),
                          ("care_plan_activities", "care_plan_id"), ("goals", "patient_id"),
                          ("prognoses", "patient_id")):
        op.drop_index(f"ix_{table}_{column}", table)
    for table in ("caregiver_disclosures", "care_plan_fields", "care_plan_activities", "goals",
                  "prognoses"):
        op.drop_table(table)
    op.drop_index("ix_patients_ref", "patients")
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild of these tables would drop them
    # and, through ON DELETE CASCADE, the rows that refer to them.
    for table, column in (("care_plans", "period_end"), ("care_plans", "period_start"),
                          ("patients", "ref")):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
