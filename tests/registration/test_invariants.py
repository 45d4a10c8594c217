"""``invariants.check`` and ``flask check``: each broken rule is found and named.

Each test breaks one rule by writing rows directly, as a bug (or a hand-made fix) would.
"""

import pytest
import sqlalchemy as sa

from conference.content.models import Track
from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.registration import invariants, seats
from conference.registration.models import Place, PlaceStatus, Registration


@pytest.fixture
def state(make_conference, register):
    """Arts (2 seats): two seated, two waiting, one seated ahead of the line by an organizer."""
    conference = make_conference(arts_capacity=2)
    people = [register(f"p{n}@example.org", to=conference).registration for n in range(5)]
    seats.confirm_from_waitlist(people[3].places[0])  # ahead of people[2]
    db.session.expire_all()
    return conference, people


def rules(conference=None):
    return [problem.rule for problem in invariants.check(conference)]


def arts(conference):
    return next(t for t in conference.tracks if t.key == "arts")


def write(statement):
    db.session.execute(statement)
    db.session.commit()
    db.session.expire_all()


def test_a_clean_database_passes(state, runner):
    conference, _ = state

    assert invariants.check() == []
    assert invariants.check(conference) == []
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "All invariants hold." in result.output


def test_seats_taken_that_differ_from_confirmed_places_are_found(state, runner):
    conference, _ = state
    track = arts(conference)
    write(sa.update(Track).where(Track.id == track.id).values(seats_taken=2))

    [problem] = invariants.check()

    assert problem.rule == "seats"
    assert "track arts: seats_taken is 2 but 3 places are confirmed" in problem.detail
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert "seats: track arts" in result.output


def test_places_waiting_that_differ_from_waitlisted_places_are_found(state):
    conference, _ = state
    write(sa.update(Track).where(Track.id == arts(conference).id).values(places_waiting=5))

    [problem] = invariants.check()

    assert str(problem) == "seats: track arts: places_waiting is 5 but 2 places are waitlisted"


def test_an_oversold_track_is_found(state):
    conference, people = state
    [waiting] = people[2].places
    write(sa.update(Place).where(Place.id == waiting.id).values(status=PlaceStatus.confirmed))

    found = {problem.rule: problem.detail for problem in invariants.check()}

    assert "track arts: 4 seats taken, capacity 3" in found["capacity"]
    assert "seats" in found


def test_someone_waiting_beside_a_free_seat_is_found(state):
    conference, people = state
    write(sa.update(Track).where(Track.id == arts(conference).id).values(capacity=5))

    [problem] = invariants.check()

    assert problem.rule == "waiting"
    assert f"first: registration {people[2].id}" in problem.detail


def test_a_seat_given_past_someone_earlier_in_line_is_found(state):
    _, people = state
    [earlier] = people[1].places  # seated, then back in line: before people[4]
    [later] = people[4].places
    write(sa.update(Place).where(Place.id == earlier.id).values(status=PlaceStatus.waitlisted))
    write(sa.update(Place).where(Place.id == later.id).values(status=PlaceStatus.confirmed))

    [problem] = invariants.check()

    assert problem.rule == "order"
    assert f"registration {people[4].id} (place {later.id}) has a seat" in problem.detail
    assert f"registration {people[1].id} (place {earlier.id}), earlier, still waits" in (
        problem.detail
    )


def test_a_cancelled_registration_that_keeps_its_places_is_found(state):
    _, people = state
    write(sa.update(Registration).where(Registration.id == people[4].id).values(status="cancelled"))

    found = invariants.check()

    assert [p.rule for p in found] == ["places"]
    assert f"registration {people[4].id} has ended but holds places" in found[0].detail


def test_an_active_registration_without_a_place_is_found(state):
    _, people = state
    write(sa.delete(Place).where(Place.registration_id == people[4].id))  # it was waiting
    arts_line = Track.places_waiting - 1
    write(sa.update(Track).values(places_waiting=arts_line).where(Track.key == "arts"))

    found = invariants.check()

    assert [str(p) for p in found] == [
        f"places: registration {people[4].id} is active without a place"
    ]


def test_a_seated_person_without_an_invitation_is_found(state, runner):
    _, people = state
    write(sa.delete(OutboxMessage).where(OutboxMessage.recipient == "p0@example.org"))
    write(sa.update(Registration).where(Registration.id == people[1].id).values(ics_uid=""))

    found = [str(p) for p in invariants.check()]

    assert found == [
        f"invitation: registration {people[0].id} has a seat but no invitation was queued",
        f"invitation: registration {people[1].id} has a seat but no UID",
    ]
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert f"registration {people[0].id} has a seat but no invitation" in result.output


def test_only_invitation_carrying_kinds_count(state):
    _, people = state
    # A message of another kind under the registration's key does not count.
    write(
        sa.update(OutboxMessage)
        .where(OutboxMessage.idempotency_key == f"registration:{people[0].id}:new")
        .values(kind="registration.manage_link")
    )

    assert rules() == ["invitation"]
