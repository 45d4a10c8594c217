"""Exports of the attendee list: the filtered registrations as CSV or XLSX, with the
columns the organizer picks, streamed so memory stays flat at 100,000 rows.

Only roles that may see personal data can export, and every export is in the audit
log. The event is written and committed *before* the first row is read, so an export
can never leave unrecorded (not even if the process dies half-way); when the download
ends, the same event gets the number of rows that went out, in a short transaction of
its own, whether the download finished or the browser went away.

CSV rows come straight from a streaming query (``yield_per``: a server-side cursor on
PostgreSQL) through the CSV writer to the client. XLSX is a zip file that openpyxl
writes to a file, so the workbook is built on disk first (a spooled temporary file) and
then sent in chunks.
"""

import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference import audit, database, spreadsheets
from conference.audit import AuditEvent
from conference.clock import utcnow
from conference.content.models import Track
from conference.extensions import db
from conference.i18n import LANGUAGE_NAMES, translate
from conference.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from conference.registration.queries import filtered

log = logging.getLogger("conference.registration")

BATCH_SIZE = 1000
# A batch's places are read by id range when its ids span less than this many times its size.
RANGE_DENSITY = 4
XLSX_SPOOL_SIZE = 1024 * 1024  # bytes kept in memory before the workbook moves to disk
XLSX_CHUNK_SIZE = 64 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Column key: (header, the registration attributes it reads). Headers are in the
# organizer's page language; times are in the conference's time zone, and the file's
# header says which (``header``).
COLUMNS = {
    "id": (_l("Registration number"), ("id",)),
    "full_name": (_l("Full name"), ("full_name",)),
    "email": (_l("Email address"), ("email",)),
    "phone": (_l("Phone number"), ("phone",)),
    "city": (_l("City"), ("city",)),
    "region": (_l("State or region"), ("region",)),
    "language": (_l("Email language"), ("language",)),
    "tracks_confirmed": (_l("Tracks with a seat"), ()),
    "tracks_waitlisted": (_l("Tracks on the waiting list"), ()),
    "needs": (_l("Accessibility or dietary needs"), ("needs",)),
    "photo_consent": (_l("Agreed to photos"), ("photo_consent",)),
    "registered_at": (_l("Registered at"), ("created_at",)),
    "checked_in_at": (_l("Checked in at"), ("checked_in_at",)),
    "source": (_l("Registered through"), ("source",)),
    "status": (_l("Status"), ("status",)),
}
# Ticked when the page opens: enough to contact people, nothing more (data minimisation).
DEFAULT_COLUMNS = [
    "id",
    "full_name",
    "email",
    "language",
    "tracks_confirmed",
    "tracks_waitlisted",
    "registered_at",
]
TIME_COLUMNS = frozenset({"registered_at", "checked_in_at"})
TRACK_COLUMNS = {
    "tracks_confirmed": PlaceStatus.confirmed,
    "tracks_waitlisted": PlaceStatus.waitlisted,
}


# --- Rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    """Words that go into cells, in the organizer's language, fixed before streaming."""

    yes: str
    no: str
    statuses: dict
    sources: dict
    languages: dict
    tracks: dict  # track id -> (position, name)
    zone: ZoneInfo  # the conference's: times are written as its clocks show them

    @classmethod
    def for_conference(cls, conference):
        tracks = db.session.scalars(
            sa.select(Track).where(Track.conference_id == conference.id)
        ).all()
        return cls(
            yes=_("Yes"),
            no=_("No"),
            statuses={
                RegistrationStatus.active: _("Active"),
                RegistrationStatus.cancelled: _("Cancelled"),
            },
            sources={"web": _("Online form"), "import": _("Paper form (imported)")},
            languages=dict(LANGUAGE_NAMES),
            tracks={t.id: ((t.position, t.id), translate(t.name)) for t in tracks},
            zone=conference_zone(conference),
        )


def conference_zone(conference):
    """The conference's time zone (UTC if its name is unknown)."""
    try:
        return ZoneInfo(conference.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def header(columns, zone):
    """The file's header row: each column's label; time columns name their zone,
    "Registered at (America/Detroit)"."""
    return [
        f"{COLUMNS[key][0]} ({zone.key})" if key in TIME_COLUMNS else str(COLUMNS[key][0])
        for key in columns
    ]


def export_statement(conference, filters, columns):
    """The SELECT of the columns' data for the filtered registrations, oldest first."""
    names = ["id"] + [name for key in columns for name in COLUMNS[key][1] if name != "id"]
    attributes = [getattr(Registration, name) for name in dict.fromkeys(names)]
    return filtered(conference, filters).with_only_columns(*attributes).order_by(Registration.id)


def _local_time(zone):
    """Stored UTC -> the conference's wall-clock time (naive): a date-time cell in XLSX,
    "YYYY-MM-DD HH:MM" in CSV (``spreadsheets``)."""

    def local(value):
        if value is None:
            return None
        return value.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None, second=0)

    return local


def _cell_makers(columns, labels, keys):
    """One function per column: (row, tracks of the batch) -> the cell's value.

    ``keys`` name the row's values in order (the statement's columns): cells read them by
    position, the cheapest way into a row. ``tracks`` is what ``_tracks_of`` returns.
    """
    at = {key: position for position, key in enumerate(keys)}
    row_id = at["id"]
    yes, no = labels.yes, labels.no
    languages, sources, statuses = labels.languages, labels.sources, labels.statuses
    local = _local_time(labels.zone)

    def attribute(name):
        return lambda row, tracks, i=at[name]: row[i]

    def track_names(status):
        key = status.value
        return lambda row, tracks: "; ".join(tracks.get((row[row_id], key), ()))

    def special(key):
        i = at.get(COLUMNS[key][1][0]) if COLUMNS[key][1] else None
        return {
            "language": lambda row, tracks: languages.get(row[i], row[i]),
            "photo_consent": lambda row, tracks: yes if row[i] else no,
            "registered_at": lambda row, tracks: local(row[i]),
            "checked_in_at": lambda row, tracks: local(row[i]),
            "source": lambda row, tracks: sources.get(row[i], row[i]),
            "status": lambda row, tracks: statuses.get(row[i], row[i].value),
        }.get(key)

    makers = []
    for key in columns:
        if key in TRACK_COLUMNS:
            makers.append(track_names(TRACK_COLUMNS[key]))
        else:
            makers.append(special(key) or attribute(COLUMNS[key][1][0]))
    return makers


def attendee_rows(statement, columns, labels, *, batch_size=BATCH_SIZE):
    """Yield one list of cell values per registration that ``statement`` selects.

    Rows are fetched ``batch_size`` at a time (a server-side cursor on PostgreSQL); the
    tracks of each batch come from one more query. Close the generator to stop early.
    """
    need_tracks = any(key in TRACK_COLUMNS for key in columns)
    # On the session's connection, in its transaction: plain rows, without the ORM's
    # per-row bookkeeping, which would take as long as the rest of the export together.
    result = db.session.connection().execute(statement.execution_options(yield_per=batch_size))
    try:
        makers = _cell_makers(columns, labels, list(result.keys()))
        for batch in result.partitions():
            tracks = _tracks_of([row.id for row in batch], labels) if need_tracks else {}
            for row in batch:
                yield [make(row, tracks) for make in makers]
    finally:
        result.close()


def _tracks_of(registration_ids, labels):
    """{(registration id, place status value): its tracks' names in that status, in order}.

    Ids close together (a batch of an unfiltered list) are asked for as a range: a
    thousand bound parameters cost more than the few places of registrations in between
    that the range brings too (and nobody looks up).
    """
    names = {track_id: name for track_id, (_order, name) in labels.tracks.items()}
    low, high = min(registration_ids, default=0), max(registration_ids, default=0)
    if high - low < RANGE_DENSITY * len(registration_ids):
        wanted = Place.registration_id.between(low, high)
    else:
        wanted = Place.registration_id.in_(registration_ids)
    tracks = {}
    for registration_id, status, track_id in db.session.connection().execute(
        # The status as the stored string: an enum member costs time to make and to hash.
        sa.select(Place.registration_id, sa.type_coerce(Place.status, sa.String), Place.track_id)
        .join(Track, Track.id == Place.track_id)
        .where(wanted)
        .order_by(Place.registration_id, Track.position, Track.id)
    ):
        tracks.setdefault((registration_id, status), []).append(names[track_id])
    return tracks


# --- Audit -------------------------------------------------------------------------------


def record_export_started(*, file_format, filters, columns):
    """Write and commit the export's audit event before any row is read; return its id."""
    database.begin_write()  # a writer from the start (see staff_services.list_page)
    event = audit.record(
        "attendees.exported",
        format=file_format,
        filters=filters.as_dict(),
        columns=list(columns),
        rows=None,
        complete=False,
    )
    db.session.commit()
    return event.id


def record_export_finished(event_id, *, rows, complete):
    """Put the number of rows sent on the export's audit event, in a transaction of its own.

    Runs when a download ends or is abandoned, so it never raises: a failure is logged.
    """
    try:
        db.session.rollback()  # end the streaming read (and anything it left behind)
        database.begin_write()
        details = db.session.scalar(sa.select(AuditEvent.details).where(AuditEvent.id == event_id))
        db.session.execute(
            sa.update(AuditEvent)
            .where(AuditEvent.id == event_id)
            .values(details={**(details or {}), "rows": rows, "complete": complete})
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("export audit event not completed", extra={"fields": {"id": event_id}})


# --- Files -------------------------------------------------------------------------------


@dataclass
class Download:
    """An export ready to send: its chunks, media type and file extension, and its length
    when known (XLSX: the finished file). Sending the chunks completes the audit event."""

    event_id: int  # the audit event the download completes
    body: object
    mimetype: str
    extension: str
    length: int | None = None


def export_attendees(conference, filters, columns, file_format, *, right_to_left=False):
    """Start the export of ``conference``'s registrations matching ``filters``: record it
    (committed), then return a ``Download``. For XLSX the workbook is built now and the
    read transaction ended; CSV rows are read as the body is consumed."""
    labels = Labels.for_conference(conference)
    header_row = header(columns, labels.zone)
    statement = export_statement(conference, filters, columns)
    event_id = record_export_started(file_format=file_format, filters=filters, columns=columns)
    rows = attendee_rows(statement, columns, labels)
    if file_format == "xlsx":
        spool, count = build_xlsx(
            header_row, rows, title=_("Attendees")[:31], right_to_left=right_to_left
        )
        db.session.rollback()  # the read is done: hold no transaction while sending
        return Download(
            event_id, xlsx_body(event_id, spool, count), XLSX_TYPE, "xlsx", spool.tell()
        )
    return Download(event_id, csv_body(event_id, header_row, rows), "text/csv", "csv")


def filename(extension):
    """The download's file name: the site, what it holds, and when (UTC)."""
    return f"for-syria-attendees-{utcnow():%Y%m%d-%H%M}.{extension}"


def csv_body(event_id, header, rows):
    """The CSV download: chunks as rows arrive; the audit event gets the rows sent."""
    chunks = spreadsheets.csv_chunks(header, rows)
    sent = 0
    complete = False
    try:
        for data, count in chunks:
            # Counted when handed to the server, before it is known to have arrived: the
            # audit log may overstate what a broken download delivered, never understate it.
            sent += count
            yield data
        complete = True
    finally:
        chunks.close()
        rows.close()  # closes the database cursor before the audit transaction
        record_export_finished(event_id, rows=sent, complete=complete)


def build_xlsx(header, rows, *, title, right_to_left):
    """Write the workbook to a spooled temporary file; return the file and its row count."""
    spool = tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL_SIZE)
    try:
        count = spreadsheets.write_xlsx(
            spool, header, rows, title=title, right_to_left=right_to_left
        )
    except BaseException:
        spool.close()
        raise
    finally:
        rows.close()
    return spool, count


def xlsx_body(event_id, spool, count):
    """The XLSX download: the finished file in chunks; the audit event gets its rows."""
    complete = False
    try:
        spool.seek(0)
        while data := spool.read(XLSX_CHUNK_SIZE):
            yield data
        complete = True
    finally:
        spool.close()
        record_export_finished(event_id, rows=count, complete=complete)
