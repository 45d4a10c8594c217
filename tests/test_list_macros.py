"""The back office's list components (templates/_macros/lists.html), rendered alone."""

import pytest
from flask_babel import force_locale
from markupsafe import Markup

from conference.registration.staff_forms import AttendeeFilterForm


def render(app, source, language="en", **context):
    with app.test_request_context("/"), force_locale(language):
        template = app.jinja_env.from_string('{% import "_macros/lists.html" as lists %}' + source)
        return template.render(**context)


def test_summary_shows_the_range_and_the_count_formatted(app):
    html = render(app, "{{ lists.list_summary(312, 51, 100) }}")
    assert "Showing 51–100 of 312" in html
    assert "1,200" in render(app, "{{ lists.list_summary(1200, 1, 50) }}")


def test_summary_in_arabic_uses_the_plural_forms(app):
    html = render(app, "{{ lists.list_summary(312, 51, 100) }}", "ar")
    assert "Showing" not in html
    assert "312" in html or "٣١٢" in html


def test_summary_of_nothing(app):
    assert "Nothing to show" in render(app, "{{ lists.list_summary(0, 0, 0) }}")


@pytest.mark.parametrize(
    ("prev", "next_", "expected"),
    [
        ("/p", "/n", ['rel="prev"', 'rel="next"']),
        (None, "/n", ['rel="next"']),
        ("/p", None, ['rel="prev"']),
    ],
)
def test_pager_shows_only_the_links_it_has(app, prev, next_, expected):
    html = render(app, "{{ lists.pager(prev, next_) }}", prev=prev, next_=next_)
    for text in expected:
        assert text in html
    assert html.count("<a ") == len(expected)


def test_pager_without_links_renders_nothing(app):
    assert render(app, "{{ lists.pager(None, None) }}").strip() == ""


def sort_url(sort):
    return f"/list?sort={sort}"


@pytest.mark.parametrize(
    ("current", "descending_first", "aria", "target"),
    [
        ("name", False, 'aria-sort="ascending"', "sort=-name"),
        ("-name", False, 'aria-sort="descending"', "sort=name"),
        ("-registered", False, None, "sort=name"),
        ("-registered", True, None, "sort=-name"),
    ],
)
def test_sort_header_marks_the_sorted_column_and_links_to_the_next_order(
    app, current, descending_first, aria, target
):
    html = render(
        app,
        '{{ lists.sort_header("Name", "name", current, sort_url, descending_first=df) }}',
        current=current,
        sort_url=sort_url,
        df=descending_first,
    )
    assert html.strip().startswith("<th")
    assert f'href="/list?{target}"' in html
    if aria:
        assert aria in html
    else:
        assert "aria-sort" not in html


def test_status_pill_carries_its_words_and_a_mark(app):
    html = render(app, '{{ lists.status_pill("cancelled", "Cancelled") }}')
    assert "pill--cancelled" in html
    assert "Cancelled" in html
    assert "✕" in html
    assert "pill--neutral" in render(app, '{{ lists.status_pill("bogus", "x") }}')


def test_address_wraps_at_the_at_sign_and_dots_and_is_escaped(app):
    html = render(app, "{{ lists.address(value) }}", value="a<b@mail.example.org")
    assert 'dir="ltr"' in html
    assert "a&lt;b<wbr>@mail<wbr>.example<wbr>.org" in html


def test_filters_are_closed_until_one_is_active(app, conference):
    with app.test_request_context("/?status=cancelled&language="):
        from flask import request

        form = AttendeeFilterForm.for_conference(conference, request.args)
        fields = [form.track, form.status, form.language, form.checked_in]
        template = app.jinja_env.from_string(
            '{% import "_macros/lists.html" as lists %}{{ lists.filters(fields) }}'
        )
        html = template.render(fields=fields)
        closed = template.render(
            fields=[
                f
                for f in AttendeeFilterForm.for_conference(conference, {})
                if f.name in ("track", "status")
            ]
        )
    assert "<details" in html
    assert " open" in html
    assert "(1 active)" in html
    assert 'name="status"' in html
    assert 'name="checked_in"' in html
    assert " open" not in closed
    assert "active)" not in closed


def test_macros_accept_markup_labels(app):
    html = render(app, '{{ lists.status_pill("ok", label) }}', label=Markup("<b>Seat</b>"))
    assert "<b>Seat</b>" in html
