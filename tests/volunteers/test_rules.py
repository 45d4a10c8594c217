"""Every reason the rules give, through the services that sign people up and add shifts:
nothing is saved when a shift is refused, and the answer names the reason."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.volunteers import checks, rules, services
from conference.volunteers.models import ShiftSignup, SignupStatus, Volunteer

from .conftest import BEFORE, shift

MINOR = {
    "age_group": "under_18",
    "guardian_name": "Sami Haddad",
    "guardian_email": "sami@example.org",
}


def settings(conference, **values):
    found = checks.settings_of(conference)
    for name, value in values.items():
        setattr(found, name, value)
    db.session.add(found)
    db.session.commit()


def refused(call):
    """The reasons (shift key → Reason) of a refused call, after checking nothing was saved."""
    before = db.session.scalar(sa.select(sa.func.count()).select_from(ShiftSignup))
    with pytest.raises(services.Refused) as caught:
        call()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShiftSignup)) == before
    keys = {s.id: s.key for s in map(shift, KEYS)}
    return {keys[i]: r.reason for i, r in caught.value.refusals.items()}


KEYS = [
    "sample-setup-1", "sample-welcome-1am", "sample-welcome-1pm", "sample-stewards-1am",
    "sample-stewards-1pm", "sample-hosts-1", "sample-youth-1", "sample-guides-1",
    "sample-stage-1", "sample-welcome-2am", "sample-hosts-2", "sample-youth-2",
    "sample-guides-2", "sample-stage-2",
]  # fmt: skip


def test_closed(conference, sign_up):
    settings(conference, signup_open=False)
    assert refused(lambda: sign_up("a@example.org", ["sample-youth-1"])) == {
        "sample-youth-1": rules.Reason.closed
    }


def test_closes_at_passed(conference, sign_up):
    settings(conference, closes_at=BEFORE - timedelta(days=1))
    assert refused(lambda: sign_up("a@example.org", ["sample-youth-1"])) == {
        "sample-youth-1": rules.Reason.closed
    }


def test_deadline_from_the_link(sign_up):
    volunteer = sign_up("a@example.org", ["sample-youth-1"]).volunteer
    soon = shift("sample-stage-1").starts_at - timedelta(hours=2)
    assert refused(
        lambda: services.add_shifts(volunteer, [shift("sample-stage-1").id], now=soon)
    ) == {"sample-stage-1": rules.Reason.deadline}


def test_already(sign_up):
    volunteer = sign_up("a@example.org", ["sample-youth-1"]).volunteer
    call = lambda: services.add_shifts(volunteer, [shift("sample-youth-1").id], now=BEFORE)  # noqa: E731
    assert refused(call) == {"sample-youth-1": rules.Reason.already}


def test_adults_only(sign_up):
    call = lambda: sign_up("young@example.org", ["sample-stage-1"], **MINOR)  # noqa: E731
    assert refused(call) == {"sample-stage-1": rules.Reason.adults_only}


def test_language(sign_up):
    call = lambda: sign_up("a@example.org", ["sample-welcome-1am"], languages=["en"])  # noqa: E731
    assert refused(call) == {"sample-welcome-1am": rules.Reason.language}


def test_skill_and_with_the_skill(sign_up):
    assert refused(lambda: sign_up("a@example.org", ["sample-guides-1"])) == {
        "sample-guides-1": rules.Reason.skill
    }
    outcome = sign_up("a@example.org", ["sample-guides-1"], skills=["sample-arts-guides"])
    assert outcome.created


def test_full(sign_up):
    sign_up("a@example.org", ["sample-hosts-1"])
    sign_up("b@example.org", ["sample-hosts-1"])
    assert refused(lambda: sign_up("c@example.org", ["sample-hosts-1"])) == {
        "sample-hosts-1": rules.Reason.full
    }
    assert shift("sample-hosts-1").taken == 2


def test_language_need_keeps_the_last_place(sign_up):
    guides = {"skills": ["sample-arts-guides"], "languages": ["ar"]}
    sign_up("a@example.org", ["sample-guides-1"], **guides)
    sign_up("b@example.org", ["sample-guides-1"], **guides)
    assert refused(lambda: sign_up("c@example.org", ["sample-guides-1"], **guides)) == {
        "sample-guides-1": rules.Reason.language_need
    }
    # an English speaker may take it
    assert sign_up("d@example.org", ["sample-guides-1"], skills=["sample-arts-guides"]).created


def test_overlap_between_chosen_shifts(sign_up):
    call = lambda: sign_up("a@example.org", ["sample-youth-1", "sample-stewards-1am"])  # noqa: E731
    assert refused(call) == {"sample-youth-1": rules.Reason.overlap}


def test_overlap_with_my_shifts_from_the_link(sign_up):
    volunteer = sign_up("a@example.org", ["sample-stewards-1am"]).volunteer
    call = lambda: services.add_shifts(volunteer, [shift("sample-youth-1").id], now=BEFORE)  # noqa: E731
    assert refused(call) == {"sample-youth-1": rules.Reason.overlap}


def test_back_to_back_is_not_an_overlap(conference, sign_up):
    settings(conference, max_consecutive_minutes=480)
    outcome = sign_up(
        "a@example.org", ["sample-setup-1", "sample-stewards-1am"], skills=["sample-setup"]
    )
    assert len(outcome.signups) == 2


def test_session_clash(sign_up):
    call = lambda: sign_up("a@example.org", ["sample-youth-1"], sessions=["sample-arts-1"])  # noqa: E731
    assert refused(call) == {"sample-youth-1": rules.Reason.session}
    # a session at another time does not stop it
    assert sign_up("a@example.org", ["sample-youth-1"], sessions=["sample-arts-2"]).created


def test_rest_rule(sign_up):
    call = lambda: sign_up(  # noqa: E731
        "a@example.org", ["sample-setup-1", "sample-stewards-1am"], skills=["sample-setup"]
    )
    assert refused(call) == {"sample-stewards-1am": rules.Reason.rest}


def test_rest_message_names_the_lengths(conference, sign_up):
    with pytest.raises(services.Refused) as caught:
        sign_up("a@example.org", ["sample-setup-1", "sample-stewards-1am"], skills=["sample-setup"])
    (refusal,) = caught.value.refusals.values()
    assert str(refusal.message) == (
        "It would make 6 hours of shifts without a break of at least 30 minutes "
        "(the most is 4 hours in a row)."
    )


def test_daily_maximum(conference, sign_up):
    settings(conference, max_daily_minutes=300)
    call = lambda: sign_up("a@example.org", ["sample-youth-1", "sample-stage-1"])  # noqa: E731
    assert refused(call) == {"sample-stage-1": rules.Reason.daily}


def test_daily_maximum_from_the_link(conference, sign_up):
    settings(conference, max_daily_minutes=300)
    volunteer = sign_up("a@example.org", ["sample-youth-1"]).volunteer
    call = lambda: services.add_shifts(volunteer, [shift("sample-stage-1").id], now=BEFORE)  # noqa: E731
    assert refused(call) == {"sample-stage-1": rules.Reason.daily}


def test_a_repeated_email_is_one_volunteer_and_gets_their_link(sign_up):
    first = sign_up("lina@example.org", ["sample-youth-1"])
    again = sign_up("LINA@example.org", ["sample-stage-1"], full_name="Someone Else")
    assert again.volunteer.id == first.volunteer.id
    assert not again.created
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Volunteer)) == 1
    kinds = list(db.session.scalars(sa.select(OutboxMessage.kind)))
    assert kinds.count("volunteers.already_signed_up") == 1
    assert shift("sample-stage-1").taken == 0  # the repeat takes nothing
    assert [s.status for s in first.volunteer.signups] == [SignupStatus.confirmed]
