"""Organizers' capacity changes: the track remembers them, and each is an audit event."""

import re

import sqlalchemy as sa

from conference.audit import AuditEvent
from conference.content.models import Track
from conference.content.services import load_content
from conference.extensions import db


def arts():
    db.session.expire_all()
    return db.session.scalar(sa.select(Track).filter_by(key="arts"))


def capacity_events():
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEvent).filter_by(action="track.capacity_changed").order_by(AuditEvent.id)
        )
    )


def test_an_organizers_capacity_is_audited_and_survives_a_content_load(
    make_registration, client, login_as, make_conference, content_data
):
    organizer = login_as("organizer")
    conference = make_conference(arts_capacity=1)
    [make_registration(f"p{n}@example.org", to=conference, full_name="Someone") for n in range(4)]

    response = client.post("/manage/tracks", data={"track": "arts", "capacity": "3"})

    assert response.status_code == 303
    [event] = capacity_events()
    assert (event.actor_id, event.actor_email) == (organizer.id, organizer.email)
    assert event.details == {"track": "arts", "capacity": 3, "previous": 1, "promoted": 2}
    track = arts()
    assert track.capacity_set_by == organizer.email
    assert track.capacity_set_at is not None
    page = client.get("/manage/tracks").get_data(as_text=True)
    assert "Capacity set by</dt><dd>Organizers (<time" in page
    assert "Capacity set by</dt><dd>The content file</dd>" in page  # the other tracks

    report = load_content(content_data)  # the file says 150

    assert arts().capacity == 3
    [kept] = report.kept
    assert (kept.track, kept.capacity, kept.file_capacity) == ("arts", 3, 150)
    assert kept.set_by == organizer.email


def test_confirming_from_a_full_waiting_list_is_an_audited_capacity_change(
    make_registration, client, login_as, make_conference, content_data
):
    organizer = login_as("organizer")
    conference = make_conference(arts_capacity=1)
    last = [
        make_registration(f"p{n}@example.org", to=conference, full_name="Someone") for n in range(3)
    ][2]
    [place] = last.places

    client.post(f"/manage/attendees/{last.id}/places/{place.id}/confirm")

    [event] = capacity_events()
    assert event.actor_email == organizer.email
    assert event.details == {"track": "arts", "capacity": 2, "previous": 1, "promoted": 1}
    assert arts().capacity_set_by == organizer.email
    # Without the mark, the file's 150 would come back here and promote the third person.
    assert load_content(content_data).kept[0].capacity == 2


def test_the_audit_log_shows_capacity_changes_in_words_in_both_languages(
    make_registration, client, login_as, make_conference, content_data
):
    login_as("admin")
    conference = make_conference(arts_capacity=1)
    [make_registration(f"p{n}@example.org", to=conference, full_name="Someone") for n in range(2)]
    load_content(content_data)  # the file changes arts from 1 to 150

    english = client.get("/manage/audit?action=track.capacity_changed").get_data(as_text=True)
    arabic = client.get(
        "/manage/audit?action=track.capacity_changed", headers={"Accept-Language": "ar"}
    ).get_data(as_text=True)

    english, arabic = (" ".join(re.sub(r"<[^>]+>", "", page).split()) for page in (english, arabic))
    assert "Capacity of Arts changed" in english
    assert "The content file" in english
    assert "Capacity: 1 → 150" in english
    assert "1 person given a seat from the waiting list" in english
    assert "ملف المحتوى" in arabic
    assert "تغيير سعة مسار الفنون" in arabic
    assert "السعة: 1 ← 150" in arabic
    assert "content file" not in arabic
