"""The audit trail: who did what to people's data or to staff accounts, and when."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context, request
from flask_login import current_user

from conference.clock import utcnow
from conference.extensions import db

# Who acted when no staff member did: the audit log page shows these in words.
SYSTEM = "system"
CONTENT_FILE = "content file"  # ``flask content load``


class AuditEvent(db.Model):
    """Something a staff member did that touches people's data or other staff."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_action_id", "action", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(index=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    # Kept as text too, so the record stays readable if the account is deleted.
    actor_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    action: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    details: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    ip_address: so.Mapped[str | None] = so.mapped_column(sa.String(64))


def record(action, *, actor=None, actor_name=SYSTEM, **details):
    """Add an audit event to the current transaction (the caller commits).

    ``actor`` defaults to the signed-in user; with none, ``actor_name`` (``SYSTEM`` or
    ``CONTENT_FILE``) says what acted. ``details`` must be JSON-serialisable and should
    name what was done, not copy personal data.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else actor_name,
        action=action,
        details=details,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event
