"""The one helper for values that read left to right inside Arabic text (conference.text):
plain text (FSI … PDI) and HTML (``<bdi dir="ltr">``)."""

import pytest
from markupsafe import Markup

from conference import text

FSI, PDI = "\u2068", "\u2069"
ESCAPED_LINK = "https://forsyria.example/a?b=1&amp;c=2"
PHONE, ADDRESS, LINK = (
    "+1 (313) 555-0100",
    "info@forsyria.example",
    "https://forsyria.example/a?b=1&c=2",
)
SENTENCE = f"اتصلوا على {PHONE} أو اكتبوا إلى {ADDRESS} أو زوروا {LINK}."


def test_isolate_runs_wraps_each_run_and_keeps_the_full_stop_outside():
    isolated = text.isolate_runs(SENTENCE)
    for run in (PHONE, ADDRESS, LINK):
        assert f"{FSI}{run}{PDI}" in isolated
    assert isolated.endswith(f"{PDI}.")
    assert text.isolate_runs("لا شيء هنا.") == "لا شيء هنا."


def test_isolate_runs_twice_isolates_once():
    once = text.isolate_runs(SENTENCE)
    assert text.isolate_runs(once) == once
    assert once.count(FSI) == once.count(PDI) == 3


def test_isolate_one_value():
    assert text.isolate("FS-0042") == f"{FSI}FS-0042{PDI}"
    assert text.isolate(None) == text.isolate("") == ""


def test_ltr_and_bdi_escape_their_value():
    assert text.ltr("<a@b.org>") == Markup('<bdi dir="ltr">&lt;a@b.org&gt;</bdi>')
    assert text.bdi("Ada <Lovelace>") == Markup("<bdi>Ada &lt;Lovelace&gt;</bdi>")
    assert text.ltr(None) == text.bdi("") == Markup("")


def test_isolate_markup_escapes_plain_text_then_wraps_the_runs():
    html = text.isolate_markup(f"<b>{ADDRESS}</b> {PHONE}")
    assert isinstance(html, Markup)
    assert html == Markup(
        f'&lt;b&gt;<bdi dir="ltr">{ADDRESS}</bdi>&lt;/b&gt; <bdi dir="ltr">{PHONE}</bdi>'
    )
    assert text.isolate_flash is text.isolate_markup


def test_isolate_markup_keeps_the_tags_of_markup():
    html = text.isolate_markup(Markup("<strong>تم</strong> الإرسال إلى {}.").format(ADDRESS))
    assert html == Markup(f'<strong>تم</strong> الإرسال إلى <bdi dir="ltr">{ADDRESS}</bdi>.')


def test_isolate_html_wraps_runs_in_text_and_leaves_tags_and_attributes_alone():
    source = (
        f'<title>{ADDRESS}</title><p title="{PHONE}">هاتف {PHONE}، '
        f'<a href="{ESCAPED_LINK}">{ESCAPED_LINK}</a>'
        f"<br>&lt;{ADDRESS}&gt;</p>"
    )
    html = text.isolate_html(source)
    assert html == (
        f'<title>{ADDRESS}</title><p title="{PHONE}">هاتف <bdi dir="ltr">{PHONE}</bdi>، '
        f'<a href="{ESCAPED_LINK}"><bdi dir="ltr">{ESCAPED_LINK}</bdi></a>'
        f'<br>&lt;<bdi dir="ltr">{ADDRESS}</bdi>&gt;</p>'
    )
    assert text.isolate_html(html) == html


@pytest.mark.parametrize(
    "shielded",
    [
        f'<span dir="ltr">{PHONE}</span>',
        f"<span dir='LTR'><b>{PHONE}</b></span>",
        f"<bdi>{PHONE}</bdi>",
        f"<pre>{PHONE}</pre>",
        f"<code>{PHONE}</code>",
        f"<style>/* {PHONE} */</style>",
    ],
)
def test_isolate_html_leaves_what_is_already_isolated_or_not_prose(shielded):
    html = f"<p>نص {shielded} نص</p>"
    assert text.isolate_html(html) == html


def test_isolate_html_keeps_the_type_and_text_without_runs_byte_for_byte():
    assert isinstance(text.isolate_html(Markup("<p>x</p>")), Markup)
    assert isinstance(text.isolate_html("<p>x</p>"), str)
    odd = "<p>Tom &amp; Jerry&#39;s &quot;day&quot;</p><!-- a@b.org -->"
    assert text.isolate_html(odd) == odd
