"""The staffing board: its figures, under-staffed shifts flagged in words, the filters,
the chart beside the table, and cards on a phone."""

import re

import pytest

from conference.volunteers import staff_queries

from .staff_helpers import populate, shift_id


@pytest.fixture
def people(sign_up):
    return populate(sign_up)


def test_board_counts(conference, make_user, people):
    organizer = make_user("organizer")

    board = staff_queries.board(conference, organizer)

    assert len(board.rows) == 14  # the sample set
    assert board.volunteers == 4
    assert board.places_taken == 4  # guides, welcome and two on the youth corner
    assert board.places_total == sum(r.shift.max_people for r in board.rows)
    # Every sample shift needs at least one; only the youth corner has its two.
    assert board.under == sum(1 for r in board.rows if r.shift.taken < r.shift.min_people)
    youth = next(r for r in board.rows if r.shift.key == "sample-youth-1")
    assert not youth.under
    guides = next(r for r in board.rows if r.shift.key == "sample-guides-1")
    assert guides.under
    assert guides.missing == 1


def test_board_filters(conference, make_user, people):
    organizer = make_user("organizer")
    day_two = staff_queries.board(conference, organizer).days[1]

    by_day = staff_queries.board(conference, organizer, day=day_two)
    by_track = staff_queries.board(conference, organizer, track="arts")
    general = staff_queries.board(conference, organizer, track="general")
    under = staff_queries.board(conference, organizer, under_only=True)

    assert {"sample-welcome-2am", "sample-hosts-2"} <= {r.shift.key for r in by_day.rows}
    assert all(r.day == day_two for r in by_day.rows)
    assert {"sample-guides-1", "sample-stage-1"} <= {r.shift.key for r in by_track.rows}
    assert all(r.shift.role.track.key == "arts" for r in by_track.rows)
    assert "sample-setup-1" in {r.shift.key for r in general.rows}
    assert all(r.under for r in under.rows)
    assert "sample-youth-1" not in {r.shift.key for r in under.rows}


@pytest.mark.parametrize(
    ("typed", "name"),
    [("احمد", "أحمد الحلبي"), ("أحمد", "احمد الحلبي"), ("jose", "José Haddad"), ("%", "Nour Arts")],
)
def test_people_search_folds_names_as_attendee_search_does(
    client, organizer, people, sign_up, typed, name
):
    sign_up(
        "folded@example.org", ["sample-guides-1"], full_name=name, skills=["sample-arts-guides"]
    )

    found = client.get("/manage/volunteers/people", query_string={"q": typed})
    page = found.get_data(as_text=True)

    assert found.status_code == 200
    if typed == "%":  # a wildcard typed is a character searched for, not "anything"
        assert name not in page
    else:
        assert name in page
        assert "Sami Social" not in page


def test_board_page_flags_under_staffed_in_words(conference, client, organizer, people):
    page = client.get("/manage/volunteers").get_data(as_text=True)
    under = staff_queries.board(conference, organizer).under

    assert page.count("✕</span>Under-staffed<") == under == 13
    assert "1 more needed" in page
    assert 'class="pill pill--danger"' in page
    assert "Shifts under their minimum" in page


def test_board_page_has_a_chart_and_a_table_for_phones(client, organizer, people):
    page = client.get("/manage/volunteers").get_data(as_text=True)

    assert "<figure" in page
    assert "<figcaption>" in page
    assert re.search(r'<svg class="staffing-chart__bar" aria-hidden="true"', page)
    assert 'class="data-list staffing-table"' in page
    assert 'data-label="People"' in page
    assert "2 of 5 places filled" in page  # the chart says its numbers in words


def test_board_page_filters_and_language_need(client, organizer, people):
    page = client.get("/manage/volunteers?track=arts&under=y").get_data(as_text=True)

    assert "Gallery guides" in page
    assert "Youth corner" not in page
    assert "English speaker: yes" in page
    assert f"/manage/volunteers/shifts/{shift_id('sample-guides-1')}" in page


def test_board_page_in_arabic(client, organizer, people):
    response = client.get("/manage/volunteers", headers={"Accept-Language": "ar"})

    assert response.status_code == 200
    assert 'dir="rtl"' in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["day=yesterday", "track=nowhere", "day=2022-13-40"])
def test_board_refuses_bad_filters(conference, client, organizer, query):
    assert client.get(f"/manage/volunteers?{query}").status_code == 400


def test_people_list_search_sort_and_hours(client, organizer, people):
    from conference.volunteers import staff_services
    from conference.volunteers.models import Attendance

    signup = people["arts"].signups[0]
    staff_services.mark_attendance(signup, Attendance.arrived, organizer)

    found = client.get("/manage/volunteers/people?q=nour").get_data(as_text=True)
    by_hours = client.get("/manage/volunteers/people?sort=-hours").get_data(as_text=True)
    by_track = client.get("/manage/volunteers/people?track=social").get_data(as_text=True)

    assert "Nour Arts" in found
    assert "Sami Social" not in found
    assert by_hours.index("Nour Arts") < by_hours.index("Rana General")
    assert ">3<" in by_hours  # three hours at the gallery
    assert "Sami Social" in by_track
    assert "Yara Young" in by_track
    assert "Nour Arts" not in by_track
    assert "Under 18" in by_track


@pytest.mark.parametrize("language", ["en", "ar"])
def test_person_page_counts_a_fraction_of_an_hour(client, organizer, sign_up, language):
    from conference.volunteers import staff_services
    from conference.volunteers.models import Attendance

    outcome = sign_up("h@example.org", ["sample-hosts-2"], full_name="Huda Hosts")
    staff_services.mark_attendance(outcome.signups[0], Attendance.arrived, organizer)

    response = client.get(
        f"/manage/volunteers/people/{outcome.volunteer.id}", headers={"Accept-Language": language}
    )

    assert response.status_code == 200
    assert "2.25" in response.get_data(as_text=True)  # 9:45 to 12:00
