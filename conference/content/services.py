"""Loading the conference content file (its tables are read and checked in ``parsing``),
and looking the conference up.

``load_content`` and ``load_sample_programme`` are idempotent: they match rows on their
``key``, change only what differs, and give the conference a new ``content_version``
when (and only when) something visitors see has changed. The CLI, ``make run`` and the
tests call them.

A track's capacity is the file's only until organizers change it in the back office
(``capacity_set_by_organizers``): from then on a load keeps their number and says so in
its report, unless it is asked to reset capacities. Every capacity change, from the file
or from organizers, is an audit event.

Capacities and seats: a capacity the file changes must follow the seat rules (the
tracks locked, never below the seats already confirmed, a raise seating those waiting),
which belong to registration. Content sits below registration and never imports it:
registration installs its rules here, in its ``init_app``, through the one hook
``install_capacity_rules`` (a ``CapacityRules``), and a load calls them. Organizers'
changes go the other way: registration calls ``capacity_set_by_organizers`` and
``bump_content_version`` here.
"""

import functools
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, current_app, has_request_context
from flask_login import current_user

from conference import audit
from conference.clock import utcnow
from conference.content import parsing
from conference.content.models import Conference, ProgrammeSession, Track
from conference.content.parsing import ContentError, read_toml
from conference.extensions import db

CONTENT_DIR = Path(__file__).resolve().parent
CONTENT_FILE = CONTENT_DIR / "conference.toml"
SAMPLE_FILE = CONTENT_DIR / "sample_programme.toml"

CONFERENCE_TEXTS = ("name", "tagline", "purpose", "organizer", "venue_name", "venue_address")
KNOWN_FACTS = {"venue", "timezone", "contact_email", "capacities", "session_times", "dates"}


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
    # Rows organizers edited that a section's load left alone ("sponsor acme: edited by
    # organizers on ..."), printed as they are.
    kept_edited: list[str] = field(default_factory=list)
    version_changed: bool = False
    # The folder paths in the file are read from (a sponsor's logo): the file's own.
    base_dir: Path = CONTENT_DIR

    @property
    def changed(self):
        return bool(self.created or self.updated or self.removed)


@dataclass(frozen=True)
class CapacityRules:
    """The seat rules a load applies to capacities (registration's; see the module's notes).

    ``lock_tracks(conference, keys)`` returns those tracks locked, in id order;
    ``apply_capacity(track, capacity)`` sets a locked track's capacity inside the caller's
    transaction and returns the places it promoted, or raises ``refused`` when the
    capacity is below the seats already confirmed.
    """

    lock_tracks: Callable
    apply_capacity: Callable
    refused: type[Exception]


def install_capacity_rules(app, rules):
    """Make ``rules`` (a ``CapacityRules``) the seat rules of ``app``'s content loads."""
    app.extensions["content.capacity_rules"] = rules


def install_section(app, loader):
    """Let a feature above content load its own tables of the content files.

    ``loader(conference, data, report, *, is_sample)`` runs inside every load, after the
    conference's own tables and before the commit: with the content file's data
    (``is_sample=False``), the sample file's (``True``), or ``{}`` and ``True`` when the
    sample is removed. It adds what it changed to ``report`` (a ``LoadReport``) and
    raises ``ContentError`` to refuse the whole load. Volunteers' roles and shifts load
    this way: content never imports the features above it.
    """
    app.extensions.setdefault("content.sections", []).append(loader)


def _load_sections(conference, data, report, *, is_sample):
    db.session.flush()
    for loader in current_app.extensions.get("content.sections", []):
        loader(conference, data, report, is_sample=is_sample)


def _capacity_rules():
    rules = current_app.extensions.get("content.capacity_rules")
    if rules is None:
        raise RuntimeError("no capacity rules installed: registration's init_app installs them")
    return rules


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


def get_conference(slug, *, with_tracks=False):
    """Return the conference with ``slug``, or ``None``; ``with_tracks``: its tracks are
    read in the same query (a page that shows them all saves a round trip)."""
    query = sa.select(Conference).filter_by(slug=slug)
    if with_tracks:
        query = query.options(so.joinedload(Conference.tracks))
    return db.session.scalar(query)


def current_conference(*, with_tracks=False):
    """Return the conference this site runs (``CONFERENCE_SLUG``), or ``None``."""
    return get_conference(current_app.config["CONFERENCE_SLUG"], with_tracks=with_tracks)


def conference_or_404(*, with_tracks=False):
    """The conference this site runs; a 404 page while none is loaded."""
    conference = current_conference(with_tracks=with_tracks)
    if conference is None:
        abort(404)
    return conference


def get_content_version(slug):
    """Return the content version of conference ``slug`` (one cheap query), or ``None``."""
    return db.session.scalar(sa.select(Conference.content_version).filter_by(slug=slug))


@_atomic
def load_content(data, *, reset_capacities=False, base_dir=CONTENT_DIR):
    """Create or update the conference, its tracks and sponsors from parsed content.

    Capacities organizers changed are kept (and listed in ``LoadReport.kept``) unless
    ``reset_capacities``, which applies the file's and forgets that organizers set them.
    Paths in ``data`` (sponsors' logos) are read from ``base_dir``. Commits. Returns a
    ``LoadReport``.

    :raises ContentError: a required value is missing or malformed (nothing is changed).
    """
    facts = parsing.table_of(data, "conference")
    report = LoadReport(base_dir=Path(base_dir))
    slug = parsing.text_field(facts, "slug", "conference")
    conference = get_conference(slug)
    if conference is None:
        conference = Conference(slug=slug, content_version="", unconfirmed=[])
        db.session.add(conference)
        report.created.append(f"conference {slug}")

    starts_on = parsing.date_field(facts, "starts_on", "conference")
    ends_on = parsing.date_field(facts, "ends_on", "conference")
    if ends_on < starts_on:
        raise ContentError("conference: ends_on is before starts_on")
    timezone = parsing.text_field(facts, "timezone", "conference")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ContentError(f"conference.timezone: unknown time zone {timezone!r}") from None
    unconfirmed = facts.get("unconfirmed", [])
    unknown = set(unconfirmed) - KNOWN_FACTS
    if unknown:
        raise ContentError(f"conference.unconfirmed: unknown facts {sorted(unknown)}")
    window = parsing.registration_window(facts.get("registration", {}), timezone)
    values = {
        **window,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "timezone": timezone,
        "contact_email": parsing.text_field(facts, "contact_email", "conference"),
        "unconfirmed": list(unconfirmed),
        **{name: parsing.bilingual(facts, name, "conference") for name in CONFERENCE_TEXTS},
    }
    if _assign(conference, values) and conference.id is not None:
        report.updated.append(f"conference {slug}")

    items = parsing.tables_of(data, "tracks")
    tracks = [parsing.track_values(item, n) for n, item in enumerate(items, 1)]
    if not tracks:
        raise ContentError("tracks: at least one track is required")
    capacities = {t["key"]: t.pop("capacity") for t in tracks}
    _sync(conference.tracks, Track, tracks, report, "track", defaults={"capacity": 0})
    _apply_capacities(conference, capacities, report, reset=reset_capacities)

    sessions = parsing.session_values(
        conference, parsing.tables_of(data, "sessions"), is_sample=False
    )
    _sync_sessions(conference, sessions, report, is_sample=False)
    _load_sections(conference, data, report, is_sample=False)
    return _finish(conference, report)


@_atomic
def load_sample_programme(conference, data, *, base_dir=CONTENT_DIR):
    """Replace the sample sessions of ``conference`` with those in ``data``. Commits."""
    report = LoadReport(base_dir=Path(base_dir))
    sessions = parsing.session_values(
        conference, parsing.tables_of(data, "sessions"), is_sample=True
    )
    _sync_sessions(conference, sessions, report, is_sample=True)
    _load_sections(conference, data, report, is_sample=True)
    return _finish(conference, report)


@_atomic
def remove_sample_programme(conference):
    """Delete every sample session of ``conference`` (and the features' samples). Commits."""
    report = LoadReport()
    _sync_sessions(conference, [], report, is_sample=True)
    _load_sections(conference, {}, report, is_sample=True)
    return _finish(conference, report)


def load_content_file(path=CONTENT_FILE, *, reset_capacities=False):
    """Load the content file at ``path``; see ``load_content``."""
    path = Path(path)
    return load_content(
        read_toml(path), reset_capacities=reset_capacities, base_dir=path.resolve().parent
    )


def capacity_set_by_organizers(track, *, previous, promoted, actor=None, now=None):
    """Record that organizers changed the locked ``track``'s capacity from ``previous``.

    Marks the track so that loading content keeps their number, and writes the audit
    event (``promoted``: how many waiting people got a seat). Inside the caller's
    transaction; call it from every back-office path that changes a capacity.
    """
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
    content_hash = hashlib.sha256(snapshot.encode()).hexdigest()[:16]
    if content_hash == conference.content_hash:
        return False
    conference.content_hash = content_hash
    touch_content_version(conference)
    return True


def touch_content_version(conference):
    """Give ``conference`` a new content version whatever changed: for what the content
    file does not hold but public pages show (stories, sponsors edited by organizers).
    Every cached page is keyed by it, so the next request of every process renders anew.
    A version is never reused. Does not commit."""
    conference.content_version = secrets.token_hex(8)


def _finish(conference, report):
    report.version_changed = bump_content_version(conference)
    db.session.commit()
    return report


def _snapshot(conference):
    columns = lambda row, skip=(): {  # noqa: E731 - a local one-liner reads best here
        c.key: getattr(row, c.key)
        for c in row.__table__.columns
        if c.key
        not in {"id", "conference_id", "content_version", "content_hash", "updated_at", *skip}
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
    candidates = [
        t.key
        for t in conference.tracks
        if t.capacity != capacities[t.key] or (reset and t.capacity_set_at is not None)
    ]
    if not candidates:
        return
    db.session.flush()
    rules = _capacity_rules()
    for track in rules.lock_tracks(conference, candidates):
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
                promoted = rules.apply_capacity(track, wanted)
            except rules.refused:
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
