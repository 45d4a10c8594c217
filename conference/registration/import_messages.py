"""What an import says about a file it cannot read: what the file is, and how to save it."""

from flask_babel import gettext as _
from flask_babel import ngettext


def unreadable_message(error):
    """What an ``UnreadableFile`` is, in words, with how to save the file instead."""
    save = _("Save it as CSV UTF-8 in Excel: File → Save As → CSV UTF-8.")
    reason = error.reason
    if reason == "empty":
        return _("The file is empty.")
    if reason == "too_big":
        megabytes = max(error.details["limit"] // (1024 * 1024), 1)
        return ngettext(
            "The file is larger than %(num)s MB. Split it into smaller files and import each.",
            "The file is larger than %(num)s MB. Split it into smaller files and import each.",
            megabytes,
        )
    if reason == "too_many_rows":
        return ngettext(
            "The file has more than %(num)s row. Split it into smaller files and import each.",
            "The file has more than %(num)s rows. Split it into smaller files and import each.",
            error.details["limit"],
        )
    if reason == "no_header":
        return _(
            "The file has no header row. Put the column names (email, full_name, tracks) "
            "in its first row."
        )
    described = {
        "encoding": _("The file is text in an encoding this import cannot read."),
        "xls": _("The file is an old Excel workbook (.xls)."),
        "ods": _("The file is an OpenDocument spreadsheet (.ods)."),
        "pdf": _("The file is a PDF document, not a spreadsheet."),
        "image": _("The file is an image, not a spreadsheet."),
        "rtf": _("The file is a word-processor document, not a spreadsheet."),
        "broken_xlsx": _(
            "The file looks like an Excel workbook but cannot be opened: it may be damaged "
            "or protected by a password."
        ),
    }.get(reason, _("The file is not a spreadsheet this import can read."))
    return f"{described} {save}"
