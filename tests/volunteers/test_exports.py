"""Roster exports: CSV and XLSX open, Arabic intact, formula-like names neutralised, only
the reader's scope, in the conference's time zone, and audited."""

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from conference.audit import AuditEvent
from conference.extensions import db

from .conftest import shift
from .staff_helpers import add_scopes

ARABIC_NAME = "ليلى الحداد"
EVIL = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def roster(sign_up):
    sign_up(
        "layla@example.org",
        ["sample-guides-1"],
        full_name=ARABIC_NAME,
        skills=["sample-arts-guides"],
    )
    sign_up("evil@example.org", ["sample-guides-1"], full_name=EVIL, skills=["sample-arts-guides"])
    sign_up("sami@example.org", ["sample-youth-1"], full_name="Sami Social")


def read_csv(data):
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with its mark
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def events():
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "volunteers.exported")
    ).all()


def test_csv_roster_keeps_arabic_and_neutralises_formulas(client, organizer, roster):
    response = client.post("/manage/volunteers/export", data={"file_format": "csv"})

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].endswith('.csv"')
    header, *rows = read_csv(response.get_data())
    assert header[0] == "Starts (America/Los_Angeles)"
    names = [row[5] for row in rows]
    assert ARABIC_NAME in names
    assert "'" + EVIL in names
    assert EVIL not in names
    assert "Sami Social" in names  # an organizer sees every track
    guides = next(row for row in rows if row[5] == ARABIC_NAME)
    assert guides[0] == "2022-03-18 10:00"  # local time, not UTC
    assert guides[2] == "Gallery guides"
    assert guides[3] == "Arts"
    [event] = events()
    assert (event.details["format"], event.details["rows"], event.details["complete"]) == (
        "csv",
        3,
        True,
    )


def test_xlsx_roster_of_one_shift(client, organizer, roster):
    guides = shift("sample-guides-1").id

    response = client.post(
        "/manage/volunteers/export", data={"file_format": "xlsx", "shift": str(guides)}
    )

    assert response.status_code == 200
    assert f"for-syria-volunteers-shift-{guides}-" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    names = [row[5].value for row in sheet.iter_rows(min_row=2)]
    assert sorted(names) == sorted([ARABIC_NAME, EVIL])
    evil = next(row[5] for row in sheet.iter_rows(min_row=2) if row[5].value == EVIL)
    assert evil.data_type == "s"  # a string, never a formula
    [event] = events()
    assert event.details["shift_id"] == guides
    assert event.details["rows"] == 2


def test_arabic_page_gets_arabic_headers_and_a_right_to_left_sheet(client, organizer, roster):
    client.set_cookie("lang", "ar")

    response = client.post("/manage/volunteers/export", data={"file_format": "xlsx"})

    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet.sheet_view.rightToLeft is True
    assert sheet.cell(row=1, column=1).value != "Starts (America/Los_Angeles)"
    assert ARABIC_NAME in [row[5].value for row in sheet.iter_rows(min_row=2)]


def test_a_coordinator_exports_only_their_scope(client, login_as, enforced_access, roster):
    user = login_as("coordinator")
    add_scopes(user, "arts")

    page = client.get("/manage/volunteers/export").get_data(as_text=True)
    response = client.post("/manage/volunteers/export", data={"file_format": "csv"})

    assert "Youth corner" not in page
    names = [row[5] for row in read_csv(response.get_data())[1:]]
    assert sorted(names) == sorted([ARABIC_NAME, "'" + EVIL])
    [event] = events()
    assert event.actor_id == user.id


@pytest.mark.parametrize(
    "data", [{"file_format": "pdf"}, {"file_format": "csv", "shift": "abc"}, {"shift": "999"}]
)
def test_bad_choices_are_refused(client, organizer, roster, data):
    assert client.post("/manage/volunteers/export", data=data).status_code == 400
    assert events() == []
