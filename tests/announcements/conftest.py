"""Fixtures of the announcement tests: access enforced, attendees, drafts."""

import itertools

import pytest

from conference import access
from conference.announcements import services
from conference.registration import services as registrations
from conference.registration.queries import Filters

from .helpers import TEXTS

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def enforced_access(request):
    """Run with access enforcement on, whether or not ``create_app`` turns it on yet."""
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        if not any(f.__name__ == "enforce_access" for f in app.before_request_funcs[None]):
            access.init_app(app)


@pytest.fixture
def attendee(conference):
    """Register someone through the service; return the registration."""

    def _attendee(language="en", tracks=("arts",), *, email=None, **overrides):
        return registrations.register_attendee(
            conference,
            email=email or f"person{next(_numbers)}@example.org",
            full_name=f"Person {next(_numbers)}",
            track_keys=list(tracks),
            language=language,
            privacy_accepted=True,
            **overrides,
        ).registration

    return _attendee


@pytest.fixture
def draft(conference):
    """Save a draft through the service."""

    def _draft(filters=None, *, essential=False, **texts):
        return services.save_draft(
            conference, **{**TEXTS, **texts}, filters=filters or Filters(), essential=essential
        )

    return _draft
