"""The audit log page: admins only, newest first, in words in both languages, linked,
filtered by person, action and days, a page at a time."""

import re
from datetime import datetime

import pytest

from conference import audit
from conference.extensions import db
from conference.manage import audit_text

pytestmark = pytest.mark.usefixtures("enforced_access")

ARABIC = {"Accept-Language": "ar"}

# One event of every action the application records, with details as its callers give them.
EVERY_ACTION = [
    ("user.signed_in", {}),
    ("user.locked", {}),
    ("user.created", {"user": "new@example.org", "role": "organizer"}),
    ("user.invited", {"user": "invited@example.org", "role": "checkin"}),
    ("user.role_changed", {"user": "o@example.org", "old": "organizer", "new": "checkin"}),
    ("user.enabled", {"user": "o@example.org"}),
    ("user.disabled", {"user": "o@example.org"}),
    ("user.password_set", {}),
    ("user.password_set", {"user": "o@example.org", "via": "command line"}),
    ("user.two_factor_enabled", {}),
    ("user.recovery_code_used", {}),
    ("user.signed_out_everywhere", {}),
    ("user.session_ended", {}),
    ("user.sign_in_slowed", {"minutes": 5}),
    ("user.code_failed", {"wrong_in_a_row": 3}),
    ("user.code_step_closed", {"minutes": 15}),
    ("checkin.searched", {"by": "name", "query": "Ada", "shown": 2}),
    ("checkin.searched", {"by": "code", "shown": 1}),
    ("checkin.undo", {"registration_id": 7, "checked_in_at": "2026-12-02T09:00:00"}),
    (
        "attendees.exported",
        {
            "format": "xlsx",
            "filters": {"track": "cultural", "status": "waitlisted", "q": "أحمد"},
            "columns": ["id", "full_name"],
            "rows": 3,
            "complete": True,
        },
    ),
    (
        "attendees.exported",
        {"format": "csv", "filters": {}, "columns": ["id"], "rows": None, "complete": False},
    ),
    (
        "attendees.listed",
        {"filters": {"status": "waitlisted", "language": "ar", "checked_in": "no"}, "after": None},
    ),
    ("attendee.viewed", {"registration_id": 7}),
    ("attendee.details_changed", {"registration_id": 7, "fields": ["city", "phone"]}),
    ("attendee.email_changed", {"registration_id": 7}),
    ("attendee.cancelled", {"registration_id": 7}),
    ("attendee.confirmation_resent", {"registration_id": 7}),
    ("attendee.confirmed_from_waitlist", {"registration_id": 7, "track": "arts", "capacity": None}),
    ("attendee.confirmed_from_waitlist", {"registration_id": 7, "track": "arts", "capacity": 51}),
    ("registration.erased", {"registration": 8}),
    ("registration.email_change_requested", {"registration_id": 7}),
    ("registration.email_changed", {"registration_id": 7}),
    (
        "registrations.imported",
        {"file_name": "paper.csv", "rows": 12, "registered": 9, "waitlisted": 2, "skipped": 3},
    ),
    (
        "track.capacity_changed",
        {"track": "cultural", "capacity": 120, "previous": 100, "promoted": 2},
    ),
    (
        "bulk_email.sent",
        {"broadcast": 1, "filters": {}, "recipients": 312, "essential": False},
    ),
    ("story.submitted", {"story_id": 4, "minor": True}),
    ("story.edited", {"story_id": 4, "by": "submitter", "fields": ["body"]}),
    ("story.consent_changed", {"story_id": 4, "guardian_asked": False}),
    ("story.guardian_confirmed", {"story_id": 4}),
    ("story.withdrawn", {"story_id": 4, "by": "submitter"}),
    ("story.approved", {"story_id": 4}),
    ("story.rejected", {"story_id": 4}),
    ("story.edited", {"story_id": 4, "fields": ["body", "title", "track"]}),
    ("story.featured", {"story_id": 4}),
    ("story.unfeatured", {"story_id": 4}),
    ("volunteers.team_viewed", {"shift_id": 3}),
    ("volunteers.person_viewed", {"volunteer_id": 5}),
    (
        "volunteers.listed",
        {"filters": {"q": "لينا", "track": "general", "role": "sample-setup", "day": "2022-03-18"}},
    ),
    (
        "volunteers.attendance_marked",
        {"volunteer_id": 5, "shift_id": 3, "attendance": "arrived", "before": None},
    ),
    (
        "volunteers.attendance_marked",
        {"volunteer_id": 5, "shift_id": 3, "attendance": None, "before": "no_show"},
    ),
    ("volunteers.moved", {"volunteer_id": 5, "from_shift_id": 3, "to_shift_id": 4}),
    ("volunteers.team_emailed", {"shift_id": 3, "recipients": 4}),
    (
        "volunteers.exported",
        {"format": "xlsx", "shift_id": 3, "rows": 4, "complete": True},
    ),
    (
        "volunteers.exported",
        {"format": "csv", "shift_id": None, "rows": None, "complete": False},
    ),
    ("volunteers.certificate_viewed", {"volunteer": 5, "shifts": 2}),
    ("volunteer.signed_up", {"volunteer": 5, "shifts": 2, "minor": False}),
    ("volunteer.signed_up", {"volunteer": 6, "shifts": 1, "minor": True}),
    ("volunteer.shifts_added", {"volunteer": 5, "shifts": 1}),
    ("volunteer.shift_dropped", {"volunteer": 5, "shift": 3, "by_staff": True}),
    ("volunteer.shift_dropped", {"volunteer": 5, "shift": 3, "by_staff": False}),
    ("volunteer.guardian_confirmed", {"volunteer": 6, "shifts": 1}),
    ("volunteer.erased", {"volunteer": 5}),
    ("volunteers.certificate_viewed", {"volunteer": 5, "shifts": 2}),
    ("volunteers.role_created", {"role": 5}),
    ("volunteers.role_changed", {"role": 5, "fields": ["name", "track"]}),
    ("volunteers.shift_created", {"shift": 4, "role": 5}),
    (
        "volunteers.shift_changed",
        {"shift": 4, "changes": ["time"], "max_people": 6, "min_people": 2, "told": 3},
    ),
    ("volunteers.shift_deleted", {"shift": 4, "told": 0}),
    ("volunteers.settings_changed", {"fields": ["reminder_hours"]}),
    ("volunteers.scopes_changed", {"user": 2, "scopes": ["arts", "general"]}),
    ("sponsor.created", {"sponsor_id": 1, "sponsor": "acme", "name": "Acme"}),
    ("sponsor.updated", {"sponsor_id": 1, "sponsor": "acme", "name": "Acme", "changed": ["logo"]}),
    ("sponsor.moved", {"sponsor_id": 1, "sponsor": "acme", "name": "Acme", "direction": "up"}),
    ("sponsor.deleted", {"sponsor_id": 1, "sponsor": "acme", "name": "Acme"}),
    ("sponsor.account_added", {"sponsor_id": 1, "name": "Acme", "user": "s@example.org"}),
    ("sponsor.account_removed", {"sponsor_id": 1, "name": "Acme", "user": "s@example.org"}),
    ("sponsor_tier.created", {"tier": "gold", "label": "Gold"}),
    ("sponsor_tier.updated", {"tier": "gold", "label": "Gold"}),
    ("sponsor_tier.moved", {"tier": "gold", "label": "Gold", "direction": "down"}),
    ("sponsor_tier.deleted", {"tier": "gold", "label": "Gold"}),
]


def record(action, **details):
    event = audit.record(action, **details)
    db.session.commit()
    return event


def text(response):
    return response.get_data(as_text=True)


def rows_of(response):
    """Each row of the log: ``{"action": code, "html": the row's HTML, "what": its text}``."""
    found = re.findall(r'<tr data-action="([^"]*)">(.*?)</tr>', text(response), re.S)
    rows = []
    for action, html in found:
        what = re.search(r'<td class="audit-what"[^>]*>(.*?)</td>', html, re.S).group(1)
        rows.append({"action": action, "html": html, "what": what, "words": words(what)})
    return rows


def words(html):
    html = re.sub(r"</?(?:p|li|ul|td|th)\b[^>]*>", " ", html)
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def without_isolated(html):
    """``html`` without what is isolated (addresses, numbers, codes, times, what was typed)."""
    html = re.sub(r'<bdi dir="(?:ltr|auto)">.*?</bdi>', " ", html, flags=re.S)
    return words(re.sub(r"<time[^>]*>.*?</time>", " ", html, flags=re.S))


def test_the_code_records_only_actions_the_log_can_put_in_words():
    from pathlib import Path

    import conference

    source = "\n".join(
        path.read_text(encoding="utf-8") for path in Path(conference.__file__).parent.rglob("*.py")
    )
    recorded = set(re.findall(r"audit\.record\(\s*\"([a-z0-9_.]+)\"", source))
    recorded |= set(re.findall(r"\"(user\.(?:enabled|disabled))\"", source))

    assert recorded, "no audit.record call found"
    assert recorded <= set(audit_text.ACTIONS)
    assert {action for action, _details in EVERY_ACTION} == set(audit_text.ACTIONS)


# The log shows 50 events a page: the actions are recorded and read back in batches.
BATCH = 40


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_action_reads_as_a_sentence_in_both_languages(client, login_as, conference, language):
    admin = login_as("admin")
    headers = ARABIC if language == "ar" else {}
    for first in range(0, len(EVERY_ACTION), BATCH):
        batch = EVERY_ACTION[first : first + BATCH]
        for action, details in batch:
            record(action, actor=admin, **details)

        page = client.get("/manage/audit?action=", headers=headers)

        rows = [
            row for row in rows_of(page) if row["action"] != "user.created" or "new@" in row["what"]
        ]
        shown = [row["action"] for row in rows][: len(batch)]
        assert shown == [action for action, _details in reversed(batch)]
        for row in rows[: len(batch)]:
            what = row["words"]
            assert row["action"] not in what
            for raw in ("—", "None", "{", "["):
                assert raw not in what, what
            for raw in ("waitlisted", "cultural", "organizer", "checkin", "_", "True", "False"):
                assert raw not in without_isolated(row["what"]), (row["action"], what)
            if language == "ar":
                # Every word is Arabic but what is isolated left to right (addresses, numbers).
                assert not re.search(r"[A-Za-z]", without_isolated(row["what"])), what
            else:
                assert not re.search(r"[\u0600-\u06ff]", without_isolated(row["what"])), what


def test_values_are_in_words_and_changes_show_before_and_after(client, login_as, conference):
    admin = login_as("admin")
    record("user.role_changed", actor=admin, user="o@example.org", old="organizer", new="checkin")
    record(
        "attendees.exported",
        actor=admin,
        format="xlsx",
        filters={"track": "cultural", "status": "waitlisted"},
        columns=["id", "full_name"],
        rows=3,
        complete=True,
    )
    record(
        "track.capacity_changed", actor=admin, track="arts", capacity=120, previous=100, promoted=2
    )
    record("bulk_email.sent", actor=admin, broadcast=1, filters={}, recipients=312, essential=True)

    english = " ".join(row["words"] for row in rows_of(client.get("/manage/audit")))
    arabic = " ".join(row["words"] for row in rows_of(client.get("/manage/audit", headers=ARABIC)))

    assert "Role of o@example.org changed Role: Organizer → Check-in staff" in english
    assert "Attendees exported as XLSX: 3 rows" in english
    cultural = next(track.name for track in conference.tracks if track.key == "cultural")
    assert f"Filters: Track: {cultural['en']}; Status: on the waiting list" in english
    assert "Columns: Registration number, Full name" in english
    assert "Capacity: 100 → 120" in english
    assert "2 people given a seat from the waiting list" in english
    assert "Email to attendees sent to 312 people" in english
    assert "Essential message: Yes" in english
    assert f"المسار: {cultural['ar']}" in arabic
    assert "في قائمة الانتظار" in arabic
    assert "مسؤول تسجيل الوصول" in arabic
    assert "تسجيل دخول" in arabic  # a log label is a noun, not «سجّل الدخول»


def test_an_action_the_log_does_not_know_still_reads_as_words(client, login_as):
    admin = login_as("admin")
    record("registrations.archived", actor=admin, rows=12, skipped_rows=None, file_name="a.csv")

    row = rows_of(client.get("/manage/audit"))[0]

    assert row["words"] == "Registrations archived Rows: 12 File name: a.csv"


def test_an_unknown_action_links_the_objects_it_names(client, login_as):
    admin = login_as("admin")
    record("mail.retried", actor=admin, message_id=5, registration_id=6, broadcast=2)

    row = rows_of(client.get("/manage/audit"))[0]

    assert '<a href="/manage/outbox/5">message <bdi dir="ltr">5</bdi></a>' in row["what"]
    assert 'href="/manage/attendees/6"' in row["what"]
    assert 'href="/manage/email/2"' in row["what"]
    assert row["words"] == (
        "Mail retried Message id: message 5 Registration id: registration 6 Broadcast: bulk email 2"
    )


def test_registration_numbers_and_broadcasts_are_links_for_admins(client, login_as, conference):
    admin = login_as("admin")
    record("attendee.viewed", actor=admin, registration_id=7)
    record("bulk_email.sent", actor=admin, broadcast=3, filters={}, recipients=2, essential=False)
    record("registration.erased", actor=admin, registration=8)

    html = text(client.get("/manage/audit"))

    assert '<a href="/manage/attendees/7">registration <bdi dir="ltr">7</bdi></a>' in html
    assert '<a href="/manage/email/3">Email to attendees sent to 2 people</a>' in html
    assert 'href="/manage/attendees/8"' not in html  # erased: nothing to open
    assert f'href="/manage/audit?person={admin.id}"' in html


@pytest.mark.parametrize(
    ("role", "attendee_link", "broadcast_link"),
    [("organizer", True, True), ("checkin", False, False), ("sponsor", False, False)],
)
def test_links_are_there_only_for_readers_who_may_open_them(
    app, make_user, role, attendee_link, broadcast_link
):
    from flask_login import login_user

    user = make_user(role)
    viewed = audit.AuditEvent(action="attendee.viewed", details={"registration_id": 7}, count=1)
    sent = audit.AuditEvent(
        action="bulk_email.sent", details={"broadcast": 3, "recipients": 2}, count=1
    )
    with app.test_request_context("/manage/audit"):
        login_user(user)
        viewed_html = audit_text.describe(viewed).summary
        sent_html = audit_text.describe(sent).summary

    assert ('href="/manage/attendees/7"' in viewed_html) is attendee_link
    assert ('href="/manage/email/3"' in sent_html) is broadcast_link
    assert "registration" in viewed_html


def test_the_log_is_filtered_by_person_action_and_days_together(
    client, login_as, make_user, monkeypatch, conference
):
    admin = login_as("admin")
    other = make_user("organizer", email="other@example.org")
    moments = iter(
        [
            datetime(2026, 12, 1, 7, 0),  # 30 Nov in Los Angeles (UTC-8)
            datetime(2026, 12, 1, 9, 0),  # 1 Dec there
            datetime(2026, 12, 2, 7, 59),  # still 1 Dec there
            datetime(2026, 12, 2, 8, 0),  # 2 Dec there
            datetime(2026, 12, 2, 9, 0),
        ]
    )
    monkeypatch.setattr(audit, "utcnow", lambda: next(moments))
    record("attendee.cancelled", actor=admin, registration_id=1)
    record("attendee.cancelled", actor=admin, registration_id=2)
    record("attendee.cancelled", actor=other, registration_id=3)
    record("attendee.cancelled", actor=admin, registration_id=4)
    record("user.enabled", actor=admin, user="x@example.org")

    def shown(query):
        page = client.get("/manage/audit" + query)
        assert page.status_code == 200
        return [
            re.search(r"/manage/attendees/(\d+)", row["what"]).group(1)
            for row in rows_of(page)
            if row["action"] == "attendee.cancelled"
        ], [row["action"] for row in rows_of(page)]

    assert shown("?action=attendee.cancelled")[0] == ["4", "3", "2", "1"]
    assert shown(f"?person={other.id}")[0] == ["3"]
    assert shown("?action=attendee.cancelled&from=2026-12-01&to=2026-12-01")[0] == ["3", "2"]
    assert shown(f"?action=attendee.cancelled&person={admin.id}&from=2026-12-01")[0] == ["4", "2"]
    assert shown(f"?person={admin.id}&to=2026-11-30")[1] == ["attendee.cancelled"]
    page = text(client.get(f"/manage/audit?action=attendee.cancelled&person={admin.id}"))
    assert "Showing 1–3 of 3" in page
    assert "Showing 1–1 of 1" in text(client.get(f"/manage/audit?person={other.id}"))


def test_a_person_of_none_shows_what_the_system_did(client, login_as):
    login_as("admin")
    record("track.capacity_changed", actor=None, track="arts", capacity=3, previous=2, promoted=0)

    page = client.get("/manage/audit?person=system")

    assert [row["action"] for row in rows_of(page)] == ["track.capacity_changed", "user.created"]
    assert "The system" in text(page)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?from=yesterday", "Enter the first day as a date, like 2026-12-02"),
        ("?to=2026-13-45", "Enter the last day as a date, like 2026-12-02"),
        (
            "?from=2026-12-02&to=2026-12-01",
            "The last day must be the same as or after the first day",
        ),
        ("?person=me", "Choose a person from the list"),
        ("?from=0001-01-01", "Enter the first day as a date, like 2026-12-02"),
    ],
)
def test_a_filter_that_cannot_be_used_is_named_in_words(client, login_as, query, message):
    login_as("admin")

    page = client.get("/manage/audit" + query)

    assert page.status_code == 400
    assert message in text(page)
    assert "There is a problem" in text(page)


def test_the_log_pages_fifty_at_a_time_both_ways(client, login_as):
    admin = login_as("admin")
    for n in range(120):
        record("attendee.cancelled", actor=admin, registration_id=n)

    def numbers(response):
        return [int(n) for n in re.findall(r"/manage/attendees/(\d+)", text(response))]

    def link(response, rel):
        found = re.search(rf'href="([^"]*)" rel="{rel}"', text(response))
        return found.group(1).replace("&amp;", "&") if found else None

    first = client.get("/manage/audit?action=attendee.cancelled")
    second = client.get(link(first, "next"))
    third = client.get(link(second, "next"))
    back = client.get(link(third, "prev"))

    assert numbers(first) == list(range(119, 69, -1))
    assert numbers(second) == list(range(69, 19, -1))
    assert numbers(third) == list(range(19, -1, -1))
    assert link(first, "prev") is None
    assert link(third, "next") is None
    assert numbers(back) == numbers(second)
    assert link(back, "next")
    assert link(back, "prev")
    assert "Showing 1–50 of 120" in text(first)
    assert "Showing 51–100 of 120" in text(second)
    assert "Showing 51–100 of 120" in text(back)
    assert "Showing 101–120 of 120" in text(third)
    assert "Back to the newest" in text(second)


def test_repeated_views_show_as_one_row_with_their_count_and_times(
    client, login_as, monkeypatch, conference
):
    admin = login_as("admin")
    moments = iter(
        [datetime(2026, 12, 2, 17, 2), datetime(2026, 12, 2, 18, 10), datetime(2026, 12, 2, 19, 40)]
    )
    monkeypatch.setattr(audit, "utcnow", lambda: next(moments))
    for _n in range(3):
        record("attendee.viewed", actor=admin, registration_id=7)

    rows = [
        row for row in rows_of(client.get("/manage/audit")) if row["action"] == "attendee.viewed"
    ]
    arabic = rows_of(client.get("/manage/audit?action=attendee.viewed", headers=ARABIC))

    assert len(rows) == 1
    assert (
        "Details of registration 7 viewed 3 times between 9:02 AM and 11:40 AM" in rows[0]["words"]
    )
    assert "3 مرات" in arabic[0]["words"]


@pytest.mark.parametrize(
    "query",
    [
        "?action=" + "x" * 500,
        "?before=abc",
        "?action=%00",
        "?before=-5&action=nope",
        "?after=9&before=3",
    ],
)
def test_odd_query_strings_still_show_the_page(client, login_as, query):
    login_as("admin")

    assert client.get(f"/manage/audit{query}").status_code == 200


@pytest.mark.parametrize("role", ["organizer", "checkin", "coordinator", "sponsor"])
def test_only_admins_see_the_audit_log(client, login_as, role):
    login_as(role)

    assert client.get("/manage/audit").status_code == 403


def test_times_are_in_the_conference_time_zone(client, login_as, conference):
    login_as("admin")

    html = text(client.get("/manage/audit"))

    assert "Pacific" in html  # the zone is named
    assert 'datetime="' in html
    assert "UTC" not in html
