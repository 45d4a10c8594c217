"""Every string a visitor sees exists in both languages."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "conference" / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}


def extracted_messages():
    with open(ROOT / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    messages = set()
    for folder in ("conference", "templates"):
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT / folder, method_map, options_map, keywords=KEYWORDS
        ):
            messages.add((context, message[0] if isinstance(message, tuple) else message))
    return messages


@pytest.fixture(scope="module")
def arabic():
    with open(CATALOG, "rb") as handle:
        return read_po(handle, locale="ar")


def test_every_message_in_the_code_has_an_arabic_translation(arabic):
    missing = []
    for context, message_id in sorted(extracted_messages(), key=str):
        message = arabic.get(message_id, context=context)
        strings = message.string if message else None
        if isinstance(strings, tuple):
            complete = all(strings)
        else:
            complete = bool(strings)
        if not complete or message.fuzzy:
            missing.append(message_id)

    hint = "Translate these in ar/LC_MESSAGES/messages.po (after make extract-messages):\n"
    assert not missing, hint + "\n".join(missing)


def test_arabic_translations_keep_their_placeholders(arabic):
    for message in arabic:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)s", ids[-1]))
        for string in strings:
            if string:
                found = set(re.findall(r"%\(\w+\)s", string))
                assert found <= wanted, (message.id, string)


class VisibleText(HTMLParser):
    """Collect text a visitor sees, skipping stretches marked as another language."""

    def __init__(self, skip_lang):
        super().__init__()
        self.skip_lang = skip_lang
        self.stack = []
        self.texts = []

    def handle_starttag(self, tag, attrs):
        if tag in {"meta", "link", "img", "br", "input"}:
            return
        attrs = dict(attrs)
        inside_skipped = bool(self.stack and self.stack[-1])
        self.stack.append(inside_skipped or attrs.get("lang") == self.skip_lang)

    def handle_endtag(self, tag):
        if tag not in {"meta", "link", "img", "br", "input"} and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.texts.append(data.strip())


def visible_text(html, skip_lang):
    parser = VisibleText(skip_lang)
    parser.feed(html)
    return parser.texts


# Words that stay in Latin letters on the Arabic pages: the coalition's acronym.
LATIN_ALLOWED = {"ACS"}
PAGES = ["/", "/register", "/register/link", "/privacy", "/volunteer", "/no-such-page"]


@pytest.mark.parametrize("path", PAGES)
def test_arabic_pages_show_no_untranslated_english(client, conference, path):
    html = client.get(path, headers={"Accept-Language": "ar"}).get_data(as_text=True)

    latin = {
        word
        for text in visible_text(html, skip_lang="en")
        for word in re.findall(r"[A-Za-z]{2,}", text)
    } - LATIN_ALLOWED

    assert not latin, f"English words on the Arabic page {path}: {sorted(latin)}"


@pytest.mark.parametrize("path", PAGES)
def test_english_pages_show_no_arabic(client, conference, path):
    html = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)

    arabic_text = [
        text for text in visible_text(html, skip_lang="ar") if re.search(r"[\u0600-\u06FF]", text)
    ]

    assert not arabic_text, f"Arabic on the English page {path}: {arabic_text}"
