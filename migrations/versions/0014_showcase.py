"""The showcase and sponsors: stories, their consent records, photos, links and edits;
stored images; sponsor tiers, sponsors' descriptions, tracks and logos; sponsor accounts

Revision ID: 0014_showcase
Revises: 0013_volunteers
Create Date: 2026-12-03 10:55:00

New tables, and new columns on ``sponsor`` (``tracks`` defaults to an empty list for the
rows already there).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_showcase"
down_revision = "0013_volunteers"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_image")),
        sa.UniqueConstraint("key", "width", name="uq_stored_image_key_width"),
    )
    with op.batch_alter_table("stored_image", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stored_image_key"), ["key"], unique=False)

    op.create_table(
        "sponsor_tier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_sponsor_tier_conference_id_conference"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sponsor_tier")),
        sa.UniqueConstraint("conference_id", "key", name="uq_sponsor_tier_conference_key"),
    )
    with op.batch_alter_table("sponsor_tier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sponsor_tier_conference_id"), ["conference_id"], unique=False
        )

    op.create_table(
        "sponsor_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sponsor_id"],
            ["sponsor.id"],
            name=op.f("fk_sponsor_account_sponsor_id_sponsor"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_sponsor_account_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sponsor_account")),
        sa.UniqueConstraint("user_id", name=op.f("uq_sponsor_account_user_id")),
    )
    with op.batch_alter_table("sponsor_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sponsor_account_sponsor_id"), ["sponsor_id"], unique=False
        )

    op.create_table(
        "story",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "awaiting_guardian",
                "submitted",
                "approved",
                "rejected",
                "withdrawn",
                name="storystatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("other_title", sa.String(length=200), nullable=True),
        sa.Column("other_body", sa.Text(), nullable=True),
        sa.Column("person_name", sa.String(length=200), nullable=False),
        sa.Column(
            "credit",
            sa.Enum(
                "full_name", "initials", "anonymous", name="credit", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("submitter_name", sa.String(length=200), nullable=False),
        sa.Column("submitter_email", sa.String(length=254), nullable=False),
        sa.Column("email_language", sa.String(length=8), nullable=False),
        sa.Column("subject_is_minor", sa.Boolean(), nullable=False),
        sa.Column("guardian_name", sa.String(length=200), nullable=True),
        sa.Column("guardian_email", sa.String(length=254), nullable=True),
        sa.Column("guardian_confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("consent_public", sa.Boolean(), nullable=False),
        sa.Column("consent_sponsors", sa.Boolean(), nullable=False),
        sa.Column("consent_until", sa.Date(), nullable=True),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("is_sample", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"], ["conference.id"], name=op.f("fk_story_conference_id_conference")
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["track.id"], name=op.f("fk_story_track_id_track"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story")),
    )
    with op.batch_alter_table("story", schema=None) as batch_op:
        batch_op.create_index(
            "ix_story_listing", ["conference_id", "status", "track_id"], unique=False
        )

    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column(
            "event",
            sa.Enum(
                "given",
                "changed",
                "guardian_confirmed",
                "withdrawn",
                name="consentevent",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("by_role", sa.String(length=16), nullable=False),
        sa.Column("by_name", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("sponsors", sa.Boolean(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column(
            "credit",
            sa.Enum(
                "full_name", "initials", "anonymous", name="credit", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["story.id"],
            name=op.f("fk_consent_record_story_id_story"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
    )
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_record_story_id"), ["story_id"], unique=False)

    op.create_table(
        "story_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("image_key", sa.String(length=32), nullable=False),
        sa.Column("alt", sa.String(length=300), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["story.id"],
            name=op.f("fk_story_photo_story_id_story"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_photo")),
    )
    with op.batch_alter_table("story_photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_photo_story_id"), ["story_id"], unique=False)

    op.create_table(
        "story_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by_role", sa.String(length=16), nullable=False),
        sa.Column("by_name", sa.String(length=200), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["story.id"],
            name=op.f("fk_story_revision_story_id_story"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_revision")),
    )
    with op.batch_alter_table("story_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_revision_story_id"), ["story_id"], unique=False)

    op.create_table(
        "story_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum("manage", "guardian", name="tokenpurpose", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["story.id"],
            name=op.f("fk_story_token_story_id_story"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_story_token_token_hash")),
    )
    with op.batch_alter_table("story_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_token_story_id"), ["story_id"], unique=False)

    with op.batch_alter_table("conference", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))

    with op.batch_alter_table("sponsor", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("tracks", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("logo_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("logo_svg", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("edited_by", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("conference", schema=None) as batch_op:
        batch_op.drop_column("content_hash")

    with op.batch_alter_table("sponsor", schema=None) as batch_op:
        batch_op.drop_column("edited_by")
        batch_op.drop_column("edited_at")
        batch_op.drop_column("logo_svg")
        batch_op.drop_column("logo_key")
        batch_op.drop_column("tracks")
        batch_op.drop_column("description")

    with op.batch_alter_table("story_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_token_story_id"))

    op.drop_table("story_token")
    with op.batch_alter_table("story_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_revision_story_id"))

    op.drop_table("story_revision")
    with op.batch_alter_table("story_photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_photo_story_id"))

    op.drop_table("story_photo")
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_record_story_id"))

    op.drop_table("consent_record")
    with op.batch_alter_table("story", schema=None) as batch_op:
        batch_op.drop_index("ix_story_listing")

    op.drop_table("story")
    with op.batch_alter_table("sponsor_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sponsor_account_sponsor_id"))

    op.drop_table("sponsor_account")
    with op.batch_alter_table("sponsor_tier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sponsor_tier_conference_id"))

    op.drop_table("sponsor_tier")
    with op.batch_alter_table("stored_image", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stored_image_key"))

    op.drop_table("stored_image")
