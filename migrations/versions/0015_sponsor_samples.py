"""Sponsors: sample sponsors are marked (they leave with the sample programme), and a tier
organizers edited is kept by later loads of the content file, as a sponsor already is.

Revision ID: 0015_sponsor_samples
Revises: 0014_showcase
Create Date: 2026-12-04 05:30:00
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_sponsor_samples"
down_revision = "0014_showcase"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sponsor", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_sample", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("sponsor_tier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("edited_by", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("sponsor_tier", schema=None) as batch_op:
        batch_op.drop_column("edited_by")
        batch_op.drop_column("edited_at")
    with op.batch_alter_table("sponsor", schema=None) as batch_op:
        batch_op.drop_column("is_sample")
