"""The volunteers' invariants (``volunteers.invariants.check``) and ``flask check``.

Each test breaks one rule by writing rows directly, as a bug (or a hand-made fix) would,
and the check names it by ids, never by a person's name or address.
"""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.registration import invariants as registration_invariants
from conference.volunteers import invariants, services
from conference.volunteers.models import Shift, ShiftSignup, SignupStatus, Volunteer

from .conftest import BEFORE, shift


@pytest.fixture
def state(conference, sign_up):
    """Two adults (one on a full shift of two), a minor held for their guardian, and an
    erased volunteer; every rule holds."""
    db.session.execute(
        sa.update(Shift).where(Shift.key == "sample-youth-1").values(max_people=2, min_people=1)
    )
    db.session.commit()
    adult = sign_up("adult@example.org", ["sample-youth-1"]).volunteer
    other = sign_up("other@example.org", ["sample-youth-1", "sample-stage-1"]).volunteer
    minor = sign_up(
        "minor@example.org",
        ["sample-welcome-1am"],
        age_group="under_18",
        guardian_name="Sami Khoury",
        guardian_email="sami@example.org",
    ).volunteer
    gone = sign_up("gone@example.org", ["sample-welcome-1am"]).volunteer
    services.erase_volunteer(gone, now=BEFORE)
    db.session.expire_all()
    return conference, {"adult": adult, "other": other, "minor": minor, "gone": gone}


def rules(conference=None):
    return [problem.rule for problem in invariants.check(conference)]


def write(statement):
    db.session.execute(statement)
    db.session.commit()
    db.session.expire_all()


def place(volunteer, key, status=SignupStatus.confirmed):
    """A sign-up written directly, ``taken`` raised with it (as the services would)."""
    found = shift(key)
    db.session.add(
        ShiftSignup(
            volunteer_id=volunteer.id,
            shift_id=found.id,
            status=status,
            held_until=BEFORE + timedelta(days=1) if status == SignupStatus.held else None,
            ics_uid=str(uuid.uuid4()),
            created_at=BEFORE,
        )
    )
    found.taken += 1
    db.session.commit()
    db.session.expire_all()


def signup_of(volunteer, key):
    return db.session.scalar(
        sa.select(ShiftSignup).filter_by(volunteer_id=volunteer.id, shift_id=shift(key).id)
    )


def test_a_clean_database_passes(state, runner):
    conference, _ = state

    assert invariants.check() == []
    assert invariants.check(conference) == []
    assert registration_invariants.check_all() == []
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "All invariants hold." in result.output


def test_flask_check_runs_the_volunteers_rules(state, runner):
    _, people = state
    youth = shift("sample-youth-1")
    write(sa.update(Shift).where(Shift.id == youth.id).values(taken=1))

    result = runner.invoke(args=["check"])

    assert result.exit_code == 1
    assert "shift places: shift sample-youth-1" in result.output
    assert "taken is 1 but 2 sign-ups are held or confirmed" in result.output
    assert [p.rule for p in registration_invariants.check_all()] == ["shift places"]


def test_a_count_that_differs_from_the_sign_ups_is_found(state):
    welcome = shift("sample-welcome-1am")
    write(sa.update(Shift).where(Shift.id == welcome.id).values(taken=welcome.taken + 2))

    [problem] = invariants.check()

    assert problem.rule == "shift places"
    assert f"shift sample-welcome-1am (id {welcome.id}): taken is 3 but 1" in problem.detail


def test_more_sign_ups_than_the_maximum_are_found(state):
    _, people = state
    # A third person on the full shift of two: the stored count cannot pass the CHECK,
    # but rows can.
    third = db.session.get(Volunteer, people["minor"].id)
    db.session.add(
        ShiftSignup(
            volunteer_id=third.id,
            shift_id=shift("sample-youth-1").id,
            status=SignupStatus.confirmed,
            ics_uid=str(uuid.uuid4()),
            created_at=BEFORE,
        )
    )
    db.session.commit()

    found = {problem.rule: problem.detail for problem in invariants.check()}

    assert "shift sample-youth-1" in found["shift maximum"]
    assert "3 places taken (stored 2), maximum 2" in found["shift maximum"]
    assert "taken is 2 but 3" in found["shift places"]


def test_two_overlapping_shifts_of_one_person_are_found(state):
    _, people = state
    place(people["adult"], "sample-welcome-1am")  # 08:30–12:30 beside youth 10:00–13:00

    [problem] = invariants.check()

    assert problem.rule == "shift overlap"
    assert f"volunteer {people['adult'].id}: shifts" in problem.detail
    assert str(shift("sample-welcome-1am").id) in problem.detail


def test_back_to_back_shifts_are_not_an_overlap(state):
    _, people = state
    place(people["adult"], "sample-welcome-1pm")  # 13:00–17:00 after youth 10:00–13:00

    assert invariants.check() == []


def test_a_dropped_sign_up_does_not_count(state):
    _, people = state
    signup = signup_of(people["adult"], "sample-youth-1")
    write(sa.update(ShiftSignup).where(ShiftSignup.id == signup.id).values(status="dropped"))

    [problem] = invariants.check()

    assert problem.rule == "shift places"
    assert "taken is 2 but 1 sign-ups" in problem.detail


def test_a_place_held_for_an_adult_is_found(state):
    _, people = state
    signup = signup_of(people["adult"], "sample-youth-1")
    write(
        sa.update(ShiftSignup)
        .where(ShiftSignup.id == signup.id)
        .values(status=SignupStatus.held, held_until=BEFORE + timedelta(days=3))
    )

    [problem] = invariants.check()

    assert problem.rule == "shift hold"
    assert f"sign-up {signup.id}" in problem.detail
    assert "not a minor" in problem.detail


def test_a_hold_kept_after_the_guardian_confirmed_is_found(state):
    _, people = state
    write(
        sa.update(Volunteer)
        .where(Volunteer.id == people["minor"].id)
        .values(guardian_confirmed_at=BEFORE)
    )

    [problem] = invariants.check()

    assert problem.rule == "shift hold"
    assert "whose guardian has confirmed" in problem.detail


def test_a_hold_without_an_end_is_found(state):
    _, people = state
    signup = signup_of(people["minor"], "sample-welcome-1am")
    write(sa.update(ShiftSignup).where(ShiftSignup.id == signup.id).values(held_until=None))

    assert rules() == ["shift hold"]


def test_an_active_volunteer_without_an_address_is_found(state):
    _, people = state
    write(sa.update(Volunteer).where(Volunteer.id == people["adult"].id).values(email=" "))

    [problem] = invariants.check()

    assert problem.rule == "volunteer"
    assert f"volunteer {people['adult'].id} is active without an email address" == problem.detail


def test_an_erased_volunteer_who_holds_a_shift_is_found(state):
    _, people = state
    gone = people["gone"]
    signup = signup_of(gone, "sample-welcome-1am")
    write(sa.update(ShiftSignup).where(ShiftSignup.id == signup.id).values(status="confirmed"))
    write(sa.update(Shift).where(Shift.key == "sample-welcome-1am").values(taken=2))

    [problem] = invariants.check()

    assert problem.rule == "volunteer"
    assert f"volunteer {gone.id} was erased but holds shifts {signup.shift_id}" == problem.detail


def test_an_erased_volunteer_who_keeps_a_name_is_found(state):
    _, people = state
    write(sa.update(Volunteer).where(Volunteer.id == people["gone"].id).values(full_name="Nadia"))

    [problem] = invariants.check()

    assert problem.detail == f"volunteer {people['gone'].id} was erased but keeps personal data"
    assert "Nadia" not in str(problem)


def test_the_check_is_limited_to_one_conference(state):
    conference, _ = state
    write(sa.update(Shift).where(Shift.key == "sample-youth-1").values(taken=1))

    class Elsewhere:
        id = conference.id + 1000

    assert rules(Elsewhere) == []
    assert rules(conference) == ["shift places"]


def test_problems_name_rows_not_people(state):
    _, people = state
    write(sa.update(Shift).where(Shift.key == "sample-youth-1").values(taken=1))
    place(people["adult"], "sample-welcome-1am")
    write(sa.update(Volunteer).where(Volunteer.id == people["other"].id).values(email=""))

    text = "\n".join(str(problem) for problem in invariants.check())

    assert text
    assert "@" not in text
    assert "Lina" not in text
