"""Spreadsheet files from rows of values: CSV and XLSX that are safe to open in Excel.

Pure: header and rows in, bytes out; no app context, no database. Both writers take rows
one at a time, so memory stays flat however many rows there are.

* CSV: cells a spreadsheet would run as a formula (starting with ``= + - @``, a tab or
  a carriage return, or their full-width forms) get a leading apostrophe (OWASP "CSV
  injection"): a CSV file cannot say "this is text".
* XLSX can: every text is written as a string cell (type ``s``), which no spreadsheet
  runs, so it keeps its exact value (a phone number ``+1 (313) 555-0100`` shows no
  apostrophe). Those that look like formulas also get Excel's "quote prefix" style, so
  that editing the cell later keeps it text rather than turning it into a formula.
* CSV: UTF-8 with a byte-order mark (Excel otherwise guesses a legacy code page and
  garbles Arabic), RFC 4180 quoting and CRLF line ends.
* Date-times: in CSV as ``YYYY-MM-DD HH:MM``; in XLSX as date-time cells (a number with a
  date-and-time format). Neither says the zone: the caller puts it in the header.
* ``read_table`` reads such files back, and those Excel saves: CSV in UTF-8 (with or
  without a byte-order mark), UTF-16 or Windows-1252, separated by commas, semicolons or
  tabs; XLSX. ``restore`` takes off the apostrophe ``neutralise`` put on.
* XLSX: openpyxl's write-only mode, which streams the sheet to a temporary file;
  right-to-left when the reader's language is.
"""

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

# What makes Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
CSV_CHUNK_SIZE = 64 * 1024
BOM = "\ufeff"
# Date and time, as the CSV writes them; the header names the time zone.
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def neutralise(value):
    """Return ``value`` so that no spreadsheet runs it as a formula (strings only)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_text(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(" ", "minutes")  # "YYYY-MM-DD HH:MM", the header says the zone
    return neutralise(value if isinstance(value, str) else str(value))


# Every trigger is one character, so a set of first characters tells them apart.
_FORMULA_STARTS = frozenset(FORMULA_PREFIXES)
assert all(len(prefix) == 1 for prefix in FORMULA_PREFIXES)


def _csv_cells(row):
    """``_csv_text`` of each value, with plain strings (most cells) done inline: faster."""
    return [
        ("'" + value if value[:1] in _FORMULA_STARTS else value)
        if value.__class__ is str
        else _csv_text(value)
        for value in row
    ]


def csv_chunks(header, rows, *, chunk_size=CSV_CHUNK_SIZE):
    """Yield ``(bytes, row_count)`` pieces of a CSV file: the header, then ``rows``.

    Each piece is about ``chunk_size`` bytes; ``row_count`` is how many data rows it
    completes, so a caller can tell how many rows it has handed on.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([_csv_text(label) for label in header])
    pending = 0
    for row in rows:
        writer.writerow(_csv_cells(row))
        pending += 1
        if buffer.tell() >= chunk_size:
            yield buffer.getvalue().encode("utf-8"), pending
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8"), pending


def _xlsx_cell(sheet, value, *, bold=False):
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT  # a real date-time: sorts and filters as one
        return cell
    if not isinstance(value, str):
        return value  # numbers and None as they are
    # Control characters are not allowed in the file format; they carry no meaning here.
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    formula_like = text[:1] in _FORMULA_STARTS
    if not formula_like and text not in ERROR_CODES and not bold:
        return text  # openpyxl stores it as a string ("s") already; a Cell each costs time
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"  # a string whatever it looks like: never a formula or an error
    if formula_like:
        cell.quotePrefix = True  # Excel's own mark for "typed with an apostrophe": stays text
    if bold:
        cell.font = Font(bold=True)
    return cell


def write_xlsx(fileobj, header, rows, *, title="Sheet1", right_to_left=False):
    """Write an XLSX workbook with one sheet (``header``, then ``rows``) to ``fileobj``.

    Returns the number of data rows written.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    sheet.sheet_view.rightToLeft = right_to_left
    sheet.freeze_panes = "A2"  # the header stays in view while scrolling
    count = 0
    try:
        sheet.append([_xlsx_cell(sheet, label, bold=True) for label in header])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
            count += 1
        workbook.save(fileobj)
    except BaseException:
        _remove_sheet_file(sheet)
        raise
    return count


def _remove_sheet_file(sheet):
    # openpyxl keeps the sheet in a temporary file that it deletes on save or at exit; on
    # failure delete it now, as it holds the rows written so far.
    writer = getattr(sheet, "_writer", None)
    if writer is not None:
        try:
            writer.xf.close()
            writer.cleanup()
        except Exception:  # best effort: never hide the error that brought us here
            pass


# --- Reading -----------------------------------------------------------------------------
#
# Files organizers bring back: exports of this site, and sheets saved by Excel or
# LibreOffice in whatever encoding and separator their locale gives. What the file is,
# is told from its bytes, never from its name.

MAX_READ_BYTES = 5 * 1024 * 1024
MAX_READ_ROWS = 20_000
SEPARATORS = (",", ";", "\t")
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Excel (.xls), Word (.doc)
OTHER_MAGIC = {
    b"%PDF": "pdf",
    b"\x89PNG": "image",
    b"\xff\xd8\xff": "image",
    b"GIF8": "image",
    b"{\\rtf": "rtf",
}


class UnreadableFile(ValueError):
    """The file cannot be read as a table. ``reason`` says why, for the caller's words:

    ``empty``, ``too_big``, ``too_many_rows``, ``no_header``, ``encoding`` (text in an
    unknown encoding), ``xls`` (an old Excel workbook), ``ods``, ``pdf``, ``image``,
    ``rtf``, ``binary`` (something else that is not text), ``broken_xlsx``.
    """

    def __init__(self, reason, **details):
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass
class Table:
    """A file read: its header's cells, its rows (lists of values), what it was.

    ``kind`` is ``"csv"`` or ``"xlsx"``; for CSV, ``encoding`` and ``separator`` say how it
    was read. CSV values are strings as written (a leading apostrophe included); XLSX
    values are strings, numbers or ``datetime``. Rows carry their line number (1 is the
    header); blank rows are left out.
    """

    kind: str
    header: list
    rows: list  # [(line number, [values])]
    encoding: str | None = None
    separator: str | None = None


def read_table(data, *, max_rows=MAX_READ_ROWS, max_bytes=MAX_READ_BYTES):
    """Read ``data`` (bytes) as a CSV or XLSX table.

    :raises UnreadableFile: not a table this can read; its ``reason`` says why.
    """
    if not data or not data.strip():
        raise UnreadableFile("empty")
    if len(data) > max_bytes:
        raise UnreadableFile("too_big", limit=max_bytes)
    if data.startswith(XLSX_MAGIC):
        if b"application/vnd.oasis.opendocument" in data[:200]:
            raise UnreadableFile("ods")
        return _read_xlsx(data, max_rows)
    if data.startswith(OLE_MAGIC):
        raise UnreadableFile("xls")
    for magic, reason in OTHER_MAGIC.items():
        if data.startswith(magic):
            raise UnreadableFile(reason)
    text, encoding = decode_text(data)
    return _read_csv(text, encoding, max_rows)


def decode_text(data):
    """Return ``(text, encoding)`` for text bytes as spreadsheets save them.

    A byte-order mark decides (UTF-8, UTF-16); else UTF-16 without one is told by its
    zero bytes; else UTF-8 if the bytes are valid UTF-8, else Windows-1252 (Excel's
    "CSV" in Western locales).

    :raises UnreadableFile: ``binary`` or ``encoding``.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _decoded(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decoded(data, "utf-16"), "utf-16"
    sample = data[:4096]
    zeros_even, zeros_odd = sample[0::2].count(0), sample[1::2].count(0)
    if zeros_odd > len(sample) // 4 and zeros_even == 0:
        return _decoded(data, "utf-16-le"), "utf-16-le"
    if zeros_even > len(sample) // 4 and zeros_odd == 0:
        return _decoded(data, "utf-16-be"), "utf-16-be"
    if b"\x00" in data:
        raise UnreadableFile("binary")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = _decoded(data, "cp1252")
    # Control characters other than line ends and tabs: not a spreadsheet's text.
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text[:4096]):
        raise UnreadableFile("binary")
    return text, "cp1252"


def _decoded(data, encoding):
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise UnreadableFile("encoding") from None
    if "\x00" in text:
        raise UnreadableFile("binary")
    return text


def sniff_separator(header_line):
    """The separator of a CSV header line: the known one it holds most of (comma if none)."""
    counts = {separator: header_line.count(separator) for separator in SEPARATORS}
    best = max(SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def _read_csv(text, encoding, max_rows):
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    separator = sniff_separator(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise UnreadableFile("no_header")
        rows = []
        # Numbered as a spreadsheet numbers them: a record per row, the header row 1.
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(rows) >= max_rows:
                raise UnreadableFile("too_many_rows", limit=max_rows)
            rows.append((number, row))
    except csv.Error:
        raise UnreadableFile("binary") from None
    return Table("csv", [cell.strip() for cell in header], rows, encoding, separator)


def _read_xlsx(data, max_rows):
    from openpyxl import load_workbook  # only imports need the reader

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a zip that is not a workbook, or a damaged one
        raise UnreadableFile("broken_xlsx") from None
    try:
        sheet = workbook.active or workbook.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = None
        rows = []
        for line, row in enumerate(values, start=1):
            cells = [_xlsx_value(value) for value in row]
            if not any(cell not in (None, "") for cell in cells):
                continue
            if header is None:
                header = [str(c or "").strip() for c in cells]
                continue
            if len(rows) >= max_rows:
                raise UnreadableFile("too_many_rows", limit=max_rows)
            rows.append((line, cells))  # the sheet's own row number
    except UnreadableFile:
        raise
    except Exception:
        raise UnreadableFile("broken_xlsx") from None
    finally:
        workbook.close()
    if header is None:
        raise UnreadableFile("no_header")
    return Table("xlsx", header, rows)


def _xlsx_value(value):
    """A cell's value as the import reads it: text, a date-time, or a number as text."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed as a number: 3135550100.0
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def restore(value):
    """Undo ``neutralise``: drop the apostrophe it puts before a formula trigger, only there."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in _FORMULA_STARTS:
        return value[1:]
    return value
