"""Languages: which one a request gets, and helpers for bilingual content.

The visitor's choice (a cookie set by the language switch) wins over the browser's
``Accept-Language``; English is the fallback. Templates get ``current_language``,
``text_direction`` and the ``tr`` filter, which picks a bilingual value's text in the
current language. Emails and CLI output use ``force_locale`` with a stored language.
"""

import functools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, dates, numbers
from flask import current_app, g, has_request_context, request
from flask_babel import Babel, get_locale, refresh, to_user_timezone
from flask_babel import format_date as babel_format_date
from flask_babel import format_number as babel_format_number
from markupsafe import Markup

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


def format_day(day, language=None):
    """Return a day written out in full: "Friday, March 18, 2022" / "الجمعة، 18 مارس 2022"."""
    return dates.format_date(day, format="full", locale=language or current_language())


def format_date_range(start, end, language=None):
    """Return a compact date range: "March 18 – 19, 2022" / "18–19 مارس 2022"."""
    return _date_range(start, end, language or current_language())


@functools.lru_cache(maxsize=256)  # every page and email shows the conference's dates
def _date_range(start, end, language):
    if start == end:
        return dates.format_date(start, format="long", locale=language)
    return dates.format_interval(start, end, skeleton="yMMMMd", locale=language)


def format_clock(value, language=None):
    """Return a time of day in the language's short style: "10:30 AM" / "10:30 ص"."""
    return dates.format_time(value, format="short", locale=language or current_language())


def format_local_time(moment, timezone, *, now=None, language=None):
    """Return ``moment`` (naive UTC) as a clock time in ``timezone`` (a zone's name).

    Only the time on the same local day as ``now``, else with the date: "10:42 AM".
    An unknown zone reads as UTC.
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    local = moment.replace(tzinfo=UTC).astimezone(zone)
    today = (now or utcnow()).replace(tzinfo=UTC).astimezone(zone).date()
    language = language or current_language()
    if local.date() == today:
        return format_clock(local.time(), language)
    return dates.format_datetime(local, format="short", tzinfo=zone, locale=language)


def format_timezone(name, language=None):
    """Return a time zone's name for people: "Pacific Time" / "توقيت المحيط الهادي"."""
    return dates.get_timezone_name(
        ZoneInfo(name), width="long", uncommon=False, locale=language or current_language()
    )


# Lists and the dashboard format hundreds of numbers and dates a page, and Babel parses
# its patterns and looks the locale up on every call: the results are kept instead
# (a page shows a few dozen distinct days and counts).
@functools.lru_cache(maxsize=4096)
def _formatted_integer(value, language):
    return numbers.format_decimal(value, locale=language)


@functools.lru_cache(maxsize=4096)
def _formatted_day(day, format, language):
    return dates.format_date(day, format=format, locale=language)


def format_number(value):
    """Flask-Babel's ``numberformat``, remembered for whole numbers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _formatted_integer(value, current_language())
    return babel_format_number(value)


def format_date(value=None, format=None):
    """Flask-Babel's ``dateformat`` (in the display time zone), remembered per day."""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    if not isinstance(value, date) or format not in (None, "short", "medium", "long", "full"):
        return babel_format_date(value, format)
    return _formatted_day(value, format or "medium", current_language())


def display_timezone():
    """The zone people read times in: the conference's (the content feature says which), else UTC.

    Flask-Babel asks once per request (or app context) and keeps the answer.
    """
    zone = current_app.extensions.get("i18n.display_timezone")
    name = zone() if zone else None
    return name or "UTC"


def format_moment(value, language=None):
    """A stored UTC time as ``<time>`` in the conference's zone, one style per language."""
    if value is None:
        return ""
    local = to_user_timezone(value.replace(tzinfo=UTC) if value.tzinfo is None else value)
    language = language or current_language()
    text = "{}, {}".format(
        dates.format_skeleton("yMMMd", local, locale=language), format_clock(local.time(), language)
    )
    # Markup.format escapes its arguments.
    return Markup('<time datetime="{}">{}</time>').format(
        value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z", text
    )


def utc_time(value):
    """A stored UTC time as ``<time>``: "2025-03-01 14:05 UTC", the same in both languages."""
    if value is None:
        return ""
    # Markup.format escapes its arguments.
    return Markup('<time datetime="{}Z" dir="ltr">{} UTC</time>').format(
        value.isoformat(timespec="seconds"), value.strftime("%Y-%m-%d %H:%M")
    )


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
    app.after_request(vary_on_language)
    app.jinja_env.filters["tr"] = translate
    app.jinja_env.filters["utc_time"] = utc_time
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["numberformat"] = format_number
    app.jinja_env.filters["dateformat"] = format_date
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.filters["timezone_name"] = format_timezone
    app.jinja_env.globals["date_range"] = format_date_range

    @app.context_processor
    def language_context():
        language = current_language()
        return {
            "current_language": language,
            "text_direction": direction(language),
            "other_languages": [code for code in LANGUAGES if code != language],
            "language_names": LANGUAGE_NAMES,
        }
