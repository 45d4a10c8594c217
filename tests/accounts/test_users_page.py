"""The admins' users page: invitations start from the least privileged role, nobody acts on
their own row, and disabling someone is confirmed, reported and undone."""

import re

from conference.accounts.models import User
from conference.audit import AuditEvent
from conference.extensions import db


def text(response):
    return response.get_data(as_text=True)


def row(html, email):
    """The users table's row for ``email``."""
    for found in re.findall(r"<tr data-user=.*?</tr>", html, re.S):
        if email in found:
            return found
    raise AssertionError(f"no row for {email}")


def flashes(html):
    """The flash messages on a page: [(kind, text)]."""
    return [
        (kind, re.sub(r"<[^>]+>|[\u2068\u2069]", "", body).strip())
        for kind, body in re.findall(
            r'<div class="flash flash--(\w+)"[^>]*data-kind="\w+">'
            r'.*?<p class="flash__text">(.*?)</p>',
            html,
            re.S,
        )
    ]


def test_the_invitation_offers_the_least_privileged_role_first(client, login_as):
    login_as("admin")

    html = text(client.get("/manage/users"))

    form = html.split('id="invite"')[1]
    selected = re.findall(r'<option selected value="(\w+)"|<option value="(\w+)" selected', form)
    assert [a or b for a, b in selected] == ["sponsor"]
    assert 'value="admin" selected' not in form


def test_an_invitation_without_a_role_chosen_is_for_the_least_privileged_role(client, login_as):
    login_as("admin")

    client.post("/manage/users", data={"email": "new@forsyria.example", "name": ""})

    assert User.query.filter_by(email="new@forsyria.example").one().role.value == "sponsor"


def test_your_own_row_says_you_and_offers_no_action_on_yourself(client, login_as, make_user):
    admin = login_as("admin")
    other = make_user("organizer")

    html = text(client.get("/manage/users"))

    own, theirs = row(html, admin.email), row(html, other.email)
    assert "(you)" in own
    assert "(you)" not in theirs
    assert "<form" not in own
    assert "<select" not in own
    assert f"/manage/users/{admin.id}/" not in own
    assert f'href="/manage/users/{other.id}/disable"' in theirs
    assert "<select" in theirs


def test_disabling_asks_first_then_says_so_and_can_be_undone(client, login_as, make_user):
    login_as("admin")
    other = make_user("organizer", email="olga@forsyria.example")

    confirm = client.get(f"/manage/users/{other.id}/disable")
    still_enabled = db.session.get(User, other.id).is_enabled
    unconfirmed = client.post(f"/manage/users/{other.id}/enabled", data={"enabled": "0"})
    done = client.post(
        f"/manage/users/{other.id}/enabled",
        data={"enabled": "0", "confirmed": "yes"},
        follow_redirects=True,
    )
    disabled = not db.session.get(User, other.id).is_enabled
    again = client.post(
        f"/manage/users/{other.id}/enabled", data={"enabled": "1"}, follow_redirects=True
    )

    assert confirm.status_code == 200
    assert "Disable this account?" in text(confirm)
    assert 'name="confirmed" value="yes"' in text(confirm)
    assert still_enabled
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["Location"].endswith(f"/manage/users/{other.id}/disable")
    assert db.session.get(User, other.id) is not None
    assert disabled
    assert flashes(text(done)) == [
        (
            "success",
            "Done: olga@forsyria.example is disabled and signed out everywhere. To undo it, "
            "press “Enable again” on their row.",
        )
    ]
    assert "Enable again" in row(text(done), other.email)
    assert db.session.get(User, other.id).is_enabled
    assert flashes(text(again)) == [("success", "Done: olga@forsyria.example can sign in again.")]
    actions = [e.action for e in AuditEvent.query.order_by(AuditEvent.id)]
    assert actions[-2:] == ["user.disabled", "user.enabled"]


def test_pressing_disable_twice_does_not_enable_again(client, login_as, make_user):
    login_as("admin")
    other = make_user("organizer")
    disable = {"enabled": "0", "confirmed": "yes"}

    client.post(f"/manage/users/{other.id}/enabled", data=disable)
    client.post(f"/manage/users/{other.id}/enabled", data=disable)

    assert not db.session.get(User, other.id).is_enabled


def test_no_confirm_step_for_yourself(client, login_as):
    admin = login_as("admin")

    response = client.get(f"/manage/users/{admin.id}/disable", follow_redirects=True)

    assert flashes(text(response)) == [("error", "Error: You cannot disable your own account")]
    assert db.session.get(User, admin.id).is_enabled


def test_a_bad_request_is_refused_plainly(client, login_as, make_user):
    login_as("admin")
    other = make_user("organizer")

    bogus = client.post(f"/manage/users/{other.id}/enabled", data={"enabled": "maybe"})
    missing = client.get("/manage/users/99999/disable")

    assert bogus.status_code == 400
    assert missing.status_code == 404
    assert db.session.get(User, other.id).is_enabled


def test_the_users_page_in_arabic(client, login_as):
    login_as("admin")

    html = text(client.get("/manage/users", headers={"Accept-Language": "ar"}))

    assert 'dir="rtl"' in html
    assert "(أنت)" in html


def test_addresses_in_flash_messages_are_isolated(client, login_as, make_user):
    login_as("admin")
    other = make_user("organizer", email="olga@forsyria.example")

    html = text(
        client.post(
            f"/manage/users/{other.id}/enabled",
            data={"enabled": "0", "confirmed": "yes"},
            headers={"Accept-Language": "ar"},
            follow_redirects=True,
        )
    )

    assert '<bdi dir="ltr">olga@forsyria.example</bdi>' in html  # isolated once, in HTML
