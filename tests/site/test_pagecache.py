"""The shared cache in each process: public pages for a few seconds, nothing personal ever."""

import pytest

from conference.content import services as content
from conference.extensions import db
from conference.pagecache import MAX_ENTRIES, PageCache, _storable

AR = {"Accept-Language": "ar"}
EN = {"Accept-Language": "en"}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def app(make_app, database_url, tmp_path):
    # A file, not SQLite's in-memory database: the cache reads the content version on a
    # connection of its own, as it does in every deployment.
    url = f"sqlite:///{tmp_path / 'cache.db'}" if database_url == "sqlite://" else database_url
    app = make_app(PUBLIC_PAGE_MAX_AGE=10, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        yield app


@pytest.fixture
def clock(app):
    cache = app.wsgi_app
    assert isinstance(cache, PageCache)
    cache.clock = Clock()
    return cache.clock


def rename(conference, english):
    conference.name = {**conference.name, "en": english}
    db.session.commit()
    content.bump_content_version(conference)
    db.session.commit()


def test_the_conference_page_is_answered_from_the_cache_for_a_few_seconds(
    app, client, conference, clock
):
    calls = []
    inner = app.wsgi_app.app
    app.wsgi_app.app = lambda environ, start: calls.append(1) or inner(environ, start)
    first = client.get("/", headers=EN)
    cached = client.get("/", headers=EN)
    clock.now += 11
    again = client.get("/", headers=EN)

    assert len(calls) == 2  # the second answer came from the cache
    assert cached.get_data() == first.get_data() == again.get_data()
    assert again.headers["Cache-Control"] == "public, max-age=0, s-maxage=10"


def test_a_content_change_leaves_the_cache_on_the_next_request(client, conference, clock):
    first = client.get("/", headers=EN)
    rename(conference, "For Syria 2027")

    fresh = client.get("/", headers=EN)

    assert "For Syria 2027" not in first.get_data(as_text=True)
    assert "For Syria 2027" in fresh.get_data(as_text=True)


def test_a_cached_answer_keeps_the_headers_with_a_request_id_of_its_own(client, conference, clock):
    first = client.get("/")
    second = client.get("/")

    for name in ("Content-Security-Policy", "ETag", "Vary", "X-Frame-Options"):
        assert second.headers[name] == first.headers[name]
    assert second.headers["X-Request-ID"] != first.headers["X-Request-ID"]


def test_each_language_gets_its_own_copy(client, conference, clock):
    client.get("/", headers=EN)

    arabic = client.get("/", headers=AR).get_data(as_text=True)
    client.set_cookie("lang", "ar")
    chosen = client.get("/", headers=EN).get_data(as_text=True)

    assert '<html lang="ar" dir="rtl">' in arabic
    assert '<html lang="ar" dir="rtl">' in chosen


def test_the_cache_stays_bounded_whatever_the_query_strings(app, client, conference, clock):
    for n in range(MAX_ENTRIES + 20):
        client.get(f"/?utm={n}")

    assert len(app.wsgi_app.entries) == MAX_ENTRIES
    assert len(app.wsgi_app.vary) == MAX_ENTRIES


def test_a_revalidation_goes_to_the_app(client, conference, clock):
    etag = client.get("/").headers["ETag"]

    response = client.get("/", headers={"If-None-Match": etag})

    assert response.status_code == 304


def test_the_registration_form_is_never_stored(client, conference, clock):
    first = client.get("/register")
    second = client.get("/register")

    assert first.get_data() != second.get_data()  # each visit its own submission id


PUBLIC = [("Cache-Control", "public, max-age=0, s-maxage=10"), ("Content-Length", "5")]


@pytest.mark.parametrize(
    ("status", "headers", "stored"),
    [
        ("200 OK", PUBLIC, 10),
        ("200 OK", [*PUBLIC, ("Set-Cookie", "session=x; HttpOnly")], 0),
        ("200 OK", [("Cache-Control", "private, max-age=60"), ("Content-Length", "5")], 0),
        ("200 OK", [("Cache-Control", "public, no-store"), ("Content-Length", "5")], 0),
        ("200 OK", [("Cache-Control", "no-cache"), ("Content-Length", "5")], 0),
        ("200 OK", [("Content-Length", "5")], 0),
        ("200 OK", [*PUBLIC, ("Vary", "*")], 0),
        ("200 OK", [("Cache-Control", "public, s-maxage=10")], 0),  # streamed
        ("404 NOT FOUND", PUBLIC, 0),
        ("200 OK", [("Cache-Control", "public, max-age=abc"), ("Content-Length", "5")], 0),
    ],
)
def test_only_public_complete_answers_that_set_no_cookie_are_stored(status, headers, stored):
    assert _storable(status, headers)[0] == stored


def test_back_office_pages_are_never_stored(client, conference, clock, login_as):
    login_as("organizer")
    client.get("/manage/dashboard")
    client.post("/manage/logout")

    response = client.get("/manage/dashboard")

    assert response.status_code in (302, 303)


def test_nothing_is_stored_when_turned_off(make_app, content_data):
    app = make_app(PUBLIC_PAGE_MAX_AGE=0)
    with app.app_context():
        conference = content.load_content(content_data) and content.get_conference(
            content_data["conference"]["slug"]
        )
        client = app.test_client()
        client.get("/", headers=EN)
        rename(conference, "For Syria 2027")

        assert "For Syria 2027" in client.get("/", headers=EN).get_data(as_text=True)


def test_the_home_page_shows_a_full_track_once_its_seconds_are_over(
    client, make_conference, register, clock
):
    make_conference(arts_capacity=1)
    first = client.get("/", headers=EN)

    register("ada@example.org", tracks=["arts"])  # the last seat goes: no new content version
    cached = client.get("/", headers=EN)
    clock.now += 11
    fresh = client.get("/", headers=EN)

    assert "Full — waiting list" not in first.get_data(as_text=True)
    assert cached.get_data() == first.get_data()
    assert "Full — waiting list" in fresh.get_data(as_text=True)
