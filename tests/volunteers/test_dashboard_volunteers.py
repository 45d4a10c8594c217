"""The volunteers beside the attendees on the dashboard: four figures, aggregates only, and
a coordinator sees their own tracks' figures."""

import re

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.volunteers import stats
from conference.volunteers.models import CoordinatorScope, Shift


def tiles(page):
    """``{label: (value, note)}`` of the page's figure tiles, as read (tags dropped)."""
    found = {}
    for body in re.findall(r'class="tile[^"]*"[^>]*>(.*?)</(?:a|div)>', page, re.S):
        label = re.search(r'tile__label">(.*?)</span>', body, re.S).group(1)
        value = re.search(r'tile__value">(.*?)</span>', body, re.S).group(1)
        note = re.search(r'tile__note">(.*?)</span>', body, re.S)
        found[label.strip()] = (value.strip(), note.group(1).strip() if note else None)
    return found


@pytest.fixture
def volunteers(conference, sign_up):
    """Two adults in the social track, one in the arts track, a minor awaiting a guardian
    in the social track; one adult on a general shift."""
    sign_up("a@example.org", ["sample-youth-1"], full_name="Zaynab Qasim")
    sign_up("b@example.org", ["sample-youth-1", "sample-youth-2"], full_name="Bassel Nour")
    sign_up("c@example.org", ["sample-guides-1"], skills=["sample-arts-guides"])
    sign_up(
        "d@example.org",
        ["sample-youth-2"],
        full_name="Young One",
        age_group="under_18",
        guardian_name="Parent Of One",
        guardian_email="parent@example.org",
    )
    sign_up("e@example.org", ["sample-welcome-1pm"])


def test_the_organizers_figures_count_every_track(conference, volunteers, client, organizer):
    page = client.get("/manage/dashboard").get_data(as_text=True)
    shown = tiles(page)
    figures = stats.figures(conference, organizer)
    total = sum(s.max_people for s in db.session.scalars(sa.select(Shift)))
    assert figures.volunteers == 5
    assert (figures.filled, figures.places) == (6, total)
    assert figures.awaiting_guardian == 1
    assert shown["Volunteers"][0] == "5"
    assert shown["Places filled"][0] == f"6 of {total}"
    assert shown["Awaiting a guardian"] == ("1", "volunteer under 18")
    # Each sample shift starts below its minimum but those reaching theirs: the youth
    # shifts have 2 of a minimum of 2 now.
    under = figures.under_minimum
    assert shown["Under their minimum"][0] == str(under)
    assert under == figures.shifts - 2


def test_a_coordinator_sees_only_their_tracks_figures(
    conference, volunteers, client, login_as, enforced_access
):
    user = login_as("coordinator")
    db.session.add(CoordinatorScope(user_id=user.id, scope="social"))
    db.session.commit()
    shown = tiles(client.get("/manage/dashboard").get_data(as_text=True))
    assert shown["Volunteers"][0] == "3"  # a, b and the minor
    assert shown["Places filled"][0] == "4 of 10"  # the two youth shifts, 5 places each
    assert shown["Awaiting a guardian"][0] == "1"
    assert shown["Under their minimum"][0] == "0"


def test_a_coordinator_without_tracks_sees_zeros(
    conference, volunteers, client, login_as, enforced_access
):
    login_as("coordinator")
    shown = tiles(client.get("/manage/dashboard").get_data(as_text=True))
    assert shown["Volunteers"][0] == "0"
    assert shown["Places filled"][0] == "0 of 0"


@pytest.mark.parametrize("headers", [{}, {"Accept-Language": "ar"}], ids=["en", "ar"])
def test_the_dashboard_shows_no_volunteers_personal_data(
    conference, volunteers, client, organizer, headers
):
    response = client.get("/manage/dashboard", headers=headers)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for personal in ("Zaynab", "Bassel", "Young One", "Parent Of One", "example.org"):
        assert personal not in page
    if headers:
        assert "المتطوعون" in page
        assert "بانتظار وليّ الأمر" in page
