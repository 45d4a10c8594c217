"""'Add to calendar' links: pure functions, no app or database."""

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

from conference.calendar import ics, links

OPENING = ics.CalendarEvent(
    summary="الافتتاح: لماذا نجتمع",
    start=datetime(2022, 3, 18, 16, 30, tzinfo=UTC),
    end=datetime(2022, 3, 18, 17, 15, tzinfo=UTC),
    description="كلمة ترحيب من المنظمين، ولمحة عن اليومين & more",
    location="يُعلَن عن المكان لاحقًا",
    url="https://forsyria.example/#session-opening",
)
CONFERENCE = ics.CalendarEvent(
    summary="For Syria", start=date(2022, 3, 18), end=date(2022, 3, 20), location="Somewhere"
)


def query(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", {
        name: values[0] for name, values in parse_qs(parts.query, strict_parsing=True).items()
    }


def test_google_calendar_url_carries_utc_times_and_the_texts():
    base, params = query(links.google_calendar_url(OPENING))

    assert base == "https://calendar.google.com/calendar/render"
    assert params["action"] == "TEMPLATE"
    assert params["text"] == "الافتتاح: لماذا نجتمع"
    assert params["dates"] == "20220318T163000Z/20220318T171500Z"
    assert params["details"] == (
        "كلمة ترحيب من المنظمين، ولمحة عن اليومين & more\n\n"
        "https://forsyria.example/#session-opening"
    )
    assert params["location"] == "يُعلَن عن المكان لاحقًا"


def test_google_calendar_url_for_whole_days_uses_dates_with_an_exclusive_end():
    _base, params = query(links.google_calendar_url(CONFERENCE))

    assert params["dates"] == "20220318/20220320"
    assert "details" not in params


def test_outlook_url_is_the_compose_deeplink_with_utc_times():
    base, params = query(links.outlook_calendar_url(OPENING))

    assert base == "https://outlook.live.com/calendar/0/deeplink/compose"
    assert params["path"] == "/calendar/action/compose"
    assert params["rru"] == "addevent"
    assert params["subject"] == "الافتتاح: لماذا نجتمع"
    assert params["startdt"] == "2022-03-18T16:30:00Z"
    assert params["enddt"] == "2022-03-18T17:15:00Z"
    assert params["allday"] == "false"
    assert params["body"].endswith("https://forsyria.example/#session-opening")
    assert params["location"] == "يُعلَن عن المكان لاحقًا"


def test_outlook_url_for_whole_days_is_all_day():
    _base, params = query(links.outlook_calendar_url(CONFERENCE))

    assert params["allday"] == "true"
    assert (params["startdt"], params["enddt"]) == ("2022-03-18", "2022-03-20")


def test_links_are_plain_ascii_with_spaces_as_percent_20():
    for url in (links.google_calendar_url(OPENING), links.outlook_calendar_url(OPENING)):
        assert url.isascii()
        assert "+" not in url
        assert "%20" in url


def test_long_descriptions_are_cut_but_keep_the_page_link():
    event = ics.CalendarEvent(
        summary="x",
        start=date(2022, 3, 18),
        description="ا" * 2000,
        url="https://forsyria.example/",
    )

    _base, params = query(links.google_calendar_url(event))

    assert len(params["details"]) < links.MAX_DETAILS + 40
    assert params["details"].endswith("…\n\nhttps://forsyria.example/")


def test_event_without_an_end_starts_and_ends_at_once():
    event = ics.CalendarEvent(summary="x", start=datetime(2022, 3, 18, 16, 30, tzinfo=UTC))

    _base, google = query(links.google_calendar_url(event))
    _base, outlook = query(links.outlook_calendar_url(event))

    assert google["dates"] == "20220318T163000Z/20220318T163000Z"
    assert outlook["enddt"] == outlook["startdt"]
