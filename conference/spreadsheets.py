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
* XLSX: openpyxl's write-only mode, which streams the sheet to a temporary file;
  right-to-left when the reader's language is.
"""

import csv
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

# What makes Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
CSV_CHUNK_SIZE = 64 * 1024
BOM = "\ufeff"


def neutralise(value):
    """Return ``value`` so that no spreadsheet runs it as a formula (strings only)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_text(value):
    if value is None:
        return ""
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
