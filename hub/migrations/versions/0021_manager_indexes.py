"""audit_reviews, ccm_billings and the manager's indexes

The manager's contact log reads contacts newest first, filtered by urgency, patient or
state, and by who was paged; the access audit reads the access.* events newest first. A
manager's sign-off of the audit is a row.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_contacts_received", "contacts", ["received_at"]),
    ("ix_contacts_urgency_received", "contacts", ["urgency", "received_at"]),
    ("ix_contacts_patient_received", "contacts", ["patient_id", "received_at"]),
    ("ix_pages_staff_created", "pages", ["staff_id", "created_at"]),
    ("ix_log_entries_event_at", "log_entries", ["event", "at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    op.create_table(
        "audit_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reviewed_through", sa.DateTime(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(),
                  sa.ForeignKey("staff.id", name="fk_audit_reviews_reviewed_by_id_staff"),
                  nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_reviews"),
    )
    op.create_index("ix_audit_reviews_reviewed_through", "audit_reviews", ["reviewed_through"])
    op.create_table(
        "ccm_billings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(),
                  sa.ForeignKey("patients.id", name="fk_ccm_billings_patient_id_patients"),
                  nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("codes", sa.String(120), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(),
                  sa.ForeignKey("staff.id", name="fk_ccm_billings_recorded_by_id_staff"),
                  nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ccm_billings"),
        sa.UniqueConstraint("patient_id", "month", name="uq_ccm_billings_patient_id"),
    )


def downgrade() -> None:
    op.drop_table("ccm_billings")
    op.drop_index("ix_audit_reviews_reviewed_through", "audit_reviews")
    op.drop_table("audit_reviews")
    for name, table, _columns in INDEXES:
        op.drop_index(name, table)
