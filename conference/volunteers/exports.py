"""Rosters as spreadsheets: who is on which shift, as CSV or XLSX, with the attendee
exports' machinery (``registration.exports``: the audit event committed before the first
row is read and completed with the rows sent; ``spreadsheets``: Arabic intact, formulas
neutralised). Only the shifts the reader may see (``scope``); times in the conference's
time zone, which the header names.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference import audit, database
from conference.clock import utcnow
from conference.extensions import db
from conference.i18n import current_language, translate
from conference.registration import exports as shared
from conference.volunteers import checks, staff_queries
from conference.volunteers.models import AgeGroup, Attendance, SignupStatus

FORMATS = ("csv", "xlsx")

COLUMNS = (
    ("starts_at", _l("Starts")),
    ("ends_at", _l("Ends")),
    ("role", _l("Role")),
    ("track", _l("Track")),
    ("place", _l("Place")),
    ("full_name", _l("Full name")),
    ("phone", _l("Phone number")),
    ("email", _l("Email address")),
    ("languages", _l("Languages spoken")),
    ("age_group", _l("Age group")),
    ("tshirt_size", _l("T-shirt size")),
    ("status", _l("Status")),
    ("attendance", _l("Attendance")),
)
TIME_COLUMNS = frozenset({"starts_at", "ends_at"})


def header(zone):
    """The header row in the reader's language; the time columns name the zone."""
    return [
        f"{label} ({zone.key})" if key in TIME_COLUMNS else str(label) for key, label in COLUMNS
    ]


def _words():
    """Cell words in the reader's language, fixed before the rows are written."""
    return {
        "general": _("Whole conference"),
        "ages": {
            AgeGroup.under_18: _("Under 18"),
            AgeGroup.adult_18_24: _("18 to 24"),
            AgeGroup.adult_25_plus: _("25 or over"),
        },
        "statuses": {
            SignupStatus.held: _("Waiting for the guardian"),
            SignupStatus.confirmed: _("Confirmed"),
        },
        "attendance": {
            Attendance.arrived: _("Arrived"),
            Attendance.no_show: _("Did not come"),
            None: "",
        },
        "languages": {"ar": _("Arabic"), "en": _("English")},
        "separator": "، " if current_language() == "ar" else ", ",
    }


def roster_rows(signups, zone):
    """Yield one list of cell values per sign-up (a generator: the writers close it)."""
    words = _words()
    for signup in signups:
        shift, volunteer = signup.shift, signup.volunteer
        track = shift.role.track
        yield [
            checks.to_local(shift.starts_at, zone),
            checks.to_local(shift.ends_at, zone),
            translate(shift.role.name),
            translate(track.name) if track is not None else words["general"],
            translate(shift.place),
            volunteer.full_name,
            volunteer.phone or "",
            volunteer.email,
            words["separator"].join(
                words["languages"].get(code, code) for code in volunteer.languages or ()
            ),
            words["ages"].get(volunteer.age_group, ""),
            volunteer.tshirt_size or "",
            words["statuses"].get(signup.status, ""),
            words["attendance"].get(signup.attendance, ""),
        ]


def export_roster(conference, user, file_format, *, shift=None, right_to_left=False):
    """Start the download of the roster of every shift ``user`` may see (or of ``shift``):
    the audit event is committed first; returns a ``registration.exports.Download``."""
    if file_format not in FORMATS:
        raise ValueError(file_format)
    zone = shared.conference_zone(conference)
    shift_id = shift.id if shift is not None else None
    database.begin_write()
    event = audit.record(
        "volunteers.exported",
        actor=user,
        format=file_format,
        shift_id=shift_id,
        rows=None,
        complete=False,
    )
    db.session.commit()
    event_id = event.id
    signups = staff_queries.roster(conference, user, shift_id)
    header_row = header(zone)
    rows = roster_rows(signups, zone)
    if file_format == "xlsx":
        spool, count = shared.build_xlsx(
            header_row, rows, title=_("Volunteers")[:31], right_to_left=right_to_left
        )
        db.session.rollback()
        return shared.Download(
            event_id,
            shared.xlsx_body(event_id, spool, count),
            shared.XLSX_TYPE,
            "xlsx",
            spool.tell(),
        )
    return shared.Download(event_id, shared.csv_body(event_id, header_row, rows), "text/csv", "csv")


def filename(extension, shift_id=None):
    """The download's name: what it holds and when (UTC); ASCII only."""
    what = f"shift-{shift_id}" if shift_id is not None else "all"
    return f"for-syria-volunteers-{what}-{utcnow():%Y%m%d-%H%M}.{extension}"
