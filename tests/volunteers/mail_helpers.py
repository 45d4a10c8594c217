"""Helpers of the volunteer email, invitation, feed and certificate tests.

``links`` makes sure the private pages the emails link to can be built: the volunteer's
link (``volunteer.manage``) and the guardian's (``volunteer.guardian``) are pages of the
public sign-up; where they are not registered, stand-ins with their paths are.
"""

import re

import pytest
import sqlalchemy as sa

from conference.access import public
from conference.extensions import db
from conference.mailer.models import OutboxMessage

STAND_INS = {
    "volunteer.manage": "/volunteer/<secret:token>",
    "volunteer.guardian": "/volunteer/guardian/<secret:token>",
}


@pytest.fixture
def links(app):
    for endpoint, path in STAND_INS.items():
        if endpoint not in app.view_functions:
            app.add_url_rule(path, endpoint, public(lambda token: "stand-in"))
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
