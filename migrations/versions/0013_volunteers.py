"""Volunteers: settings, roles, shifts, volunteers, their links and sign-ups, coordinators

Revision ID: 0013_volunteers
Revises: 0012_audit
Create Date: 2026-12-03 08:03:38

New tables only. A shift's ``taken`` has a CHECK (never above ``max_people``), as a
track's seats do; one active volunteer per address and conference (a partial unique
index, as for registrations).
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0013_volunteers"
down_revision = "0012_audit"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "coordinator_scope",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_coordinator_scope_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordinator_scope")),
        sa.UniqueConstraint("user_id", "scope", name="uq_coordinator_scope"),
    )
    op.create_table(
        "volunteer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "erased", name="volunteerstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column(
            "age_group",
            sa.Enum(
                "under_18",
                "adult_18_24",
                "adult_25_plus",
                name="agegroup",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("tshirt_size", sa.String(length=8), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("sessions", sa.JSON(), nullable=False),
        sa.Column("guardian_name", sa.String(length=200), nullable=True),
        sa.Column("guardian_email", sa.String(length=254), nullable=True),
        sa.Column("guardian_confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("privacy_accepted_at", sa.DateTime(), nullable=True),
        sa.Column("submission_id", sa.String(length=64), nullable=True),
        sa.Column("feed_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"], ["conference.id"], name=op.f("fk_volunteer_conference_id_conference")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer")),
        sa.UniqueConstraint("feed_token_hash", name=op.f("uq_volunteer_feed_token_hash")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_volunteer_submission_id")),
    )
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_conference_id"), ["conference_id"], unique=False
        )
        batch_op.create_index(
            "ix_volunteer_conference_status_name",
            ["conference_id", "status", "full_name"],
            unique=False,
        )
        batch_op.create_index(
            "uq_volunteer_active_email",
            ["conference_id", "email"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "volunteer_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("signup_open", sa.Boolean(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=True),
        sa.Column("closes_at", sa.DateTime(), nullable=True),
        sa.Column("change_deadline_hours", sa.Integer(), nullable=False),
        sa.Column("max_consecutive_minutes", sa.Integer(), nullable=False),
        sa.Column("min_break_minutes", sa.Integer(), nullable=False),
        sa.Column("max_daily_minutes", sa.Integer(), nullable=False),
        sa.Column("guardian_hold_hours", sa.Integer(), nullable=False),
        sa.Column("reminder_hours", sa.Integer(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.Column("edited_by", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_volunteer_settings_conference_id_conference"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_settings")),
        sa.UniqueConstraint("conference_id", name=op.f("uq_volunteer_settings_conference_id")),
    )
    op.create_table(
        "volunteer_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("adults_only", sa.Boolean(), nullable=False),
        sa.Column("skill", sa.JSON(), nullable=True),
        sa.Column(
            "origin",
            sa.Enum("file", "sample", "staff", name="origin", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.Column("edited_by", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_volunteer_role_conference_id_conference"),
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["track.id"], name=op.f("fk_volunteer_role_track_id_track")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_role")),
        sa.UniqueConstraint("conference_id", "key", name="uq_volunteer_role_conference_key"),
    )
    with op.batch_alter_table("volunteer_role", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_role_conference_id"), ["conference_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_volunteer_role_track_id"), ["track_id"], unique=False)

    op.create_table(
        "volunteer_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum("manage", "guardian", name="tokenpurpose", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_volunteer_token_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_volunteer_token_token_hash")),
    )
    with op.batch_alter_table("volunteer_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_token_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("place", sa.JSON(), nullable=False),
        sa.Column("min_people", sa.Integer(), nullable=False),
        sa.Column("max_people", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), server_default="0", nullable=False),
        sa.Column("language_need", sa.String(length=8), nullable=True),
        sa.Column(
            "origin",
            sa.Enum("file", "sample", "staff", name="origin", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.Column("edited_by", sa.String(length=254), nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_shift_ends_after_start")),
        sa.CheckConstraint(
            "min_people >= 0 AND min_people <= max_people", name=op.f("ck_shift_people_range")
        ),
        sa.CheckConstraint(
            "taken >= 0 AND taken <= max_people", name=op.f("ck_shift_taken_within_max")
        ),
        sa.ForeignKeyConstraint(
            ["conference_id"], ["conference.id"], name=op.f("fk_shift_conference_id_conference")
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["volunteer_role.id"], name=op.f("fk_shift_role_id_volunteer_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift")),
        sa.UniqueConstraint("conference_id", "key", name="uq_shift_conference_key"),
    )
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shift_conference_starts", ["conference_id", "starts_at", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_shift_role_id"), ["role_id"], unique=False)

    op.create_table(
        "shift_signup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "held", "confirmed", "dropped", name="signupstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("held_until", sa.DateTime(), nullable=True),
        sa.Column("ics_uid", sa.String(length=64), nullable=False),
        sa.Column("ics_sequence", sa.Integer(), nullable=False),
        sa.Column(
            "attendance",
            sa.Enum("arrived", "no_show", name="attendance", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("attendance_at", sa.DateTime(), nullable=True),
        sa.Column("attendance_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("dropped_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attendance_by_id"],
            ["user.id"],
            name=op.f("fk_shift_signup_attendance_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shift.id"],
            name=op.f("fk_shift_signup_shift_id_shift"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_shift_signup_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_signup")),
        sa.UniqueConstraint("ics_uid", name=op.f("uq_shift_signup_ics_uid")),
        sa.UniqueConstraint("volunteer_id", "shift_id", name="uq_shift_signup_volunteer_shift"),
    )
    with op.batch_alter_table("shift_signup", schema=None) as batch_op:
        batch_op.create_index("ix_shift_signup_shift_status", ["shift_id", "status"], unique=False)


def downgrade():
    with op.batch_alter_table("shift_signup", schema=None) as batch_op:
        batch_op.drop_index("ix_shift_signup_shift_status")

    op.drop_table("shift_signup")
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_role_id"))
        batch_op.drop_index("ix_shift_conference_starts")

    op.drop_table("shift")
    with op.batch_alter_table("volunteer_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_token_volunteer_id"))

    op.drop_table("volunteer_token")
    with op.batch_alter_table("volunteer_role", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_role_track_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_role_conference_id"))

    op.drop_table("volunteer_role")
    op.drop_table("volunteer_settings")
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_volunteer_active_email",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index("ix_volunteer_conference_status_name")
        batch_op.drop_index(batch_op.f("ix_volunteer_conference_id"))

    op.drop_table("volunteer")
    op.drop_table("coordinator_scope")
