"""Text typed by people: cleaned one way, email addresses compared one way, and values
that read left to right kept readable inside Arabic text, one way.

Pure: strings in, strings out; no app context. Forms, services, templates, emails and
the CLI all go through these rules, so a name or an address means the same thing
everywhere and an address or a phone number reads the same in every message.
"""

import re
import unicodedata
from html import unescape

from email_validator import EmailNotValidError, validate_email
from markupsafe import Markup, escape

# Characters that could reorder or hide text in lists and exports: stripped from names.
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


# Letters that people type interchangeably in Arabic names: hamza forms of alef (their
# marks go with NFKD), alef wasla, teh marbuta and alef maksura; tatweel only stretches.
_ARABIC_VARIANTS = str.maketrans(
    {"\u0671": "\u0627", "\u0629": "\u0647", "\u0649": "\u064a", "\u0640": None}
)


def fold(text):
    """Return ``text`` as names are searched: «أحمد» and «احمد», «José» and «jose» alike.

    Compatibility forms are unfolded (NFKD), every combining mark is dropped (Arabic
    diacritics, the hamza and madda over alef, Latin accents), Arabic letter variants are
    made one (أ/إ/آ/ٱ → ا, ة → ه, ى → ي, no tatweel), case is folded and spaces collapsed.
    The application keeps each name's folded copy in a column (``name_folded``), and the
    search folds what is typed the same way.
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(kept.translate(_ARABIC_VARIANTS).casefold().split())


def escape_like(text):
    """``text`` with the wildcards of LIKE (and its escape character) escaped by ``\\``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


# A span already isolated (by an earlier pass): left as it is.
_ISOLATED = re.compile(f"{FSI}[^{FSI}{PDI}]*{PDI}")


def isolate_runs(text):
    """``text`` with each link, email address and phone number between FSI and PDI, so
    that plain text (an email's text part, a flash message) keeps them readable inside
    right-to-left text. Runs already isolated are left alone: applying it twice is harmless."""
    pieces, position = [], 0
    for found in _ISOLATED.finditer(text):
        pieces.append(_isolate_plain(text[position : found.start()]))
        pieces.append(found.group(0))
        position = found.end()
    pieces.append(_isolate_plain(text[position:]))
    return "".join(pieces)


def _isolate_plain(text):
    return "".join(f"{FSI}{piece}{PDI}" if is_run else piece for piece, is_run in ltr_runs(text))


# ---------------------------------------------------------------------------------------
# One value, or a whole message, inside text of either direction.
#
# Plain text: ``isolate`` (one value) and ``isolate_runs`` (the runs of a text).
# HTML: ``ltr`` (one value known to read left to right: an address, a link, a code),
# ``bdi`` (one value of unknown direction: a person's name), ``isolate_markup`` (a
# message: each run wrapped) and ``isolate_html`` (a rendered page or email: the runs of
# its text wrapped, where nothing isolates them yet).

LTR_OPEN = Markup('<bdi dir="ltr">')
LTR_CLOSE = Markup("</bdi>")


def isolate(value):
    """One value (an address, a number, a code) between FSI and PDI, for plain text."""
    if value is None or value == "":
        return ""
    return f"{FSI}{value}{PDI}"


def ltr(value):
    """One value that reads left to right, as HTML: ``<bdi dir="ltr">value</bdi>`` (escaped)."""
    if value is None or str(value) == "":
        return Markup("")
    return LTR_OPEN + escape(value) + LTR_CLOSE


def bdi(value):
    """One value of its own direction (a name typed in either script), as ``<bdi>``."""
    if value is None or str(value) == "":
        return Markup("")
    return Markup("<bdi>") + escape(value) + Markup("</bdi>")


def isolate_markup(message):
    """A message as HTML (``Markup``), each link, email address and phone number in it
    wrapped in ``<bdi dir="ltr">``. Plain text is escaped first; HTML (``Markup``) keeps its
    tags and gets the ``isolate_html`` pass. Flash messages go through this at display."""
    if message is None:
        return Markup("")
    if hasattr(message, "__html__"):
        return Markup(isolate_html(str(message.__html__())))
    html = Markup("")
    for piece, is_run in ltr_runs(str(message)):
        html += (LTR_OPEN + escape(piece) + LTR_CLOSE) if is_run else escape(piece)
    return html


isolate_flash = isolate_markup

# An HTML document as tags and the text between them (comments and declarations are tags).
_HTML_TOKEN = re.compile(r"(<!--.*?-->|<[^>]*>)", re.DOTALL)
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")
# A run has a digit (a phone number), an "@" (an address) or "://" (a link): text without
# any of them is passed over at once.
_MAY_HOLD_RUN = re.compile(r"\d|@|://")
_DIR_LTR = re.compile(r"""\bdir\s*=\s*["']?ltr\b""", re.IGNORECASE)
VOID_ELEMENTS = {
    *"area base br col embed hr img input link meta param source track wbr".split(),
}
# Text in these is not read as part of the page's sentences (or is not text at all).
_SKIPPED = {"head", "title", "style", "script", "textarea", "pre", "code", "svg", "math"}


def isolate_html(html):
    """Rendered HTML with each link, email address and phone number in its text wrapped in
    ``<bdi dir="ltr">``, except where an element around it already isolates it (a ``<bdi>``
    or anything with ``dir="ltr"``) or the text is not prose (``<title>``, ``<pre>``,
    ``<code>``, ``<style>`` ...). Tags and attributes are left exactly as they were.

    Runs are found in the text as it reads (entities decoded) and the text is escaped
    again around them; text without a run is kept byte for byte. Safe to apply twice.
    """
    out = []
    stack = []  # (tag name, isolates or skips its content)
    shielded_depth = 0  # how many elements on the stack isolate or skip their content
    for token in _HTML_TOKEN.split(html):
        if not token:
            continue
        if token.startswith("<"):
            out.append(token)
            tag = _TAG.match(token)
            if tag is None:
                continue  # a comment, a doctype
            closing, name, attributes = tag.groups()
            name = name.lower()
            if closing:
                for index in range(len(stack) - 1, -1, -1):
                    if stack[index][0] == name:
                        shielded_depth -= sum(shielded for _, shielded in stack[index:])
                        del stack[index:]
                        break
            elif name not in VOID_ELEMENTS and not attributes.rstrip().endswith("/"):
                shielded = name == "bdi" or name in _SKIPPED or bool(_DIR_LTR.search(attributes))
                stack.append((name, shielded))
                shielded_depth += shielded
        elif shielded_depth or not _MAY_HOLD_RUN.search(token):
            out.append(token)
        else:
            out.append(_isolate_text_node(token))
    result = "".join(out)
    return Markup(result) if isinstance(html, Markup) else result


def _isolate_text_node(token):
    pieces = list(ltr_runs(unescape(token)))
    if len(pieces) == 1:  # no run
        return token
    return "".join(
        f"{LTR_OPEN}{escape(piece)}{LTR_CLOSE}" if is_run else str(escape(piece))
        for piece, is_run in pieces
    )
