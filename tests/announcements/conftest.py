"""Fixtures of the announcement tests: attendees in a language, drafts."""

import itertools

import pytest

from conference.announcements import services
from conference.registration.queries import Filters

from .helpers import TEXTS

_numbers = itertools.count(1)


@pytest.fixture
def attendee(make_registration):
    """``make_registration`` with the language first and a name of their own each."""

    def _attendee(language="en", tracks=("arts",), *, email=None, **overrides):
        overrides.setdefault("full_name", f"Person {next(_numbers)}")
        return make_registration(email, tracks, language=language, **overrides)

    return _attendee


@pytest.fixture
def draft(conference):
    """Save a draft through the service."""

    def _draft(filters=None, *, essential=False, **texts):
        return services.save_draft(
            conference, **{**TEXTS, **texts}, filters=filters or Filters(), essential=essential
        )

    return _draft
