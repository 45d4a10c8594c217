"""Scheduled messages (a reminder) wait for their time, and can be taken back before it."""

from datetime import timedelta
from email.utils import parseaddr

import sqlalchemy as sa

from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import MessageStatus, OutboxMessage


def to(server):
    """The addresses the server received, in order."""
    return [parseaddr(m["To"])[1] for m in server.mailbox.messages]


def rows():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_scheduled_message_waits_for_its_time(mail_app, smtp_server, make_email):
    send_at = utcnow() + timedelta(hours=20)
    outbox.enqueue(make_email("later@example.org"), key="reminder:1", send_at=send_at)
    outbox.enqueue(make_email("now@example.org"), key="now:1")
    db.session.commit()

    report = outbox.deliver_pending()
    assert to(smtp_server) == ["now@example.org"]
    assert len(report.sent) == 1
    later, _now = rows()
    assert later.status == MessageStatus.pending
    assert later.next_attempt_at == send_at

    outbox.deliver_pending(now=send_at + timedelta(seconds=1))
    assert to(smtp_server) == ["now@example.org", "later@example.org"]
    assert rows()[0].status == MessageStatus.sent


def test_a_message_taken_back_is_never_sent(mail_app, smtp_server, make_email):
    send_at = utcnow() + timedelta(hours=20)
    outbox.enqueue(make_email("a@example.org"), key="reminder:a", send_at=send_at)
    outbox.enqueue(make_email("b@example.org"), key="reminder:b", send_at=send_at)
    db.session.commit()

    outbox.drop_pending("reminder:a", "no-such-key")
    db.session.commit()
    assert [row.idempotency_key for row in rows()] == ["reminder:b"]

    outbox.deliver_pending(now=send_at + timedelta(seconds=1))
    assert to(smtp_server) == ["b@example.org"]


def test_a_sent_message_is_not_taken_back(mail_app, smtp_server, make_email):
    outbox.enqueue(make_email("a@example.org"), key="done:a")
    db.session.commit()
    outbox.deliver_pending()
    outbox.drop_pending("done:a")
    db.session.commit()
    assert [row.status for row in rows()] == [MessageStatus.sent]


def test_the_outbox_page_says_when_a_scheduled_message_goes_out(client, make_email, login_as):
    send_at = utcnow() + timedelta(hours=20)
    row = outbox.enqueue(make_email("later@example.org"), key="reminder:page", send_at=send_at)
    db.session.commit()
    login_as("organizer")
    listing = client.get("/manage/outbox").get_data(as_text=True)
    assert "Scheduled for" in listing
    page = client.get(f"/manage/outbox/{row.id}").get_data(as_text=True)
    assert "Scheduled for" in page
