"""key_split: the phone index and the log's MAC each get their own key, derived from HUB_INDEX_KEY

A migration has no keys, so it only notes whether the database holds data written under the
undivided key (a row with ``split_at`` empty). The first process to start afterwards moves
it (``hub.key_split``): keyed hashes recomputed under the derived index key, the log's entries
up to that moment kept as they are, the next chained under the log's own key.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# The tables that hold keyed hashes or MACs made with the key itself.
KEYED = ("log_entries", "staff", "patients", "patient_phones", "caregivers", "contacts",
         "text_opt_outs")


def upgrade() -> None:
    op.create_table(
        "key_split",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("split_at", sa.DateTime(), nullable=True),
        sa.Column("log_undivided_until", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_split")),
    )
    bind = op.get_bind()
    held = any(bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None
               for table in KEYED)
    if held:
        bind.execute(sa.text("INSERT INTO key_split (id) VALUES (1)"))


def downgrade() -> None:
    # Going back to the undivided key is not done by a migration: the hashes moved since
    # would no longer match. Restore the backup taken before the upgrade instead.
    op.drop_table("key_split")
