"""The shapes everything else stands on: the sample loads, a sign-up takes places, and
the refusals come back all at once with nothing saved."""

import pytest
import sqlalchemy as sa

from conference.content import services as content
from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.volunteers import rules, services
from conference.volunteers.models import Shift, SignupStatus, TokenPurpose, Volunteer, VolunteerRole

from .conftest import BEFORE, shift


def test_the_sample_loads_and_goes_with_the_sample_programme(conference):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VolunteerRole)) == 7
    assert shift("sample-welcome-1am").max_people == 5
    content.remove_sample_programme(conference)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shift)) == 0


def test_a_sign_up_takes_places_and_queues_its_emails(sign_up):
    outcome = sign_up("lina@example.org", ["sample-youth-1", "sample-stage-1"])
    assert outcome.created
    assert [s.status for s in outcome.signups] == [SignupStatus.confirmed] * 2
    assert shift("sample-youth-1").taken == 1
    kinds = set(db.session.scalars(sa.select(OutboxMessage.kind)))
    assert kinds == {"volunteers.confirmation", "volunteers.reminder"}


def test_refusals_come_back_together_and_nothing_is_saved(sign_up):
    with pytest.raises(services.Refused) as refused:
        sign_up(
            "young@example.org",
            ["sample-stage-1", "sample-welcome-1am", "sample-stewards-1am"],
            age_group="under_18",
            languages=["en"],
            guardian_name="Sami Haddad",
            guardian_email="sami@example.org",
        )
    reasons = {shift_id: r.reason for shift_id, r in refused.value.refusals.items()}
    assert reasons == {
        shift("sample-stage-1").id: rules.Reason.adults_only,
        shift("sample-welcome-1am").id: rules.Reason.language,
        shift("sample-stewards-1am").id: rules.Reason.adults_only,
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Volunteer)) == 0


def test_a_minor_is_held_until_the_guardian_confirms(sign_up):
    outcome = sign_up(
        "young@example.org",
        ["sample-youth-1"],
        age_group="under_18",
        guardian_name="Sami Haddad",
        guardian_email="sami@example.org",
    )
    (signup,) = outcome.signups
    assert signup.status == SignupStatus.held
    volunteer = outcome.volunteer
    token = services.mint_token(volunteer, TokenPurpose.guardian)
    db.session.commit()
    services.confirm_guardian(token, now=BEFORE)
    db.session.expire_all()
    assert db.session.get(type(signup), signup.id).status == SignupStatus.confirmed
