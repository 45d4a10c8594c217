"""Dates and times: one style per language, in the conference's time zone, the same in
every place a time is read (filters, Python, the old filter names), with the Levantine
month names Syrian readers expect in Arabic."""

import re
from datetime import UTC, date, datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from conference import i18n

# The shipped conference is in Los Angeles: UTC-8 in December, UTC-7 in summer.
MOMENT = datetime(2026, 12, 2, 17, 1)  # 9:01 AM on December 2 there
ENGLISH = "Dec 2, 2026, 9:01\u202fAM"
ARABIC = "2 كانون الأول 2026، 9:01 ص"
LEVANTINE = [
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
]
# The names of the Egyptian and Gulf calendar that Syrian readers do not use.
OTHER_NAMES = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر"]


@pytest.fixture
def in_language(app, conference):
    """Run code in a request in ``language`` (the conference, hence its zone, loaded)."""

    def _in_language(language, function):
        with app.test_request_context("/"), force_locale(language):
            return function()

    return _in_language


def _render(source, **context):
    return render_template_string(source, **context)


def _text(html):
    return re.sub(r"<[^>]+>", "", str(html))


@pytest.mark.parametrize(("language", "expected"), [("en", ENGLISH), ("ar", ARABIC)])
def test_a_moment_reads_one_way_in_each_language(in_language, language, expected):
    assert in_language(language, lambda: i18n.moment_text(MOMENT)) == expected
    html = in_language(language, lambda: str(i18n.format_moment(MOMENT)))
    assert html == f'<time datetime="2026-12-02T17:01:00Z">{expected}</time>'


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_same_moment_renders_the_same_in_every_place(in_language, language):
    """The filters old and new, Python's helpers and an aware or naive value agree."""
    expected = ENGLISH if language == "en" else ARABIC

    def everywhere():
        template = (
            "{{ at|moment }}|{{ at|utc_time }}|{{ at|datetimeformat }}"
            '|{{ at|datetimeformat("short") }}|{{ aware|moment }}'
        )
        filters = _render(template, at=MOMENT, aware=MOMENT.replace(tzinfo=UTC)).split("|")
        python = [
            i18n.moment_text(MOMENT),
            i18n.moment_text(MOMENT, language, "America/Los_Angeles"),
            # The check-in desk's clock, another day: the date and time in the same style.
            i18n.format_local_time(
                MOMENT, "America/Los_Angeles", now=datetime(2026, 12, 5, 12), language=language
            ),
        ]
        return [_text(value) for value in filters] + python

    assert set(in_language(language, everywhere)) == {expected}


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_date_alone_has_one_style_and_never_digits_only(in_language, language):
    def shown():
        return _render(
            "{{ d|dateformat }}|{{ d|dateformat('short') }}|{{ d|dateformat('medium') }}"
            "|{{ d|dateformat('long') }}|{{ at|dateformat }}|{{ date_range(d, d) }}",
            d=date(2026, 12, 2),
            at=MOMENT,
        ).split("|")

    values = in_language(language, shown)
    assert set(values) == {"Dec 2, 2026" if language == "en" else "2 كانون الأول 2026"}
    for value in values:
        assert not re.search(r"\d+[/.-]\d+[/.-]\d+", value)


def test_a_date_range_and_a_programme_day(in_language):
    start, end = date(2026, 3, 18), date(2026, 3, 19)
    assert (
        in_language("en", lambda: i18n.format_date_range(start, end))
        == "Mar 18\u2009–\u200919, 2026"
    )
    assert in_language("ar", lambda: i18n.format_date_range(start, end)) == "18–19 آذار 2026"
    assert in_language("en", lambda: i18n.format_day(start)) == "Wednesday, March 18, 2026"
    assert in_language("ar", lambda: i18n.format_day(start)) == "الأربعاء، 18 آذار 2026"
    span = in_language("ar", lambda: i18n.format_date_range(date(2026, 11, 30), date(2026, 12, 1)))
    assert "تشرين الثاني" in span
    assert "كانون الأول" in span


@pytest.mark.parametrize("month", range(1, 13))
def test_arabic_uses_the_levantine_month_names_everywhere(in_language, month):
    day = date(2026, month, 15)
    moment = datetime(2026, month, 15, 20, 0)  # noon or 1 PM in Los Angeles: same day

    def shown():
        return [
            i18n.format_day(day),
            i18n.format_date_range(day, day),
            i18n.format_date(day),
            i18n.moment_text(moment),
            _text(
                _render("{{ at|moment }} {{ d|day }} {{ d|dateformat('long') }}", at=moment, d=day)
            ),
        ]

    for value in in_language("ar", shown):
        assert LEVANTINE[month - 1] in value, value
        assert not any(name in value for name in OTHER_NAMES), value
        assert not re.search("[\u0660-\u0669]", value)  # Latin digits, as on every page


def test_a_date_of_a_stored_time_is_the_conference_day(in_language):
    # 03:00 UTC on March 1 is still February 28 in Los Angeles.
    late = datetime(2026, 3, 1, 3, 0)
    assert in_language("en", lambda: i18n.format_date(late)) == "Feb 28, 2026"
    assert in_language("en", lambda: i18n.moment_text(late)) == "Feb 28, 2026, 7:00\u202fPM"


@pytest.mark.parametrize(
    ("utc", "local"),
    [
        # Summer time ends on November 1, 2026 at 2:00 in Los Angeles: 1:30 happens twice.
        (datetime(2026, 11, 1, 8, 30), "Nov 1, 2026, 1:30\u202fAM"),
        (datetime(2026, 11, 1, 9, 30), "Nov 1, 2026, 1:30\u202fAM"),
        (datetime(2026, 11, 1, 10, 30), "Nov 1, 2026, 2:30\u202fAM"),
        # It starts on March 8, 2026: 1:59 is followed by 3:00.
        (datetime(2026, 3, 8, 9, 59), "Mar 8, 2026, 1:59\u202fAM"),
        (datetime(2026, 3, 8, 10, 0), "Mar 8, 2026, 3:00\u202fAM"),
    ],
)
def test_times_follow_the_conference_zone_across_daylight_saving(in_language, utc, local):
    assert in_language("en", lambda: i18n.moment_text(utc)) == local
    assert f'datetime="{utc.isoformat()}Z"' in in_language("en", lambda: i18n.format_moment(utc))


def test_outside_a_request_the_conference_zone_still_applies(app, conference):
    with app.app_context(), force_locale("ar"):
        assert i18n.moment_text(MOMENT) == ARABIC


def test_an_unknown_zone_reads_as_utc(in_language):
    assert in_language("en", lambda: i18n.moment_text(MOMENT, timezone="Nowhere/Void")) == (
        "Dec 2, 2026, 5:01\u202fPM"
    )


def test_nothing_to_show_is_empty(in_language):
    assert (
        in_language("en", lambda: _render("{{ none|moment }}{{ none|utc_time }}", none=None)) == ""
    )
    assert in_language("en", lambda: i18n.moment_text(None)) == ""
    assert in_language("en", lambda: i18n.format_date(None)) == ""


def test_date_locale():
    assert i18n.date_locale("ar") == "ar_SY"
    assert i18n.date_locale("en") == "en"


# ---------------------------------------------------------------------------------------
# The templates' gettext family, bound once per render (i18n._translation_callables)


def test_templates_translate_in_the_language_of_their_render(app):
    source = (
        '{{ _("Register") }}|{{ ngettext("%(num)s email sent.", "%(num)s emails sent.", n) }}'
        '|{{ _("<%(who)s>", who=who) }}'
    )
    with app.test_request_context("/"):
        with force_locale("ar"):
            arabic = render_template_string(source, n=3, who="<b>")
        english = render_template_string(source, n=3, who="<b>")
        with force_locale("ar"):
            two = render_template_string(source, n=2, who="x")

    assert arabic.split("|")[:2] == ["التسجيل", "أُرسلت 3 رسائل."]
    assert two.split("|")[1] == "أُرسلت رسالتان."
    assert english.split("|")[:2] == ["Register", "3 emails sent."]
    # Filled and escaped as Flask-Babel's own functions do: the text is trusted, the
    # values are not.
    assert english.split("|")[2] == "<&lt;b&gt;>"
