"""The audit log page: admins only, newest first, in words, by action, 50 a page."""

import re

import pytest

from conference import audit
from conference.audit import AuditEvent
from conference.extensions import db
from conference.manage import audit_views

pytestmark = pytest.mark.usefixtures("enforced_access")


def record(action, **details):
    event = audit.record(action, **details)
    db.session.commit()
    return event


def text(response):
    return response.get_data(as_text=True)


def actions_shown(response):
    """The action cell of each row, in order."""
    rows = re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", text(response), re.S)
    return [re.findall(r"<td>([^<]*)</td>", row)[0] for row in rows]


def test_admins_see_what_happened_newest_first_in_words(client, login_as):
    admin = login_as("admin")
    record(
        "attendees.exported",
        actor=admin,
        format="xlsx",
        filters={"track": "arts", "q": "أحمد"},
        columns=["id", "full_name"],
        rows=3,
        complete=True,
    )
    record("user.role_changed", actor=admin, user="o@example.org", old="organizer", new="checkin")
    record("something.new", actor=None, thing=1)

    page = client.get("/manage/audit")

    html = text(page)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert actions_shown(page) == [
        "something.new",  # unknown: shown as stored
        "Role changed",
        "Attendees exported",
        "Signed in",
        "Account created",
    ]
    assert "Columns:</span> <bdi>Registration number, Full name</bdi>" in html
    assert "File format:</span> <bdi>XLSX</bdi>" in html
    assert "Filters:</span> <bdi>Track: arts; Name or email address: أحمد</bdi>" in html
    assert "Before:</span> <bdi>Organizer</bdi>" in html
    assert "After:</span> <bdi>Check-in staff</bdi>" in html
    assert "thing:</span> <bdi>1</bdi>" in html
    assert "The system" in html
    assert admin.email in html
    assert 'datetime="' in html


def test_sign_in_and_check_in_events_read_in_words(client, login_as):
    admin = login_as("admin")
    record("checkin.searched", actor=admin, by="name", query="Ada", shown=2)
    record("user.code_failed", actor=admin, wrong_in_a_row=3)

    page = client.get("/manage/audit")

    html = text(page)
    assert actions_shown(page)[:2] == ["Wrong authenticator code", "Check-in search"]
    assert "Searched by:</span> <bdi>Name</bdi>" in html
    assert "Wrong codes in a row:</span> <bdi>3</bdi>" in html


def test_the_log_can_be_narrowed_to_one_action(client, login_as):
    admin = login_as("admin")
    record("bulk_email.sent", actor=admin, recipients=120, filters={}, essential=False)

    page = client.get("/manage/audit?action=bulk_email.sent")

    assert actions_shown(page) == ["Email sent to attendees"]
    assert "Filters:</span> <bdi>None: everyone</bdi>" in text(page)
    assert "Essential message:</span> <bdi>No</bdi>" in text(page)
    assert '<option value="bulk_email.sent" selected>' in text(page)


def test_the_log_pages_fifty_at_a_time(client, login_as):
    admin = login_as("admin")
    for n in range(60):
        record("attendee.viewed", actor=admin, registration_id=n)

    first = client.get("/manage/audit?action=attendee.viewed")
    next_url = re.search(r'href="([^"]*before=\d+[^"]*)"', text(first)).group(1)
    second = client.get(next_url.replace("&amp;", "&"))

    shown = re.findall(r"Registration number:</span> <bdi>(\d+)</bdi>", text(first) + text(second))
    assert shown == [str(n) for n in reversed(range(60))]
    assert "Back to the newest" in text(second)


@pytest.mark.parametrize(
    "query", ["?action=" + "x" * 500, "?before=abc", "?action=%00", "?before=-5&action=nope"]
)
def test_odd_query_strings_still_show_the_page(client, login_as, query):
    login_as("admin")

    assert client.get(f"/manage/audit{query}").status_code == 200


@pytest.mark.parametrize("role", ["organizer", "checkin", "coordinator", "sponsor"])
def test_only_admins_see_the_audit_log(client, login_as, role):
    login_as(role)

    assert client.get("/manage/audit").status_code == 403


def test_describe_shows_unknown_details_as_stored(app):
    event = AuditEvent(details={"role": "wizard", "fields": ["phone", "city"], "x": {"a": None}})

    assert audit_views.describe(event) == [
        ("Role", "wizard"),
        ("Fields", "phone, city"),
        ("x", "a: —"),
    ]
