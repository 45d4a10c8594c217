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
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capacity_set_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('capacity_set_by', sa.String(length=254), nullable=True))
    _mark_capacities_organizers_set()


def _mark_capacities_organizers_set():
    """Mark the tracks whose capacity is still the one organizers last set, as the audit
    log tells: otherwise the first content load after this upgrade would undo them.

    A track whose capacity differs from its last audited change was put back by a load
    since, and follows the file. Audit events name the track by key only, which is
    unique on a site that runs one conference.
    """
    bind = op.get_bind()
    track = sa.table(
        'track',
        sa.column('id', sa.Integer),
        sa.column('key', sa.String),
        sa.column('capacity', sa.Integer),
        sa.column('capacity_set_at', sa.DateTime),
        sa.column('capacity_set_by', sa.String),
    )
    event = sa.table(
        'audit_event',
        sa.column('id', sa.Integer),
        sa.column('at', sa.DateTime),
        sa.column('actor_email', sa.String),
        sa.column('action', sa.String),
        sa.column('details', sa.JSON),
    )
    last = {}
    rows = bind.execute(
        sa.select(event.c.at, event.c.actor_email, event.c.details)
        .where(event.c.action.in_(['track.capacity_changed', 'attendee.confirmed_from_waitlist']))
        .order_by(event.c.id)
    )
    for at, actor_email, details in rows:
        if isinstance(details, dict) and details.get('capacity') is not None:
            last[details.get('track')] = (at, actor_email, details['capacity'])
    for track_id, key, capacity in bind.execute(sa.select(track.c.id, track.c.key, track.c.capacity)):
        if key in last and last[key][2] == capacity:
            at, actor_email, _ = last[key]
            bind.execute(
                track.update()
                .where(track.c.id == track_id)
                .values(capacity_set_at=at, capacity_set_by=None if actor_email == 'system' else actor_email)
            )


def downgrade():
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.drop_column('capacity_set_by')
        batch_op.drop_column('capacity_set_at')
