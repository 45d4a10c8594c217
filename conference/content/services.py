"""Loading the conference content file, and looking the conference up.

``load_content`` and ``load_sample_programme`` are idempotent: they match rows on their
``key``, change only what differs, and give the conference a new ``content_version``
when (and only when) something visitors see has changed. The CLI, ``make run`` and the
tests call them.

A track's capacity is the file's only until organizers change it in the back office
(``capacity_set_by_organizers``): from then on a load keeps their number and says so in
its report, unless it is asked to reset capacities. Every capacity change, from the file
or from organizers, is an audit event.
"""

import functools
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import abort, current_app, has_request_context
from flask_login import current_user

from conference import audit
from conference.config import LANGUAGES
from conference.content.models import Conference, ProgrammeSession, SessionKind, Sponsor, Track
from conference.extensions import db

CONTENT_DIR = Path(__file__).resolve().parent
CONTENT_FILE = CONTENT_DIR / "conference.toml"
SAMPLE_FILE = CONTENT_DIR / "sample_programme.toml"

CONFERENCE_TEXTS = ("name", "tagline", "purpose", "organizer", "venue_name", "venue_address")
KNOWN_FACTS = {"venue", "timezone", "contact_email", "capacities", "session_times", "dates"}


class ContentError(Exception):
    """The content file is not usable. The message names the place and the problem."""


@dataclass
class KeptCapacity:
    """A capacity organizers set that a load kept, although the file says otherwise."""

    track: str
    capacity: int
    file_capacity: int
    set_at: datetime
    set_by: str | None


@dataclass
class LoadReport:
    """What a load changed, for the CLI to print."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[KeptCapacity] = field(default_factory=list)
    version_changed: bool = False

    @property
    def changed(self):
        return bool(self.created or self.updated or self.removed)


def read_toml(path):
    """Return the parsed TOML file at ``path``.

    :raises ContentError: the file is missing or is not valid TOML.
    """
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ContentError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: {exc}") from None


def _atomic(function):
    """Roll the session back when ``function`` fails, so a bad file changes nothing."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise

    return wrapper


def get_conference(slug):
    """Return the conference with ``slug``, or ``None``."""
    return db.session.scalar(sa.select(Conference).filter_by(slug=slug))


def current_conference():
    """Return the conference this site runs (``CONFERENCE_SLUG``), or ``None``."""
    return get_conference(current_app.config["CONFERENCE_SLUG"])


def conference_or_404():
    """The conference this site runs; a 404 page while none is loaded."""
    conference = current_conference()
    if conference is None:
        abort(404)
    return conference


def get_content_version(slug):
    """Return the content version of conference ``slug`` (one cheap query), or ``None``."""
    return db.session.scalar(sa.select(Conference.content_version).filter_by(slug=slug))


@_atomic
def load_content(data, *, reset_capacities=False):
    """Create or update the conference, its tracks and sponsors from parsed content.

    Capacities organizers changed are kept (and listed in ``LoadReport.kept``) unless
    ``reset_capacities``, which applies the file's and forgets that organizers set them.
    Commits. Returns a ``LoadReport``.

    :raises ContentError: a required value is missing or malformed (nothing is changed).
    """
    facts = _table(data, "conference")
    report = LoadReport()
    slug = _text(facts, "slug", "conference")
    conference = get_conference(slug)
    if conference is None:
        conference = Conference(slug=slug, content_version="", unconfirmed=[])
        db.session.add(conference)
        report.created.append(f"conference {slug}")

    starts_on = _date(facts, "starts_on", "conference")
    ends_on = _date(facts, "ends_on", "conference")
    if ends_on < starts_on:
        raise ContentError("conference: ends_on is before starts_on")
    timezone = _text(facts, "timezone", "conference")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ContentError(f"conference.timezone: unknown time zone {timezone!r}") from None
    unconfirmed = facts.get("unconfirmed", [])
    unknown = set(unconfirmed) - KNOWN_FACTS
    if unknown:
        raise ContentError(f"conference.unconfirmed: unknown facts {sorted(unknown)}")
    window = _registration_window(facts.get("registration", {}), timezone)
    values = {
        **window,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "timezone": timezone,
        "contact_email": _text(facts, "contact_email", "conference"),
        "unconfirmed": list(unconfirmed),
        **{name: _bilingual(facts, name, "conference") for name in CONFERENCE_TEXTS},
    }
    if _assign(conference, values) and conference.id is not None:
        report.updated.append(f"conference {slug}")

    tracks = [_track_values(item, n) for n, item in enumerate(_list(data, "tracks"), 1)]
    if not tracks:
        raise ContentError("tracks: at least one track is required")
    capacities = {t["key"]: t.pop("capacity") for t in tracks}
    _sync(conference.tracks, Track, tracks, report, "track", defaults={"capacity": 0})
    _apply_capacities(conference, capacities, report, reset=reset_capacities)

    sponsors = [_sponsor_values(item, n) for n, item in enumerate(_list(data, "sponsors"), 1)]
    _sync(conference.sponsors, Sponsor, sponsors, report, "sponsor")

    sessions = _session_values(conference, _list(data, "sessions"), is_sample=False)
    _sync_sessions(conference, sessions, report, is_sample=False)
    return _finish(conference, report)


@_atomic
def load_sample_programme(conference, data):
    """Replace the sample sessions of ``conference`` with those in ``data``. Commits."""
    report = LoadReport()
    sessions = _session_values(conference, _list(data, "sessions"), is_sample=True)
    _sync_sessions(conference, sessions, report, is_sample=True)
    return _finish(conference, report)


@_atomic
def remove_sample_programme(conference):
    """Delete every sample session of ``conference``. Commits."""
    report = LoadReport()
    _sync_sessions(conference, [], report, is_sample=True)
    return _finish(conference, report)


def load_content_file(path=CONTENT_FILE, *, reset_capacities=False):
    """Load the content file at ``path``; see ``load_content``."""
    return load_content(read_toml(path), reset_capacities=reset_capacities)


def capacity_set_by_organizers(track, *, previous, promoted, actor=None, now=None):
    """Record that organizers changed the locked ``track``'s capacity from ``previous``.

    Marks the track so that loading content keeps their number, and writes the audit
    event (``promoted``: how many waiting people got a seat). Inside the caller's
    transaction; call it from every back-office path that changes a capacity.
    """
    from conference.clock import utcnow

    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    track.capacity_set_at = now or utcnow()
    track.capacity_set_by = actor.email if actor is not None else None
    _record_capacity_change(track, previous, promoted, actor=actor)


def _record_capacity_change(track, previous, promoted, *, actor=None, actor_name=audit.SYSTEM):
    audit.record(
        "track.capacity_changed",
        actor=actor,
        actor_name=actor_name,
        track=track.key,
        capacity=track.capacity,
        previous=previous,
        promoted=promoted,
    )


def bump_content_version(conference):
    """Give ``conference`` a new content version if what visitors see has changed.

    Returns whether it changed. Does not commit: call it inside the changing transaction.
    """
    db.session.flush()
    snapshot = json.dumps(_snapshot(conference), sort_keys=True, default=str)
    version = hashlib.sha256(snapshot.encode()).hexdigest()[:16]
    if version == conference.content_version:
        return False
    conference.content_version = version
    return True


def _finish(conference, report):
    report.version_changed = bump_content_version(conference)
    db.session.commit()
    return report


def _snapshot(conference):
    columns = lambda row, skip=(): {  # noqa: E731 - a local one-liner reads best here
        c.key: getattr(row, c.key)
        for c in row.__table__.columns
        if c.key not in {"id", "conference_id", "content_version", "updated_at", *skip}
    }
    return {
        "conference": columns(conference),
        # Who set a capacity is not shown to visitors.
        "tracks": [columns(t, ("capacity_set_at", "capacity_set_by")) for t in conference.tracks],
        "sponsors": [columns(s) for s in conference.sponsors],
        "sessions": [
            {**columns(s), "kind": s.kind.value, "track": s.track.key if s.track else None}
            for s in conference.sessions
        ],
    }


def _assign(row, values):
    """Set ``values`` on ``row``; return whether anything differed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _apply_capacities(conference, capacities, report, *, reset):
    """Set track capacities under the seat rules: never below confirmed seats, and a raise
    hands the new seats to those waiting (in this same transaction).

    A capacity organizers set is kept (and reported) unless ``reset``. What to do is
    decided on the values read under the tracks' locks, so an organizer's change made
    while the file loads is kept too.
    """
    from conference.registration import services as registration

    candidates = [
        t.key
        for t in conference.tracks
        if t.capacity != capacities[t.key] or (reset and t.capacity_set_at is not None)
    ]
    if not candidates:
        return
    db.session.flush()
    for track in registration.lock_tracks(conference, candidates):
        key, wanted, previous = track.key, capacities[track.key], track.capacity
        if track.capacity_set_at is not None and not reset:
            if wanted != previous:
                report.kept.append(
                    KeptCapacity(
                        key, previous, wanted, track.capacity_set_at, track.capacity_set_by
                    )
                )
            continue
        changed = track.capacity_set_at is not None or wanted != previous
        track.capacity_set_at = track.capacity_set_by = None
        if wanted != previous:
            try:
                promoted = registration.apply_capacity(track, wanted)
            except registration.RegistrationError:
                raise ContentError(
                    f"tracks.{key}.capacity: {wanted} is below the {track.seats_taken} "
                    "seats already confirmed"
                ) from None
            if f"track {key}" not in report.created:  # a new track's first capacity
                _record_capacity_change(
                    track, previous, len(promoted), actor_name=audit.CONTENT_FILE
                )
        if changed and f"track {key}" not in report.created + report.updated:
            report.updated.append(f"track {key}")


def _registration_window(table, timezone):
    if not isinstance(table, dict):
        raise ContentError("conference.registration: expected a table")
    status = table.get("status", "closed")
    if status not in ("open", "closed"):
        raise ContentError('conference.registration.status: "open" or "closed"')
    window = {"registration_open": status == "open"}
    for name in ("opens_at", "closes_at"):
        value = table.get(name)
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is not None):
            raise ContentError(
                f"conference.registration.{name}: a local date and time such as 2022-03-01T09:00:00"
            )
        window[f"registration_{name}"] = (
            value.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC).replace(tzinfo=None)
            if value
            else None
        )
    return window


def _sync(existing_rows, model, items, report, label, defaults=None):
    by_key = {row.key: row for row in existing_rows}
    seen = set()
    for position, values in enumerate(items):
        key = values["key"]
        if key in seen:
            raise ContentError(f"{label} {key!r} appears twice")
        seen.add(key)
        row = by_key.get(key)
        if row is None:
            existing_rows.append(model(**(defaults or {}), **values, position=position))
            report.created.append(f"{label} {key}")
        elif _assign(row, {**values, "position": position}):
            report.updated.append(f"{label} {key}")
    for key, row in by_key.items():
        if key not in seen:
            existing_rows.remove(row)
            report.removed.append(f"{label} {key}")


def _sync_sessions(conference, items, report, *, is_sample):
    own = [s for s in conference.sessions if s.is_sample == is_sample]
    other_keys = {s.key for s in conference.sessions if s.is_sample != is_sample}
    clash = other_keys & {item["key"] for item in items}
    if clash:
        raise ContentError(
            f"session keys used by both the programme and the sample: {sorted(clash)}"
        )
    by_key = {row.key: row for row in own}
    for position, values in enumerate(items):
        row = by_key.pop(values["key"], None)
        values = {**values, "position": position, "is_sample": is_sample}
        if row is None:
            conference.sessions.append(ProgrammeSession(**values))
            report.created.append(f"session {values['key']}")
        elif _assign(row, values):
            report.updated.append(f"session {values['key']}")
    for key, row in by_key.items():
        conference.sessions.remove(row)
        report.removed.append(f"session {key}")


def _track_values(item, n):
    where = f"tracks[{n}]"
    capacity = item.get("capacity")
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
        raise ContentError(f"{where}.capacity: a whole number of seats, 0 or more, is required")
    return {
        "key": _key(item, where),
        "capacity": capacity,
        "name": _bilingual(item, "name", where),
        "description": _bilingual(item, "description", where),
    }


def _sponsor_values(item, n):
    where = f"sponsors[{n}]"
    website = item.get("website")
    if website is not None and not str(website).startswith(("https://", "http://")):
        raise ContentError(f"{where}.website: must start with https://")
    return {
        "key": _key(item, where),
        "name": _bilingual(item, "name", where),
        "tier": str(item.get("tier", "supporter")),
        "website": website,
    }


def _session_values(conference, items, *, is_sample):
    tracks = {t.key: t for t in conference.tracks}
    result = []
    for n, item in enumerate(items, 1):
        where = f"sessions[{n}]"
        day = item.get("day")
        if not isinstance(day, int) or not 1 <= day <= len(conference.days):
            raise ContentError(f"{where}.day: a day number from 1 to {len(conference.days)}")
        track_key = item.get("track")
        if track_key is not None and track_key not in tracks:
            raise ContentError(f"{where}.track: no track {track_key!r}")
        starts_at, ends_at = item.get("starts_at"), item.get("ends_at")
        for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
            if value is not None and not isinstance(value, time):
                raise ContentError(f"{where}.{name}: a local time such as 10:30:00")
        if starts_at and ends_at and ends_at <= starts_at:
            raise ContentError(f"{where}: ends_at must be after starts_at")
        try:
            kind = SessionKind(item.get("kind", "talk"))
        except ValueError:
            kinds = ", ".join(k.value for k in SessionKind)
            raise ContentError(f"{where}.kind: one of {kinds}") from None
        result.append(
            {
                "key": _key(item, where),
                "kind": kind,
                "track": tracks.get(track_key),
                "day": conference.starts_on + timedelta(days=day - 1),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "title": _bilingual(item, "title", where),
                "description": _bilingual(item, "description", where, required=False),
            }
        )
    return result


def _table(data, name):
    value = data.get(name)
    if not isinstance(value, dict):
        raise ContentError(f"[{name}] is missing")
    return value


def _list(data, name):
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ContentError(f"{name}: expected a list of [[{name}]] tables")
    return value


def _text(table, name, where):
    value = table.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}.{name}: text is required")
    return value.strip()


def _key(table, where):
    key = _text(table, "key", where)
    if not key.replace("-", "").replace("_", "").isalnum() or not key.isascii() or len(key) > 32:
        raise ContentError(f"{where}.key: letters, digits, - and _ only, up to 32")
    return key


def _date(table, name, where):
    value = table.get(name)
    if not isinstance(value, date):
        raise ContentError(f"{where}.{name}: a date such as 2022-03-18 is required")
    return value


def _bilingual(table, name, where, *, required=True):
    value = table.get(name)
    if value is None and not required:
        return {language: "" for language in LANGUAGES}
    if not isinstance(value, dict):
        raise ContentError(f"{where}.{name}: needs an 'en' and an 'ar' text")
    missing = [lang for lang in LANGUAGES if not str(value.get(lang, "")).strip()]
    if missing:
        raise ContentError(f"{where}.{name}: missing the {', '.join(missing)} text")
    return {language: str(value[language]).strip() for language in LANGUAGES}
