"""A track keeps the number of places on its waiting list, as it keeps its seats taken

Revision ID: 0018_places_waiting
Revises: 0017_volunteer_search
Create Date: 2026-12-04 23:30:00

A new registration on a full track is told its place in line. It was counted inside the
track's lock (an index range over everyone waiting); the count is now kept on the track's
row, changed under the same lock as ``seats_taken``, and filled here from the places.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0018_places_waiting"
down_revision = "0017_volunteer_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("track", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("places_waiting", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_track_places_waiting_not_negative"), "places_waiting >= 0"
        )
    track = sa.table("track", sa.column("id", sa.Integer), sa.column("places_waiting"))
    place = sa.table(
        "place", sa.column("track_id", sa.Integer), sa.column("status", sa.String)
    )
    waiting = (
        sa.select(sa.func.count())
        .select_from(place)
        .where(place.c.track_id == track.c.id, place.c.status == "waitlisted")
        .scalar_subquery()
    )
    op.get_bind().execute(track.update().values(places_waiting=waiting))


def downgrade():
    with op.batch_alter_table("track", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_track_places_waiting_not_negative"), type_="check")
        batch_op.drop_column("places_waiting")
