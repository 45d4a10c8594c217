"""The health check's heartbeat row

Revision ID: 0006_heartbeat
Revises: 0005_capacity_set_by_organizers
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_heartbeat'
down_revision = '0005_capacity_set_by_organizers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('heartbeat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('beat_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heartbeat'))
    )


def downgrade():
    op.drop_table('heartbeat')
