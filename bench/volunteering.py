"""The volunteer sign-up figure of ``make bench``: the public form posted under load.

Each POST is a new person taking one place on the same shift (``SHIFT``, a sample shift
with no requirement that a made-up person could miss), whose maximum is raised to
``PLACES`` first: every request locks that one row, as the last places of a popular shift
are taken. Beside the registration POST, as a ratio to the same insert baseline.
"""

import time

import servers
import sqlalchemy as sa

from conference.config import database_uri

SHIFT = "sample-youth-1"  # social track, any language, any age, no skill
PLACES = 1_000_000  # never full during a run: every POST takes a place


def _engine(instance):
    return sa.create_engine(database_uri(instance.database_url))


def prepare_shift(instance):
    """Raise ``SHIFT``'s maximum to ``PLACES``; return its id."""
    engine = _engine(instance)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE shift SET max_people = :places WHERE key = :key"),
                {"places": PLACES, "key": SHIFT},
            )
            return connection.scalar(
                sa.text("SELECT id FROM shift WHERE key = :key"), {"key": SHIFT}
            )
    finally:
        engine.dispose()


def signup_session(base):
    """The CSRF token and Cookie header of one visit to the volunteer sign-up form."""
    status, page, jar = servers.request(base, "/volunteer")
    if status != 200:
        raise RuntimeError(f"the volunteer sign-up form answered {status}")
    return servers.csrf_token(page), "; ".join(f"{k}={v}" for k, v in jar.items())


def counts(instance):
    """``(volunteers, the shift's taken, its held or confirmed sign-ups)``."""
    engine = _engine(instance)
    try:
        with engine.connect() as connection:
            return (
                connection.scalar(sa.text("SELECT count(*) FROM volunteer")),
                connection.scalar(sa.text("SELECT taken FROM shift WHERE key = :k"), {"k": SHIFT}),
                connection.scalar(
                    sa.text(
                        "SELECT count(*) FROM shift_signup JOIN shift ON shift.id = shift_id "
                        "WHERE shift.key = :k AND shift_signup.status != 'dropped'"
                    ),
                    {"k": SHIFT},
                ),
            )
    finally:
        engine.dispose()


def settled_counts(instance):
    """``counts`` once the POSTs wrk left in flight have finished."""
    found = counts(instance)
    while True:
        time.sleep(1)
        latest = counts(instance)
        if latest == found:
            return found
        found = latest
