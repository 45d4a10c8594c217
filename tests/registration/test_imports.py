"""Importing registrations: files as Excel saves them, the export's own files back, the
page's preview, confirmation, audit and skipped rows."""

import csv
import io
from datetime import datetime

import openpyxl
import pytest
import sqlalchemy as sa

from conference import spreadsheets
from conference.extensions import db
from conference.registration import import_store
from conference.registration.models import Registration

from .conftest import audit_events, registrations, text

pytestmark = pytest.mark.usefixtures("enforced_access")

ROWS = [
    ["email", "full_name", "tracks", "language", "phone", "city"],
    ["ada@example.org", "Ada Lovelacé", "Arts; Social", "en", "555-0100", "Zürich"],
    ["omar@example.org", "Omar Haddad", "arts", "ar", "", "Aleppo"],
]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]
SEPARATORS = [",", ";", "\t"]


def encoded(rows, encoding, separator):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def imported():
    return {
        (
            r.email,
            r.full_name,
            r.phone,
            r.city,
            r.language,
            tuple(sorted(p.track.key for p in r.places)),
        )
        for r in registrations()
    }


EXPECTED = {
    ("ada@example.org", "Ada Lovelacé", "555-0100", "Zürich", "en", ("arts", "social")),
    ("omar@example.org", "Omar Haddad", None, "Aleppo", "ar", ("arts",)),
}


def upload(client, data, name="paper.csv"):
    return client.post(
        "/manage/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def confirm(client, response):
    assert response.status_code == 303, text(response)
    preview = response.headers["Location"]
    return client.post(preview + "/confirm", follow_redirects=True)


@pytest.mark.parametrize("separator", SEPARATORS, ids=["comma", "semicolon", "tab"])
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_command_reads_every_encoding_and_separator(
    runner, conference, tmp_path, encoding, separator
):
    path = tmp_path / "paper.csv"
    path.write_bytes(encoded(ROWS, encoding, separator))

    result = runner.invoke(args=["registrations", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "2 registered" in result.output
    assert imported() == EXPECTED


@pytest.mark.parametrize("separator", SEPARATORS, ids=["comma", "semicolon", "tab"])
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_page_reads_every_encoding_and_separator(
    client, conference, organizer, encoding, separator
):
    response = upload(client, encoded(ROWS, encoding, separator))

    page = confirm(client, response)

    assert page.status_code == 200
    assert "2 people registered" in text(page)
    assert imported() == EXPECTED


UNREADABLE = [
    (b"", "The file is empty."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Excel workbook (.xls)"),
    (b"%PDF-1.4 binary", "PDF document"),
    (b"PK\x03\x04 not really a zip", "cannot be opened"),
    (bytes(range(256)) * 4, "Save it as CSV UTF-8 in Excel"),
    (b"mail,who\nx@example.org,X\n", "needs the columns: email, full_name, tracks"),
]


@pytest.mark.parametrize(("data", "message"), UNREADABLE)
def test_an_unreadable_file_is_explained_by_the_command(
    runner, conference, tmp_path, data, message
):
    path = tmp_path / "file.csv"
    path.write_bytes(data)

    result = runner.invoke(args=["registrations", "import", str(path)])

    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert registrations() == []


@pytest.mark.parametrize(("data", "message"), UNREADABLE)
def test_an_unreadable_file_is_explained_by_the_page(client, conference, organizer, data, message):
    response = upload(client, data)

    assert response.status_code == 400
    assert message.replace("'", "&#39;") in text(response)
    assert registrations() == []


def test_a_file_too_big_is_refused_with_413(client, conference, organizer, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_READ_BYTES", 1000)

    response = upload(client, b"email,full_name,tracks\n" + b"a" * 1000)

    assert response.status_code == 413
    assert "Split it into smaller files" in text(response)


def test_a_file_with_too_many_rows_is_refused(client, conference, organizer, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_READ_ROWS", 2)
    rows = ROWS + [["c@example.org", "C", "arts", "en", "", ""]]

    response = upload(client, encoded(rows, "utf-8", ","))

    assert response.status_code == 400
    assert "more than 2 rows" in text(response)
    assert registrations() == []


def test_preview_saves_nothing_then_confirm_registers_and_audits(
    client, conference, organizer, make_registration
):
    make_registration("old@example.org")
    rows = [
        ["Email address", "Full name", "Tracks with a seat", "Email language"],
        ["new@example.org", "New Person", "Arts", "العربية"],
        ["old@example.org", "Old Person", "Arts", "English"],
        ["odd@example.org", "Odd Person", "Arts", "Klingon"],
    ]
    response = upload(client, encoded(rows, "utf-8-sig", ","), name="paper forms.csv")
    preview = client.get(response.headers["Location"])

    body = text(preview)
    assert "1 person will be registered" in body
    assert "1 person is already registered" in body
    assert "Unknown email language: Klingon" in body
    assert [r.email for r in registrations()] == ["old@example.org"]
    assert audit_events("registrations.imported") == []

    page = client.post(response.headers["Location"] + "/confirm", follow_redirects=True)

    assert "1 person registered" in text(page)
    new = Registration.query.filter_by(email="new@example.org").one()
    assert new.language == "ar"
    assert new.source == "import"
    [event] = audit_events("registrations.imported")
    assert event.actor_id == organizer.id
    assert event.details["file_name"] == "paper forms.csv"
    assert (event.details["registered"], event.details["skipped"]) == (1, 2)
    again = client.post(response.headers["Location"] + "/confirm", follow_redirects=True)
    assert "already been imported" in text(again)
    assert len(audit_events("registrations.imported")) == 1

    download = client.get(response.headers["Location"] + "/skipped.csv")
    assert download.mimetype == "text/csv"
    header, *skipped = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    assert header == ["Row", *rows[0], "Reason"]
    assert [row[:2] for row in skipped] == [["3", "old@example.org"], ["4", "odd@example.org"]]
    assert "Unknown email language: Klingon" in skipped[1][-1]


def test_another_organizer_cannot_see_or_confirm_my_import(
    client, conference, organizer, make_user
):
    response = upload(client, encoded(ROWS, "utf-8", ","))
    import_id = int(response.headers["Location"].rsplit("/", 1)[1])
    other = make_user("organizer", email="other@example.org")

    assert import_store.pending_of(import_id, organizer) is not None
    assert import_store.pending_of(import_id, other) is None
    assert client.get(f"/manage/import/{import_id + 1}").status_code == 404


@pytest.mark.parametrize("role", ["checkin", "coordinator"])
def test_only_admins_and_organizers_can_import(client, login_as, conference, role):
    login_as(role)
    assert client.get("/manage/import").status_code == 403


def test_the_apostrophe_the_export_adds_is_removed_only_where_it_added_it(
    runner, conference, tmp_path
):
    rows = [
        ["email", "full_name", "tracks", "phone", "needs"],
        ["ada@example.org", "'O'Brien", "arts", "'+1 (313) 555-0100", "'=wheelchair"],
    ]
    path = tmp_path / "paper.csv"
    path.write_bytes(encoded(rows, "utf-8", ","))

    runner.invoke(args=["registrations", "import", str(path)])

    [ada] = registrations()
    assert (ada.full_name, ada.phone, ada.needs) == ("'O'Brien", "+1 (313) 555-0100", "=wheelchair")


def test_an_unknown_value_skips_its_row_with_the_reason(runner, conference, tmp_path):
    rows = [
        ["email", "full_name", "tracks", "language", "Agreed to photos"],
        ["a@example.org", "A", "arts", "Klingon", "Yes"],
        ["b@example.org", "B", "arts", "en", "perhaps"],
        ["c@example.org", "C", "arts", "Arabic", "نعم"],
    ]
    path = tmp_path / "paper.csv"
    path.write_bytes(encoded(rows, "utf-8", ","))

    result = runner.invoke(args=["registrations", "import", str(path)])

    assert "line 2: skipped a@example.org: Unknown email language: Klingon" in result.output
    assert "line 3: skipped b@example.org: Unknown answer about photos: perhaps" in result.output
    [c] = registrations()
    assert (c.email, c.language, c.photo_consent) == ("c@example.org", "ar", True)


# --- Export, then import into an empty database --------------------------------------------

COMPARED = ("full_name", "email", "phone", "city", "region", "language", "needs", "photo_consent")


def snapshot():
    return sorted(
        (
            *(getattr(r, name) for name in COMPARED),
            r.created_at.replace(second=0, microsecond=0),
            tuple(sorted((p.track.key, p.status.value) for p in r.places)),
        )
        for r in registrations()
    )


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_imports_back_into_an_empty_database_with_every_value_equal(
    client, login_as, make_conference, make_registration, file_format, language
):
    make_conference(arts_capacity=1)
    make_registration(
        "ada@example.org",
        ["arts", "social"],
        full_name="=Ada",
        phone="+1 (313) 555-0100",
        city="Dearborn",
        region="Michigan",
        needs="-vegan\nno nuts",
        photo_consent=True,
    )
    make_registration(
        "omar@example.org", ["arts"], full_name="عمر الحلبي", language="ar", phone="@home"
    )
    login_as("organizer")
    client.set_cookie("lang", language)
    from conference.registration import exports

    response = client.post(
        "/manage/export",
        data={"columns": list(exports.COLUMNS), "file_format": file_format},
    )
    data = response.get_data()
    before = snapshot()
    db.session.execute(sa.text("DELETE FROM place"))
    db.session.execute(sa.text("DELETE FROM outbox_message"))
    db.session.execute(sa.text("DELETE FROM manage_token"))
    db.session.execute(sa.text("DELETE FROM registration"))
    db.session.execute(sa.text("UPDATE track SET seats_taken = 0"))
    db.session.commit()
    assert registrations() == []

    page = confirm(client, upload(client, data, name=f"export.{file_format}"))

    assert page.status_code == 200
    assert snapshot() == before


def test_xlsx_export_has_a_real_date_time_cell_and_names_the_zone(
    client, login_as, make_registration, conference
):
    make_registration(phone="+1 (313) 555-0100")
    login_as("organizer")

    response = client.post(
        "/manage/export",
        data={"columns": ["phone", "registered_at"], "file_format": "xlsx"},
    )

    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    assert sheet.cell(row=1, column=2).value == f"Registered at ({conference.timezone})"
    phone, registered = sheet.cell(row=2, column=1), sheet.cell(row=2, column=2)
    assert (phone.value, phone.data_type) == ("+1 (313) 555-0100", "s")
    assert isinstance(registered.value, datetime)
    assert registered.number_format == "yyyy-mm-dd hh:mm"
