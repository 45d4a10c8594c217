"""The attendee list sorts by name: an index on the name within a conference's status

Revision ID: 0010_lists
Revises: 0009_public
Create Date: 2026-12-02 15:30:00

The list pages by (name, id) within one status of one conference, as it already pages by
id (``ix_registration_conference_status_id``): each page is a range of this index.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_lists"
down_revision = "0009_public"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registration") as batch_op:
        batch_op.create_index(
            "ix_registration_conference_status_name",
            ["conference_id", "status", "full_name", "id"],
        )


def downgrade():
    with op.batch_alter_table("registration") as batch_op:
        batch_op.drop_index("ix_registration_conference_status_name")
