"""The audit recorder: one row per event, and one row for a read-only action repeated by
the same person on the same object and day (in the conference's time zone)."""

from datetime import datetime

import pytest
import sqlalchemy as sa

from conference import audit
from conference.audit import AuditEvent
from conference.extensions import db


@pytest.fixture
def clock(monkeypatch):
    """Set the recorder's clock: ``clock(datetime(...))``."""

    def _set(moment):
        monkeypatch.setattr(audit, "utcnow", lambda: moment)

    return _set


def events():
    return list(db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))


def viewed(actor, registration_id):
    event = audit.record("attendee.viewed", actor=actor, registration_id=registration_id)
    db.session.commit()
    return event


def test_repeated_views_of_one_attendee_by_one_person_share_a_row(
    app, make_user, clock, conference
):
    admin = make_user("admin")
    before = len(events())
    for moment in (
        datetime(2026, 12, 2, 17, 2),
        datetime(2026, 12, 2, 18, 0),
        datetime(2026, 12, 2, 19, 40),
    ):
        clock(moment)
        event = viewed(admin, 7)

    rows = events()[before:]
    assert len(rows) == 1
    assert event.id == rows[0].id
    assert rows[0].count == 3
    assert rows[0].at == datetime(2026, 12, 2, 17, 2)
    assert rows[0].last_at == datetime(2026, 12, 2, 19, 40)
    assert rows[0].details == {"registration_id": 7}


def test_another_person_attendee_or_day_starts_a_new_row(app, make_user, clock, conference):
    admin, organizer = make_user("admin"), make_user("organizer")
    before = len(events())
    clock(datetime(2026, 12, 2, 17, 0))  # 2 December, 09:00 in Los Angeles
    viewed(admin, 7)
    viewed(organizer, 7)
    viewed(admin, 8)
    clock(datetime(2026, 12, 3, 7, 59))  # still 2 December there
    viewed(admin, 7)
    clock(datetime(2026, 12, 3, 8, 0))  # 3 December there
    viewed(admin, 7)

    rows = [(row.actor_id, row.details["registration_id"], row.count) for row in events()[before:]]
    assert rows == [(admin.id, 7, 2), (organizer.id, 7, 1), (admin.id, 8, 1), (admin.id, 7, 1)]


def test_searches_of_the_list_group_by_their_filters(app, make_user, clock):
    admin = make_user("admin")
    clock(datetime(2026, 12, 2, 12, 0))
    before = len(events())
    for filters, after in (({"q": "ada"}, None), ({"q": "ada"}, 120), ({"q": "bob"}, None)):
        audit.record("attendees.listed", actor=admin, filters=filters, after=after)
        db.session.commit()

    rows = [(row.details["filters"], row.count) for row in events()[before:]]
    assert rows == [({"q": "ada"}, 2), ({"q": "bob"}, 1)]


def test_actions_that_change_something_are_never_grouped(app, make_user, clock):
    admin = make_user("admin")
    clock(datetime(2026, 12, 2, 12, 0))
    before = len(events())
    for _n in range(3):
        audit.record("attendee.cancelled", actor=admin, registration_id=7)
        db.session.commit()

    rows = events()[before:]
    assert [row.count for row in rows] == [1, 1, 1]
    assert {row.group_key for row in rows} == {None}


def test_what_no_staff_member_did_is_never_grouped(app, clock):
    clock(datetime(2026, 12, 2, 12, 0))
    before = len(events())
    for _n in range(2):
        audit.record("attendee.viewed", registration_id=7)
        db.session.commit()

    assert [row.count for row in events()[before:]] == [1, 1]


def test_the_group_key_names_no_personal_data(app, make_user):
    admin = make_user("admin")

    key = audit.group_key(
        "checkin.searched", admin.id, {"by": "name", "query": "Ada Lovelace"}, datetime(2026, 12, 2)
    )

    assert len(key) == 64
    assert "Ada" not in key


def test_two_views_in_one_transaction_count_twice(app, make_user, clock):
    admin = make_user("admin")
    clock(datetime(2026, 12, 2, 12, 0))
    before = len(events())
    audit.record("attendee.viewed", actor=admin, registration_id=9)
    audit.record("attendee.viewed", actor=admin, registration_id=9)
    db.session.commit()

    assert [row.count for row in events()[before:]] == [2]


def test_views_at_the_same_moment_all_count(app, make_user, clock):
    import threading
    from types import SimpleNamespace

    from conference import database

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers take turns (one write lock): nothing runs at once")
    admin = make_user("admin")
    person = SimpleNamespace(id=admin.id, email=admin.email)
    clock(datetime(2026, 12, 2, 12, 0))
    viewed(person, 7)
    barrier, errors = threading.Barrier(6), []

    def view():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                database.begin_write()
                audit.record("attendee.viewed", actor=person, registration_id=7)
                db.session.commit()
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=view) for _n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    rows = [row for row in events() if row.action == "attendee.viewed"]
    assert [row.count for row in rows] == [7]
