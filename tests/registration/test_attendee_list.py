"""The attendee list's count, range, orders, pages both ways, pills and filter panel."""

import re
from datetime import datetime

import pytest

from conference.extensions import db
from conference.registration import services, staff_views

from .conftest import AR, audit_events, link, listed_names, text

NAMES = ["Nour", "Adam", "Zaid", "Layla", "Adam", "Basel", "Maya"]  # in registration order


@pytest.fixture
def people(make_registration, monkeypatch):
    """Seven registrations (two called Adam), three a page."""
    monkeypatch.setattr(staff_views, "PAGE_SIZE", 3)
    return [make_registration(f"p{n}@example.org", full_name=name) for n, name in enumerate(NAMES)]


def summary(response):
    found = re.search(r'<p class="list-summary"[^>]*>([^<]*)</p>', text(response))
    return found[1].strip() if found else None


def expected(sort, people):
    """The names in the order ``sort`` must give (ties by registration order)."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    if key == "name":
        ordered = sorted(people, key=lambda r: (r.full_name, r.id), reverse=descending)
    else:
        ordered = sorted(people, key=lambda r: r.id, reverse=descending)
    return [registration.full_name for registration in ordered]


def walk(client, url, rel):
    """Follow ``rel`` links from ``url``; return each page's names, and the last URL."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(listed_names(response))
        last, url = url, link(response, rel)
    return pages, last


def test_the_summary_shows_the_range_and_the_count(client, organizer, people):
    first = client.get("/manage/attendees")
    second = client.get(link(first, "next"))
    third = client.get(link(second, "next"))

    assert summary(first) == "Showing 1–3 of 7"
    assert summary(second) == "Showing 4–6 of 7"
    assert summary(third) == "Showing 7–7 of 7"
    assert summary(client.get(link(third, "prev"))) == "Showing 4–6 of 7"


def test_the_count_follows_the_filters(client, organizer, people):
    response = client.get("/manage/attendees", query_string={"q": "adam"})

    assert summary(response) == "Showing 1–2 of 2"
    assert link(response, "next") is None


def test_the_summary_in_arabic(client, organizer, people):
    response = client.get("/manage/attendees", headers=AR)

    assert "Showing" not in summary(response)
    assert "7" in summary(response)


@pytest.mark.parametrize("sort", ["-registered", "registered", "name", "-name"])
def test_each_order_pages_forward_and_back_without_duplicates_or_gaps(
    client, organizer, people, sort
):
    forward, last_page = walk(client, f"/manage/attendees?sort={sort}", "next")
    names = [name for page in forward for name in page]

    assert names == expected(sort, people)
    assert [len(page) for page in forward] == [3, 3, 1]

    backward, first_page = walk(client, last_page, "prev")
    assert backward == forward[::-1]
    assert "before=" in first_page


def test_the_default_order_is_newest_first(client, organizer, people):
    response = client.get("/manage/attendees")

    assert listed_names(response) == expected("-registered", people)[:3]
    assert 'aria-sort="descending"' in text(response)


@pytest.mark.parametrize("sort", ["-name", "name"])
def test_the_sorted_header_says_so_and_links_to_the_other_direction(
    client, organizer, people, sort
):
    response = client.get("/manage/attendees", query_string={"sort": sort})
    html = text(response)

    direction = "descending" if sort.startswith("-") else "ascending"
    assert html.count("aria-sort=") == 1
    assert f'aria-sort="{direction}"' in html
    other = "name" if sort == "-name" else "-name"
    assert f"sort={other}" in html.replace("%2D", "-")


@pytest.mark.parametrize("sort", ["nope", "-", "--name", "name;drop", "\x00"])
def test_an_unknown_order_gives_the_usual_one(client, organizer, people, sort):
    response = client.get("/manage/attendees", query_string={"sort": sort})

    assert response.status_code == 200
    assert listed_names(response) == expected("-registered", people)[:3]


def test_filters_and_the_order_are_kept_from_page_to_page(client, organizer, people):
    response = client.get("/manage/attendees", query_string={"q": "a", "sort": "name"})
    next_url = link(response, "next")

    assert "q=a" in next_url
    assert "sort=name" in next_url
    assert 'name="sort" value="name"' in text(response)  # kept by a new search too


def test_a_marker_from_another_conference_or_gone_gives_the_first_page(client, organizer, people):
    response = client.get("/manage/attendees", query_string={"before": "999999"})

    assert listed_names(response) == expected("-registered", people)[:3]


def test_other_orders_and_previous_pages_are_audited(client, organizer, people):
    client.get("/manage/attendees", query_string={"sort": "name"})
    client.get("/manage/attendees", query_string={"before": str(people[0].id)})

    # The same list (no filter) seen twice in a day: one row of the log, counted twice.
    [listed] = audit_events("attendees.listed")
    assert listed.details == {"filters": {}, "after": None, "sort": "name"}
    assert listed.count == 2


def test_statuses_are_pills_with_the_place_in_line(
    client, organizer, make_conference, make_registration
):
    conference = make_conference(arts_capacity=1)
    make_registration("a@example.org", ["arts"], to=conference, full_name="Seated")
    make_registration("b@example.org", ["arts"], to=conference, full_name="First waiting")
    second = make_registration("c@example.org", ["arts"], to=conference, full_name="Second waiting")
    second.checked_in_at = datetime(2026, 3, 18, 9, 0)
    db.session.commit()
    gone = make_registration("d@example.org", ["social"], to=conference, full_name="Gone")
    services.cancel_registration(gone)

    html = text(client.get("/manage/attendees"))
    cancelled = text(client.get("/manage/attendees", query_string={"status": "cancelled"}))

    assert re.search(
        r'pill--ok"><span class="pill__mark" aria-hidden="true">✓</span>Arts: seat', html
    )
    assert "Arts: waiting, number 1<" in html
    assert "Arts: waiting, number 2<" in html
    assert re.search(r"pill--ok\"><[^>]+>✓</span>Checked in", html)
    assert "pill--cancelled" in cancelled


def test_waiting_positions_count_everyone_ahead_across_pages(
    client, organizer, make_conference, make_registration, monkeypatch
):
    monkeypatch.setattr(staff_views, "PAGE_SIZE", 2)
    conference = make_conference(arts_capacity=0)
    for n in range(5):
        make_registration(f"w{n}@example.org", ["arts"], to=conference, full_name=f"W{n}")

    first = text(client.get("/manage/attendees"))  # W4, W3: numbers 5 and 4
    by_name = text(client.get("/manage/attendees", query_string={"sort": "name"}))

    assert "number 5<" in first
    assert "number 4<" in first
    assert "number 1<" in by_name
    assert "number 2<" in by_name


def test_the_filter_panel_is_closed_until_a_filter_is_active(client, organizer, people):
    plain = text(client.get("/manage/attendees"))
    filtered = text(client.get("/manage/attendees", query_string={"language": "en"}))

    assert '<details class="filter-panel">' in plain
    assert '<details class="filter-panel" open>' in filtered
    assert "(1 active)" in filtered


def test_rows_carry_their_column_names_for_the_phone_layout(client, organizer, people):
    html = text(client.get("/manage/attendees"))

    assert 'class="data-list attendee-list"' in html
    assert 'data-label="Email address"' in html
    assert "p6<wbr>@example<wbr>.org" in html


def test_the_list_in_arabic_labels_its_cells_in_arabic(client, organizer, people):
    html = text(client.get("/manage/attendees", headers=AR))

    assert 'data-label="Email address"' not in html
    assert "Previous page" not in html
    assert "Next page" not in html
