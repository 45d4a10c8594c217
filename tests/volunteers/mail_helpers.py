"""Helpers of the volunteer email, invitation, feed and certificate tests.

``links`` gives the app whose private pages the emails link to (the volunteer's link,
``volunteer.manage``, and the guardian's, ``volunteer.guardian``).
"""

import re

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.mailer.models import OutboxMessage


@pytest.fixture
def links(app):
    assert {"volunteer.manage", "volunteer.guardian"} <= set(app.view_functions)
    return app


def messages(kind=None):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def token_in(text, prefix):
    """The token of the first link to ``…/<prefix>/<token>`` in ``text``."""
    found = re.search(rf"http://conference\.test/{prefix}/([A-Za-z0-9_-]+)", text)
    return found[1] if found else None
