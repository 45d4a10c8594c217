"""The clock: one definition of "now" for every table.

Every timestamp column stores UTC without a time zone; ``utcnow`` returns the current
time in that form. Tests move time by passing ``now=`` to the functions that take it.
"""

from datetime import UTC, datetime


def utcnow():
    """The current time in UTC, naive, as every timestamp column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)
