"""The audit trail: who did what to people's data or to staff accounts, and when."""

from flask import has_request_context, request
from flask_login import current_user

from conference.extensions import db

# Who acted when no staff member did: the audit log page shows these in words.
SYSTEM = "system"
CONTENT_FILE = "content file"  # ``flask content load``


def record(action, *, actor=None, actor_name=SYSTEM, **details):
    """Add an audit event to the current transaction (the caller commits).

    ``actor`` defaults to the signed-in user; with none, ``actor_name`` (``SYSTEM`` or
    ``CONTENT_FILE``) says what acted. ``details`` must be JSON-serialisable and should
    name what was done, not copy personal data.
    """
    from conference.accounts.models import AuditEvent
    from conference.mailer.outbox import utcnow

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
