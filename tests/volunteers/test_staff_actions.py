"""What coordinators do to a team: attendance (and its undo), removing someone, moving
someone (refused with the reason when the target is full or overlaps), emailing the team;
hostile input answers 4xx; each action is in the audit log."""

import pytest
import sqlalchemy as sa

from conference.audit import AuditEvent
from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.volunteers import places, rules, staff_services
from conference.volunteers.models import Attendance, ShiftSignup, SignupStatus

from .conftest import BEFORE, shift
from .staff_helpers import add_scopes, populate


@pytest.fixture
def people(sign_up):
    return populate(sign_up)


def kinds(recipient):
    return sorted(
        db.session.scalars(
            sa.select(OutboxMessage.kind).where(OutboxMessage.recipient == recipient)
        )
    )


def audit_rows(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def team_url(key):
    return f"/manage/volunteers/shifts/{shift(key).id}"


# --- Attendance ---------------------------------------------------------------------------


def test_arrival_no_show_and_undo(client, organizer, people):
    signup = people["arts"].signups[0]
    url = f"{team_url('sample-guides-1')}/people/{signup.id}/attendance"

    arrived = client.post(url, data={"mark": "arrived"})
    db.session.expire_all()
    assert arrived.status_code == 303
    assert arrived.headers["Location"].endswith(f"#person-{signup.id}")
    assert signup.attendance == Attendance.arrived
    assert signup.attendance_by_id == organizer.id
    page = client.get(team_url("sample-guides-1")).get_data(as_text=True)
    assert 'value="clear"' in page

    client.post(url, data={"mark": "clear"})
    db.session.expire_all()
    assert signup.attendance is None
    assert signup.attendance_at is None

    client.post(url, data={"mark": "no_show"})
    db.session.expire_all()
    assert signup.attendance == Attendance.no_show
    marks = [e.details["attendance"] for e in audit_rows("volunteers.attendance_marked")]
    assert marks == ["arrived", None, "no_show"]


def test_team_page_is_for_a_phone(client, organizer, people):
    page = client.get(team_url("sample-youth-1")).get_data(as_text=True)

    assert 'href="tel:+13135550100"' in page
    assert 'class="data-list team-list"' in page
    assert "attendance__button" in page
    assert "Under 18" in page
    assert "Waiting for the guardian" in page
    assert "<bdi>Yara Young</bdi>" in page


def test_viewing_a_team_is_audited_once_a_day(client, organizer, people):
    client.get(team_url("sample-youth-1"))
    client.get(team_url("sample-youth-1"))

    [event] = audit_rows("volunteers.team_viewed")
    assert event.count == 2
    assert event.details == {"shift_id": shift("sample-youth-1").id}


# --- Removing -----------------------------------------------------------------------------


def test_remove_asks_then_frees_the_place_and_tells_them(client, organizer, people):
    volunteer = people["general"]
    signup = volunteer.signups[0]
    reminder = places.reminder_key(signup)
    url = f"{team_url('sample-welcome-2am')}/people/{signup.id}/remove"
    assert db.session.scalar(sa.select(OutboxMessage).filter_by(idempotency_key=reminder))

    asked = client.get(url)
    done = client.post(url, data={"reason": "Venue change"})

    db.session.expire_all()
    assert asked.status_code == 200
    assert "Rana General" in asked.get_data(as_text=True)
    assert done.status_code == 303
    assert signup.status == SignupStatus.dropped
    assert shift("sample-welcome-2am").taken == 0
    assert "volunteers.shift_dropped" in kinds("rana@example.org")
    dropped = db.session.scalar(sa.select(OutboxMessage).filter_by(kind="volunteers.shift_dropped"))
    assert dropped.snapshot["by_staff"] is True
    assert dropped.snapshot["reason"] == "Venue change"
    assert db.session.scalar(sa.select(OutboxMessage).filter_by(idempotency_key=reminder)) is None
    [event] = audit_rows("volunteer.shift_dropped")
    assert event.actor_id == organizer.id
    assert client.get(url).status_code == 404  # no longer on the shift


# --- Moving -------------------------------------------------------------------------------


def test_move_to_a_full_shift_is_refused_with_the_reason(conference, sign_up, make_user):
    actor = make_user("organizer")
    sign_up("a@example.org", ["sample-hosts-1"])
    sign_up("b@example.org", ["sample-hosts-1"])
    moving = sign_up("c@example.org", ["sample-welcome-2am"]).signups[0]

    with pytest.raises(staff_services.MoveRefused) as refused:
        staff_services.move(moving, shift("sample-hosts-1"), actor, now=BEFORE)

    assert refused.value.refusal.reason == rules.Reason.full
    db.session.expire_all()
    assert moving.status == SignupStatus.confirmed
    assert shift("sample-welcome-2am").taken == 1


def test_move_that_overlaps_their_other_shift_is_refused(conference, sign_up, make_user):
    actor = make_user("organizer")
    outcome = sign_up("a@example.org", ["sample-welcome-1am", "sample-stage-1"])
    stage = next(s for s in outcome.signups if s.shift.key == "sample-stage-1")

    with pytest.raises(staff_services.MoveRefused) as refused:
        staff_services.move(stage, shift("sample-stewards-1am"), actor, now=BEFORE)

    assert refused.value.refusal.reason == rules.Reason.overlap
    assert "overlaps" in str(refused.value)


def test_move_takes_there_frees_here_and_emails_both(conference, sign_up, make_user):
    actor = make_user("organizer")
    signup = sign_up("a@example.org", ["sample-welcome-2am"]).signups[0]
    old_reminder = places.reminder_key(signup)

    moved = staff_services.move(signup, shift("sample-hosts-2"), actor, now=BEFORE)

    db.session.expire_all()
    assert moved.shift.key == "sample-hosts-2"
    assert moved.status == SignupStatus.confirmed
    assert shift("sample-welcome-2am").taken == 0
    assert shift("sample-hosts-2").taken == 1
    assert kinds("a@example.org").count("volunteers.shift_dropped") == 1
    assert kinds("a@example.org").count("volunteers.shifts_added") == 1
    assert (
        db.session.scalar(sa.select(OutboxMessage).filter_by(idempotency_key=old_reminder)) is None
    )
    assert db.session.scalar(
        sa.select(OutboxMessage).filter_by(idempotency_key=places.reminder_key(moved))
    )
    [event] = audit_rows("volunteers.moved")
    assert event.details["to_shift_id"] == shift("sample-hosts-2").id


def test_move_page_shows_the_refusal(client, organizer, sign_up):
    sign_up("a@example.org", ["sample-hosts-1"])
    sign_up("b@example.org", ["sample-hosts-1"])
    moving = sign_up("c@example.org", ["sample-welcome-2am"]).signups[0]
    url = f"{team_url('sample-welcome-2am')}/people/{moving.id}/move"

    page = client.get(url).get_data(as_text=True)
    sneaked = client.post(url, data={"to_shift": str(shift("sample-hosts-1").id)})
    moved = client.post(url, data={"to_shift": str(shift("sample-hosts-2").id)})

    assert f'value="{shift("sample-hosts-1").id}"' not in page  # full: not offered
    assert sneaked.status_code == 400
    assert moved.status_code == 303
    assert moved.headers["Location"].endswith(f"/shifts/{shift('sample-hosts-2').id}")


def test_move_page_says_why_a_rule_refuses(client, organizer, sign_up):
    outcome = sign_up("a@example.org", ["sample-welcome-1am", "sample-stage-1"])
    stage = next(s for s in outcome.signups if s.shift.key == "sample-stage-1")
    url = f"{team_url('sample-stage-1')}/people/{stage.id}/move"

    response = client.post(url, data={"to_shift": str(shift("sample-stewards-1am").id)})

    assert response.status_code == 400
    assert "They cannot be moved there: It overlaps your shift" in response.get_data(as_text=True)


# --- Emailing the team --------------------------------------------------------------------


def test_team_email_is_queued_once_per_member(client, organizer, people):
    url = f"{team_url('sample-youth-1')}/email"
    page = client.get(url).get_data(as_text=True)
    data = {"subject": "Meet at 9:45", "body": "At the youth corner.", "submission_id": "a" * 32}

    first = client.post(url, data=data)
    again = client.post(url, data=data)

    assert "2 people" in page
    assert first.status_code == again.status_code == 303
    queued = db.session.scalars(
        sa.select(OutboxMessage).filter_by(kind="volunteers.team_message")
    ).all()
    assert sorted(m.recipient for m in queued) == ["sami@example.org", "young@example.org"]
    assert queued[0].snapshot["subject"] == "Meet at 9:45"
    [event] = audit_rows("volunteers.team_emailed")
    assert event.details == {"shift_id": shift("sample-youth-1").id, "recipients": 2}


@pytest.mark.parametrize(
    "data",
    [
        {"subject": "", "body": "x", "submission_id": "a" * 32},
        {"subject": "x" * 151, "body": "x", "submission_id": "a" * 32},
        {"subject": "x", "body": "", "submission_id": "a" * 32},
        {"subject": "x", "body": "x", "submission_id": "../../etc"},
    ],
)
def test_team_email_refuses_bad_input(client, organizer, people, data):
    response = client.post(f"{team_url('sample-youth-1')}/email", data=data)

    assert response.status_code == 400
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .filter_by(kind="volunteers.team_message")
        )
        == 0
    )


# --- Hostile input ------------------------------------------------------------------------


def test_bad_ids_answer_404(client, organizer, people):
    other = people["social"].signups[0]
    guides = team_url("sample-guides-1")

    assert client.get("/manage/volunteers/shifts/999999").status_code == 404
    assert client.get("/manage/volunteers/shifts/99999999999999").status_code == 404
    assert client.get("/manage/volunteers/people/999999").status_code == 404
    assert client.get(f"{guides}/people/{other.id}/remove").status_code == 404
    response = client.post(f"{guides}/people/{other.id}/attendance", data={"mark": "arrived"})
    assert response.status_code == 404


def test_bad_mark_and_missing_csrf_answer_400(app, client, organizer, people):
    signup = people["arts"].signups[0]
    url = f"{team_url('sample-guides-1')}/people/{signup.id}/attendance"

    assert client.post(url, data={"mark": "maybe"}).status_code == 400
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(url, data={"mark": "arrived"}).status_code == 400
        assert (
            client.post(
                f"{team_url('sample-guides-1')}/people/{signup.id}/remove", data={}
            ).status_code
            == 400
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert signup.attendance is None
    assert db.session.get(ShiftSignup, signup.id).status == SignupStatus.confirmed


def test_coordinator_acts_within_scope(client, login_as, enforced_access, people):
    user = login_as("coordinator")
    add_scopes(user, "arts")
    signup = people["arts"].signups[0]

    response = client.post(
        f"{team_url('sample-guides-1')}/people/{signup.id}/attendance", data={"mark": "arrived"}
    )

    assert response.status_code == 303
    [event] = audit_rows("volunteers.attendance_marked")
    assert event.actor_id == user.id
