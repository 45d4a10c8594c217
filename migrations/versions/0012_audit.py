"""Repeated audit events share a row; indexes for the audit log's filters

Revision ID: 0012_audit
Revises: 0011_import
Create Date: 2026-12-02 15:20:00

Adds ``count`` (1 for every row already there), ``last_at`` and ``group_key`` to
``audit_event``: a read-only action repeated by the same person on the same object and day
adds one to a single row instead of writing another. Adds an index on (``actor_id``,
``id``) for the filter by person, newest first, and a unique partial one on ``group_key`` (one row per repeated view).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_audit"
down_revision = "0011_import"
branch_labels = None
depends_on = None

PARTIAL = {
    "sqlite_where": sa.text("group_key IS NOT NULL"),
    "postgresql_where": sa.text("group_key IS NOT NULL"),
}


def upgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("count", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("last_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("group_key", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_audit_event_actor_id_id", ["actor_id", "id"], unique=False)
        batch_op.create_index("ix_audit_event_group_key", ["group_key"], unique=True, **PARTIAL)


def downgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_group_key", **PARTIAL)
        batch_op.drop_index("ix_audit_event_actor_id_id")
        batch_op.drop_column("group_key")
        batch_op.drop_column("last_at")
        batch_op.drop_column("count")
