"""Languages: which one a request gets, and helpers for bilingual content.

The visitor's choice (a cookie set by the language switch) wins over the browser's
``Accept-Language``; English is the fallback. Templates get ``current_language``,
``text_direction`` and the ``tr`` filter, which picks a bilingual value's text in the
current language. Emails and CLI output use ``force_locale`` with a stored language.
"""

import functools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, dates, numbers, support
from flask import current_app, g, get_flashed_messages, has_request_context, request
from flask_babel import Babel, get_locale, get_translations, refresh, to_user_timezone
from flask_babel import format_number as babel_format_number
from jinja2.ext import (
    _make_new_gettext,
    _make_new_ngettext,
    _make_new_npgettext,
    _make_new_pgettext,
)
from markupsafe import Markup
from wtforms.i18n import messages_path

from conference import text
from conference.clock import utcnow
from conference.config import LANGUAGES

babel = Babel()

LANGUAGE_NAMES = {"ar": "العربية", "en": "English"}


def select_language():
    """Return the language for this request: the remembered choice, then the browser's."""
    if not has_request_context():  # CLI and deliverers render inside force_locale
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    g.language_negotiated = True  # the response now depends on these headers: see vary_on_language
    chosen = request.cookies.get(current_app.config["LANGUAGE_COOKIE"])
    if chosen in LANGUAGES:
        return chosen
    return (
        request.accept_languages.best_match(LANGUAGES) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def vary_on_language(response):
    """Say ``Vary: Cookie, Accept-Language`` on every response the visitor's language shaped.

    Whatever asked for the language (a template, a redirect built in it, an error page),
    a cache must not give the answer to a visitor with other language settings. Answers
    that never asked (robots.txt, static files, ``?lang=`` calendar files) stay shared.
    """
    if g.pop("language_negotiated", False):
        response.vary.update(("Cookie", "Accept-Language"))
    return response


def current_language():
    return str(get_locale() or "en")


def direction(language):
    """Return ``"rtl"`` or ``"ltr"`` for a language code."""
    return Locale.parse(language).text_direction


def translate(value, language=None):
    """Return the text of a bilingual value (``{"en": ..., "ar": ...}``) in ``language``.

    Falls back to the other language rather than showing nothing; plain strings pass through.
    """
    if not isinstance(value, dict):
        return value or ""
    language = language or current_language()
    return value.get(language) or next((v for v in value.values() if v), "")


# Dates and times: one style per language, in the conference's time zone.
#
#   a moment (a stored UTC time)  "Dec 2, 2026, 9:01 AM"   /  "2 كانون الأول 2026، 9:01 ص"
#   a date alone                  "Dec 2, 2026"            /  "2 كانون الأول 2026"
#   a day of the programme        "Wednesday, December 2, 2026" / "الأربعاء، 2 كانون الأول 2026"
#   a range of days               "Dec 2 – 4, 2026"        /  "2–4 كانون الأول 2026"
#   a time of day                 "9:01 AM"                /  "9:01 ص"
#
# Arabic uses the Syrian locale's calendar words: the Levantine month names (آذار, not
# مارس) that readers in Syria expect. Digits stay Latin, as everywhere else on the site.
DATE_SKELETON = "yMMMd"
_DATE_LOCALES = {"ar": "ar_SY"}


def date_locale(language=None):
    """The locale dates and times are written in for ``language``: ``ar_SY`` for Arabic."""
    language = str(language or current_language())
    return _DATE_LOCALES.get(language, language)


def format_day(day, language=None):
    """Return a day written out in full: "Friday, March 18, 2022" / "الجمعة، 18 آذار 2022"."""
    return _formatted_day(day, "full", date_locale(language))


def format_date_range(start, end, language=None):
    """Return a compact date range: "Mar 18 – 19, 2022" / "18–19 آذار 2022"."""
    return _date_range(start, end, date_locale(language))


@functools.lru_cache(maxsize=256)  # every page and email shows the conference's dates
def _date_range(start, end, locale):
    if start == end:
        return dates.format_skeleton(DATE_SKELETON, start, locale=locale)
    return dates.format_interval(start, end, skeleton=DATE_SKELETON, locale=locale)


def format_clock(value, language=None):
    """Return a time of day in the language's short style: "10:30 AM" / "10:30 ص"."""
    return dates.format_time(value, format="short", locale=date_locale(language))


def _zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return UTC


def _as_utc(value):
    """A stored time (naive means UTC) as an aware UTC datetime."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _moment_text(local, language):
    """A local (aware) datetime as the one date-and-time style of ``language``."""
    locale = date_locale(language)
    day = _formatted_day(local.date(), None, locale)
    glue = Locale.parse(locale).datetime_formats["medium"]
    return glue.replace("{1}", day).replace("{0}", format_clock(local.time(), language))


def format_local_time(moment, timezone, *, now=None, language=None):
    """Return ``moment`` (naive UTC) as a clock time in ``timezone`` (a zone's name).

    Only the time on the same local day as ``now``, else the date and time in the one
    style of ``format_moment``: "10:42 AM", "Dec 1, 2026, 10:42 AM". An unknown zone
    reads as UTC.
    """
    zone = _zone(timezone)
    local = _as_utc(moment).astimezone(zone)
    today = _as_utc(now or utcnow()).astimezone(zone).date()
    language = language or current_language()
    if local.date() == today:
        return format_clock(local.time(), language)
    return _moment_text(local, language)


def format_timezone(name, language=None):
    """Return a time zone's name for people: "Pacific Time" / "توقيت المحيط الهادي"."""
    return dates.get_timezone_name(
        ZoneInfo(name), width="long", uncommon=False, locale=date_locale(language)
    )


# Lists and the dashboard format hundreds of numbers and dates a page, and Babel parses
# its patterns and looks the locale up on every call: the results are kept instead
# (a page shows a few dozen distinct days and counts).
@functools.lru_cache(maxsize=4096)
def _formatted_integer(value, language):
    return numbers.format_decimal(value, locale=language)


@functools.lru_cache(maxsize=4096)
def _formatted_day(day, format, locale):
    """``format`` "full" writes the weekday and the month in full; anything else is the
    one date style ("Dec 2, 2026")."""
    if format == "full":
        return dates.format_date(day, format="full", locale=locale)
    return dates.format_skeleton(DATE_SKELETON, day, locale=locale)


def format_number(value):
    """Flask-Babel's ``numberformat``, remembered for whole numbers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _formatted_integer(value, current_language())
    return babel_format_number(value)


def format_date(value=None, format=None, language=None):
    """The ``dateformat`` filter: a date (or the local day of a stored UTC time) in the one
    date style, "Dec 2, 2026" / "2 كانون الأول 2026"; ``"full"`` adds the weekday.

    ``short``, ``medium`` and ``long`` all give the one style: no page shows "12/2/26".
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(_as_utc(value)).date()
    return _formatted_day(value, "full" if format == "full" else None, date_locale(language))


def display_timezone():
    """The zone people read times in: the conference's (the content feature says which), else UTC.

    Flask-Babel asks once per request (or app context) and keeps the answer.
    """
    zone = current_app.extensions.get("i18n.display_timezone")
    name = zone() if zone else None
    return name or "UTC"


def moment_text(value, language=None, timezone=None):
    """A stored UTC time as plain text in the conference's zone (or ``timezone``), in the
    one style of the language: "Dec 2, 2026, 9:01 AM" / "2 كانون الأول 2026، 9:01 ص".

    For emails, the CLI and anything else that is not HTML; ``format_moment`` wraps the
    same text in ``<time>``.
    """
    if value is None:
        return ""
    moment = _as_utc(value)
    local = moment.astimezone(_zone(timezone)) if timezone else to_user_timezone(moment)
    return _moment_text(local, language or current_language())


def format_moment(value, language=None, timezone=None):
    """A stored UTC time as ``<time>`` in the conference's zone, one style per language.

    Also the ``utc_time`` and ``datetimeformat`` filters, so that every time on every
    page reads the same way.
    """
    if value is None:
        return ""
    # Markup.format escapes its arguments.
    return Markup('<time datetime="{}">{}</time>').format(
        _as_utc(value).replace(tzinfo=None).isoformat(timespec="seconds") + "Z",
        moment_text(value, language, timezone),
    )


def format_datetime(value=None, format=None, rebase=True):
    """The old ``datetimeformat`` filter: now the same as ``moment`` (``format`` is ignored)."""
    return format_moment(value)


utc_time = format_moment  # the old filter's name: the same output as ``moment``


def isolated_flashed_messages(with_categories=False, category_filter=()):
    """Flask's ``get_flashed_messages`` for templates: each message as ``Markup`` with its
    links, email addresses and phone numbers in ``<bdi dir="ltr">`` (``text.isolate_flash``)."""
    messages = get_flashed_messages(with_categories, category_filter)
    if with_categories:
        return [(category, text.isolate_flash(message)) for category, message in messages]
    return [text.isolate_flash(message) for message in messages]


def init_app(app):
    babel.init_app(
        app,
        locale_selector=select_language,
        timezone_selector=display_timezone,
        default_translation_directories=str(app.root_path + "/translations"),
    )
    # Flask-Babel caches the locale on ``g``, which an app context shared by several
    # requests (CLI, tests) would carry from one request into the next.
    app.before_request(refresh)
    app.before_request(_share_wtforms_catalogue)
    app.after_request(vary_on_language)
    app.jinja_env.filters["tr"] = translate
    # The old names of ``moment``: templates still using them read the same.
    app.jinja_env.filters["utc_time"] = format_moment
    app.jinja_env.filters["datetimeformat"] = format_datetime
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["numberformat"] = format_number
    app.jinja_env.filters["dateformat"] = format_date
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.filters["timezone_name"] = format_timezone
    app.jinja_env.globals["date_range"] = format_date_range
    # Values that read left to right inside text of either direction (conference.text).
    app.jinja_env.filters["ltr"] = text.ltr
    app.jinja_env.filters["bdi"] = text.bdi
    app.jinja_env.filters["isolate"] = text.isolate_markup
    # Flash messages name addresses and links: each page shows them isolated.
    app.jinja_env.globals["get_flashed_messages"] = isolated_flashed_messages

    @app.context_processor
    def language_context():
        language = current_language()
        return {
            "current_language": language,
            "text_direction": direction(language),
            "other_languages": [code for code in LANGUAGES if code != language],
            "language_names": LANGUAGE_NAMES,
            **_translation_callables(),
        }


def _translation_callables():
    """The template's ``gettext`` family, bound to the catalogue of this render's language.

    Flask-Babel's own (the environment's globals) look the catalogue up again at every
    call, through the request context, the locale and its name: a list page calls them
    hundreds of times. A context processor runs once per ``render_template``, inside any
    ``force_locale``, so binding them here gives the same texts for a fraction of the
    cost. The wrappers are Jinja's own "new style" ones, as Flask-Babel installs: they
    escape and fill ``%(name)s`` the same way. Macros imported without context and
    templates rendered outside Flask keep the environment's functions.
    """
    translations = get_translations()
    return {
        "gettext": _make_new_gettext(translations.ugettext),
        "ngettext": _make_new_ngettext(translations.ungettext),
        "pgettext": _make_new_pgettext(translations.upgettext),
        "npgettext": _make_new_npgettext(translations.unpgettext),
    }


# ---------------------------------------------------------------------------------------
# WTForms' own messages ("This field is required.", "Not a valid choice.")


@functools.cache
def _wtforms_catalogue(language):
    """WTForms' message catalogue for ``language``, read from disk once per process."""
    return support.Translations.load(messages_path(), [language], domain="wtforms")


class _WTFormsTranslations:
    """WTForms' messages in the current language, from the per-process catalogues.

    Flask-WTF would read and parse the catalogue file again in every request that
    builds a form; it takes the one a request already holds (``wtforms_translations``),
    so ``_share_wtforms_catalogue`` gives every request this object. The language is
    looked up at each message, so ``force_locale`` is respected as before.
    """

    def ugettext(self, string):
        return _wtforms_catalogue(current_language()).ugettext(string)

    def ungettext(self, singular, plural, n):
        return _wtforms_catalogue(current_language()).ungettext(singular, plural, n)


_WTFORMS_TRANSLATIONS = _WTFormsTranslations()


def _share_wtforms_catalogue():
    request.wtforms_translations = _WTFORMS_TRANSLATIONS
