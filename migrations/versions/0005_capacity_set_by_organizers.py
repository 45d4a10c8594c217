"""Tracks remember a capacity organizers set, so loading content keeps it

Revision ID: 0005_capacity_set_by_organizers
Revises: 0004_staff_accounts
Create Date: 2026-12-02 08:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_capacity_set_by_organizers'
down_revision = '0004_staff_accounts'
branch_labels = None
depends_on = None


def upgrade():
    # Existing capacities count as the content file's: nobody can tell which ones
    # organizers changed before this column existed.
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capacity_set_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('capacity_set_by', sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.drop_column('capacity_set_by')
        batch_op.drop_column('capacity_set_at')
