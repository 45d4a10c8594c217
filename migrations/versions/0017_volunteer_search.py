"""Volunteer search folds names as attendee search does: a folded copy of each name

Revision ID: 0017_volunteer_search
Revises: 0016_search
Create Date: 2026-12-04 08:20:00

The copy is filled here for the volunteers already there, with the application's own
rule (``conference.text.fold``). Volunteers are hundreds, not a hundred thousand: no
trigram index, the search reads the conference's volunteers anyway.
"""

from alembic import op
import sqlalchemy as sa

from conference.text import fold

# revision identifiers, used by Alembic.
revision = "0017_volunteer_search"
down_revision = "0016_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_folded", sa.String(length=200), server_default="", nullable=False)
        )
    volunteer = sa.table(
        "volunteer",
        sa.column("id", sa.Integer),
        sa.column("full_name", sa.String),
        sa.column("name_folded", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(volunteer.c.id, volunteer.c.full_name)).all()
    if rows:
        connection.execute(
            volunteer.update()
            .where(volunteer.c.id == sa.bindparam("row_id"))
            .values(name_folded=sa.bindparam("folded")),
            [{"row_id": row.id, "folded": fold(row.full_name)[:200]} for row in rows],
        )


def downgrade():
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.drop_column("name_folded")
