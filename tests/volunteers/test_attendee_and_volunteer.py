"""One person can be an attendee and a volunteer: the two are independent, and erasing
one leaves the other (and its mail) as it was."""

import sqlalchemy as sa

from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.registration import services as registrations
from conference.registration.models import Registration, RegistrationStatus
from conference.volunteers import services
from conference.volunteers.models import VolunteerStatus

from .conftest import BEFORE


def kinds(address):
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(OutboxMessage.kind).filter_by(recipient=address)))


def test_an_attendee_volunteers_and_erasing_the_volunteer_keeps_the_attendee(conference, sign_up):
    registration = registrations.register_attendee(
        conference,
        email="lina@example.org",
        full_name="Lina Haddad",
        track_keys=["arts"],
        language="ar",
        privacy_accepted=True,
    ).registration
    volunteer = sign_up("lina@example.org", ["sample-youth-1"]).volunteer
    assert "registration.confirmation" in kinds("lina@example.org")
    assert "volunteers.confirmation" in kinds("lina@example.org")

    services.erase_volunteer(volunteer, now=BEFORE)

    db.session.expire_all()
    assert db.session.get(type(volunteer), volunteer.id).status == VolunteerStatus.erased
    attendee = db.session.get(Registration, registration.id)
    assert attendee.status == RegistrationStatus.active
    assert attendee.email == "lina@example.org"
    left = kinds("lina@example.org")
    assert "registration.confirmation" in left  # the attendee's mail is not touched
    assert not [
        kind for kind in left if kind.startswith("volunteers.") and kind != "volunteers.erased"
    ]
