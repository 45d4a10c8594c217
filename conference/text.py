"""Text typed by people: cleaned one way, and email addresses compared one way.

Pure: strings in, strings out; no app context. Forms, services and the CLI all go
through these two rules, so a name or an address means the same thing everywhere.
"""

import re
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


# Runs that read left to right whatever the text around them: links, email addresses and
# phone numbers. Inside Arabic text, the bidi algorithm reorders their neutral characters
# ("+1 (313) 555-0100" shows as "0100-555 (313) 1+") unless each is isolated.
LTR_RUN = re.compile(
    r"https?://[^\s<>\"']+"  # a link
    r"|[^\s<>@\"'()]+@[^\s<>@\"'()]+\.[^\s<>@\"'(),;:!?»]+"  # an email address
    r"|(?<![\w+])\+?\(?\d[\d ().\-/]{4,}\d(?!\w)",  # a phone number (digits of any script)
    re.IGNORECASE,
)
# Punctuation after a run belongs to the sentence (a closing bracket only when the run has
# more of them than opening ones).
RUN_TRAILING = ".,;:!?)]}»،؛"
FSI, PDI = "\u2068", "\u2069"


def ltr_runs(text):
    """Split ``text`` into ``(piece, is_run)`` pairs, in order: what is not a link, an
    email address or a phone number, and each of those (trailing punctuation left out)."""
    position = 0
    for found in LTR_RUN.finditer(text):
        run = found.group(0)
        while (
            run and run[-1] in RUN_TRAILING and (run[-1] != ")" or run.count(")") > run.count("("))
        ):
            run = run[:-1]
        yield text[position : found.start()], False
        yield run, True
        position = found.start() + len(run)
    yield text[position:], False


def isolate_runs(text):
    """``text`` with each link, email address and phone number between FSI and PDI, so
    that plain text (an email's text part, a flash message) keeps them readable inside
    right-to-left text."""
    return "".join(f"{FSI}{piece}{PDI}" if is_run else piece for piece, is_run in ltr_runs(text))
