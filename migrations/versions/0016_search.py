"""Name search folds Arabic letter variants, diacritics, case and accents: a folded copy
of each name, and on PostgreSQL a trigram index on it

Revision ID: 0016_search
Revises: 0015_sponsor_samples
Create Date: 2026-12-04 05:40:00

The copy is filled here for the registrations already there, with the application's own
rule (``conference.text.fold``), in batches.
"""

from alembic import op
import sqlalchemy as sa

from conference.text import fold

# revision identifiers, used by Alembic.
revision = "0016_search"
down_revision = "0015_sponsor_samples"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_folded", sa.String(length=200), server_default="", nullable=False)
        )
    registration = sa.table(
        "registration",
        sa.column("id", sa.Integer),
        sa.column("full_name", sa.String),
        sa.column("name_folded", sa.String),
    )
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(registration.c.id, registration.c.full_name)
            .where(registration.c.id > last)
            .order_by(registration.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            registration.update()
            .where(registration.c.id == sa.bindparam("row_id"))
            .values(name_folded=sa.bindparam("folded")),
            [{"row_id": row.id, "folded": fold(row.full_name)[:200]} for row in rows],
        )
        last = rows[-1].id
    if connection.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registration_name_folded_trgm",
            ["name_folded"],
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        )


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_name_folded_trgm")
        batch_op.drop_column("name_folded")
