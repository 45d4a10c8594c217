"""The Subject and address headers, written whole so that every reader reads back what we meant.

Flask-Mail writes these with ``email.header.Header(...).encode()`` and string joining,
then ``email.policy.SMTP`` parses and refolds what it wrote. Two things went wrong on the
way, in Python 3.11's own code:

* ``Header.encode`` (and the policy's folder too) folds a long value into several
  encoded-words exactly at a space, and leaves the space outside them as the folding
  whitespace. RFC 2047 says whitespace between encoded-words is not text, so every reader
  drops it: «من أجل سوريا» arrived as «من أجلسوريا».
* A display name such as ``Team <security@evil.example>, Victim`` was turned into an
  encoded-word; once the header was longer than a line, the policy decoded it and wrote it
  back as bare text, without the quotes its specials need, so ``To:`` read as two
  addresses. The policy also decodes text that merely looks like an encoded-word
  (``=?utf-8?q?...?=`` typed as a name) and so changes it.

So these headers are built here, by rules simple enough to be sure of: a display name of
plain words stays as it is; another ASCII name becomes a quoted-string on one line
(escaped by ``email.utils.quote``); anything else (non-ASCII, ``=?``, runs of spaces, a
name too long to quote on one line) is encoded whole as base64 encoded-words
(``email.base64mime``), every space inside one, cut only between whole characters. Lines
stay within 78 characters. The result is a ``FoldedHeader``, which the policy stores and
writes as it is, without parsing or refolding it. The addresses themselves are checked
by ``email.headerregistry.Address``.
"""

import functools
import unicodedata
from email import base64mime
from email.errors import HeaderParseError
from email.headerregistry import Address, HeaderRegistry
from email.utils import quote

MAX_LINE = 78  # RFC 5322: lines SHOULD be at most 78 characters
EW_MAX = 75  # RFC 2047: an encoded-word is at most 75 characters
EW_CHROME = len("=?utf-8?b??=")
WORD_ROOM = MAX_LINE - len("Reply-To: ")  # the longest word that fits any first line
ATEXT = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~"
)
PRINTABLE = frozenset(map(chr, range(0x21, 0x7F)))
_JOINERS = {"\u200c", "\u200d", "\u034f"}  # zero-width (non-)joiners, grapheme joiner


class HeaderValueError(ValueError):
    """A header value that cannot be written safely (a line break, an unusable address)."""


class FoldedHeader:
    """A header written by this module: ``email.policy`` stores and writes it as it is.

    An object with a ``name`` and a ``fold(policy=...)`` method is how the policy API takes
    a ready header (see ``EmailPolicy.header_store_parse``); ``str()`` is its text.
    """

    __slots__ = ("name", "text", "lines")

    def __init__(self, name, text, lines):
        self.name = name
        self.text = text
        self.lines = tuple(lines)

    def fold(self, *, policy):
        return f"{self.name}: " + (policy.linesep + " ").join(self.lines) + policy.linesep

    def __str__(self):
        return self.text

    def __repr__(self):
        return f"FoldedHeader({self.name!r}, {self.text!r})"


@functools.lru_cache(maxsize=1024)
def text_header(name, text):
    """Return the unstructured header ``name`` (a Subject) holding exactly ``text``."""
    _refuse_line_breaks(text)
    if _is_plain(text, PRINTABLE):
        return FoldedHeader(name, text, _fold(name, text.split(" ")))
    return FoldedHeader(name, text, _fold(name, _encoded_words(text, _first_room(name))))


@functools.lru_cache(maxsize=1024)
def address_header(name, display_name, addr_spec):
    """Return the header ``name`` holding one mailbox, read back as exactly these two values.

    :raises HeaderValueError: a line break in the name, or not a usable address.
    """
    display_name = display_name or ""
    _refuse_line_breaks(display_name)
    addr_spec = _ascii_addr_spec(addr_spec)
    if not display_name:
        return FoldedHeader(name, addr_spec, [addr_spec])
    text = str(Address(display_name, addr_spec=addr_spec))
    angle_addr = f"<{addr_spec}>"
    quoted = f'"{quote(display_name)}"'
    if _is_plain(display_name, ATEXT):
        words = display_name.split(" ")
    elif _is_plain(display_name, PRINTABLE) and len(quoted) <= _first_room(name):
        # On one line: RFC 5322 lets a quoted-string fold, but readers (Python's
        # getaddresses among them) then cut the address in two.
        words = [quoted]
    else:
        words = _encoded_words(display_name, _first_room(name))
    return FoldedHeader(name, text, _fold(name, [*words, angle_addr]))


def mailbox(value):
    """Return ``(display name, address)`` for an address given as a pair or as text.

    Text is ``Name <address>`` or a bare address (``MAIL_DEFAULT_SENDER``, say).

    :raises HeaderValueError: the text is not exactly one mailbox.
    """
    if isinstance(value, tuple | list):
        display_name, addr_spec = value
        return display_name or "", addr_spec
    return _parsed_mailbox(value)


@functools.lru_cache(maxsize=64)
def _parsed_mailbox(text):
    try:
        header = HeaderRegistry()("To", text)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise HeaderValueError(f"not one email address: {text!r}") from exc
    if header.defects or len(header.addresses) != 1:
        raise HeaderValueError(f"not one email address: {text!r}")
    [address] = header.addresses
    return address.display_name, address.addr_spec


def _is_plain(text, allowed):
    """Whether ``text`` reads back as itself unencoded: single spaces, allowed ASCII, no ``=?``."""
    words = text.split(" ")
    return (
        all(words)  # no leading, trailing or repeated space
        and "=?" not in text
        and set(text) <= allowed | {" "}
        and all(len(word) <= WORD_ROOM for word in words)
    )


def _refuse_line_breaks(text):
    if any(char in text for char in "\r\n\0"):
        raise HeaderValueError(f"a line break in a header: {text!r}")


def _ascii_addr_spec(addr_spec):
    """The address as a header can carry it: checked, its domain in IDNA (ASCII)."""
    if not addr_spec.rpartition("@")[0].isascii():
        raise HeaderValueError(f"a non-ASCII mailbox name needs SMTPUTF8: {addr_spec!r}")
    try:
        local_part, domain = Address(addr_spec=addr_spec).addr_spec.rsplit("@", 1)
        return f"{local_part}@{domain.encode('idna').decode('ascii')}"
    except (ValueError, IndexError, UnicodeError, HeaderParseError) as exc:
        raise HeaderValueError(f"not a usable email address: {addr_spec!r}") from exc


def _first_room(name):
    return MAX_LINE - len(name) - len(": ")


def _encoded_words(text, first_room):
    """Cut ``text`` into base64 encoded-words, each as long as its line and RFC 2047 allow.

    Every character, spaces included, is inside a word: the whitespace between words is
    only folding and readers drop it. A cut falls after a space where one is near, and
    never before a combining mark or next to a joiner (a letter keeps its vowel marks).
    The first word fits after the header's name; the others each start a line.
    """
    words = []
    start = 0
    room = min(EW_MAX, first_room)
    while start < len(text):
        budget = (room - EW_CHROME) // 4 * 3  # UTF-8 bytes whose base64 fits the room
        end, size = start, 0
        while end < len(text) and size + len(text[end].encode("utf-8")) <= budget:
            size += len(text[end].encode("utf-8"))
            end += 1
        if end < len(text):
            end = _cut(text, start, end)
        words.append(base64mime.header_encode(text[start:end], charset="utf-8"))
        start = end
        room = min(EW_MAX, MAX_LINE - 1)
    return words


def _cut(text, start, end):
    """The best place to end a word that may reach ``end`` (exclusive)."""
    space = text.rfind(" ", start, end)
    if space >= start + (end - start) // 2:
        return space + 1
    for cut in range(end, start, -1):
        if _may_cut_before(text, cut):
            return cut
    return end  # a single cluster longer than a word: cut it between characters


def _may_cut_before(text, index):
    char, previous = text[index], text[index - 1]
    return not (
        unicodedata.category(char) in {"Mn", "Mc", "Me"}
        or char in _JOINERS
        or previous in _JOINERS
        or "\ufe00" <= char <= "\ufe0f"  # variation selectors
    )


def _fold(name, words):
    """Lines of ``words`` joined by single spaces, a new line where the next would not fit.

    Each line break replaces one of those spaces (a reader unfolds it back into the space).
    """
    lines = [words[0]]
    room = MAX_LINE - len(name) - len(": ")
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) <= room:
            lines[-1] += " " + word
        else:
            lines.append(word)
            room = MAX_LINE - 1
    return lines
