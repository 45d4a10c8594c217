"""Who sees what: a coordinator of the arts track sees the arts shifts and people only;
organizers see all; other tracks' ids answer 404, not 403."""

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.volunteers import scope
from conference.volunteers.models import Shift

from .staff_helpers import add_scopes, populate, shift_id


@pytest.fixture
def people(sign_up):
    return populate(sign_up)


@pytest.fixture
def arts(client, login_as, enforced_access):
    user = login_as("coordinator")
    add_scopes(user, "arts")
    return user


def test_scopes_of_each_role(make_user, conference):
    organizer = make_user("organizer")
    checkin = make_user("checkin")
    coordinator = make_user("coordinator")
    add_scopes(coordinator, "arts", "general")

    assert scope.scopes_of(organizer) is None
    assert scope.scopes_of(checkin) == frozenset()
    assert scope.scopes_of(coordinator) == frozenset({"arts", "general"})


def test_shift_filter_keeps_the_scopes_shifts(make_user, conference):
    coordinator = make_user("coordinator")
    add_scopes(coordinator, "arts", "general")
    none = make_user("coordinator", email="nobody@forsyria.example")

    keys = set(db.session.scalars(sa.select(Shift.key).where(scope.shift_filter(coordinator))))
    nothing = db.session.scalars(sa.select(Shift.key).where(scope.shift_filter(none))).all()

    assert "sample-guides-1" in keys
    assert "sample-stage-1" in keys
    assert "sample-welcome-1am" in keys  # general
    assert "sample-youth-1" not in keys
    assert "sample-hosts-1" not in keys
    assert nothing == []


def test_can_see_volunteer_follows_their_shifts(make_user, people):
    coordinator = make_user("coordinator")
    add_scopes(coordinator, "arts")

    assert scope.can_see_volunteer(coordinator, people["arts"])
    assert not scope.can_see_volunteer(coordinator, people["social"])
    assert not scope.can_see_volunteer(coordinator, people["minor"])
    assert scope.can_see_volunteer(make_user("organizer"), people["minor"])


def test_arts_coordinator_gets_404_on_social_pages(client, arts, people):
    social = shift_id("sample-youth-1")
    signup = people["social"].signups[0].id
    pages = [
        f"/manage/volunteers/shifts/{social}",
        f"/manage/volunteers/shifts/{social}/email",
        f"/manage/volunteers/shifts/{social}/people/{signup}/move",
        f"/manage/volunteers/shifts/{social}/people/{signup}/remove",
        f"/manage/volunteers/people/{people['social'].id}",
        f"/manage/volunteers/people/{people['minor'].id}",
    ]
    for page in pages:
        assert client.get(page).status_code == 404, page
    response = client.post(
        f"/manage/volunteers/shifts/{social}/people/{signup}/attendance", data={"mark": "arrived"}
    )
    assert response.status_code == 404


def test_arts_coordinator_sees_their_own(client, arts, people):
    assert client.get(f"/manage/volunteers/shifts/{shift_id('sample-guides-1')}").status_code == 200
    assert client.get(f"/manage/volunteers/people/{people['arts'].id}").status_code == 200


def test_board_and_list_omit_other_tracks(client, arts, people):
    board = client.get("/manage/volunteers").get_data(as_text=True)
    listing = client.get("/manage/volunteers/people").get_data(as_text=True)

    assert "Gallery guides" in board
    assert "Stage crew" in board
    assert "Youth corner" not in board
    assert "Welcome desk" not in board
    assert "Nour Arts" in listing
    for hidden in ("Sami Social", "Yara Young", "Rana General"):
        assert hidden not in listing


def test_board_track_filter_refuses_tracks_out_of_scope(client, arts, people):
    response = client.get("/manage/volunteers?track=social")

    assert response.status_code == 400
    assert "Youth corner" not in response.get_data(as_text=True)


def test_arts_export_has_only_arts_rows(client, arts, people):
    response = client.post("/manage/volunteers/export", data={"file_format": "csv"})
    text = response.get_data().decode("utf-8-sig")

    assert response.status_code == 200
    assert "Nour Arts" in text
    for hidden in ("Sami Social", "Yara Young", "Rana General"):
        assert hidden not in text
    refused = client.post(
        "/manage/volunteers/export",
        data={"file_format": "csv", "shift": shift_id("sample-youth-1")},
    )
    assert refused.status_code == 400


def test_organizer_sees_everyone(client, organizer, people):
    listing = client.get("/manage/volunteers/people").get_data(as_text=True)
    for name in ("Nour Arts", "Sami Social", "Yara Young", "Rana General"):
        assert name in listing
    assert client.get(f"/manage/volunteers/people/{people['minor'].id}").status_code == 200


def test_other_roles_are_refused(client, login_as, enforced_access, people):
    login_as("checkin")

    assert client.get("/manage/volunteers").status_code == 403
    assert client.get("/manage/volunteers/people").status_code == 403


def test_minor_guardian_shows_only_in_scope(client, login_as, enforced_access, people):
    user = login_as("coordinator")
    add_scopes(user, "social")

    page = client.get(f"/manage/volunteers/people/{people['minor'].id}").get_data(as_text=True)

    assert "Hala Young" in page
    assert "hala<wbr>@" in page
