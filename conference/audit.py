"""The audit trail: who did what to people's data or to staff accounts, and when."""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_app_context, has_request_context, request
from flask_babel import to_user_timezone
from flask_login import current_user

from conference.clock import utcnow
from conference.extensions import db

# Who acted when no staff member did: the audit log page shows these in words.
SYSTEM = "system"
CONTENT_FILE = "content file"  # ``flask content load``

# Read-only actions a staff member repeats all day long (opening the same attendee again
# and again). The same person doing one of them to the same object (the details named
# here) on the same day, in the conference's time zone, adds one to a single row instead
# of writing another: the row keeps the first time (``at``), the last (``last_at``) and
# how many times (``count``). See "The audit log" in docs/design.md.
REPEATED = {
    "attendee.viewed": ("registration_id",),
    "attendees.listed": ("filters",),
    "checkin.searched": ("by", "query"),
    "volunteers.team_viewed": ("shift_id",),
    "volunteers.person_viewed": ("volunteer_id",),
    "volunteers.listed": ("filters",),
}


class AuditEvent(db.Model):
    """Something a staff member did that touches people's data or other staff."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_action_id", "action", "id"),
        sa.Index("ix_audit_event_actor_id_id", "actor_id", "id"),
        sa.Index(
            "ix_audit_event_group_key",
            "group_key",
            unique=True,
            sqlite_where=sa.text("group_key IS NOT NULL"),
            postgresql_where=sa.text("group_key IS NOT NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(index=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    # Kept as text too, so the record stays readable if the account is deleted.
    actor_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    action: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    details: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    ip_address: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    # A repeated read-only action (``REPEATED``): how many times, and when it last happened.
    count: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    last_at: so.Mapped[datetime | None]
    # Which row a repetition adds to: a hash of the action, the person, the object and the
    # day (no personal data in it); ``None`` for every other action.
    group_key: so.Mapped[str | None] = so.mapped_column(sa.String(64))


def record(action, *, actor=None, actor_name=SYSTEM, **details):
    """Add an audit event to the current transaction (the caller commits).

    ``actor`` defaults to the signed-in user; with none, ``actor_name`` (``SYSTEM`` or
    ``CONTENT_FILE``) says what acted. ``details`` must be JSON-serialisable and should
    name what was done, not copy personal data.

    A repeated read-only action (``REPEATED``) by the same person on the same object and
    day adds one to the row already written (one per person, object and day), and returns
    that row.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    now = utcnow()
    values = {
        "at": now,
        "actor_id": actor.id if actor is not None else None,
        "actor_email": actor.email if actor is not None else actor_name,
        "action": action,
        "details": details,
        "ip_address": request.remote_addr if has_request_context() else None,
        "count": 1,
        "group_key": group_key(action, actor.id if actor is not None else None, details, now),
    }
    if values["group_key"] is not None:
        return _insert_or_count(values)
    event = AuditEvent(**values)
    db.session.add(event)
    return event


def group_key(action, actor_id, details, at):
    """The key that repetitions of this event share, or ``None`` if it is not one."""
    names = REPEATED.get(action)
    if names is None or actor_id is None:
        return None
    moment = at.replace(tzinfo=UTC)
    day = (to_user_timezone(moment) if has_app_context() else moment).date()
    subject = json.dumps([details.get(name) for name in names], sort_keys=True, default=str)
    text = f"{action}\n{actor_id}\n{day.isoformat()}\n{subject}"
    return hashlib.sha256(text.encode()).hexdigest()


def _insert_or_count(values):
    """Insert the event, or add one to the row with its ``group_key``: one statement.

    ``INSERT ... ON CONFLICT (group_key) DO UPDATE SET count = count + 1`` (SQLite and
    PostgreSQL): the unique index on ``group_key`` makes two views at once count twice on
    one row, never two rows, and a repeated view costs what a first one does.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(AuditEvent).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[AuditEvent.group_key],
        index_where=AuditEvent.group_key.is_not(None),
        set_={"count": AuditEvent.count + 1, "last_at": statement.excluded.at},
    )
    return db.session.scalars(
        statement.returning(AuditEvent), execution_options={"populate_existing": True}
    ).one()
