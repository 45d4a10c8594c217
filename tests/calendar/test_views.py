"""The public calendar files, and the 'add to calendar' links on the conference page."""

import re
from html import unescape

import pytest

from conference.content import services as content
from conference.extensions import db

AR = {"Accept-Language": "ar"}
FILES = [
    ("/calendar.ics", "for-syria.ics"),
    ("/calendar/arts.ics", "for-syria-arts.ics"),
    ("/calendar/sessions/sample-opening.ics", "for-syria-sample-opening.ics"),
]


@pytest.mark.parametrize(("path", "filename"), FILES)
def test_calendar_file_is_an_ics_attachment_cached_for_a_while(
    client, conference, parse_ics, path, filename
):
    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.headers["ETag"]
    assert response.cache_control.public
    assert response.cache_control.max_age == 300
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    calendar = parse_ics(response.data)
    assert calendar["METHOD"] == "PUBLISH"
    assert b"ATTENDEE" not in response.data


def test_session_file_holds_just_that_session(client, conference, parse_ics):
    response = client.get("/calendar/sessions/sample-opening.ics")

    [event] = parse_ics(response.data).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Opening: why we gather"
    assert event["DTSTART"].to_ical() == b"20220318T163000Z"


@pytest.mark.parametrize(("path", "_filename"), FILES)
def test_calendar_file_answers_304_while_the_content_is_unchanged(
    client, conference, path, _filename
):
    first = client.get(path)

    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_calendar_file_changes_its_etag_when_the_content_changes(client, conference):
    first = client.get("/calendar.ics")
    opening = next(s for s in conference.sessions if s.key == "sample-opening")
    opening.title = {"en": "Welcome", "ar": "ترحيب"}
    content.bump_content_version(conference)
    db.session.commit()

    after = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})

    assert after.status_code == 200
    assert after.headers["ETag"] != first.headers["ETag"]
    assert b"SUMMARY;LANGUAGE=en:Welcome" in after.data


def test_calendar_file_etag_differs_per_language(client, conference):
    english = client.get("/calendar.ics")
    arabic = client.get("/calendar.ics", headers=AR)

    assert english.headers["ETag"] != arabic.headers["ETag"]


@pytest.mark.parametrize(
    ("query", "headers", "name"),
    [
        ("", AR, "من أجل سوريا"),
        ("?lang=ar", {"Accept-Language": "en"}, "من أجل سوريا"),
        ("?lang=en", AR, "For Syria"),
        ("?lang=fr", AR, "من أجل سوريا"),
    ],
)
def test_calendar_file_is_in_the_language_asked_for(
    client, conference, parse_ics, query, headers, name
):
    response = client.get("/calendar.ics" + query, headers=headers)

    assert parse_ics(response.data)["X-WR-CALNAME"] == name


@pytest.mark.parametrize("path", ["/calendar/dance.ics", "/calendar/sessions/no-such-session.ics"])
def test_unknown_track_or_session_is_the_404_page(client, conference, path):
    response = client.get(path, headers=AR)

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert "الصفحة غير موجودة" in response.get_data(as_text=True)


def test_calendar_file_is_404_before_any_content_is_loaded(client):
    assert client.get("/calendar.ics").status_code == 404


def test_home_offers_the_conference_to_calendars(client, conference):
    html = client.get("/").get_data(as_text=True)

    assert "Add to calendar:" in html
    assert 'href="/calendar.ics?lang=en"' in html
    assert "Download “For Syria” as a calendar file" in html
    assert 'href="/calendar/add/google?lang=en"' in html
    assert 'href="/calendar/add/outlook?lang=en"' in html
    assert 'href="/calendar/arts.ics?lang=en"' in html


def test_adding_the_conference_to_google_gives_the_whole_days(client, conference):
    location = client.get("/calendar/add/google?lang=en").headers["Location"]

    assert location.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE")
    assert "text=For%20Syria" in location
    assert "dates=20220318%2F20220320" in location


def test_home_offers_each_session_to_calendars_by_its_title(client, conference):
    html = client.get("/").get_data(as_text=True)

    item = html[html.index('id="session-sample-opening"') :]
    item = item[: item.index("</li>")]
    assert 'href="/calendar/sessions/sample-opening.ics?lang=en"' in item
    assert "Download “Opening: why we gather” as a calendar file" in item
    assert "Add “Opening: why we gather” to" in item
    assert 'href="/calendar/sessions/sample-opening/add/google?lang=en"' in item
    assert 'href="/calendar/sessions/sample-opening/add/outlook?lang=en"' in item
    assert item.count('rel="nofollow"') == 2


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/calendar/add/google?lang=en", "https://calendar.google.com/calendar/render?"),
        ("/calendar/add/outlook?lang=ar", "https://outlook.live.com/calendar/0/deeplink/compose?"),
        (
            "/calendar/sessions/sample-opening/add/google?lang=en",
            "https://calendar.google.com/calendar/render?",
        ),
    ],
)
def test_add_to_calendar_sends_the_visitor_on_with_the_event(client, conference, path, target):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith(target)


@pytest.mark.parametrize(
    "path", ["/calendar/add/google", "/calendar/sessions/sample-opening/add/outlook"]
)
def test_add_to_calendar_without_a_language_varies_on_the_visitors(client, conference, path):
    english = client.get(path)
    arabic = client.get(path, headers={"Accept-Language": "ar"})

    assert english.headers["Location"] != arabic.headers["Location"]
    for response in (english, arabic):
        assert {"Cookie", "Accept-Language"} <= set(response.vary)


def test_a_calendar_file_with_its_language_in_the_link_is_the_same_for_everyone(client, conference):
    response = client.get("/calendar.ics?lang=ar", headers={"Accept-Language": "en"})

    assert "Accept-Language" not in response.vary


def test_add_to_a_timed_session_carries_utc_times(client, conference):
    response = client.get("/calendar/sessions/sample-opening/add/google?lang=en")

    assert "dates=20220318T163000Z%2F20220318T171500Z" in response.headers["Location"]


@pytest.mark.parametrize(
    "path", ["/calendar/add/yahoo", "/calendar/sessions/nope/add/google", "/calendar/add/"]
)
def test_add_to_calendar_refuses_unknown_services_and_sessions(client, conference, path):
    assert client.get(path).status_code == 404


def test_home_calendar_links_follow_the_page_language(client, conference):
    html = client.get("/", headers=AR).get_data(as_text=True)

    assert 'href="/calendar.ics?lang=ar"' in html
    assert 'href="/calendar/sessions/sample-opening.ics?lang=ar"' in html


def test_every_calendar_file_linked_from_home_parses(client, conference, parse_ics):
    html = client.get("/", headers=AR).get_data(as_text=True)
    paths = {unescape(href) for href in re.findall(r'href="(/calendar[^"]*\.ics[^"]*)"', html)}

    for path in sorted(paths):
        response = client.get(path)
        assert response.status_code == 200, path
        parse_ics(response.data)
    assert len(paths) == 1 + len(conference.tracks) + len(conference.sessions)
