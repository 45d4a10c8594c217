"""The private link and its pages, and asking for a lost link."""

import re

import icalendar
import pytest

from conference.extensions import db
from conference.registration import queries, services
from conference.registration.models import PlaceStatus, RegistrationStatus

from .conftest import answers, queued, text

# ---------------------------------------------------------------------------------------
# The private link


def test_the_manage_page_shows_the_registration_and_places_in_line(
    client, make_conference, registered
):
    make_conference(arts_capacity=1)
    registered("first@example.org", tracks=["arts"])
    registered("second@example.org", tracks=["arts"])
    registration, token = registered(
        "layla@example.org", tracks=["arts", "social"], full_name="ليلى"
    )

    response = client.get(f"/registration/{token}")

    html = text(response)
    assert response.status_code == 200
    assert '<dd dir="auto">ليلى</dd>' in html
    assert '<span dir="ltr">layla@example.org</span>' in html
    assert "Number 2 on the waiting list" in html
    assert "Your seat is confirmed" in html
    assert f'href="/registration/{token}/invite.ics"' in html


def test_manage_pages_are_not_stored_and_send_no_referrer(client, conference, registered):
    _registration, token = registered()

    for path in ("", "/tracks", "/details", "/cancel", "/erase", "/invite.ics"):
        response = client.get(f"/registration/{token}{path}")
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path


@pytest.mark.parametrize("path", ["", "/tracks", "/details", "/cancel", "/erase", "/invite.ics"])
def test_a_wrong_or_altered_token_gets_a_404(client, conference, registered, path):
    _registration, token = registered()
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")

    for wrong in (altered, "nope", token + "x", "x" * 500):
        response = client.get(f"/registration/{wrong}{path}")
        assert response.status_code == 404, wrong
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_token_opens_its_own_registration_only(client, conference, registered):
    _ada, ada_token = registered("ada@example.org")
    _bob, bob_token = registered("bob@example.org")

    ada_page = text(client.get(f"/registration/{ada_token}"))
    bob_page = text(client.get(f"/registration/{bob_token}"))

    assert "ada@example.org" in ada_page
    assert "bob@example.org" not in ada_page
    assert "bob@example.org" in bob_page
    assert "ada@example.org" not in bob_page


def test_a_token_from_another_conference_gets_a_404(client, conference, make_conference):
    other = make_conference(slug="for-syria-next-year")
    outcome = services.register_attendee(
        other,
        email="ada@example.org",
        full_name="Ada Lovelace",
        track_keys=["arts"],
        language="en",
        privacy_accepted=True,
    )
    token = services.mint_token(outcome.registration)
    db.session.commit()

    assert client.get(f"/registration/{token}").status_code == 404


def test_a_post_with_another_registrations_token_changes_only_that_one(
    client, conference, registered
):
    ada, _ada_token = registered("ada@example.org")
    bob, bob_token = registered("bob@example.org")

    client.post(f"/registration/{bob_token}/cancel")

    db.session.expire_all()
    assert ada.status == RegistrationStatus.active
    assert bob.status == RegistrationStatus.cancelled


def test_changing_tracks_saves_and_returns_to_the_manage_page(client, conference, registered):
    registration, token = registered(tracks=["arts"])

    response = client.post(f"/registration/{token}/tracks", data={"tracks": ["cultural", "social"]})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/registration/{token}"
    db.session.expire_all()
    assert sorted(p.track.key for p in registration.places) == ["cultural", "social"]
    assert "Your tracks are saved." in text(client.get(f"/registration/{token}"))
    assert queued("registration.changed")


def test_the_tracks_page_shows_current_places_and_checks_them(client, make_conference, registered):
    make_conference(social_capacity=0)
    _registration, token = registered(tracks=["arts", "social"])

    html = text(client.get(f"/registration/{token}/tracks"))

    assert re.search(r'<input [^>]*checked[^>]*value="arts"', html)
    assert not re.search(r'<input [^>]*checked[^>]*value="cultural"', html)
    assert "You have a seat." in html
    assert "You are number 1 on the waiting list." in html


def test_unticking_every_track_is_an_error(client, conference, registered):
    registration, token = registered(tracks=["arts"])

    response = client.post(f"/registration/{token}/tracks", data={"tracks": []})

    assert response.status_code == 200
    assert '<a href="#tracks-0">Select at least one track</a>' in text(response)
    db.session.expire_all()
    assert [p.track.key for p in registration.places] == ["arts"]


def test_a_dropped_seat_goes_to_the_next_person_waiting(client, make_conference, registered):
    make_conference(arts_capacity=1)
    _first, token = registered("first@example.org", tracks=["arts", "social"])
    waiting, _ = registered("second@example.org", tracks=["arts"])

    client.post(f"/registration/{token}/tracks", data={"tracks": ["social"]})

    db.session.expire_all()
    assert [p.status for p in waiting.places] == [PlaceStatus.confirmed]


def test_changing_details(client, conference, registered):
    registration, token = registered()

    form = text(client.get(f"/registration/{token}/details"))
    response = client.post(
        f"/registration/{token}/details",
        data={
            "full_name": " Ada King ",
            "phone": "",
            "city": "Dearborn",
            "region": "",
            "language": "ar",
            "needs": "Vegetarian",
            "photo_consent": "y",
        },
    )

    assert 'value="Ada Lovelace"' in form
    assert response.status_code == 303
    db.session.expire_all()
    assert registration.full_name == "Ada King"
    assert registration.city == "Dearborn"
    assert registration.language == "ar"
    assert registration.needs == "Vegetarian"
    assert registration.photo_consent is True


def test_details_with_errors_come_back_with_messages(client, conference, registered):
    registration, token = registered()

    response = client.post(
        f"/registration/{token}/details", data={"full_name": "", "city": "", "language": "en"}
    )

    html = text(response)
    assert "<title>Error: Change your details" in html
    assert '<a href="#full_name">Enter your full name</a>' in html
    db.session.expire_all()
    assert registration.full_name == "Ada Lovelace"


def test_the_calendar_file_carries_the_invitations_uid(client, conference, registered):
    registration, token = registered()

    response = client.get(f"/registration/{token}/invite.ics")

    assert response.status_code == 200
    assert response.content_type == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.data)
    assert calendar["METHOD"] == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == registration.ics_uid


def test_no_calendar_file_without_a_confirmed_seat(client, make_conference, registered):
    make_conference(arts_capacity=0)
    _registration, token = registered(tracks=["arts"])

    assert client.get(f"/registration/{token}/invite.ics").status_code == 404
    assert "invite.ics" not in text(client.get(f"/registration/{token}"))


def test_cancelling_asks_first_then_cancels_and_the_link_stops_working(
    client, conference, registered
):
    registration, token = registered()

    question = client.get(f"/registration/{token}/cancel")
    response = client.post(f"/registration/{token}/cancel")

    assert "Yes, cancel my registration" in text(question)
    assert response.status_code == 303
    assert response.headers["Location"] == "/register/cancelled"
    db.session.expire_all()
    assert registration.status == RegistrationStatus.cancelled
    assert queued("registration.cancelled")
    for path in ("", "/tracks", "/details", "/cancel", "/erase"):  # it only says it ended
        assert client.get(f"/registration/{token}{path}").headers["Location"] == (
            "/register/cancelled"
        )
    assert client.get(f"/registration/{token}/invite.ics").status_code == 404
    assert client.get("/register/cancelled").status_code == 200


def test_erasing_forgets_the_person(client, conference, registered):
    registration, token = registered(phone="+1 202 555 0143", needs="Vegan")

    response = client.post(f"/registration/{token}/erase")

    assert response.status_code == 303
    assert response.headers["Location"] == "/register/erased"
    db.session.expire_all()
    assert registration.status == RegistrationStatus.erased
    assert (registration.email, registration.full_name, registration.phone) == ("", "", None)
    assert client.get(f"/registration/{token}").headers["Location"] == "/register/erased"
    assert "erased" in text(client.get("/register/erased"))


# ---------------------------------------------------------------------------------------
# A lost link


def test_asking_for_the_link_again_sends_it(client, conference, registered):
    registered("ada@example.org")

    response = client.post("/register/link", data={"email": "ADA@example.org "})

    assert response.status_code == 303
    assert '<bdi dir="ltr">ADA@example.org</bdi>' in text(client.get("/register/link/sent"))
    [message] = queued("registration.manage_link")
    assert message.recipient == "ada@example.org"


def test_asking_for_the_link_of_an_unknown_address_looks_the_same(client, conference, registered):
    registered("ada@example.org")

    known = client.post("/register/link", data={"email": "ada@example.org"})
    known_page = text(client.get("/register/link/sent"))
    unknown = client.post("/register/link", data={"email": "nobody@example.org"})
    unknown_page = text(client.get("/register/link/sent"))

    assert known.status_code == unknown.status_code == 303
    assert known_page.replace("ada@", "nobody@") == unknown_page
    assert len(queued("registration.manage_link")) == 1


def test_asking_for_the_link_with_a_bad_address_is_an_error(client, conference):
    response = client.post("/register/link", data={"email": "ada"})

    assert response.status_code == 200
    assert "Enter an email address in the correct format" in text(response)


def test_pages_are_404_before_the_conference_is_loaded(client):
    assert client.get("/register").status_code == 404
    assert client.post("/register", data=answers()).status_code == 404
    assert client.get("/privacy").status_code == 404


def test_a_second_cancel_click_answers_as_the_first_and_sends_nothing(
    client, conference, registered
):
    registration, token = registered()
    client.get(f"/registration/{token}/cancel")

    first = client.post(f"/registration/{token}/cancel")
    second = client.post(f"/registration/{token}/cancel")  # the page it clicked was the same

    assert first.headers["Location"] == second.headers["Location"] == "/register/cancelled"
    assert len(queued("registration.cancelled")) == 1


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("tracks", {"tracks": ["social"]}),
        ("details", {"full_name": "Ada", "city": "Aleppo", "language": "en"}),
    ],
)
def test_a_change_that_finds_the_registration_cancelled_answers_as_the_cancel_did(
    client, conference, registered, monkeypatch, path, form
):
    _, token = registered()
    find = queries.find_by_token

    def found_before_a_twin_cancelled_it(value):
        found = find(value)
        services.cancel_registration(found)  # the twin request, committed meanwhile
        return found

    monkeypatch.setattr(queries, "find_by_token", found_before_a_twin_cancelled_it)

    response = client.post(f"/registration/{token}/{path}", data=form)

    assert response.status_code == 303
    assert response.headers["Location"] == "/register/cancelled"
    assert not queued("registration.changed")
