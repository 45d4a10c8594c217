"""What the calendars say about the conference, built from the content tables."""

import uuid
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from conference.calendar import ics, services
from conference.content import services as content
from conference.extensions import db

PAGE = "https://forsyria.example/"
ORGANIZER = ics.Mailbox("organizers@example.org", "For Syria")


@pytest.fixture
def english(app):
    with force_locale("en"):
        yield


def uids(calendar):
    return [str(event["UID"]) for event in calendar.walk("VEVENT")]


def by_uid(calendar, uid):
    return next(event for event in calendar.walk("VEVENT") if str(event["UID"]) == uid)


def test_programme_feed_holds_the_conference_days_and_every_session(conference, english, parse_ics):
    calendar = parse_ics(services.programme_feed(conference, page_url=PAGE))

    events = calendar.walk("VEVENT")
    days = by_uid(calendar, services.conference_uid(conference))
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "For Syria"
    assert len(events) == 1 + len(conference.sessions)
    assert (days["DTSTART"].dt, days["DTEND"].dt) == (date(2022, 3, 18), date(2022, 3, 20))
    assert str(days["SUMMARY"]) == "For Syria"
    assert not any("ATTENDEE" in event for event in events)


def test_feed_uids_stay_the_same_across_renders_and_content_reloads(
    conference, english, content_data, sample_data, parse_ics
):
    first = uids(parse_ics(services.programme_feed(conference, page_url=PAGE)))
    again = uids(parse_ics(services.programme_feed(conference, page_url=PAGE)))
    content.remove_sample_programme(conference)
    content.load_content(content_data)
    content.load_sample_programme(conference, sample_data)
    reloaded = uids(parse_ics(services.programme_feed(conference, page_url=PAGE)))

    assert first == again == reloaded
    assert len(set(first)) == len(first)


def test_session_times_are_read_in_the_conference_time_zone(conference, english):
    opening = services.find_session(conference, "sample-opening")

    event = services.session_event(conference, opening, page_url=PAGE)

    assert event.start == datetime(2022, 3, 18, 16, 30, tzinfo=UTC)
    assert event.end == datetime(2022, 3, 18, 17, 15, tzinfo=UTC)
    assert event.url == PAGE + "#session-sample-opening"


def test_session_without_times_is_an_all_day_event(conference, english, parse_ics):
    opening = services.find_session(conference, "sample-opening")
    opening.starts_at = opening.ends_at = None
    db.session.commit()

    event = services.session_event(conference, opening, page_url=PAGE)
    data = services.session_feed(conference, opening, page_url=PAGE)

    assert (event.start, event.end) == (date(2022, 3, 18), date(2022, 3, 19))
    assert "Time to be announced" in event.description
    assert b"DTSTART;VALUE=DATE:20220318" in data
    parse_ics(data)


def test_session_description_names_the_track_and_the_caveats(conference, english):
    session = services.find_session(conference, "sample-arts-1")

    event = services.session_event(conference, session, page_url=PAGE)

    assert event.summary == "Exhibition: colours of home"
    assert "Track: Arts" in event.description
    assert "Sample programme." in event.description
    assert "Times may still change." in event.description
    assert event.categories == ("Arts",)
    assert event.location == "Venue to be announced"


def test_track_feed_holds_the_track_and_the_sessions_for_everyone(conference, english, parse_ics):
    arts = services.find_track(conference, "arts")

    calendar = parse_ics(services.track_feed(conference, arts, page_url=PAGE))

    expected = [services.conference_uid(conference)] + [
        services.session_uid(conference, s)
        for s in conference.sessions
        if s.track is None or s.track.key == "arts"
    ]
    assert uids(calendar) == expected
    assert calendar["X-WR-CALNAME"] == "For Syria — Arts"
    assert services.session_uid(
        conference, services.find_session(conference, "sample-cultural-1")
    ) not in uids(calendar)


def test_feeds_are_written_in_the_language_asked_for(conference, parse_ics):
    with force_locale("ar"):
        data = services.programme_feed(conference, page_url=PAGE)

    calendar = parse_ics(data)
    days = by_uid(calendar, services.conference_uid(conference))
    assert calendar["X-WR-CALNAME"] == "من أجل سوريا"
    assert str(days["SUMMARY"]) == "من أجل سوريا"
    assert days["SUMMARY"].params["LANGUAGE"] == "ar"
    assert str(days["LOCATION"]) == "يُعلَن عن المكان لاحقًا"


def test_location_adds_the_address_once_the_venue_is_confirmed(make_conference, english):
    conference = make_conference(
        unconfirmed=[],
        venue_name={"en": "Community Hall", "ar": "قاعة الجالية"},
        venue_address={"en": "1 Main St, Anaheim", "ar": "1 الشارع الرئيسي، أنهايم"},
    )

    assert services.location(conference) == "Community Hall, 1 Main St, Anaheim"
    with force_locale("ar"):
        assert services.location(conference) == "قاعة الجالية، 1 الشارع الرئيسي، أنهايم"


def test_feed_names_the_organizer_only_once_the_contact_address_is_confirmed(
    make_conference, english, parse_ics
):
    unconfirmed = make_conference()
    unconfirmed_feed = services.programme_feed(unconfirmed, page_url=PAGE)
    confirmed = make_conference(unconfirmed=["venue"])

    calendar = parse_ics(services.programme_feed(confirmed, page_url=PAGE))

    assert b"ORGANIZER" not in unconfirmed_feed
    [days] = calendar.walk("VEVENT")
    assert str(days["ORGANIZER"]) == "mailto:organizers@example.org"
    assert days["ORGANIZER"].params["CN"] == "For Syria"


def test_invitation_built_from_the_conference_event_is_a_valid_request(
    conference, english, parse_ics
):
    registration_uid = str(uuid.uuid4())
    event = services.conference_event(conference, page_url=PAGE)

    data = ics.invitation(
        event,
        uid=registration_uid,
        sequence=0,
        organizer=ORGANIZER,
        attendee=ics.Mailbox("ada@example.org", "Ada"),
    )

    [invited] = parse_ics(data).walk("VEVENT")
    assert str(invited["UID"]) == registration_uid
    assert registration_uid != services.conference_uid(conference)
    assert str(invited["ATTENDEE"]) == "mailto:ada@example.org"


def test_find_returns_none_for_unknown_keys(conference):
    assert services.find_track(conference, "dance") is None
    assert services.find_session(conference, "no-such-session") is None
