import email.policy
import random
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import MessageStatus, OutboxMessage

INVITE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:1@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20220318\r\n"
    "SUMMARY:من أجل سوريا\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()


def later(hours=3):
    return utcnow() + timedelta(hours=hours)


def test_enqueue_writes_nothing_until_the_transaction_commits(app, make_email):
    outbox.enqueue(make_email())
    db.session.rollback()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_enqueue_with_the_same_key_queues_one_message(app, make_email):
    first = outbox.enqueue(make_email(), key="registration:1:confirmed:1")
    second = outbox.enqueue(make_email(), key="registration:1:confirmed:1")
    db.session.commit()

    assert first is second
    assert OutboxMessage.query.count() == 1


def test_enqueue_fixes_the_message_id_at_once(app, make_email):
    row = outbox.enqueue(make_email())
    db.session.commit()

    assert row.message_id.startswith("<")
    assert row.message_id.endswith("@conference.test>")
    assert row.status == MessageStatus.pending


def test_without_a_mail_server_messages_wait(app, make_email):
    outbox.enqueue(make_email())
    db.session.commit()

    report = outbox.deliver_pending()

    assert report.skipped_reason.startswith("no mail server")
    assert outbox.counts()[MessageStatus.pending] == 1


def test_delivery_sends_a_multipart_message_with_the_invitation(mail_app, smtp_server, make_email):
    outbox.enqueue(make_email(calendar=INVITE))
    db.session.commit()

    report = outbox.deliver_pending()

    [message] = smtp_server.mailbox.messages
    [envelope] = smtp_server.mailbox.envelopes
    assert len(report.sent) == 1
    assert envelope.rcpt_tos == ["ada@example.org"]
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar = alternative.iter_parts()
    assert [plain.get_content_type(), html.get_content_type(), calendar.get_content_type()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar["Content-Transfer-Encoding"] == "8bit"
    assert calendar.get("Content-Disposition") is None
    assert "METHOD:REQUEST" in calendar.get_content()
    assert "SUMMARY:من أجل سوريا" in calendar.get_content()
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_type() == "application/ics"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "en"
    assert message["Message-ID"] == OutboxMessage.query.one().message_id
    assert message["Date"]


def test_arabic_message_has_encoded_headers_and_right_to_left_html(
    mail_app, smtp_server, make_email
):
    outbox.enqueue(make_email(language="ar", name="أحمد الحلبي"))
    db.session.commit()

    outbox.deliver_pending()

    [message] = smtp_server.mailbox.messages
    [envelope] = smtp_server.mailbox.envelopes
    raw_headers = envelope.content.split(b"\r\n\r\n", 1)[0]
    assert message["Subject"] == "من أجل سوريا: رسالة تجريبية"
    assert message["To"].addresses[0].display_name == "أحمد الحلبي"
    assert raw_headers.isascii()  # RFC 2047 encoded words, not raw UTF-8
    html = message.get_body(("html",)).get_content()
    assert '<html lang="ar" dir="rtl">' in html
    assert 'dir="rtl" style="direction:rtl;text-align:right;' in html
    assert "<img" not in html
    assert message["Content-Language"] == "ar"


def test_a_server_answering_451_gets_every_message_once_after_retries(
    mail_app, smtp_server, make_email
):
    smtp_server.mailbox.temporary_failures = 3
    for n in range(3):
        outbox.enqueue(make_email(f"person{n}@example.org"))
    db.session.commit()

    first = outbox.deliver_pending()
    rows = OutboxMessage.query.order_by(OutboxMessage.id).all()
    waiting = [(row.status, row.last_error) for row in rows]
    second = outbox.deliver_pending(now=later())

    assert first.retrying == [row.id for row in rows]
    assert (
        waiting
        == [(MessageStatus.pending, "451 4.3.0 Temporary local problem, try again later")] * 3
    )
    assert len(second.sent) == 3
    assert sorted(e.rcpt_tos[0] for e in smtp_server.mailbox.envelopes) == [
        "person0@example.org",
        "person1@example.org",
        "person2@example.org",
    ]


def test_retries_back_off_exponentially_with_jitter(mail_app, smtp_server, make_email):
    smtp_server.mailbox.temporary_failures = 100
    row = outbox.enqueue(make_email())
    db.session.commit()
    delays = []

    now = utcnow()
    for _attempt in range(4):
        outbox.deliver_pending(now=now)
        delays.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at

    base = mail_app.config["OUTBOX_RETRY_BASE_SECONDS"]
    for attempt, delay in enumerate(delays):
        assert base * 2**attempt * 0.5 <= delay <= base * 2**attempt * 1.5
    assert row.attempts == 4


def test_a_message_out_of_attempts_fails(mail_app, smtp_server, make_email):
    mail_app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    smtp_server.mailbox.temporary_failures = 100
    row = outbox.enqueue(make_email())
    db.session.commit()

    outbox.deliver_pending()
    outbox.deliver_pending(now=later())

    assert row.status == MessageStatus.failed
    assert row.last_error.startswith("451")


def test_a_server_down_at_first_gets_them_all_once_it_is_up(
    make_app, stopped_smtp_server, make_email
):
    app = make_app(**stopped_smtp_server.app_config)
    with app.app_context():
        for n in range(4):
            outbox.enqueue(make_email(f"person{n}@example.org"))
        db.session.commit()

        while_down = outbox.deliver_pending()
        error = OutboxMessage.query.first().last_error
        stopped_smtp_server.start()
        once_up = outbox.deliver_pending(now=later())
        again = outbox.deliver_pending(now=later(6))

        assert len(while_down.retrying) == 4
        assert error.startswith("ConnectionRefusedError")
        assert len(once_up.sent) == 4
        assert again.claimed == 0
        assert len(stopped_smtp_server.mailbox.envelopes) == 4


def test_a_550_leaves_the_message_failed_with_the_reply(mail_app, smtp_server, make_email):
    smtp_server.mailbox.refused.add("nobody@example.org")
    bad = outbox.enqueue(make_email("nobody@example.org"))
    good = outbox.enqueue(make_email("ada@example.org"))
    db.session.commit()

    report = outbox.deliver_pending()
    again = outbox.deliver_pending(now=later())

    assert report.failed == [bad.id]
    assert report.sent == [good.id]
    assert bad.status == MessageStatus.failed
    assert bad.last_error.startswith("550 5.1.1")
    assert "User unknown" in bad.last_error
    assert again.claimed == 0


def test_a_slow_server_times_out_and_the_message_is_retried(mail_app, smtp_server, make_email):
    mail_app.config["MAIL_TIMEOUT"] = 0.5
    smtp_server.mailbox.delay = 1.5
    row = outbox.enqueue(make_email())
    db.session.commit()

    report = outbox.deliver_pending()
    error = row.last_error
    smtp_server.mailbox.delay = 0
    outbox.deliver_pending(now=later())

    assert report.retrying == [row.id]
    assert "timed out" in error
    assert row.status == MessageStatus.sent


def test_retry_requeues_failed_messages(mail_app, smtp_server, make_email):
    smtp_server.mailbox.refused.add("nobody@example.org")
    row = outbox.enqueue(make_email("nobody@example.org"))
    db.session.commit()
    outbox.deliver_pending()
    smtp_server.mailbox.refused.clear()

    count = outbox.retry(failed=True)
    outbox.deliver_pending()

    assert count == 1
    assert row.status == MessageStatus.sent


def test_retry_refuses_a_sent_or_unknown_message(mail_app, smtp_server, make_email):
    row = outbox.enqueue(make_email())
    db.session.commit()
    outbox.deliver_pending()

    with pytest.raises(outbox.OutboxError, match="already sent"):
        outbox.retry(row.id)
    with pytest.raises(outbox.OutboxError, match="no message 999"):
        outbox.retry(999)


def test_an_abandoned_claim_is_taken_over_after_its_lease(mail_app, smtp_server, make_email):
    outbox.enqueue(make_email())
    db.session.commit()
    [claimed] = outbox.claim_batch(10)  # a deliverer that then died
    status = db.session.get(OutboxMessage, claimed.id).status

    nothing_yet = outbox.deliver_pending()
    after_lease = outbox.deliver_pending(now=later(1))

    assert status == MessageStatus.sending
    assert nothing_yet.claimed == 0
    assert len(after_lease.sent) == 1


def test_two_deliverers_at_once_send_each_message_once(make_app, smtp_server, make_email, tmp_path):
    app = make_app(**smtp_server.app_config, OUTBOX_BATCH_SIZE=3)
    if app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://":  # threads need a shared file
        app = make_app(
            **smtp_server.app_config,
            OUTBOX_BATCH_SIZE=3,
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'outbox.db'}",
        )
    smtp_server.mailbox.delay = 0.005
    with app.app_context():
        for n in range(40):
            outbox.enqueue(make_email(f"person{n}@example.org"))
        db.session.commit()
    reports, errors = [], []
    start = threading.Barrier(2)

    def deliverer():
        with app.app_context():
            try:
                start.wait()
                reports.append(outbox.deliver_pending())
            except Exception as exc:  # surfaced by the assertion below
                errors.append(exc)

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    message_ids = [m["Message-ID"] for m in smtp_server.mailbox.messages]
    assert errors == []
    assert len(message_ids) == 40
    assert len(set(message_ids)) == 40
    assert all(report.sent for report in reports)  # both deliverers did part of the work
    with app.app_context():
        assert outbox.counts()[MessageStatus.sent] == 40


def test_messages_are_written_byte_for_byte_as_flask_mail_writes_them(app, make_email):
    rows = [
        outbox.enqueue(make_email("lina@example.org", language="ar", name="لينا حداد")),
        outbox.enqueue(make_email("ada@example.org")),
    ]
    db.session.commit()

    for row in rows * 2:  # the second time from the remembered headers
        message = outbox.build_message(row, outbox.render(row))
        random.seed(7)  # the MIME boundaries
        ours = message.as_bytes()
        random.seed(7)
        flask_mails = message._message().as_bytes(policy=email.policy.SMTP)

        assert ours == flask_mails
