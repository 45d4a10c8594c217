"""The Arabic catalog is complete, counts use plural forms, and the template is current.

What fails the check (``catalog_problems`` and ``template_differences``):

- A **fuzzy** entry, or a **missing or empty** Arabic ``msgstr`` (for a plural message,
  any of its six forms), or a plural message without exactly six forms.
- A **header** without Arabic's six plural forms (``nplurals=6`` and the CLDR rule), or
  with the template's placeholders left in (``Last-Translator``, ``Language-Team``,
  ``Project-Id-Version``), or a ``Language`` other than ``ar``.
- A **count in a singular message**. A message holds a count when either
  1. one of its placeholders is named as a count: ``num``, ``n``, ``count``, ``total``,
     ``taken``, ``seats``, ``queued``, ``max``, ``min``, ``people``, ``days`` and the
     others in ``COUNT_NAMES`` (so ``%(taken)s مقاعد`` and ``%(queued)s of %(total)s
     messages`` are caught by their names); or
  2. in its Arabic, a placeholder that is not known to hold text (``TEXT_NAMES``: a
     name, an address, a date, a track...) is followed directly by an Arabic word that is
     not a particle (``في``, ``من``, ``على``...): that word is the counted noun, whose
     form depends on the number (``%(x)s رسالة`` is wrong for 3 to 10).
  Such a message must be plural (``ngettext``, ``{% trans count=n %}``), whatever the
  English says: Arabic has six forms (zero, one, two, 3-10, 11-99, 100 and up).
  Ordinals (``%(position)s`` in "number 5 in line", ``Day %(number)s``) stand before a
  particle or alone and pass.
- A **template out of date**: the messages extracted from the sources now (with the
  Makefile's keywords) differ from ``messages.pot``, or the Arabic catalog lacks one of
  the template's entries. Run ``make extract-messages`` and translate.

The tests at the end feed the check bad catalogs to show that it bites.
"""

import re
import shlex
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "conference" / "translations"
CATALOG = TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.po"
TEMPLATE = TRANSLATIONS / "messages.pot"

ARABIC_PLURALS = (
    "(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n % 100 >= 3 && n % 100 <= 10 ? 3 : "
    "n % 100 >= 11 && n % 100 <= 99 ? 4 : 5)"
)
COUNT_NAMES = {
    "n", "num", "number_of", "count", "total", "taken", "seats", "queued", "sent",
    "failed", "waiting", "left", "max", "min", "people", "persons", "days", "hours",
    "minutes", "seconds", "messages", "rows", "registrations", "capacity", "size",
}  # fmt: skip
TEXT_NAMES = {
    "email", "name", "role", "fact", "track", "title", "service", "date", "day", "dates",
    "time", "when", "zone", "folder", "reason", "status", "id", "subject", "first", "last",
    "limit", "wait", "url", "link", "phone", "city", "code", "label", "value", "action",
    "registration", "file",
}  # fmt: skip
PARTICLES = {
    "في", "من", "على", "إلى", "عن", "مع", "أو", "و", "ثم", "أن", "إن", "لا", "لم", "لن",
    "قد", "بعد", "قبل", "حتى", "منذ", "عند", "حين", "كما", "بين",
}  # fmt: skip
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
COUNTED_NOUN = re.compile(r"%\((\w+)\)[sd]\s+([\u0621-\u064A\u0660-\u0669\u0670-\u06D3]+)")


def _forms(message):
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _key(message):
    message_id = message.id[0] if isinstance(message.id, tuple) else message.id
    return message.context, message_id


def counts_in_singular(message):
    """Why ``message`` (not plural) holds a count, or None if it does not."""
    if message.pluralizable:
        return None
    named = sorted(set(PLACEHOLDER.findall(message.id)) & COUNT_NAMES)
    if named:
        return f"placeholder named as a count: {', '.join(named)}"
    for name, word in COUNTED_NOUN.findall(message.string or ""):
        bare = word.removeprefix("ال") if word.startswith("ال") else word
        if name not in TEXT_NAMES and word not in PARTICLES and bare not in PARTICLES:
            return f"%({name})s is followed by the counted noun «{word}»"
    return None


def catalog_problems(catalog):
    """Everything wrong with an Arabic ``catalog``, one line each."""
    problems = []
    if catalog.num_plurals != 6 or catalog.plural_expr != ARABIC_PLURALS:
        problems.append(f"header: Plural-Forms is not Arabic's six forms: {catalog.plural_forms}")
    if str(catalog.locale) != "ar":
        problems.append(f"header: Language is {catalog.locale}, not ar")
    headers = dict(catalog.mime_headers)
    for field, placeholder in (
        ("Last-Translator", "FULL NAME"),
        ("Language-Team", "LL@li.org"),
        ("Project-Id-Version", "VERSION"),
    ):
        if not headers.get(field) or placeholder in headers[field]:
            problems.append(f"header: {field} is not filled in: {headers.get(field)!r}")
    for message in catalog:
        if not message.id:
            continue
        label = f"{message.id!r}" + (f" (context {message.context!r})" if message.context else "")
        forms = _forms(message)
        if message.fuzzy:
            problems.append(f"fuzzy: {label}")
        if message.pluralizable and len(forms) != 6:
            problems.append(f"not six plural forms ({len(forms)}): {label}")
        if not all(form and form.strip() for form in forms):
            problems.append(f"missing Arabic: {label}")
        reason = counts_in_singular(message)
        if reason:
            problems.append(f"a count in a singular message ({reason}): {label}")
    return problems


def makefile_keywords():
    """The keywords ``make extract-messages`` gives pybabel, on top of Babel's defaults."""
    command = next(
        line for line in (ROOT / "Makefile").read_text().splitlines() if "pybabel extract" in line
    )
    words = shlex.split(command.replace("\\", " "))
    specs = [words[i + 1] for i, word in enumerate(words) if word == "-k"]
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(specs))
    return keywords


def makefile_directories(path):
    """Whether pybabel looks into ``path`` with the Makefile's ``--ignore-dirs ".* __pycache__"``
    (Babel's own default would also skip ``templates/_macros``)."""
    name = Path(path).name
    return not name.startswith(".") and name != "__pycache__"


def extracted(root, folders=("conference", "templates"), keywords=None):
    """The (context, msgid) of every message in the sources under ``root``."""
    with open(root / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = set()
    for folder in folders:
        for _file, _line, message, _comments, context in extract_from_dir(
            root / folder,
            method_map,
            options_map,
            keywords=keywords or makefile_keywords(),
            directory_filter=makefile_directories,
        ):
            found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


def template_differences(sources, template, catalog):
    """What the template lacks or keeps beyond the ``sources``, and what ``catalog`` lacks."""
    in_template = {_key(message) for message in template if message.id}
    in_catalog = {_key(message) for message in catalog if message.id}
    lines = [f"not in messages.pot: {key}" for key in sorted(sources - in_template, key=str)]
    lines += [f"no longer in the code: {key}" for key in sorted(in_template - sources, key=str)]
    lines += [
        f"not in the Arabic catalog: {key}" for key in sorted(in_template - in_catalog, key=str)
    ]
    return lines


def read(path, locale=None):
    with open(path, "rb") as handle:
        return read_po(handle, locale=locale)


@pytest.fixture(scope="module")
def arabic():
    return read(CATALOG, locale="ar")


def test_the_arabic_catalog_passes_the_check(arabic):
    problems = catalog_problems(arabic)
    assert not problems, "Fix these in ar/LC_MESSAGES/messages.po:\n" + "\n".join(problems)


def test_the_template_is_up_to_date_with_the_sources(arabic):
    differences = template_differences(extracted(ROOT), read(TEMPLATE), arabic)
    assert not differences, "Run make extract-messages, then translate:\n" + "\n".join(differences)


# --- the check bites ---------------------------------------------------------------


def arabic_catalog(*messages, plural_forms=None):
    catalog = Catalog(
        locale="ar",
        project="For Syria",
        version="1.0",
        last_translator="For Syria organizers <hello@example.org>",
        language_team="Arabic, For Syria organizers <hello@example.org>",
    )
    if plural_forms:
        catalog._num_plurals, catalog._plural_expr = plural_forms
    for message_id, string, *flags in messages:
        catalog.add(message_id, string, flags=flags)
    return catalog


def test_a_good_catalog_passes():
    good = arabic_catalog(
        ("Hello %(name)s,", "مرحبًا %(name)s،"),
        (
            "You are number %(position)s on the waiting list.",
            "أنت رقم %(position)s في قائمة الانتظار.",
        ),
        (
            ("%(num)s seat", "%(num)s seats"),
            ("لا مقاعد", "مقعد واحد", "مقعدان", "%(num)s مقاعد", "%(num)s مقعدًا", "%(num)s مقعد"),
        ),
    )
    assert catalog_problems(good) == []


@pytest.mark.parametrize(
    ("message_id", "string"),
    [
        # The two examples of the review: right up to 10, wrong from 11; wrong for 3 to 10.
        (
            "%(track)s has %(taken)s confirmed seats: its capacity cannot go below that.",
            "في مسار %(track)s %(taken)s مقاعد مؤكدة، فلا يمكن أن تقل سعته عن ذلك.",
        ),
        (
            "%(queued)s of %(total)s messages are in the outbox.",
            "%(queued)s من أصل %(total)s رسالة في صندوق الصادر.",
        ),
        # A name the check does not know, caught by the noun after it in the Arabic.
        ("%(guests)s guests have arrived.", "وصل %(guests)s ضيفًا."),
    ],
)
def test_a_count_in_a_singular_message_fails(message_id, string):
    problems = catalog_problems(arabic_catalog((message_id, string)))
    assert len(problems) == 1
    assert problems[0].startswith("a count in a singular message")


def test_fuzzy_missing_and_empty_plural_forms_fail():
    bad = arabic_catalog(
        ("Save", "احفظ", "fuzzy"),
        ("Cancel", ""),
        (("%(num)s seat", "%(num)s seats"), ("لا مقاعد", "مقعد واحد", "", "", "", "")),
        (("%(num)s day", "%(num)s days"), ("يوم", "يومان")),
    )
    problems = catalog_problems(bad)
    assert "fuzzy: 'Save'" in problems
    assert "missing Arabic: 'Cancel'" in problems
    assert any(line.startswith("missing Arabic: ('%(num)s seat'") for line in problems)
    assert any(line.startswith("not six plural forms (2)") for line in problems)


def test_a_header_without_arabic_plurals_or_with_placeholders_fails():
    bad = arabic_catalog(plural_forms=(2, "(n != 1)"))
    bad.last_translator = "FULL NAME <EMAIL@ADDRESS>"
    problems = catalog_problems(bad)
    assert any(line.startswith("header: Plural-Forms") for line in problems)
    assert any(line.startswith("header: Last-Translator") for line in problems)


def test_a_template_behind_the_sources_fails(tmp_path):
    (tmp_path / "babel.cfg").write_text("[python: **.py]\n[jinja2: **.html]\n")
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "views.py").write_text(
        "from flask_babel import lazy_pgettext, ngettext\n"
        'A = _("Kept")\n'
        'B = lazy_pgettext("column", "Sent")\n'
        'C = ngettext("%(num)s seat", "%(num)s seats", 2)\n'
    )
    template = Catalog()
    template.add("Kept")
    template.add("Gone from the code")
    catalog = Catalog(locale="ar")
    sources = extracted(tmp_path, folders=("code",))

    differences = template_differences(sources, template, catalog)

    assert "not in messages.pot: ('column', 'Sent')" in differences
    assert "not in messages.pot: (None, '%(num)s seat')" in differences
    assert "no longer in the code: (None, 'Gone from the code')" in differences
    assert "not in the Arabic catalog: (None, 'Kept')" in differences
