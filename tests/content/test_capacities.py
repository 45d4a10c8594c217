"""Capacities belong to the organizers once they change them; every change is audited."""

import copy

import flask_migrate
import pytest
import sqlalchemy as sa

from conference import create_app
from conference.audit import AuditEvent
from conference.content import services as content
from conference.content.models import Track
from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.registration import staff_services
from conference.registration.models import Place, PlaceStatus

from ..conftest import TEST_CONFIG, reset_postgres


def arts():
    db.session.expire_all()
    return db.session.scalar(sa.select(Track).filter_by(key="arts"))


def waiting_on_arts():
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Place)
        .join(Track)
        .where(Track.key == "arts", Place.status == PlaceStatus.waitlisted)
    )


def promoted_emails():
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .filter_by(kind="registration.promoted")
    )


def capacity_events():
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEvent).filter_by(action="track.capacity_changed").order_by(AuditEvent.id)
        )
    )


def test_a_load_keeps_the_organizers_capacity_until_asked_to_reset_it(
    make_registration, make_conference, make_user, runner
):
    conference = make_conference(arts_capacity=1)
    [make_registration(f"p{n}@example.org", to=conference, full_name="Someone") for n in range(42)]
    organizer = make_user("organizer")
    staff_services.change_capacity(arts(), 5, actor=organizer)  # 4 promoted
    emails_before = promoted_emails()
    assert (arts().capacity, waiting_on_arts()) == (5, 37)

    kept = runner.invoke(args=["content", "load"])  # the shipped file says 150

    assert kept.exit_code == 0, kept.output
    assert "tracks.arts.capacity: kept 5 seats set by organizers on " in kept.output
    assert f"({organizer.email}); the file says 150 (use --reset-capacities" in kept.output
    assert (arts().capacity, waiting_on_arts()) == (5, 37)
    assert promoted_emails() == emails_before
    assert len(capacity_events()) == 1  # the organizer's own

    reset = runner.invoke(args=["content", "load", "--reset-capacities"])

    assert reset.exit_code == 0, reset.output
    assert "kept" not in reset.output
    assert "updated track arts" in reset.output
    track = arts()
    assert (track.capacity, track.capacity_set_at, track.capacity_set_by) == (150, None, None)
    assert waiting_on_arts() == 0
    assert promoted_emails() == emails_before + 37
    event = capacity_events()[-1]
    assert event.actor_id is None
    assert event.actor_email == "content file"
    assert event.details == {"track": "arts", "capacity": 150, "previous": 5, "promoted": 37}

    again = runner.invoke(args=["content", "load"])

    assert "already up to date" in again.output
    assert "kept" not in again.output


def test_the_file_gives_the_first_capacity_and_changes_it_while_organizers_have_not(
    app, content_data
):
    first = content.load_content(content_data)

    assert first.kept == []
    assert arts().capacity == 150
    assert arts().capacity_set_at is None
    assert capacity_events() == []  # a new track's first capacity is not a change

    data = copy.deepcopy(content_data)
    data["tracks"][2]["capacity"] = 40
    report = content.load_content(data)

    assert report.kept == []
    assert arts().capacity == 40
    [event] = capacity_events()
    assert event.actor_email == "content file"
    assert event.details == {"track": "arts", "capacity": 40, "previous": 150, "promoted": 0}


def test_a_capacity_equal_to_the_file_is_kept_without_a_notice(app, content_data, make_user):
    content.load_content(content_data)
    staff_services.change_capacity(arts(), 60, actor=make_user("organizer"))
    staff_services.change_capacity(arts(), 150, actor=make_user("admin"))

    report = content.load_content(content_data)

    assert report.kept == []
    assert not report.changed
    assert arts().capacity_set_by == "admin@forsyria.example"  # still theirs: 40 won't apply
    data = copy.deepcopy(content_data)
    data["tracks"][2]["capacity"] = 40
    [kept] = content.load_content(data).kept
    assert (kept.track, kept.capacity, kept.file_capacity) == ("arts", 150, 40)
    assert arts().capacity == 150


def test_a_reset_below_the_confirmed_seats_is_refused_and_keeps_the_mark(
    make_registration, make_conference, make_user, content_data
):
    conference = make_conference(arts_capacity=1)
    [make_registration(f"p{n}@example.org", to=conference, full_name="Someone") for n in range(3)]
    staff_services.change_capacity(arts(), 3, actor=make_user("organizer"))
    data = copy.deepcopy(content_data)
    data["tracks"][2]["capacity"] = 2

    with pytest.raises(content.ContentError, match="below the 3 seats already confirmed"):
        content.load_content(data, reset_capacities=True)

    assert arts().capacity == 3
    assert arts().capacity_set_by == "organizer@forsyria.example"
    assert content.load_content(data).kept[0].capacity == 3


def test_the_upgrade_marks_capacities_organizers_set_before_it(database_url, tmp_path):
    """The audit log tells which capacities organizers set: the first load after the
    upgrade must keep them, and a capacity a load has put back since follows the file."""
    if database_url == "sqlite://":
        database_url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            reset_postgres()
        flask_migrate.upgrade(revision="0004_staff_accounts")
        for statement in (
            "INSERT INTO conference (id, slug, name, tagline, purpose, organizer, starts_on,"
            " ends_on, timezone, venue_name, venue_address, contact_email, unconfirmed,"
            " content_version, updated_at) VALUES (1, 'x', '{}', '{}', '{}', '{}',"
            " '2022-03-18', '2022-03-19', 'UTC', '{}', '{}', 'a@example.org', '[]', 'v1',"
            " '2022-01-01')",
            "INSERT INTO track (id, conference_id, key, name, description, capacity, position)"
            " VALUES (1, 1, 'arts', '{}', '{}', 5, 0), (2, 1, 'social', '{}', '{}', 150, 1),"
            " (3, 1, 'cultural', '{}', '{}', 150, 2)",
            "INSERT INTO audit_event (at, actor_email, action, details) VALUES"
            " ('2026-11-30 10:00:00', 'o@example.org', 'track.capacity_changed',"
            ' \'{"track": "arts", "capacity": 5, "previous": 150, "promoted": 0}\'),'
            " ('2026-11-30 11:00:00', 'o@example.org', 'track.capacity_changed',"
            ' \'{"track": "social", "capacity": 60, "previous": 150, "promoted": 0}\'),'
            " ('2026-11-30 12:00:00', 'o@example.org', 'attendee.confirmed_from_waitlist',"
            ' \'{"registration_id": 7, "track": "cultural", "capacity": null}\')',
        ):
            db.session.execute(sa.text(statement))
        db.session.commit()

        flask_migrate.upgrade(revision="0005_capacity_set_by_organizers")

        marked = db.session.execute(
            sa.text("SELECT key, capacity_set_at, capacity_set_by FROM track ORDER BY id")
        ).all()
        db.session.commit()
        flask_migrate.downgrade(revision="base")
        db.engine.dispose()

    assert [(key, by) for key, _, by in marked] == [
        ("arts", "o@example.org"),
        ("social", None),  # a load put 150 back since: it follows the file
        ("cultural", None),  # a confirmation that raised nothing
    ]
    assert str(marked[0][1]).startswith("2026-11-30 10:00")
    assert [at for _, at, _ in marked[1:]] == [None, None]
