"""The public sponsors page and the conference page show sponsors by tier in both
languages; SVG logos are served made safe, under a policy that runs nothing."""

from conference.content import services as content
from conference.content.models import Sponsor
from conference.extensions import db

from .helpers import sponsor, with_sponsors

EN = {"Accept-Language": "en"}
AR = {"Accept-Language": "ar"}


def _positions(html, *names):
    return [html.index(name) for name in names]


def test_the_sponsors_page_shows_them_by_tier_in_both_languages(client, conference):
    english = client.get("/sponsors", headers=EN)
    arabic = client.get("/sponsors", headers=AR)

    assert english.status_code == arabic.status_code == 200
    html = english.get_data(as_text=True)
    lead, cedar, supporters, jasmine = _positions(
        html, "Lead sponsors", "Cedar Community Fund", "Supporters", "Jasmine Bakery"
    )
    assert lead < cedar < supporters < jasmine
    assert 'href="https://cedar-fund.example.org" rel="noopener"' in html
    assert "A sample sponsor: a community fund" in html
    assert "Supports: <bdi>Cultural</bdi>, <bdi>Arts</bdi>" in html
    assert "Sample sponsor" in html
    cedar_logo = db.session.scalar(db.select(Sponsor).filter_by(key="sample-cedar-fund"))
    assert f'src="/sponsors/{cedar_logo.id}/logo.svg?v=' in html
    assert 'src="/media/' in html and 'srcset="/media/' in html  # noqa: PT018
    text = arabic.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in text
    lead, cedar, supporters, jasmine = _positions(
        text, "الرعاة الرئيسيون", "صندوق الأرز المجتمعي", "الداعمون", "مخبز الياسمين"
    )
    assert lead < cedar < supporters < jasmine
    assert "راعٍ تجريبي" in text


def test_the_conference_page_shows_sponsors_by_tier(client, conference):
    html = client.get("/", headers=AR).get_data(as_text=True)

    section = html[html.index('id="sponsors"') :]
    assert section.index("الرعاة الرئيسيون") < section.index("صندوق الأرز المجتمعي")
    assert section.index("الداعمون") < section.index("مخبز الياسمين")
    assert 'href="/sponsors"' in section


def test_without_sponsors_both_pages_say_they_are_coming(client, make_conference):
    make_conference()

    for path in ("/", "/sponsors"):
        html = client.get(path, headers=EN).get_data(as_text=True)
        assert "Our sponsors will be announced here." in html


def test_the_pages_change_when_sponsors_do(client, make_conference, content_data):
    make_conference()
    first = client.get("/sponsors", headers=EN)
    assert "Acme Foundation" not in first.get_data(as_text=True)

    content.load_content(with_sponsors(content_data, [sponsor("acme")]))
    second = client.get("/sponsors", headers={**EN, "If-None-Match": first.headers["ETag"]})

    assert second.status_code == 200
    assert "Acme Foundation" in second.get_data(as_text=True)


def test_an_svg_logo_is_served_safe_with_a_strict_policy(client, conference):
    cedar = db.session.scalar(db.select(Sponsor).filter_by(key="sample-cedar-fund"))

    response = client.get(f"/sponsors/{cedar.id}/logo.svg?v=x")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'; sandbox"
    )
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert response.get_data() == cedar.logo_svg.encode()
    assert b"<?xml" not in response.get_data()  # rebuilt, not the file as shipped


def test_a_sponsor_without_an_svg_logo_has_none(client, conference):
    jasmine = db.session.scalar(db.select(Sponsor).filter_by(key="sample-jasmine-bakery"))

    assert client.get(f"/sponsors/{jasmine.id}/logo.svg").status_code == 404
    assert client.get("/sponsors/999/logo.svg").status_code == 404
