"""What organizers do on an attendee's page, and track capacities (the back office)."""

import pytest
import sqlalchemy as sa

from conference.content.models import Track
from conference.extensions import db
from conference.mailer import outbox
from conference.registration import seats, services, staff_services
from conference.registration.models import (
    PlaceStatus,
    RegistrationStatus,
)

from .conftest import audit_events, delivered, fresh, queued, text

# ---------------------------------------------------------------------------------------
# Actions


def test_cancelling_asks_first_then_frees_the_seat_for_the_next_in_line(
    client, organizer, make_conference, make_registration
):
    conference = make_conference(arts_capacity=1)

    def add(email):
        return make_registration(email, to=conference, full_name="Someone")

    seated, waiting = add("seated@example.org"), add("waiting@example.org")

    asked = client.get(f"/manage/attendees/{seated.id}/cancel")
    done = client.post(f"/manage/attendees/{seated.id}/cancel")

    assert asked.status_code == 200
    assert "Yes, cancel the registration" in text(asked)
    assert done.status_code == 303
    assert done.headers["Location"] == f"/manage/attendees/{seated.id}"
    assert fresh(seated).status == RegistrationStatus.cancelled
    assert [p.status for p in fresh(waiting).places] == [PlaceStatus.confirmed]
    assert [m.recipient for m in queued("registration.cancelled")] == ["seated@example.org"]
    assert [m.recipient for m in queued("registration.promoted")] == ["waiting@example.org"]
    [event] = audit_events("attendee.cancelled")
    assert event.details == {"registration_id": seated.id}
    assert event.actor_id == organizer.id


def test_cancelling_twice_says_so(client, organizer, make_registration):
    registration = make_registration()
    client.post(f"/manage/attendees/{registration.id}/cancel")

    again = client.post(f"/manage/attendees/{registration.id}/cancel", follow_redirects=True)

    assert "already cancelled" in text(again)
    assert len(audit_events("attendee.cancelled")) == 1


def test_confirming_from_the_waiting_list_adds_a_seat_to_a_full_track(
    client, organizer, make_conference
):
    conference = make_conference(arts_capacity=1)
    people = [
        services.register_attendee(
            conference,
            email=f"p{n}@example.org",
            full_name="Someone",
            track_keys=["arts"],
            language="en",
            privacy_accepted=True,
        ).registration
        for n in range(3)
    ]
    last = people[2]
    [place] = last.places

    response = client.post(
        f"/manage/attendees/{last.id}/places/{place.id}/confirm", follow_redirects=True
    )

    arts = db.session.scalar(sa.select(Track).filter_by(key="arts"))
    db.session.refresh(arts)
    assert "the track has one more seat" in text(response)
    assert fresh(place).status == PlaceStatus.confirmed
    assert (arts.capacity, arts.seats_taken) == (2, 2)
    assert [p.status for p in fresh(people[1]).places] == [PlaceStatus.waitlisted]
    [promoted] = queued("registration.promoted")
    assert promoted.recipient == "p2@example.org"
    assert "invite.ics" in outbox.attachment_names(outbox.render_for_display(promoted))
    [event] = audit_events("attendee.confirmed_from_waitlist")
    assert event.details == {"registration_id": last.id, "track": "arts", "capacity": 2}


def test_confirming_someone_no_longer_waiting_is_refused(client, organizer, make_registration):
    registration = make_registration()
    [place] = registration.places  # confirmed already

    response = client.post(
        f"/manage/attendees/{registration.id}/places/{place.id}/confirm", follow_redirects=True
    )

    assert "no longer on the waiting list" in text(response)
    with pytest.raises(services.RegistrationError):
        staff_services.confirm_place(registration, 12345)
    with pytest.raises(services.RegistrationError):
        seats.confirm_from_waitlist(place)


def test_resending_the_confirmation_sends_a_new_link(client, organizer, make_registration):
    registration = make_registration("layla@example.org")
    before = len(queued("registration.confirmation"))

    response = client.post(f"/manage/attendees/{registration.id}/resend", follow_redirects=True)

    assert "on its way again" in text(response)
    messages = queued("registration.confirmation")
    assert len(messages) == before + 1
    assert messages[-1].recipient == "layla@example.org"
    assert fresh(registration).tokens == []  # the link is minted when the mail is sent
    assert "/registration/" in delivered(messages[-1]).text
    assert len(fresh(registration).tokens) == 1
    assert len(audit_events("attendee.confirmation_resent")) == 1


def test_a_cancelled_registration_gets_no_confirmation(client, organizer, make_registration):
    registration = make_registration()
    services.cancel_registration(registration)

    response = client.post(f"/manage/attendees/{registration.id}/resend", follow_redirects=True)

    assert "nothing to send" in text(response)


def details(**changes):
    data = {
        "full_name": "Layla Haddad",
        "email": "layla@example.org",
        "phone": "",
        "city": "",
        "region": "",
        "language": "en",
        "needs": "",
    }
    return {**data, **changes}


def test_editing_details_saves_them_and_records_which_fields_changed(
    client, organizer, make_registration
):
    registration = make_registration("layla@example.org", full_name="Layla Hadad")

    form = client.get(f"/manage/attendees/{registration.id}/edit")
    saved = client.post(
        f"/manage/attendees/{registration.id}/edit",
        data=details(full_name="Layla Haddad", city="حلب", photo_consent="y"),
    )

    assert 'value="Layla Hadad"' in text(form)
    assert saved.status_code == 303
    registration = fresh(registration)
    assert (registration.full_name, registration.city) == ("Layla Haddad", "حلب")
    assert registration.photo_consent is True
    [event] = audit_events("attendee.details_changed")
    assert event.details["fields"] == ["city", "full_name", "photo_consent"]
    assert "Layla" not in str(event.details)


def test_a_new_address_gets_the_confirmation_and_old_links_stop(
    client, organizer, make_registration
):
    registration = make_registration("layal@example.org", full_name="Layla Haddad")
    delivered(queued("registration.confirmation")[0])  # a link sent to the mistyped address
    assert len(fresh(registration).tokens) == 1

    client.post(f"/manage/attendees/{registration.id}/edit", data=details())

    registration = fresh(registration)
    assert registration.email == "layla@example.org"
    assert registration.tokens == []  # the old link stopped working
    confirmation = queued("registration.confirmation")[-1]
    assert confirmation.recipient == "layla@example.org"
    delivered(confirmation)
    assert len(fresh(registration).tokens) == 1  # the new one, sent to the new address
    assert len(audit_events("attendee.email_changed")) == 1
    assert audit_events("attendee.details_changed") == []


def test_an_address_already_registered_is_refused_on_its_field(
    client, organizer, make_registration
):
    make_registration("layla@example.org")
    other = make_registration("other@example.org", full_name="Layla Haddad")

    response = client.post(
        f"/manage/attendees/{other.id}/edit", data=details(full_name="Changed Name")
    )

    html = text(response)
    assert response.status_code == 200
    assert 'href="#email"' in html
    assert "Another registration already uses this email address." in html
    assert fresh(other).full_name == "Layla Haddad"  # nothing saved


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"full_name": "  "}, "Enter their full name"),
        ({"email": "not an address"}, "Enter an email address in the correct format"),
        ({"phone": "call me"}, "Enter a phone number"),
        ({"language": "fr"}, "Select the language of their emails"),
        ({"needs": "x" * 2001}, "2,000 characters or fewer"),
    ],
)
def test_editing_with_a_mistake_explains_it(client, organizer, make_registration, changes, message):
    registration = make_registration("layla@example.org", full_name="Layla Haddad")

    response = client.post(f"/manage/attendees/{registration.id}/edit", data=details(**changes))

    assert response.status_code == 200
    assert message in text(response)


def test_a_cancelled_registration_cannot_be_edited(client, organizer, make_registration):
    registration = make_registration()
    services.cancel_registration(registration)

    response = client.get(f"/manage/attendees/{registration.id}/edit")

    assert response.status_code == 303


# ---------------------------------------------------------------------------------------
# Track capacities


def test_raising_a_capacity_promotes_from_the_waiting_list(client, organizer, make_conference):
    conference = make_conference(arts_capacity=1)
    for n in range(3):
        services.register_attendee(
            conference,
            email=f"p{n}@example.org",
            full_name="Someone",
            track_keys=["arts"],
            language="en",
            privacy_accepted=True,
        )
    version = conference.content_version

    response = client.post("/manage/tracks", data={"track": "arts", "capacity": "3"})
    page = client.get("/manage/tracks")

    assert response.status_code == 303
    assert "Arts now has 3 seats. 2 people on the waiting list got a seat" in text(page)
    assert [m.recipient for m in queued("registration.promoted")] == [
        "p1@example.org",
        "p2@example.org",
    ]
    [event] = audit_events("track.capacity_changed")
    assert event.details == {"track": "arts", "capacity": 3, "previous": 1, "promoted": 2}
    assert fresh(conference).content_version != version  # the public page shows capacities


def test_lowering_below_confirmed_seats_is_refused_with_a_clear_message(
    client, organizer, make_registration
):
    make_registration(tracks=["arts"])
    make_registration(tracks=["arts"])

    response = client.post("/manage/tracks", data={"track": "arts", "capacity": "1"})

    html = text(response)
    assert response.status_code == 200
    assert "Arts has 2 confirmed seats: its capacity cannot go below that." in html
    assert 'href="#capacity-arts"' in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(sa.select(Track.capacity).filter_by(key="arts")) == 150
    assert audit_events("track.capacity_changed") == []
    # The track's lock was released: another registration still goes through.
    make_registration(tracks=["arts"])


@pytest.mark.parametrize(
    ("capacity", "message"),
    [
        ("", "Enter the number of seats"),
        ("lots", "whole number"),
        ("-1", "from 0 to 100,000"),
        ("1e9", "whole number"),
        ("99999999999999999999999", "from 0 to 100,000"),
    ],
)
def test_a_capacity_that_is_not_a_number_is_explained(
    client, organizer, conference, capacity, message
):
    response = client.post("/manage/tracks", data={"track": "arts", "capacity": capacity})

    assert response.status_code == 200
    assert message in text(response)


def test_arabic_digits_are_accepted(client, organizer, conference):
    response = client.post("/manage/tracks", data={"track": "social", "capacity": "١٦٠"})

    assert response.status_code == 303
    assert db.session.scalar(sa.select(Track.capacity).filter_by(key="social")) == 160


@pytest.mark.parametrize("track", ["", "nope", None])
def test_an_unknown_track_is_a_bad_request(client, organizer, conference, track):
    data = {"capacity": "10"} | ({"track": track} if track is not None else {})

    assert client.post("/manage/tracks", data=data).status_code == 400
