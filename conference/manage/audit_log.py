"""The audit log's queries: events filtered by person, action and dates, a page at a time.

Pages are keyset pages on the primary key (newest first): ``before`` an id for older
events, ``after`` one for newer, so the thousandth page costs what the first does. Every
filter has an index that serves it in that order: (``actor_id``, ``id``), (``action``,
``id``), and ``at`` for a date range.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from conference.accounts.models import User
from conference.audit import AuditEvent
from conference.extensions import db
from conference.i18n import display_timezone

PAGE_SIZE = 50
# Counting stops here: "more than 10,000 events" is as useful as the exact figure, and
# counting a big table whole would slow every page.
COUNT_LIMIT = 10_000
# What action names look like ("user.signed_in"), within the column's 64 characters.
ACTION_PATTERN = re.compile(r"[a-z0-9_.]{1,64}")
# The "person" filter's value for what no staff member did (the system, the content file).
NOBODY = "system"


class FilterError(ValueError):
    """A filter's value cannot be used; the message says why, in words."""


@dataclass(frozen=True)
class AuditFilters:
    """What the log is narrowed to; ``None`` (or empty) means any."""

    person: int | str | None = None  # a user's id, or NOBODY
    action: str = ""
    since: date | None = None  # the first day, in the conference's zone
    until: date | None = None  # the last day, included

    def as_args(self):
        """The filters as the page's query string values (for links)."""
        args = {}
        if self.person is not None:
            args["person"] = self.person
        if self.action:
            args["action"] = self.action
        if self.since:
            args["from"] = self.since.isoformat()
        if self.until:
            args["to"] = self.until.isoformat()
        return args

    @property
    def active(self):
        return bool(self.as_args())


def _day(text, message):
    """``text`` as a date (YYYY-MM-DD, years 2000 to 2999), ``None`` if empty."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if not re.fullmatch(r"2\d{3}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(message) from None


def parse_filters(args):
    """Read the filters from a query string; return ``(filters, errors)``.

    A value that cannot be used is left out and named in ``errors`` (field name: message).
    """
    errors = {}
    person = (args.get("person") or "").strip()
    if person == NOBODY:
        person_value = NOBODY
    elif person.isdigit() and len(person) < 10:
        person_value = int(person)
    else:
        person_value = None
        if person:
            errors["person"] = _l("Choose a person from the list")
    action = (args.get("action") or "").strip()
    if action and not ACTION_PATTERN.fullmatch(action):
        action = ""  # not an action name: show every action
    days = {}
    for name, message in (
        ("from", _l("Enter the first day as a date, like 2026-12-02")),
        ("to", _l("Enter the last day as a date, like 2026-12-02")),
    ):
        try:
            days[name] = _day(args.get(name), message)
        except FilterError as error:
            errors[name] = error.args[0]
            days[name] = None
    if days["from"] and days["to"] and days["from"] > days["to"]:
        errors["to"] = _l("The last day must be the same as or after the first day")
        days["to"] = None
    return AuditFilters(person_value, action, days["from"], days["to"]), errors


def _utc(day):
    """Midnight at the start of ``day`` in the conference's zone, as naive UTC."""
    zone = ZoneInfo(display_timezone())
    start = datetime.combine(day, time(), tzinfo=zone)
    return start.astimezone(UTC).replace(tzinfo=None)


def filtered(filters):
    """A SELECT of the events matching ``filters`` (no order)."""
    query = sa.select(AuditEvent)
    if filters.person == NOBODY:
        query = query.where(AuditEvent.actor_id.is_(None))
    elif filters.person is not None:
        query = query.where(AuditEvent.actor_id == filters.person)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since:
        query = query.where(AuditEvent.at >= _utc(filters.since))
    if filters.until:
        query = query.where(AuditEvent.at < _utc(filters.until + timedelta(days=1)))
    return query


@dataclass
class Page:
    rows: list
    newer: int | None  # the id to show newer events after, if there are any
    older: int | None  # the id to show older events before, if there are any


def page(filters, *, before=None, after=None, size=PAGE_SIZE):
    """One page of matching events, newest first, with where the pages on each side start."""
    query = filtered(filters)
    if after is not None and before is None:
        rows = list(
            db.session.scalars(
                query.where(AuditEvent.id > after).order_by(AuditEvent.id).limit(size + 1)
            )
        )
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        more_older = bool(rows) or _exists(query.where(AuditEvent.id <= after))
        if not rows:
            return Page([], None, after + 1 if more_older else None)
        return Page(rows, rows[0].id if more_newer else None, rows[-1].id if more_older else None)
    if before is not None:
        query_page = query.where(AuditEvent.id < before)
    else:
        query_page = query
    rows = list(db.session.scalars(query_page.order_by(AuditEvent.id.desc()).limit(size + 1)))
    more_older = len(rows) > size
    rows = rows[:size]
    more_newer = before is not None and _exists(query.where(AuditEvent.id >= before))
    newer = (rows[0].id if rows else before - 1) if more_newer else None
    return Page(rows, newer, rows[-1].id if more_older else None)


def _exists(query):
    return bool(db.session.scalar(sa.select(sa.exists(query.with_only_columns(AuditEvent.id)))))


def count(filters, *, limit=COUNT_LIMIT):
    """How many events match, counted up to ``limit + 1`` (``> limit`` means "more")."""
    capped = filtered(filters).with_only_columns(AuditEvent.id).limit(limit + 1).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(capped))


def position(filters, first_id):
    """Where the event ``first_id`` stands among the matches, newest first (1 for the newest)."""
    newer = filtered(filters).with_only_columns(AuditEvent.id).where(AuditEvent.id > first_id)
    return 1 + db.session.scalar(sa.select(sa.func.count()).select_from(newer.subquery()))


def people():
    """The staff accounts to filter by: ``[(id, email)]``, by address."""
    return db.session.execute(sa.select(User.id, User.email).order_by(User.email)).all()
