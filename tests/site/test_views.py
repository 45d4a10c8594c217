import re

import pytest
import sqlalchemy as sa

from conference.content import services as content
from conference.database import Heartbeat
from conference.extensions import db

AR = {"Accept-Language": "ar"}


def test_home_shows_the_conference_in_english(client, conference):
    response = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="en" dir="ltr">' in html
    assert "For Syria" in html
    assert "Mar 18\u2009–\u200919, 2022" in html
    for track in ("Cultural", "Social", "Arts"):
        assert f"<h3>{track}</h3>" in html
    assert "Sample programme." in html
    assert "Venue to be announced" in html
    # The sample's sponsors, labelled as such.
    assert "Cedar Community Fund" in html
    assert "Sample sponsor" in html


def test_home_is_arabic_and_right_to_left_for_arabic_browsers(client, conference):
    response = client.get("/", headers=AR)

    html = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "من أجل سوريا" in html
    assert "18–19 آذار 2022" in html
    for track in ("الثقافة", "المجتمع", "الفنون"):
        assert f"<h3>{track}</h3>" in html
    assert "برنامج تجريبي." in html


def test_home_lists_the_programme_by_day_and_track(client, conference):
    html = client.get("/").get_data(as_text=True)

    assert "Day 1" in html
    assert "Day 2" in html
    assert "Friday, March 18, 2022" in html
    assert html.index("Keeping Arabic alive at home") < html.index("Exhibition: colours of home")
    assert "Times are in Pacific Time." in html


def test_home_without_sample_says_sessions_are_to_be_announced(client, make_conference):
    make_conference()

    html = client.get("/").get_data(as_text=True)

    assert "Sample programme." not in html
    assert "The sessions of this day will be announced soon." in html


def test_home_lists_sponsors_when_there_are_some(client, make_conference, content_data):
    make_conference()
    data = {
        **content_data,
        "sponsors": [
            {
                "key": "acme",
                "name": {"en": "Acme Foundation", "ar": "مؤسسة أكمي"},
                "website": "https://acme.example",
            }
        ],
    }
    content.load_content(data)

    html = client.get("/", headers=AR).get_data(as_text=True)

    assert "مؤسسة أكمي" in html
    assert "Our sponsors will be announced here." not in html


def test_language_switch_remembers_the_choice(client, conference):
    switched = client.get("/language/ar?next=/register")
    later = client.get("/", headers={"Accept-Language": "en"})

    assert switched.status_code == 303
    assert switched.headers["Location"] == "/register"
    assert "lang=ar" in switched.headers["Set-Cookie"]
    assert "HttpOnly" in switched.headers["Set-Cookie"]
    assert 'lang="ar"' in later.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
    ],
)
def test_language_switch_never_redirects_off_site(client, conference, target):
    response = client.get("/language/en", query_string={"next": target})

    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_unknown_language_gets_a_clear_404_page(client, conference):
    response = client.get("/language/fr", headers=AR)

    assert response.status_code == 404
    assert "الصفحة غير موجودة" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/volunteer", "Volunteer at For Syria")],
)
def test_the_call_to_volunteer_leads_to_the_sign_up(client, conference, path, heading):
    response = client.get(path)

    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize(("headers", "language"), [({}, "en"), (AR, "ar")])
def test_the_call_to_register_leads_to_the_form(client, conference, headers, language):
    home = client.get("/", headers=headers).get_data(as_text=True)
    response = client.get("/register", headers=headers)

    html = response.get_data(as_text=True)
    assert 'href="/register"' in home
    assert response.status_code == 200
    assert f'<html lang="{language}"' in html
    assert '<form class="form" method="post" action="/register" novalidate>' in html


def test_home_links_only_to_pages_that_exist(client, conference):
    html = client.get("/").get_data(as_text=True)

    for href in set(re.findall(r'href="(/[^"#]*)', html)):
        with client.get(href) as response:
            assert response.status_code in (200, 302, 303), href


def test_home_has_open_graph_tags_and_icons(client, conference):
    html = client.get("/").get_data(as_text=True)

    assert '<meta property="og:title" content="For Syria">' in html
    assert '<meta property="og:url" content="http://conference.test/">' in html
    assert 'og:image" content="http://conference.test/static/img/og-card.png?v=' in html
    with client.get("/favicon.ico") as favicon:
        assert favicon.status_code == 200
    assert 'rel="icon" href="/static/img/favicon.svg?v=' in html
    assert 'media="print"' in html


def test_home_is_cached_per_language_and_refreshed_when_content_changes(client, conference):
    english = client.get("/")
    arabic = client.get("/", headers=AR)
    conference.tracks[0].capacity = 7
    content.bump_content_version(conference)
    db.session.commit()
    refreshed = client.get("/")

    assert english.headers["ETag"] != arabic.headers["ETag"]
    assert refreshed.headers["ETag"] != english.headers["ETag"]
    assert "7 seats" in refreshed.get_data(as_text=True)
    assert "Accept-Language" in english.headers["Vary"]


@pytest.mark.parametrize("path", ["/privacy", "/volunteer", "/no-such-page", "/register"])
def test_every_page_in_the_visitors_language_says_it_varies_on_it(client, conference, path):
    response = client.get(path, headers=AR)

    assert {"Cookie", "Accept-Language"} <= set(response.vary)


def test_answers_that_do_not_depend_on_the_language_do_not_vary_on_it(client, conference):
    for path in ("/robots.txt", "/sitemap.xml", "/healthz"):
        assert "Accept-Language" not in client.get(path, headers=AR).vary


def test_home_answers_304_when_the_page_has_not_changed(client, conference):
    first = client.get("/")

    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.data == b""


def test_home_is_404_before_any_content_is_loaded(client):
    assert client.get("/").status_code == 404


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": True}
    assert db.session.get(Heartbeat, 1).beat_at is not None  # it wrote, and committed


def test_healthz_is_unavailable_while_the_database_refuses_writes(client):
    # As a full disk would: reads work, every write fails.
    refusing = []

    def checkout(dbapi_connection, _record, _proxy):  # SQLite: for the whole connection
        if db.engine.dialect.name == "sqlite":
            dbapi_connection.execute(f"PRAGMA query_only = {int(bool(refusing))}")

    def begin(connection):  # PostgreSQL: for each transaction
        if refusing and connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")

    sa.event.listen(db.engine, "checkout", checkout)
    sa.event.listen(db.engine, "begin", begin)
    try:
        assert client.get("/healthz").status_code == 200
        refusing.append(True)
        assert client.get("/healthz").json == {"status": "unavailable", "database": False}
        assert client.get("/healthz").status_code == 503
        refusing.clear()
        assert client.get("/healthz").status_code == 200
    finally:
        refusing.clear()
        sa.event.remove(db.engine, "checkout", checkout)
        sa.event.remove(db.engine, "begin", begin)


def test_robots_and_sitemap(client, conference):
    assert "Sitemap: http://conference.test/sitemap.xml" in client.get("/robots.txt").text
    assert "<loc>http://conference.test/register</loc>" in client.get("/sitemap.xml").text
