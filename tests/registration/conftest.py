"""Helpers shared by the registration tests (the fixtures are in tests/conftest.py)."""

import re

import sqlalchemy as sa

from conference.audit import AuditEvent
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage


def text(response):
    return response.get_data(as_text=True)


def listed_names(response):
    """The names in the list, in order."""
    return re.findall(r'<th scope="row"><a href="[^"]+"><bdi>([^<]+)</bdi>', text(response))


def audit_events(action):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).filter_by(action=action)))


def queued(kind):
    return list(
        db.session.scalars(sa.select(OutboxMessage).filter_by(kind=kind).order_by(OutboxMessage.id))
    )


def delivered(row):
    """Render ``row`` as the deliverer does: its private link is minted (hash committed)."""
    rendering = outbox.Rendering()
    email = outbox.render(row, rendering)
    rendering.write()
    db.session.commit()
    return email


def fresh(row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)
