"""The .ics files themselves: pure functions, no app or database."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import vobject

from conference.calendar import ics

ORGANIZER = ics.Mailbox("organizers@example.org", "For Syria")
LAYLA = ics.Mailbox("layla@example.org", "ليلى أحمد، من دمشق")
NOW = datetime(2022, 3, 1, 12, 0, tzinfo=UTC)
# Long enough that its lines must be folded (75 octets is about 37 Arabic letters).
ARABIC = (
    "يجمع مؤتمر «من أجل سوريا» كلَّ من يهمّه أمر سوريا، على مدى يومين; "
    "تعرض الجالية السورية الأمريكية تنوّعها الثقافي والاجتماعي والفني."
)


def timed_event(**changes):
    values = {
        "summary": "الافتتاح: لماذا نجتمع",
        "start": datetime(2022, 3, 18, 16, 30, tzinfo=UTC),
        "end": datetime(2022, 3, 18, 17, 15, tzinfo=UTC),
        "description": ARABIC,
        "location": "يُعلَن عن المكان لاحقًا",
        "url": "https://forsyria.example/#session-opening",
        "language": "ar",
    }
    return ics.CalendarEvent(**{**values, **changes})


def all_day_event():
    start, end = ics.conference_span(date(2022, 3, 18), date(2022, 3, 19))
    return ics.CalendarEvent(summary="For Syria", start=start, end=end, language="en")


def invite(event=None, **changes):
    arguments = {
        "uid": "bfd8b797-a534-4d87-9bfa-43dab8772387",
        "sequence": 0,
        "organizer": ORGANIZER,
        "attendee": LAYLA,
        "now": NOW,
        **changes,
    }
    return ics.invitation(event or timed_event(), **arguments)


def test_invitation_is_a_request_from_the_organizer_to_the_attendee(parse_ics):
    calendar = parse_ics(invite(sequence=2))

    [event] = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == ics.PRODID
    assert "UID" not in calendar
    assert str(event["UID"]) == "bfd8b797-a534-4d87-9bfa-43dab8772387"
    assert event["SEQUENCE"] == 2
    assert event["STATUS"] == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:organizers@example.org"
    assert event["ORGANIZER"].params["CN"] == "For Syria"
    assert event["DTSTAMP"].dt == NOW


def test_invitation_asks_the_attendee_nothing_back(parse_ics):
    [event] = parse_ics(invite()).walk("VEVENT")

    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:layla@example.org"
    assert attendee.params["CN"] == "ليلى أحمد، من دمشق"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "FALSE"


def test_invitation_writes_times_in_utc_and_never_a_tzid(parse_ics):
    event = timed_event(
        start=datetime(2022, 3, 18, 9, 30, tzinfo=ZoneInfo("America/Los_Angeles")),
        end=datetime(2022, 3, 18, 10, 15, tzinfo=ZoneInfo("America/Los_Angeles")),
    )

    data = invite(event)

    assert b"DTSTART:20220318T163000Z\r\n" in data
    assert b"DTEND:20220318T171500Z\r\n" in data
    assert b"TZID" not in data
    assert b"VTIMEZONE" not in data
    parse_ics(data)


def test_invitation_for_days_without_times_uses_dates_with_an_exclusive_end(parse_ics):
    data = invite(all_day_event())

    [event] = parse_ics(data).walk("VEVENT")
    assert b"DTSTART;VALUE=DATE:20220318\r\n" in data
    assert b"DTEND;VALUE=DATE:20220320\r\n" in data
    assert event["DTEND"].dt == date(2022, 3, 20)
    assert b"TZID" not in data


def test_invitation_needs_the_stored_uid_and_a_valid_sequence():
    with pytest.raises(ValueError, match="UID"):
        invite(uid="")
    with pytest.raises(ValueError, match="sequence"):
        invite(sequence=-1)


def test_cancellation_keeps_the_uid_raises_the_sequence_and_cancels(parse_ics):
    uid = str(uuid.uuid4())
    request = parse_ics(invite(uid=uid, sequence=1))

    cancel = parse_ics(
        ics.cancellation(
            timed_event(), uid=uid, sequence=2, organizer=ORGANIZER, attendee=LAYLA, now=NOW
        )
    )

    [before] = request.walk("VEVENT")
    [after] = cancel.walk("VEVENT")
    assert cancel["METHOD"] == "CANCEL"
    assert str(after["UID"]) == str(before["UID"]) == uid
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["STATUS"] == "CANCELLED"
    assert str(after["ATTENDEE"]) == "mailto:layla@example.org"
    assert str(after["ORGANIZER"]) == "mailto:organizers@example.org"


def test_cancellation_refuses_the_first_sequence():
    with pytest.raises(ValueError, match="raises the sequence"):
        ics.cancellation(timed_event(), uid="x", sequence=0, organizer=ORGANIZER, attendee=LAYLA)


def test_arabic_text_survives_line_folding_in_both_parsers(parse_ics):
    data = invite()

    [event] = parse_ics(data).walk("VEVENT")
    [vevent] = vobject.readOne(data.decode("utf-8")).vevent_list
    assert any(line.startswith(b" ") for line in data.split(b"\r\n")), "nothing was folded"
    assert str(event["DESCRIPTION"]) == ARABIC
    assert vevent.description.value == ARABIC
    assert vevent.attendee.params["CN"] == ["ليلى أحمد، من دمشق"]
    assert event["SUMMARY"].params["LANGUAGE"] == "ar"


def test_text_with_commas_semicolons_and_new_lines_round_trips(parse_ics):
    text = "First, second; third\nnext line \\ done"

    [event] = parse_ics(invite(timed_event(description=text))).walk("VEVENT")

    assert str(event["DESCRIPTION"]) == text


def test_feed_publishes_every_event_without_attendees(parse_ics):
    events = {ics.feed_uid("for-syria", str(n)): timed_event() for n in range(3)}
    events[ics.feed_uid("for-syria", "conference")] = all_day_event()

    data = ics.feed(events, name="من أجل سوريا", organizer=ORGANIZER, now=NOW)

    calendar = parse_ics(data)
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "من أجل سوريا"
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == list(events)
    assert b"ATTENDEE" not in data
    assert b"TZID" not in data
    assert {e["TRANSP"] for e in calendar.walk("VEVENT")} == {"TRANSPARENT"}
    assert len(list(vobject.readOne(data.decode("utf-8")).vevent_list)) == 4


def test_feed_without_a_confirmed_organizer_still_parses(parse_ics):
    data = ics.feed({ics.feed_uid("x"): all_day_event()}, name="For Syria", now=NOW)

    calendar = parse_ics(data)
    assert "ORGANIZER" not in calendar.walk("VEVENT")[0]


def test_feed_needs_a_uid_for_each_event():
    with pytest.raises(TypeError, match="UID"):
        ics.feed([all_day_event()], name="For Syria")


def test_feed_uid_is_stable_and_never_an_invitation_uid():
    first = ics.feed_uid("for-syria", "session", "opening")

    assert first == ics.feed_uid("for-syria", "session", "opening")
    assert first != ics.feed_uid("for-syria", "session", "closing")
    assert uuid.UUID(first).version == 5
    assert uuid.uuid4().version == 4


def test_dtstamp_is_the_current_time_in_utc(parse_ics):
    before = datetime.now(UTC).replace(microsecond=0)

    [event] = parse_ics(invite(now=None)).walk("VEVENT")

    assert before <= event["DTSTAMP"].dt <= datetime.now(UTC)
    assert event["DTSTAMP"].dt.utcoffset() == timedelta(0)


def test_event_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"):
        ics.CalendarEvent(summary="x", start=datetime(2022, 3, 18, 9, 30))


def test_event_refuses_to_end_before_it_starts():
    with pytest.raises(ValueError, match="end before"):
        timed_event(end=datetime(2022, 3, 18, 16, 0, tzinfo=UTC))


def test_all_day_event_without_an_end_lasts_one_day():
    event = ics.CalendarEvent(summary="x", start=date(2022, 3, 19))

    assert event.is_all_day
    assert event.end == date(2022, 3, 20)


def test_to_utc_reads_the_wall_clock_in_the_conference_time_zone():
    assert ics.to_utc(date(2022, 3, 18), time(9, 30), "America/Los_Angeles") == datetime(
        2022, 3, 18, 16, 30, tzinfo=UTC
    )
    assert ics.to_utc(date(2022, 1, 18), time(9, 30), "America/Los_Angeles") == datetime(
        2022, 1, 18, 17, 30, tzinfo=UTC
    )
    assert ics.to_utc(date(2022, 3, 18), time(9, 30), "Asia/Damascus").hour == 7


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "expected"),
    [
        (
            time(9, 30),
            time(10, 15),
            (datetime(2022, 3, 18, 16, 30, tzinfo=UTC), datetime(2022, 3, 18, 17, 15, tzinfo=UTC)),
        ),
        (time(9, 30), None, (datetime(2022, 3, 18, 16, 30, tzinfo=UTC), None)),
        (None, None, (date(2022, 3, 18), date(2022, 3, 19))),
        (None, time(10, 15), (date(2022, 3, 18), date(2022, 3, 19))),
    ],
)
def test_session_times_are_utc_or_the_whole_day(starts_at, ends_at, expected):
    assert (
        ics.session_times(date(2022, 3, 18), starts_at, ends_at, "America/Los_Angeles") == expected
    )


def test_timed_event_without_an_end_has_only_a_start(parse_ics):
    event = timed_event(end=None)

    data = invite(event)

    assert b"DTSTART:20220318T163000Z" in data
    assert b"DTEND" not in data
    parse_ics(data)


def test_conference_span_ends_the_day_after_the_last_day():
    assert ics.conference_span(date(2022, 3, 18), date(2022, 3, 19)) == (
        date(2022, 3, 18),
        date(2022, 3, 20),
    )
