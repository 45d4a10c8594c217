"""``flask demo generate``: made-up registrations that keep the seat rules."""

import re

import sqlalchemy as sa

from conference.content.models import Track
from conference.extensions import db
from conference.registration import services
from conference.registration.models import Place, PlaceStatus, Registration, RegistrationStatus

ARABIC = re.compile(r"[\u0600-\u06FF]")


def test_generate_makes_registrations_that_keep_the_seat_rules(runner, make_conference):
    make_conference(cultural_capacity=30, social_capacity=20, arts_capacity=10)

    first = runner.invoke(args=["demo", "generate", "--registrations", "300", "--seed", "1"])
    second = runner.invoke(args=["demo", "generate", "--registrations", "50", "--seed", "1"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "Added 300 registrations" in first.output
    registrations = db.session.scalars(sa.select(Registration)).all()
    assert len(registrations) == 350
    emails = [r.email for r in registrations]
    assert len(set(emails)) == 350
    assert all(e.rsplit("@", 1)[1] in {"example.com", "example.org", "example.net"} for e in emails)
    names = [r.full_name for r in registrations]
    assert any(ARABIC.search(n) for n in names)
    assert any(not ARABIC.search(n) for n in names)
    assert {r.status for r in registrations} == {
        RegistrationStatus.active,
        RegistrationStatus.cancelled,
    }
    for track in db.session.scalars(sa.select(Track)):
        confirmed = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Place)
            .where(Place.track_id == track.id, Place.status == PlaceStatus.confirmed)
        )
        assert track.seats_taken == confirmed == track.capacity  # full, the rest waiting
    waiting = db.session.scalars(
        sa.select(Place).where(Place.status == PlaceStatus.waitlisted).order_by(Place.id)
    ).all()
    assert waiting
    # The waiting list follows arrival: places were made in order of registration time.
    times = [p.created_at for p in waiting]
    assert times[:250] == sorted(times[:250])
    cancelled = [r for r in registrations if r.status == RegistrationStatus.cancelled]
    assert all(not r.places for r in cancelled)


def test_people_still_register_after_the_made_up_ones(runner, make_conference):
    conference = make_conference()
    runner.invoke(args=["demo", "generate", "--registrations", "20"])

    outcome = services.register_attendee(
        conference,
        email="lina@example.org",
        full_name="Lina Haddad",
        track_keys=["arts"],
        language="ar",
        privacy_accepted=True,
    )

    assert outcome.created
    assert outcome.registration.id == 21  # the database's own numbering went on


def test_generate_needs_the_conference(runner, app):
    result = runner.invoke(args=["demo", "generate", "--registrations", "5"])

    assert result.exit_code != 0
    assert "flask content load" in result.output


def test_generate_refuses_a_count_below_one(runner, conference):
    result = runner.invoke(args=["demo", "generate", "--registrations", "0"])

    assert result.exit_code == 2
