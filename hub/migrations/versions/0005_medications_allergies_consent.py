"""medications, allergies and consents imported from FHIR

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _patient() -> sa.Column:
    return sa.Column("patient_id", sa.Integer(),
                     sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "medications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("fhir_id", sa.String(length=128), nullable=False),
        _patient(),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("dosage", sa.Text(), nullable=True),
        sa.Column("date", sa.Text(), nullable=True),
        sa.UniqueConstraint("kind", "fhir_id"),
    )
    op.create_index("ix_medications_patient_id", "medications", ["patient_id"])
    op.create_table(
        "allergies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fhir_id", sa.String(length=128), nullable=False, unique=True),
        _patient(),
        sa.Column("clinical_status", sa.String(length=32), nullable=True),
        sa.Column("criticality", sa.String(length=16), nullable=True),
        sa.Column("substance", sa.Text(), nullable=True),
        sa.Column("reaction", sa.Text(), nullable=True),
    )
    op.create_index("ix_allergies_patient_id", "allergies", ["patient_id"])
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fhir_id", sa.String(length=128), nullable=False, unique=True),
        _patient(),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Text(), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.Column("obtained_by", sa.Text(), nullable=True),
        sa.Column("scope", sa.String(length=64), nullable=True),
    )
    op.create_index("ix_consents_patient_id", "consents", ["patient_id"])


def downgrade() -> None:
    for table in ("consents", "allergies", "medications"):
        op.drop_index(f"ix_{table}_patient_id", table)
        op.drop_table(table)
