"""Sign-in: a per-account limit on wrong authenticator codes

Revision ID: 0005_access_sign_in
Revises: 0004_staff_accounts
Create Date: 2026-12-02 09:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_access_sign_in'
down_revision = '0004_staff_accounts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_codes', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('codes_blocked_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('codes_blocked_until')
        batch_op.drop_column('failed_codes')
