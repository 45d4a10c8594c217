"""The outbox page: what was sent, waits or failed; a message's text; retry."""

import email
import email.policy
import itertools
import re
from datetime import datetime, timedelta

import pytest

from conference import access
from conference.accounts import services as accounts
from conference.extensions import db
from conference.mailer import admin, outbox
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.mailer.rendering import Email
from conference.registration import services

_numbers = itertools.count(1)
NO_SERVER = "Mail is kept here because no mail server is set up (MAIL_SERVER)."


@outbox.renderer("test.message")
def render_test_message(row, _rendering):
    """The message of ``add_message``: its texts are in its snapshot."""
    return Email(
        kind=row.kind,
        recipient=row.recipient,
        language=row.language,
        subject=row.snapshot["subject"],
        text=row.snapshot["text"],
        html=row.snapshot["html"],
    )


def add_message(
    status=MessageStatus.pending,
    *,
    subject=None,
    html="<p>Hello</p>",
    kind="test.message",
    **values,
):
    """An outbox row as a deliverer would leave it."""
    n = next(_numbers)
    now = datetime(2026, 3, 1, 12, 0) + timedelta(minutes=n)
    subject = subject or f"Message number {n}"
    row = OutboxMessage(
        idempotency_key=f"test:{n}",
        kind=kind,
        recipient=f"person{n}@example.org",
        language="en",
        subject=subject,
        snapshot={"subject": subject, "text": f"Hello, this is message {n}.", "html": html},
        message_id=f"<{n}@conference.test>",
        status=status,
        attempts=3 if status == MessageStatus.failed else 0,
        last_error="550 5.1.1 User unknown" if status == MessageStatus.failed else None,
        next_attempt_at=now,
        created_at=now,
        sent_at=now if status == MessageStatus.sent else None,
        **values,
    )
    db.session.add(row)
    db.session.commit()
    return row


def text(response):
    return response.get_data(as_text=True)


def subjects(response):
    return re.findall(r'<th scope="row"><a href="[^"]+"><bdi>([^<]+)</bdi>', text(response))


def test_without_a_mail_server_organizers_read_what_would_have_been_sent(
    client, login_as, conference
):
    registration = services.register_attendee(
        conference,
        email="ada@example.org",
        full_name="Ada Lovelace",
        track_keys=["arts"],
        language="en",
        privacy_accepted=True,
    ).registration
    login_as("organizer")

    page = client.get("/manage/outbox")
    [message] = db.session.scalars(db.select(OutboxMessage)).all()
    detail = client.get(f"/manage/outbox/{message.id}")

    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert NO_SERVER in text(page)
    assert message.subject is None  # known once it is rendered to be sent
    assert f"Message {message.id}" in text(page)
    assert "ada@example.org" in text(page).replace("<wbr>", "")
    assert "Waiting: 1" in text(page)
    assert detail.status_code == 200
    assert registration.full_name in text(detail)  # the text part, as the recipient reads it
    assert "has not been sent" in text(detail)


def test_the_html_part_is_shown_as_source_never_as_markup(client, login_as):
    row = add_message(
        subject="<script>alert('subject')</script>",
        html='<p onclick="x()">Hi</p><script>alert("body")</script><iframe src="http://evil.example">',
    )
    login_as("organizer")

    page = text(client.get(f"/manage/outbox/{row.id}"))
    listing = text(client.get("/manage/outbox"))

    assert "<script>alert" not in page
    assert "<script>alert" not in listing
    assert "<iframe" not in page
    assert "&lt;script&gt;alert(&#34;body&#34;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;" in page


def test_the_whole_message_downloads_as_an_eml_file(client, login_as):
    row = add_message(subject="مرحبا", html="<p>مرحبا</p>")
    login_as("organizer")

    response = client.get(f"/manage/outbox/{row.id}/message.eml")

    assert response.status_code == 200
    assert response.mimetype == "message/rfc822"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == f'attachment; filename="message-{row.id}.eml"'
    message = email.message_from_bytes(response.get_data(), policy=email.policy.default)
    assert message["Subject"] == "مرحبا"
    assert message["To"] == row.recipient
    assert "مرحبا" in message.get_body(("html",)).get_content()


def test_an_erased_persons_message_shows_nothing_of_them(client, login_as):
    row = add_message(MessageStatus.sent)
    row.recipient, row.subject, row.snapshot = "", "", {}
    db.session.commit()
    login_as("organizer")

    page = client.get(f"/manage/outbox/{row.id}")

    assert "removed when the attendee erased their registration" in text(page)
    assert client.get(f"/manage/outbox/{row.id}/message.eml").status_code == 404


def next_link(response, rel="next"):
    found = re.search(rf'href="([^"]+)" rel="{rel}"', text(response))
    return found[1].replace("&amp;", "&") if found else None


def summary(response):
    return re.search(r'<p class="list-summary"[^>]*>([^<]*)</p>', text(response))[1].strip()


def test_messages_are_listed_newest_first_by_status_fifty_a_page(client, login_as):
    failed = [add_message(MessageStatus.failed) for _ in range(55)]
    sent = add_message(MessageStatus.sent)
    login_as("admin")

    first = client.get("/manage/outbox?status=failed")
    second = client.get(next_link(first))
    back = client.get(next_link(second, "prev"))
    everything = client.get("/manage/outbox")

    newest_first = [row.subject for row in reversed(failed)]
    assert subjects(first) == newest_first[:50]
    assert subjects(second) == newest_first[50:]
    assert subjects(back) == newest_first[:50]
    assert next_link(second) is None
    assert next_link(first, "prev") is None
    assert summary(first) == "Showing 1–50 of 55"
    assert summary(second) == "Showing 51–55 of 55"
    assert summary(back) == "Showing 1–50 of 55"
    assert subjects(everything)[0] == sent.subject
    assert summary(everything) == "Showing 1–50 of 56"
    assert "Failed: 55" in text(first)


def test_list_page_keeps_the_bodies_out_of_the_query(app):
    add_message(MessageStatus.failed)
    db.session.expunge_all()

    window = admin.list_page(status=MessageStatus.failed)

    [row] = window.rows
    assert not window.has_next
    assert not window.has_previous
    assert "snapshot" not in row.__dict__


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("registration.confirmation", "Registration confirmation"),
        ("broadcast.announcement", "Email to attendees"),
        ("accounts.invitation", "Staff invitation"),
        ("test.message", "Other message"),
    ],
)
def test_the_kind_column_shows_words_not_codes(client, login_as, kind, label):
    add_message(MessageStatus.failed, kind=kind)
    login_as("organizer")

    page = text(client.get("/manage/outbox"))

    assert f'<td data-label="Kind">{label}</td>' in page
    assert kind not in page


def test_every_kind_the_app_sends_has_words(app):
    from conference.mailer import renderers

    unnamed = {kind for kind in renderers._renderers if kind not in admin.KIND_LABELS}
    assert {kind for kind in unnamed if not kind.startswith("test.")} == set()


def test_statuses_are_pills_and_read_as_states_in_arabic(client, login_as):
    add_message(MessageStatus.failed)
    add_message(MessageStatus.sent)
    login_as("organizer")

    english = text(client.get("/manage/outbox"))
    arabic = text(client.get("/manage/outbox", headers={"Accept-Language": "ar"}))

    assert "pill--danger" in english
    assert "pill--ok" in english
    assert "فاشلة" in arabic
    assert "فشلت" not in arabic
    assert "<time" in english
    assert " UTC<" not in english


@pytest.mark.parametrize("query", ["?status=bogus", "?before=abc", "?before=-1", "?status=%00"])
def test_odd_query_strings_still_show_the_page(client, login_as, query):
    add_message()
    login_as("organizer")

    assert client.get(f"/manage/outbox{query}").status_code == 200


def test_a_failed_message_can_be_tried_again(client, login_as):
    row = add_message(MessageStatus.failed)
    login_as("organizer")

    response = client.post(f"/manage/outbox/{row.id}/retry", follow_redirects=True)

    db.session.refresh(row)
    assert row.status == MessageStatus.pending
    assert row.attempts == 0
    assert "The message will be sent again." in text(response)


def test_a_sent_message_is_not_sent_twice(client, login_as):
    row = add_message(MessageStatus.sent)
    login_as("organizer")

    response = client.post(f"/manage/outbox/{row.id}/retry", follow_redirects=True)

    db.session.refresh(row)
    assert row.status == MessageStatus.sent
    assert "Only a failed message can be tried again." in text(response)
    assert client.post("/manage/outbox/999999/retry").status_code == 404


def test_all_failed_messages_can_be_tried_again(client, login_as):
    failed = [add_message(MessageStatus.failed) for _ in range(3)]
    sent = add_message(MessageStatus.sent)
    login_as("organizer")
    before = client.get("/manage/outbox")  # counts are cached briefly...

    response = client.post("/manage/outbox/retry-failed", follow_redirects=True)

    assert "Try all 3 failed messages again" in text(before)
    assert "3 failed messages will be sent again." in text(response)
    assert "Failed: 0" in text(response)  # ...and refreshed by a retry
    for row in failed:
        db.session.refresh(row)
        assert row.status == MessageStatus.pending
    db.session.refresh(sent)
    assert sent.status == MessageStatus.sent


def test_with_a_mail_server_the_page_does_not_say_mail_is_kept(make_app):
    app = make_app(MAIL_SERVER="mail.example.org", OUTBOX_DELIVER_AFTER_REQUEST=False)
    access.init_app(app)
    password = "correct horse battery staple"
    with app.app_context():
        accounts.create_user("organizer@forsyria.example", role="organizer", password=password)
        client = app.test_client()
        client.post(
            "/manage/login", data={"email": "organizer@forsyria.example", "password": password}
        )

        page = client.get("/manage/outbox")

    assert page.status_code == 200
    assert NO_SERVER not in text(page)


@pytest.mark.parametrize("role", ["checkin", "coordinator", "sponsor"])
def test_only_admins_and_organizers_see_the_outbox(client, login_as, role):
    row = add_message(MessageStatus.failed)
    login_as(role)

    assert client.get("/manage/outbox").status_code == 403
    assert client.get(f"/manage/outbox/{row.id}").status_code == 403
    assert client.get(f"/manage/outbox/{row.id}/message.eml").status_code == 403
    assert client.post(f"/manage/outbox/{row.id}/retry").status_code == 403
    assert client.post("/manage/outbox/retry-failed").status_code == 403
    db.session.refresh(row)
    assert row.status == MessageStatus.failed
