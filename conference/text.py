"""Text typed by people: cleaned one way, and email addresses compared one way.

Pure: strings in, strings out; no app context. Forms, services and the CLI all go
through these two rules, so a name or an address means the same thing everywhere.
"""

import unicodedata

from email_validator import EmailNotValidError, validate_email

# Characters that could reorder or hide text in lists and exports: stripped from names.
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


class InvalidEmailAddress(ValueError):
    """Not an email address (the caller says so in the user's language)."""


def normalise_email(address):
    """Return ``address`` trimmed, in NFKC form and lower-cased, if it is a valid address.

    NFKC folds compatibility forms (full-width ``ａlice＠example.org``, ligatures) into
    the characters they stand for, so one person cannot register (or hold an account)
    twice by typing them. Registrations and staff accounts use this one rule.

    :raises InvalidEmailAddress: not an address.
    """
    address = unicodedata.normalize("NFKC", address or "").strip()
    try:
        address = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidEmailAddress(address) from None
    return address.lower()


def clean_text(value, *, multiline=False):
    """Return ``value`` without control characters or bidi overrides, trimmed; ``None`` if empty.

    Line breaks survive where ``multiline`` (CRLF and CR become LF); elsewhere they, like
    tabs and other whitespace controls, become spaces (``Bob\\nSmith`` is "Bob Smith",
    not "BobSmith"). Everything else that is not printable goes.
    """
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value))
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for char in text:
        if char in BIDI_CONTROLS:
            continue
        if multiline and char in "\n\t":
            kept.append(char)
        elif unicodedata.category(char) in {"Cc", "Cs", "Co", "Cn"}:
            if char.isspace():  # a line break, tab or other separator: still a gap
                kept.append(" ")
        else:
            kept.append(char)
    text = "".join(kept)
    text = text.strip() if multiline else " ".join(text.split())
    return text or None
