"""Helpers shared by the registration tests, and the ``registered`` fixture (a registration
with its private link); the others are in tests/conftest.py."""

import re

import pytest
import sqlalchemy as sa

from conference.audit import AuditEvent
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage
from conference.registration import services
from conference.registration.models import Registration


def text(response):
    return response.get_data(as_text=True)


def listed_names(response):
    """The names in the list, in order."""
    return re.findall(r'<th scope="row"><a href="[^"]+"><bdi>([^<]+)</bdi>', text(response))


def link(response, rel):
    """The URL of the list's previous or next page (``rel``), or ``None``."""
    found = re.search(rf'href="([^"]+)" rel="{rel}"', text(response))
    return found[1].replace("&amp;", "&") if found else None


def audit_events(action):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).filter_by(action=action)))


def queued(kind=None):
    """The outbox's rows, oldest first; only those of ``kind`` if given."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.filter_by(kind=kind)
    return list(db.session.scalars(query))


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


AR = {"Accept-Language": "ar"}
EN = {"Accept-Language": "en"}


def answers(**changes):
    """A complete, valid registration form; ``None`` leaves a field out."""
    data = {
        "full_name": "Layla Haddad",
        "email": "layla@example.org",
        "phone": "+1 202 555 0143",
        "city": "Houston",
        "region": "Texas",
        "language": "en",
        "tracks": ["cultural", "arts"],
        "needs": "",
        "privacy": "y",
        "submission_id": "submission-0000000000000001",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def registrations():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Registration).order_by(Registration.id)))


@pytest.fixture
def registered(conference, register):
    """Return a function that registers someone through the service: (registration, token)."""

    def _registered(email="ada@example.org", tracks=("arts",), **overrides):
        outcome = register(email, tracks, to=conference, **overrides)
        token = services.mint_token(outcome.registration)
        db.session.commit()
        return outcome.registration, token

    return _registered
