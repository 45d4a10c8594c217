import itertools

import pytest

from conference.registration import services

_numbers = itertools.count(1)


@pytest.fixture
def register(conference):
    """Return a function that registers someone through the service, with defaults."""

    def _register(email=None, tracks=("arts",), *, to=None, **overrides):
        values = {
            "email": email or f"person{next(_numbers)}@example.org",
            "full_name": "Ada Lovelace",
            "track_keys": list(tracks),
            "language": "en",
            "privacy_accepted": True,
            **overrides,
        }
        return services.register_attendee(to or conference, **values)

    return _register
