"""Fixtures of the volunteer tests: the sample roles and shifts, and a ``sign_up`` helper
with sensible defaults. The others are in tests/conftest.py."""

from datetime import datetime

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.volunteers import services
from conference.volunteers.models import Shift

# Before the conference (18–19 March 2022), inside the sign-up window.
BEFORE = datetime(2022, 3, 1, 12, 0)


def shift(key):
    return db.session.scalar(sa.select(Shift).filter_by(key=key))


@pytest.fixture
def sign_up(conference):
    """``sign_up("a@example.org", ["sample-youth-1"], age_group="25_plus", ...)``."""

    def _sign_up(email, keys, *, now=BEFORE, **details):
        values = {
            "full_name": "Lina Haddad",
            "phone": "+1 313 555 0100",
            "languages": ["ar", "en"],
            "age_group": "25_plus",
            "language": "en",
            "tshirt_size": None,
            "skills": [],
            "sessions": [],
            "guardian_name": None,
            "guardian_email": None,
            "privacy_accepted": True,
            **details,
        }
        ids = [shift(key).id for key in keys]
        return services.sign_up(conference, email=email, shift_ids=ids, now=now, **values)

    return _sign_up
