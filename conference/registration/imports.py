"""Importing registrations from a spreadsheet: paper sign-ups typed in, or an export of
this site brought back. Read, preview, apply.

* ``read`` turns a file's bytes into a ``spreadsheets.Table`` (any encoding and separator
  Excel saves, or XLSX), or raises ``ImportRefused`` with a message that says what the
  file is and how to save it.
* ``plan`` reads each row into the values ``services.register_attendee`` takes and says
  what would happen to it: registered (a seat or the waiting list, per track, as far as
  today's seats tell), a repeat (already registered: skipped, an import never changes an
  existing registration), or skipped with the reason. It writes nothing.
* ``apply`` registers the rows, one registration per transaction (the seat lock is held
  for one person at a time, as for the online form), and records the import in the
  audit log. The ``flask registrations import`` command and the back-office page both
  call it.

Headers may be this import's field names (``email``, ``full_name``, ``tracks`` ...) or
the export's column headers in either language; values may be the export's (track
names, language names, "Yes"/"No", statuses, times in the zone the header names). The
apostrophe the CSV export puts before a cell a spreadsheet would run as a formula is
taken off again. A value that is not understood skips its row, with the reason: nothing
is defaulted silently.

The page keeps a file's rows between preview and confirmation in ``import_store``;
what it says of a file it cannot read is in ``import_messages``.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from babel import Locale
from flask_babel import force_locale
from flask_babel import gettext as _

from conference import audit, spreadsheets
from conference.config import LANGUAGES
from conference.extensions import db
from conference.i18n import LANGUAGE_NAMES, translate
from conference.registration import exports, services
from conference.registration.errors import RegistrationError
from conference.registration.import_messages import unreadable_message
from conference.registration.models import Registration, RegistrationStatus

# What the import reads. "tracks" takes every track named; the export's two track
# columns (with a seat, on the waiting list) are read as one list of tracks.
FIELDS = (
    "email",
    "full_name",
    "tracks",
    "tracks_confirmed",
    "tracks_waitlisted",
    "language",
    "phone",
    "city",
    "region",
    "needs",
    "photo_consent",
    "registered_at",
    "status",
)
# Export columns that describe the site's record, not the person: read and left alone.
IGNORED = ("id", "checked_in_at", "source")
TRACK_FIELDS = ("tracks", "tracks_confirmed", "tracks_waitlisted")
REQUIRED = ("email", "full_name", "tracks")
ALIASES = {"name": "full_name", "state": "region", "lang": "language"}
KEEP_FOR = timedelta(days=1)
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


class ImportRefused(ValueError):
    """The file as a whole cannot be imported; ``str()`` says why in the reader's words."""


def read(data, max_rows=None, max_bytes=None):
    """Read an uploaded file's bytes as a table that has the columns an import needs.

    :raises ImportRefused: the file cannot be read, or lacks a needed column.
    """
    try:
        table = spreadsheets.read_table(
            data,
            max_rows=max_rows or spreadsheets.MAX_READ_ROWS,
            max_bytes=max_bytes or spreadsheets.MAX_READ_BYTES,
        )
    except spreadsheets.UnreadableFile as error:
        raise ImportRefused(unreadable_message(error)) from None
    columns = column_fields(table.header)
    found = {name for name, _zone in columns if name}
    if found & set(TRACK_FIELDS):
        found.add("tracks")
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        raise ImportRefused(
            _(
                "The file needs the columns: %(columns)s (or the export's headers for them).",
                columns=", ".join(missing),
            )
        )
    return table


def _normal(text):
    """A header or value compared loosely: case, spaces, "_" and "-" do not count."""
    return " ".join(re.sub(r"[_\-]+", " ", str(text or "")).casefold().split())


def _header_names():  # the import's own names, the aliases, the export's labels
    names = {_normal(name): name for name in FIELDS + IGNORED}
    names.update({_normal(alias): name for alias, name in ALIASES.items()})
    for language in LANGUAGES:
        with force_locale(language):
            for key, (label, _attributes) in exports.COLUMNS.items():
                names[_normal(str(label))] = key
    return names


def column_fields(header):
    """For each header cell: (the field it holds or None, the zone its "(...)" names)."""
    names = _header_names()
    fields, seen = [], set()
    for cell in header:
        text = str(cell or "").strip()
        zone = None
        bracketed = re.fullmatch(r"(.*?)\s*\(([^()]*)\)", text)
        name = names.get(_normal(text))
        if name is None and bracketed:
            name = names.get(_normal(bracketed.group(1)))
            zone = bracketed.group(2).strip()
        if name in seen and name not in TRACK_FIELDS:
            name = None  # a second column of the same field: the first one counts
        seen.add(name)
        fields.append((name, zone))
    return fields


def email_reader(header):
    """A function: a row's cells -> its email address cell as written (for reports)."""
    fields = [name for name, _zone in column_fields(header)]
    if "email" not in fields:
        return lambda cells: ""
    index = fields.index("email")
    return lambda cells: _text(spreadsheets.restore(cells[index])) if index < len(cells) else ""


def unused_columns(header):
    """The header cells the import does not read (shown on the preview)."""
    return [
        str(cell)
        for cell, (name, _zone) in zip(header, column_fields(header), strict=False)
        if name is None
    ]


# --- Understanding the values ------------------------------------------------------------


@dataclass
class Vocabulary:
    """The words values may be written in, in every language of the site."""

    tracks: dict  # normalised name or key -> track key
    languages: dict
    yes_no: dict
    statuses: dict
    zone: ZoneInfo

    @classmethod
    def for_conference(cls, conference):
        tracks, languages, statuses = {}, {}, {}
        yes_no = {_normal(w): True for w in ("yes", "y", "true", "1")}
        yes_no.update({_normal(w): False for w in ("no", "n", "false", "0")})
        for track in conference.tracks:
            tracks[_normal(track.key)] = track.key
            for language in LANGUAGES:
                tracks[_normal(translate(track.name, language))] = track.key
        for code in LANGUAGES:
            languages[_normal(code)] = code
            languages[_normal(LANGUAGE_NAMES[code])] = code
            for language in LANGUAGES:
                languages[_normal(Locale.parse(code).get_display_name(language))] = code
        for language in LANGUAGES:
            with force_locale(language):
                yes_no[_normal(_("Yes"))] = True
                yes_no[_normal(_("No"))] = False
                statuses[_normal(_("Active"))] = RegistrationStatus.active
                statuses[_normal(_("Cancelled"))] = RegistrationStatus.cancelled
        for status in RegistrationStatus:
            statuses[_normal(status.value)] = status
        return cls(tracks, languages, yes_no, statuses, exports.conference_zone(conference))


class SkipRow(Exception):
    """This row cannot be imported; ``reason`` says why (translated)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _text(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(" ", "minutes")
    return str(value).strip()


def _tracks(text, words):
    keys, unknown = [], []
    for part in re.split(r"[;,،\n]+", text):
        if not part.strip():
            continue
        key = words.tracks.get(_normal(part))
        if key:
            keys.append(key)
            continue
        for word in part.split():  # "arts cultural": keys or names separated by spaces
            key = words.tracks.get(_normal(word))
            (keys if key else unknown).append(key or word)
    return keys, unknown


def _language(text, words):
    if not text:
        return "en"  # as on the paper form: English unless the person asked for Arabic
    code = words.languages.get(_normal(text)) or words.languages.get(
        _normal(re.split(r"[-_]", text)[0])
    )
    if code is None:
        raise SkipRow(_("Unknown email language: %(value)s", value=text))
    return code


def _time(value, zone, words):
    """A registration time: a date-time cell, or text as the export writes it, read in
    ``zone`` (the header's) and returned as naive UTC; empty is None (now)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        local = value
    else:
        for pattern in TIME_FORMATS:
            try:
                local = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
        else:
            raise SkipRow(_("Unknown registration time: %(value)s", value=value))
    try:
        tz = ZoneInfo(zone) if zone else words.zone
    except (ZoneInfoNotFoundError, ValueError):
        tz = words.zone
    if local.tzinfo is None:
        local = local.replace(tzinfo=tz)
    return local.astimezone(UTC).replace(tzinfo=None)


def row_values(cells, columns, words, *, from_csv):
    """The keyword arguments of ``services.register_attendee`` for one row.

    :raises SkipRow: a value that is not understood, or a cancelled registration.
    """
    raw = {}
    tracks = []
    for (name, zone), value in zip(columns, cells, strict=False):
        if name is None or name in IGNORED:
            continue
        if from_csv:
            value = spreadsheets.restore(value)
        if name in TRACK_FIELDS:
            tracks.append(_text(value))
        elif name == "registered_at":
            raw[name] = (value, zone)
        else:
            raw[name] = _text(value)
    status = raw.get("status", "")
    if status:
        known = words.statuses.get(_normal(status))
        if known is None:
            raise SkipRow(_("Unknown status: %(value)s", value=status))
        if known != RegistrationStatus.active:
            raise SkipRow(_("A cancelled registration: not imported."))
    keys, unknown = _tracks(";".join(tracks), words)
    if unknown:
        raise SkipRow(_("Unknown track: %(names)s", names=", ".join(unknown)))
    consent = raw.get("photo_consent", "")
    if consent and _normal(consent) not in words.yes_no:
        raise SkipRow(_("Unknown answer about photos: %(value)s", value=consent))
    registered_at = _time(*raw.get("registered_at", (None, None)), words)
    return {
        "email": raw.get("email", ""),
        "full_name": raw.get("full_name", ""),
        "track_keys": list(dict.fromkeys(keys)),
        "language": _language(raw.get("language", ""), words),
        "phone": raw.get("phone") or None,
        "city": raw.get("city") or None,
        "region": raw.get("region") or None,
        "needs": raw.get("needs") or None,
        "photo_consent": words.yes_no.get(_normal(consent), False),
        "now": registered_at,
    }


# --- The plan ----------------------------------------------------------------------------

NEW, REPEAT, SKIPPED = "new", "repeat", "skipped"


@dataclass
class PlannedRow:
    """One row of the file and what the import would do with it."""

    line: int
    cells: list
    outcome: str  # NEW, REPEAT or SKIPPED
    values: dict | None = None
    reason: str | None = None
    seats: list = field(default_factory=list)  # [(track name, seated?)] for a new row
    written_email: str = ""  # the email cell as written, for the reader to find the row

    @property
    def email(self):
        return (self.values or {}).get("email", "")

    @property
    def full_name(self):
        return (self.values or {}).get("full_name", "")


@dataclass
class Plan:
    rows: list
    unused: list

    def of(self, outcome):
        return [row for row in self.rows if row.outcome == outcome]

    @property
    def new(self):
        return self.of(NEW)

    @property
    def repeats(self):
        return self.of(REPEAT)

    @property
    def skipped(self):
        return self.of(SKIPPED)


def _checked(values):
    """Cleaned email and name, by the registration's own rules; :raises SkipRow:."""
    try:
        email = services.normalise_email(values["email"])
    except RegistrationError as error:
        raise SkipRow(str(error)) from None
    if not values["track_keys"]:
        raise SkipRow(_("Select at least one track"))
    name = " ".join((values["full_name"] or "").split())
    if not name:
        raise SkipRow(_("Enter your full name"))
    if len(name) > 200:
        raise SkipRow(_("Full name must be 200 characters or fewer"))
    return {**values, "email": email}


def plan(conference, table):
    """What importing ``table`` would do, row by row. Reads the database, writes nothing."""
    words = Vocabulary.for_conference(conference)
    columns = column_fields(table.header)
    rows, first_line = [], {}
    written = email_reader(table.header)
    for line, cells in table.rows:
        try:
            values = _checked(row_values(cells, columns, words, from_csv=table.kind == "csv"))
        except SkipRow as skip:
            rows.append(PlannedRow(line, cells, SKIPPED, reason=skip.reason))
            continue
        if values["email"] in first_line:
            reason = _("The same email address as row %(line)s.", line=first_line[values["email"]])
            rows.append(PlannedRow(line, cells, SKIPPED, values, reason))
            continue
        first_line[values["email"]] = line
        rows.append(PlannedRow(line, cells, NEW, values))
    for row in rows:
        row.written_email = written(row.cells)
    registered = _registered_emails(conference, list(first_line))
    free = {track.key: track.seats_left for track in conference.tracks}
    names = {track.key: translate(track.name) for track in conference.tracks}
    for row in rows:
        if row.outcome != NEW:
            continue
        if row.email in registered:
            row.outcome = REPEAT
            row.reason = _("Already registered: skipped, an import never changes a registration.")
            continue
        for key in row.values["track_keys"]:
            row.seats.append((names[key], free[key] > 0))
            free[key] = max(free[key] - 1, 0)
    return Plan(rows, unused_columns(table.header))


def _registered_emails(conference, emails, chunk=500):
    found = set()
    for start in range(0, len(emails), chunk):
        found.update(
            db.session.scalars(
                sa.select(Registration.email).where(
                    Registration.conference_id == conference.id,
                    Registration.status == RegistrationStatus.active,
                    Registration.email.in_(emails[start : start + chunk]),
                )
            )
        )
    db.session.rollback()  # a read: hold no transaction
    return found


# --- Applying ----------------------------------------------------------------------------


@dataclass
class Result:
    registered: int = 0
    waitlisted: int = 0  # of those registered, on at least one waiting list
    skipped: list = field(default_factory=list)  # [(line, cells, reason)]

    def as_dict(self):
        return {
            "registered": self.registered,
            "waitlisted": self.waitlisted,
            "skipped": [[line, _json_cells(cells), reason] for line, cells, reason in self.skipped],
        }

    @classmethod
    def from_dict(cls, data):
        skipped = [(line, _cells(cells), reason) for line, cells, reason in data["skipped"]]
        return cls(data["registered"], data["waitlisted"], skipped)


def apply(conference, table, *, file_name, actor=None, progress=None):
    """Register every new row of ``table``, one transaction each; return a ``Result``.

    Repeats and rows that break a rule are skipped with their reason. The import is
    recorded in the audit log (who, the file's name, the counts) and committed.
    ``progress`` is called after each row (the command's progress bar).
    """
    result = Result()
    for row in plan(conference, table).rows:
        if row.outcome == NEW:
            try:
                outcome = services.register_attendee(
                    conference,
                    **row.values,
                    privacy_accepted=True,  # given on the paper form
                    source="import",
                )
            except RegistrationError as error:
                result.skipped.append((row.line, row.cells, str(error)))
            else:
                result.registered += 1
                result.waitlisted += bool(outcome.registration.waitlisted_places)
        else:
            result.skipped.append((row.line, row.cells, row.reason))
        if progress:
            progress()
    audit.record(
        "registrations.imported",
        actor=actor,
        file_name=file_name,
        rows=len(table.rows),
        registered=result.registered,
        waitlisted=result.waitlisted,
        skipped=len(result.skipped),
    )
    db.session.commit()
    return result


def skipped_rows(header, result):
    """The skipped rows as a table to download: the file's columns, the row, the reason."""
    head = [_("Row"), *header, _("Reason")]
    width = len(header)
    rows = (
        [line, *(list(cells) + [None] * width)[:width], reason]
        for line, cells, reason in result.skipped
    )
    return head, rows


def _json_cells(cells):
    return [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in cells]


def _cells(cells):
    return [datetime.fromisoformat(v["t"]) if isinstance(v, dict) else v for v in cells]
