"""transition_tasks, transition_attempts and fhir_clients

A discharge or ED visit the EHR sends opens a transition task (interactive contact due in
two business days); each try at it is an attempt; EHR clients post with a bearer token kept
as a hash.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.Column:
    return sa.Column(column, sa.Integer(),
                     sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "transition_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(16), nullable=False),
        sa.Column("patient_id", sa.Integer(),
                  sa.ForeignKey("patients.id", name="fk_transition_tasks_patient_id_patients"),
                  nullable=False),
        sa.Column("encounter_fhir_id", sa.String(128), nullable=False),
        sa.Column("encounter_identifier", sa.String(300), nullable=True),
        sa.Column("encounter_class", sa.String(16), nullable=False),
        sa.Column("disposition", sa.String(64), nullable=True),
        sa.Column("discharged_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("page_at", sa.DateTime(), nullable=False),
        _fk("transition_tasks", "care_manager_id", "staff"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        _fk("transition_tasks", "done_by_id", "staff"),
        _fk("transition_tasks", "contact_id", "contacts"),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transition_tasks"),
        sa.UniqueConstraint("ref", name="uq_transition_tasks_ref"),
        sa.UniqueConstraint("encounter_fhir_id", name="uq_transition_tasks_encounter_fhir_id"),
        sa.UniqueConstraint("encounter_identifier",
                            name="uq_transition_tasks_encounter_identifier"),
        sa.UniqueConstraint("contact_id", name="uq_transition_tasks_contact_id"),
    )
    op.create_index("ix_transition_tasks_patient_id", "transition_tasks", ["patient_id"])
    op.create_index("ix_transition_tasks_status_page", "transition_tasks", ["status", "page_at"])
    op.create_index("ix_transition_tasks_due", "transition_tasks", ["due_at"])
    op.create_table(
        "transition_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(),
                  sa.ForeignKey("transition_tasks.id",
                                name="fk_transition_attempts_task_id_transition_tasks"),
                  nullable=False),
        sa.Column("staff_id", sa.Integer(),
                  sa.ForeignKey("staff.id", name="fk_transition_attempts_staff_id_staff"),
                  nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transition_attempts"),
    )
    op.create_index("ix_transition_attempts_task_id", "transition_attempts", ["task_id"])
    op.create_table(
        "fhir_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_fhir_clients"),
        sa.UniqueConstraint("name", name="uq_fhir_clients_name"),
        sa.UniqueConstraint("token_hash", name="uq_fhir_clients_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("fhir_clients")
    op.drop_index("ix_transition_attempts_task_id", "transition_attempts")
    op.drop_table("transition_attempts")
    for name in ("ix_transition_tasks_due", "ix_transition_tasks_status_page",
                 "ix_transition_tasks_patient_id"):
        op.drop_index(name, "transition_tasks")
    op.drop_table("transition_tasks")
