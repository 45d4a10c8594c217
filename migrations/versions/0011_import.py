"""Imports kept between their preview and their confirmation

Revision ID: 0011_import
Revises: 0010_lists
Create Date: 2026-12-02 15:30:00

The back-office import page keeps the rows read from an uploaded file here until the
organizer confirms (any app process may answer), then the skipped rows for their
download; every row is deleted after a day.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_import"
down_revision = "0010_lists"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "registration_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("table", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user.id"],
            name=op.f("fk_registration_import_actor_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_import")),
    )
    with op.batch_alter_table("registration_import", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_import_actor_id"), ["actor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registration_import_created_at"), ["created_at"], unique=False
        )


def downgrade():
    op.drop_table("registration_import")
