"""Exports of the attendee list: the page, columns, roles, streaming, audit, memory."""

import re
import time
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import render_template_string
from flask_login import login_user

from conference.audit import AuditEvent
from conference.extensions import db
from conference.registration import exports, services
from conference.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from conference.registration.queries import Filters

from ..test_spreadsheets import ARABIC_NAME, read_csv, read_xlsx

pytestmark = pytest.mark.usefixtures("enforced_access")


def export(client, columns=("id", "full_name", "email"), file_format="csv", **filters):
    return client.post(
        "/manage/export",
        data={"columns": list(columns), "file_format": file_format, **filters},
    )


def exported_events():
    return db.session.scalars(
        sa.select(AuditEvent).filter_by(action="attendees.exported").order_by(AuditEvent.id)
    ).all()


# --- The page and the download ----------------------------------------------------------


def test_organizer_exports_the_filtered_list_as_csv_with_the_chosen_columns(
    client, login_as, make_registration
):
    ada = make_registration(
        full_name="Ada Lovelace", tracks=["arts", "social"], phone="+1 202 555 0143"
    )
    make_registration(full_name="Grace Hopper", tracks=["cultural"])
    arab = make_registration(full_name=ARABIC_NAME, tracks=["arts"], language="ar")
    organizer = login_as("organizer")

    response = export(
        client,
        columns=["id", "full_name", "phone", "tracks_confirmed", "language", "status"],
        track="arts",
    )

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(
        r'attachment; filename="for-syria-attendees-\d{8}-\d{4}\.csv"',
        response.headers["Content-Disposition"],
    )
    header, *rows = read_csv(response.get_data())
    assert header == [
        "Registration number",
        "Full name",
        "Phone number",
        "Tracks with a seat",
        "Email language",
        "Status",
    ]
    assert rows == [
        [str(ada.id), "Ada Lovelace", "'+1 202 555 0143", "Social; Arts", "English", "Active"],
        [str(arab.id), ARABIC_NAME, "", "Arts", "العربية", "Active"],
    ]
    [event] = exported_events()
    assert event.actor_id == organizer.id
    assert event.details == {
        "format": "csv",
        "filters": {"track": "arts"},
        "columns": ["id", "full_name", "phone", "tracks_confirmed", "language", "status"],
        "rows": 2,
        "complete": True,
    }


def test_every_column_can_be_exported(client, login_as, make_registration, make_conference):
    make_conference(arts_capacity=1)
    make_registration(full_name="First", tracks=["arts"])
    second = make_registration(
        full_name="Second",
        tracks=["arts", "social"],
        city="Dearborn",
        region="Michigan",
        needs="=wheelchair access",
        photo_consent=True,
    )
    login_as("admin")

    response = export(client, columns=list(exports.COLUMNS), status="waitlisted")

    header, row = read_csv(response.get_data())
    assert len(header) == len(exports.COLUMNS)
    values = dict(zip(exports.COLUMNS, row, strict=True))
    assert values["id"] == str(second.id)
    assert values["city"] == "Dearborn"
    assert values["region"] == "Michigan"
    assert values["tracks_confirmed"] == "Social"
    assert values["tracks_waitlisted"] == "Arts"
    assert values["needs"] == "'=wheelchair access"
    assert values["photo_consent"] == "Yes"
    assert values["source"] == "Online form"
    assert values["checked_in_at"] == ""
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", values["registered_at"])


def test_cancelled_registrations_are_exported_only_when_asked_for(
    client, login_as, make_registration
):
    kept = make_registration(full_name="Kept")
    gone = make_registration(full_name="Gone")
    services.cancel_registration(gone)
    login_as("organizer")

    active = read_csv(export(client, columns=["id"]).get_data())
    cancelled = read_csv(export(client, columns=["id", "status"], status="cancelled").get_data())

    assert active[1:] == [[str(kept.id)]]
    assert cancelled[1:] == [[str(gone.id), "Cancelled"]]


def test_xlsx_export_keeps_arabic_and_formula_like_text_as_text(
    client, login_as, make_registration
):
    make_registration(full_name=ARABIC_NAME)
    make_registration(full_name='=HYPERLINK("http://evil.example","x")')
    make_registration(full_name="+cmd", phone="+1 (313) 555-0100")
    login_as("organizer")

    response = export(client, columns=["full_name", "phone"], file_format="xlsx")

    assert response.status_code == 200
    assert response.mimetype == exports.XLSX_TYPE
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_data()
    assert int(response.headers["Content-Length"]) == len(data)
    sheet = read_xlsx(data)
    assert sheet.sheet_view.rightToLeft is not True  # English page, left to right
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == [  # text cells need no apostrophe
        ARABIC_NAME,
        '=HYPERLINK("http://evil.example","x")',
        "+cmd",
    ]
    assert {cell.data_type for cell in cells} == {"s"}  # strings, never formulas ("f")
    phone = sheet.cell(row=4, column=2)
    assert (phone.value, phone.data_type) == ("+1 (313) 555-0100", "s")
    [event] = exported_events()
    assert (event.details["format"], event.details["rows"], event.details["complete"]) == (
        "xlsx",
        3,
        True,
    )


def test_an_arabic_page_gets_a_right_to_left_sheet(client, login_as, make_registration):
    make_registration(full_name=ARABIC_NAME)
    login_as("organizer")
    client.set_cookie("lang", "ar")

    response = export(client, columns=["full_name"], file_format="xlsx")

    sheet = read_xlsx(response.get_data())
    assert sheet.sheet_view.rightToLeft is True
    assert sheet.cell(row=2, column=1).value == ARABIC_NAME


def test_the_form_opens_with_the_filters_of_the_list_link(client, login_as, conference):
    login_as("organizer")

    page = client.get("/manage/export?track=arts&status=waitlisted&q=Ada&language=xx")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert '<option selected value="arts">' in html or '<option value="arts" selected>' in html
    assert re.search(r'<option (selected )?value="waitlisted"( selected)?', html)
    assert 'value="Ada"' in html
    assert "audit log" in html
    assert not exported_events()  # opening the page exports nothing


@pytest.mark.parametrize(
    "data",
    [
        {"columns": ["id", "password_hash"], "file_format": "csv"},
        {"columns": [], "file_format": "csv"},
        {"columns": ["id"], "file_format": "pdf"},
        {"columns": ["id"], "file_format": "csv", "track": "nope"},
        {"columns": ["id"], "file_format": "csv", "status": "erased"},
        {"columns": ["id"], "file_format": "csv", "q": "x" * 500},
    ],
)
def test_bad_answers_get_the_form_back_with_an_error(client, login_as, conference, data):
    login_as("organizer")

    response = client.post("/manage/export", data=data)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "There is a problem" in html
    assert not exported_events()


@pytest.mark.parametrize("role", ["checkin", "coordinator", "sponsor"])
def test_only_admins_and_organizers_can_export(client, login_as, make_registration, role):
    make_registration()
    login_as(role)

    assert client.get("/manage/export").status_code == 403
    assert export(client).status_code == 403
    assert not exported_events()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/manage/export?track=arts")

    assert response.status_code == 302
    assert "/manage/login" in response.headers["Location"]
    assert client.post("/manage/export", data={"columns": ["id"]}).status_code == 401


def test_the_export_link_carries_the_filters_and_shows_only_to_those_who_may_export(app, make_user):
    template = (
        '{% from "registration/_export_link.html" import export_link %}{{ export_link(filters) }}'
    )
    filters = Filters(track="arts", q="أحمد")

    def render(role):
        with app.test_request_context("/manage/attendees"):
            login_user(make_user(role))
            return render_template_string(template, filters=filters)

    link = render("organizer")
    assert "Export this list" in link
    assert "/manage/export?" in link
    assert "track=arts" in link
    assert "q=%D8%A3" in link
    assert render("checkin").strip() == ""


# --- Streaming and the audit trail -------------------------------------------------------


def add_registrations(conference, count, *, name="Person %d", batch=5000):
    """Insert ``count`` active registrations with a confirmed arts place, fast (Core)."""
    now = datetime(2026, 3, 1, 12, 0)
    arts = next(track.id for track in conference.tracks if track.key == "arts")
    for start in range(0, count, batch):
        db.session.execute(
            sa.insert(Registration),
            [
                {
                    "conference_id": conference.id,
                    "status": RegistrationStatus.active,
                    "email": f"bulk{n}@example.org",
                    "full_name": name % n,
                    "phone": "+1 202 555 0143",
                    "city": "دمشق",
                    "language": "ar" if n % 2 else "en",
                    "source": "web",
                    "ics_uid": f"uid-{n}",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(start, min(start + batch, count))
            ],
        )
    db.session.execute(
        sa.insert(Place).from_select(
            ["registration_id", "track_id", "status", "created_at"],
            sa.select(
                Registration.id,
                sa.literal(arts),
                sa.literal(PlaceStatus.confirmed.value),
                Registration.created_at,
            ).where(Registration.conference_id == conference.id),
        )
    )
    db.session.commit()


def test_rows_come_through_a_server_side_cursor_on_postgresql(conference, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server-side cursors; its reads are lazy anyway")
    add_registrations(conference, 2500)
    statement = exports.export_statement(conference, Filters(), ["id"])
    labels = exports.Labels.for_conference(conference)
    rows = exports.attendee_rows(statement, ["id", "tracks_confirmed"], labels)

    first = next(rows)
    cursors = db.session.execute(sa.text("SELECT statement FROM pg_cursors")).scalars().all()
    rest = list(rows)

    assert first == [1, "Arts"]
    assert any(statement.startswith("DECLARE") for statement in cursors)
    assert len(rest) == 2499


def test_an_abandoned_download_is_audited_with_the_rows_handed_out(client, login_as, conference):
    add_registrations(conference, 5000)
    login_as("organizer")

    response = client.post(
        "/manage/export",
        data={"columns": ["id", "full_name", "tracks_confirmed"], "file_format": "csv"},
        buffered=False,
    )
    [event] = exported_events()
    assert event.details["rows"] is None  # recorded before the first row left
    chunks = iter(response.response)
    received = next(chunks)
    response.close()  # the browser went away after the first piece

    db.session.expire_all()
    [event] = exported_events()
    rows_received = received.count(b"\r\n") - 1  # minus the header line
    assert event.details["complete"] is False
    assert 0 < event.details["rows"] == rows_received < 5000


def _peak_rss_kib():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1))


def _reset_peak_rss():
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")  # Linux: restart VmHWM from the current resident size


def _current_rss_kib():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1))


def _download_growth_mib(client, file_format, columns):
    """Export every registration through the real view; return (peak RSS growth, size)."""
    _reset_peak_rss()
    before = _current_rss_kib()
    response = client.post(
        "/manage/export",
        data={"columns": columns, "file_format": file_format},
        buffered=False,
    )
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    return (_peak_rss_kib() - before) / 1024, size


@pytest.fixture
def memory_probe():
    try:
        _reset_peak_rss()
    except OSError:
        pytest.skip("needs Linux /proc/self/clear_refs to measure peak memory")


def test_exporting_100000_rows_keeps_memory_flat(
    client, login_as, conference, memory_probe, database_url
):
    """Memory stays bounded whatever the row count; bench/ has the precise figures.

    Peak resident memory is read from /proc (tracemalloc would make the XLSX export ten
    times slower); the thresholds are well under what holding the rows takes (+53 MiB for CSV).
    """
    started = time.perf_counter()
    add_registrations(conference, 100_000, name="محمد %d")
    login_as("organizer")
    db.session.expire_all()

    csv_growth, csv_size = _download_growth_mib(client, "csv", list(exports.COLUMNS))
    # Fewer columns: openpyxl costs about 10 µs a cell, and memory is a matter of rows.
    xlsx_growth, xlsx_size = _download_growth_mib(
        client, "xlsx", ["id", "full_name", "email", "tracks_confirmed", "registered_at"]
    )

    print(
        f"\n[{database_url.split(':')[0]}] 100,000 rows in {time.perf_counter() - started:.0f}s: "
        f"CSV {csv_size / 2**20:.0f} MiB (+{csv_growth:.0f} MiB), "
        f"XLSX {xlsx_size / 2**20:.0f} MiB (+{xlsx_growth:.0f} MiB)"
    )
    assert csv_size > 10 * 2**20  # the whole file went through
    assert xlsx_size > 2 * 2**20
    assert csv_growth < 25, f"CSV export grew memory by {csv_growth:.0f} MiB"
    assert xlsx_growth < 40, f"XLSX export grew memory by {xlsx_growth:.0f} MiB"
    assert [event.details["rows"] for event in exported_events()] == [100_000, 100_000]


def test_csv_times_are_in_the_conference_zone_which_the_header_names(
    client, login_as, make_registration, conference
):
    from zoneinfo import ZoneInfo

    ada = make_registration()
    login_as("organizer")

    header, row = read_csv(export(client, columns=["registered_at"]).get_data())

    assert header == [f"Registered at ({conference.timezone})"]
    local = ada.created_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(conference.timezone))
    assert row == [local.strftime("%Y-%m-%d %H:%M")]
