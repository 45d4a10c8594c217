"""Stories as a small Markdown subset, rendered to HTML that cannot run or mislead.

Submitters write plain paragraphs, or a little Markdown: emphasis, strong, lists, quotes
and links. markdown-it-py renders that subset with raw HTML turned off (``<script>`` is
shown as text); nh3 (the ammonia sanitiser) then keeps only the tags, attributes and
link schemes below, so nothing else survives even if the renderer let it through.
Before either, the text loses what hides or reorders writing: bidi overrides and
isolates, zero-width and other invisible format characters (tag characters included),
control characters. The joiners Arabic and emoji need (ZWJ, ZWNJ) stay.

Every rendered block is wrapped by the templates in an element with the text's own
``lang`` and ``dir``, so an English story on the Arabic site reads left to right.
"""

import unicodedata

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from conference.text import BIDI_CONTROLS

ALLOWED_TAGS = {"p", "br", "em", "strong", "ul", "ol", "li", "blockquote", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Kept: Arabic shaping and emoji sequences need them.
JOINERS = {"\u200c", "\u200d"}

_markdown = (
    MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False, "breaks": True})
    .enable(["emphasis", "list", "blockquote", "link", "newline", "escape", "backticks"])
    .disable(["backticks"])
)


def plain(value):
    """``value`` without hidden or reordering characters; line breaks kept (LF)."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for char in text:
        if char in BIDI_CONTROLS:
            continue
        category = unicodedata.category(char)
        if char in "\n\t" or char in JOINERS:
            kept.append(char)
        elif category in {"Cc", "Cs", "Co", "Cn", "Cf"}:
            continue
        else:
            kept.append(char)
    return "".join(kept).strip()


def render(value):
    """The story's HTML, safe to put in any page or email."""
    html = _markdown.render(plain(value))
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow ugc",
        strip_comments=True,
    )
    return Markup(cleaned)


def excerpt(value, length=220):
    """A plain-text beginning of the story (cards, sharing descriptions, emails)."""
    words = " ".join(
        line.lstrip("#>*-+ 0123456789.").strip() for line in plain(value).splitlines()
    ).split()
    text = " ".join(words)
    text = text.replace("**", "").replace("__", "").replace("*", "").replace("_", " ")
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0]
    return cut + "…"
