"""The dashboard's numbers, its chart and the setup checklist.

Figures that would read every registration (totals, sign-ups per day, waiting lists, the
outbox) are computed at most once per ``DASHBOARD_CACHE_SECONDS`` (30 s) per conference
and kept in the shared cache: a page view costs no scan. Seats taken and capacities are
stored on the tracks, so they are always read fresh.
"""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from conference.clock import utcnow
from conference.config import is_production
from conference.content.models import Track
from conference.extensions import cache, db
from conference.i18n import format_date_range, moment_text
from conference.mailer import outbox
from conference.mailer.models import MessageStatus
from conference.registration.models import Registration, RegistrationStatus

# The chart shows this many days at most, the latest.
CHART_DAYS = 120

# The facts a content file may still list as placeholders, as organizers name them.
FACT_LABELS = {
    "venue": _l("The venue"),
    "timezone": _l("The time zone"),
    "contact_email": _l("The contact email address"),
    "capacities": _l("The number of seats in each track"),
    "session_times": _l("The time of each session"),
    "dates": _l("The conference dates"),
}


# ---------------------------------------------------------------------------------------
# Numbers


def _cache_key(conference):
    return f"manage:dashboard:{conference.id}"


def dashboard_numbers(conference, *, now=None):
    """Return the aggregate figures for ``conference``, from the cache when fresh.

    A dict of plain values: ``registrations`` (active, cancelled, erased),
    ``checked_in``, ``days`` (``[(ISO date, count)]``, new
    registrations per local day, gaps filled) and ``outbox`` (by message status).
    """
    key = _cache_key(conference)
    numbers = cache.get(key)
    if numbers is None:
        numbers = compute_numbers(conference, now=now)
        cache.set(key, numbers, timeout=cache_seconds())
    return numbers


def cache_seconds():
    """How long the figures are kept: ``DASHBOARD_CACHE_SECONDS`` (see config.Defaults)."""
    return current_app.config["DASHBOARD_CACHE_SECONDS"]


def forget_numbers(conference):
    """Drop the cached figures, after an organizer changed something they show."""
    cache.delete(_cache_key(conference))


def compute_numbers(conference, *, now=None):
    """Compute the figures ``dashboard_numbers`` caches (several aggregate queries)."""
    by_status = dict(
        db.session.execute(
            sa.select(Registration.status, sa.func.count())
            .where(Registration.conference_id == conference.id)
            .group_by(Registration.status)
        ).all()
    )
    checked_in = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.conference_id == conference.id,
            Registration.checked_in_at.is_not(None),
        )
    )
    return {
        "registrations": {status.value: by_status.get(status, 0) for status in RegistrationStatus},
        "checked_in": checked_in or 0,
        "days": registrations_per_day(conference, now=now),
        "outbox": {status.value: count for status, count in outbox.counts().items()},
    }


def registrations_per_day(conference, *, now=None):
    """Return ``[(ISO date, count)]``: new registrations per day in the conference's time zone.

    Counted by UTC hour in the database (one row per hour at most), then put on local
    days here, which is exact for every time zone whose offset is whole hours. Runs from
    the first day with a registration to the last one, or to today while registration
    is open, ``CHART_DAYS`` at most; days without any count 0.
    """
    if db.engine.dialect.name == "postgresql":
        hour = sa.func.to_char(Registration.created_at, "YYYY-MM-DD HH24")
    else:
        hour = sa.func.strftime("%Y-%m-%d %H", Registration.created_at)
    rows = db.session.execute(
        sa.select(hour, sa.func.count())
        .where(Registration.conference_id == conference.id)
        .group_by(hour)
    ).all()
    if not rows:
        return []
    zone = ZoneInfo(conference.timezone)
    per_day = {}
    for text, count in rows:
        moment = datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=UTC)
        day = moment.astimezone(zone).date()
        per_day[day] = per_day.get(day, 0) + count
    first, last = min(per_day), max(per_day)
    now = now or utcnow()
    if conference.is_registration_open(now):
        last = max(last, local_today(conference, now))
    first = max(first, last - timedelta(days=CHART_DAYS - 1))
    span = (last - first).days + 1
    days = (first + timedelta(days=n) for n in range(span))
    return [(day.isoformat(), per_day.get(day, 0)) for day in days]


def local_today(conference, now=None):
    """Return today's date where the conference takes place."""
    now = now or utcnow()
    return now.replace(tzinfo=UTC).astimezone(ZoneInfo(conference.timezone)).date()


@dataclass(frozen=True)
class TrackSeats:
    """One track's line on the dashboard."""

    key: str
    name: dict
    capacity: int
    confirmed: int
    waitlisted: int

    @property
    def seats_left(self):
        return max(self.capacity - self.confirmed, 0)


def track_seats(conference):
    """Return a ``TrackSeats`` per track: its capacity, seats taken and places waiting.

    Read at every call (one statement of plain rows, no track objects): the tracks keep
    their counts (``registration.seats``), so nothing is counted here.
    """
    rows = db.session.execute(
        sa.select(Track.key, Track.name, Track.capacity, Track.seats_taken, Track.places_waiting)
        .where(Track.conference_id == conference.id)
        .order_by(Track.position)
    )
    return [
        TrackSeats(
            key=key,
            name=name,
            capacity=capacity,
            confirmed=seats_taken,
            waitlisted=places_waiting,
        )
        for key, name, capacity, seats_taken, places_waiting in rows
    ]


@dataclass(frozen=True)
class Headline:
    """The dashboard's leading figures, each read at a glance from a tile."""

    registrations: int  # active registrations
    capacity: int  # seats in every track together
    seats_left: int
    waiting: int  # places on waiting lists, every track together
    checked_in: int
    mail_waiting: int  # in the outbox, not sent yet
    mail_failed: int


def headline(numbers, seats):
    """Return the ``Headline`` from ``dashboard_numbers`` and ``track_seats``."""
    mail = numbers["outbox"]
    return Headline(
        registrations=numbers["registrations"].get(RegistrationStatus.active.value, 0),
        capacity=sum(track.capacity for track in seats),
        seats_left=sum(track.seats_left for track in seats),
        waiting=sum(track.waitlisted for track in seats),
        checked_in=numbers["checked_in"],
        mail_waiting=mail.get(MessageStatus.pending.value, 0)
        + mail.get(MessageStatus.sending.value, 0),
        mail_failed=mail.get(MessageStatus.failed.value, 0),
    )


# ---------------------------------------------------------------------------------------
# The chart: registrations per day, drawn by the server as SVG


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    count: int


@dataclass(frozen=True)
class Chart:
    """A bar chart's geometry in its own units (``width`` × ``height``), bars in time order."""

    width: int
    height: int
    top: int  # the value the top line stands for
    bars: list
    total: int
    busiest: Bar | None

    @property
    def first_day(self):
        return self.bars[0].day

    @property
    def last_day(self):
        return self.bars[-1].day


def bar_chart(days, *, rtl=False, width=600, height=200):
    """Lay out ``days`` (``[(ISO date, count)]``) as bars; ``None`` when there is nothing.

    Time runs in the reading direction: right to left on Arabic pages.
    """
    if not days:
        return None
    top = nice_ceiling(max(count for _day, count in days))
    step = width / len(days)
    gap = step * 0.15 if step >= 4 else 0
    bars = []
    for n, (day, count) in enumerate(days):
        bar_height = height * count / top
        x = n * step + gap / 2
        if rtl:
            x = width - x - (step - gap)
        bars.append(
            Bar(
                x=round(x, 2),
                y=round(height - bar_height, 2),
                width=round(step - gap, 2),
                height=round(bar_height, 2),
                day=date.fromisoformat(day),
                count=count,
            )
        )
    busiest = max(bars, key=lambda bar: bar.count)
    return Chart(
        width=width,
        height=height,
        top=top,
        bars=bars,
        total=sum(bar.count for bar in bars),
        busiest=busiest if busiest.count else None,
    )


def nice_ceiling(value):
    """Return the smallest 1, 2 or 5 × 10ⁿ at or above ``value``: the top of the chart's scale."""
    magnitude = 10 ** math.floor(math.log10(max(value, 1)))
    return next(f * magnitude for f in (1, 2, 5, 10) if f * magnitude >= value)


# ---------------------------------------------------------------------------------------
# The setup checklist


@dataclass(frozen=True)
class ChecklistItem:
    """Something to do before (or while) the site is live. ``key`` names it for tests."""

    key: str
    text: str


@dataclass(frozen=True)
class SetupCheck:
    """One line of the set-up list: what it is about (``label``), whether it is ``done``,
    and, when it is not, what to do (``text``) and where (``how``, a file or setting shown
    as code once the list is opened)."""

    key: str
    label: str
    done: bool
    text: str = ""
    how: str = ""


@dataclass(frozen=True)
class SetupStatus:
    checks: list

    @property
    def done(self):
        return sum(1 for check in self.checks if check.done)

    @property
    def total(self):
        return len(self.checks)

    @property
    def complete(self):
        return self.done == self.total


CONTENT_FILE = "conference/content/conference.toml"


def setup_status(conference, *, numbers, now=None, app=None):
    """Return a ``SetupStatus``: every set-up check, done or not, in the order to do them."""
    app = app or current_app
    now = now or utcnow()
    unconfirmed = set(conference.unconfirmed or [])
    checks = [
        SetupCheck(
            f"unconfirmed:{fact}",
            FACT_LABELS[fact],
            fact not in unconfirmed,
            _l("%(fact)s is still a placeholder: visitors see “to be announced”.", fact=label),
            how=CONTENT_FILE,
        )
        for fact, label in FACT_LABELS.items()
    ]
    checks += [
        SetupCheck(
            f"unconfirmed:{fact}",
            fact,
            False,
            _l("%(fact)s is still a placeholder: visitors see “to be announced”.", fact=fact),
            how=CONTENT_FILE,
        )
        for fact in sorted(unconfirmed - set(FACT_LABELS))
    ]
    checks.append(
        SetupCheck(
            "dates_past",
            _l("Conference dates ahead"),
            conference.ends_on >= local_today(conference, now),
            _l(
                "The conference dates (%(dates)s) are in the past.",
                dates=format_date_range(conference.starts_on, conference.ends_on),
            ),
            how=CONTENT_FILE,
        )
    )
    checks.append(
        SetupCheck(
            "registration_closed",
            _l("Registration open"),
            conference.is_registration_open(now),
            _registration_closed(conference, now),
            how=CONTENT_FILE,
        )
    )
    waiting = numbers["outbox"].get(MessageStatus.pending.value, 0)
    checks.append(
        SetupCheck(
            "no_mail_server",
            _l("A mail server"),
            outbox.is_configured(app),
            " ".join(
                [
                    str(
                        _l(
                            "No mail server is set (MAIL_SERVER): emails wait in the "
                            "outbox and nobody receives them."
                        )
                    ),
                    ngettext("%(num)s email is waiting.", "%(num)s emails are waiting.", waiting),
                ]
            ),
            how="MAIL_SERVER",
        )
    )
    checks.append(
        SetupCheck(
            "development_secret",
            _l("A secret key of its own"),
            not uses_development_secret(app),
            _l("SECRET_KEY is not set: fine for trying the site, required before going live."),
            how="SECRET_KEY",
        )
    )
    return SetupStatus(checks)


def checklist(conference, *, numbers, now=None, app=None):
    """Return what still needs doing: placeholders, past dates, mail, registration, secret."""
    status = setup_status(conference, numbers=numbers, now=now, app=app)
    return [ChecklistItem(check.key, check.text) for check in status.checks if not check.done]


def _registration_closed(conference, now):
    def local(moment):
        return moment_text(moment, timezone=conference.timezone)

    if conference.registration_open and conference.registration_opens_at:
        if now < conference.registration_opens_at:
            return _l(
                "Registration is not open yet: it opens on %(when)s.",
                when=local(conference.registration_opens_at),
            )
    if conference.registration_open and conference.registration_closes_at:
        return _l(
            "Registration has closed: it closed on %(when)s.",
            when=local(conference.registration_closes_at),
        )
    return _l(
        "Registration is closed: visitors cannot register. To open it, set status "
        "to “open” under [conference.registration] in the content file."
    )


def uses_development_secret(app):
    """Whether ``app`` signs with the development secret generated into instance/secret_key."""
    if is_production(app.config):
        return False
    try:
        saved = (Path(app.instance_path) / "secret_key").read_text().strip()
    except OSError:
        return False
    return bool(saved) and saved == app.config["SECRET_KEY"]
