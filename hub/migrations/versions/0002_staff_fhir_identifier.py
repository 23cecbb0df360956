"""staff.fhir_identifier: the NPI (or first identifier) a practitioner is known by

Conditional references in FHIR bundles (``Practitioner?identifier=system|value``) name a
practitioner by identifier rather than by id; this column lets an import find the staff
member a previous import created.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fhir_identifier", sa.String(length=300), nullable=True))
        batch_op.create_index("ix_staff_fhir_identifier", ["fhir_identifier"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_fhir_identifier")
        batch_op.drop_column("fhir_identifier")
