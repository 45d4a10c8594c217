import icalendar
import vobject

from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import MessageStatus, OutboxMessage


def test_mail_test_sends_a_bilingual_message_with_an_invitation(
    make_app, smtp_server, make_conference
):
    app = make_app(**smtp_server.app_config)
    with app.app_context():
        make_conference(contact_email="team@forsyria.example")

        result = app.test_cli_runner().invoke(args=["mail", "test", "Organizer@Example.org"])

    assert result.exit_code == 0, result.output
    assert "Sent to Organizer@example.org through 127.0.0.1." in result.output
    [message] = smtp_server.mailbox.messages
    assert message["Subject"] == "من أجل سوريا: رسالة تجريبية / For Syria: a test message"
    html = message.get_body(("html",)).get_content()
    assert '<div lang="ar" dir="rtl"' in html
    assert '<div lang="en" dir="ltr"' in html
    calendar_part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    invitation = icalendar.Calendar.from_ical(calendar_part.get_content())
    assert invitation["METHOD"] == calendar_part.get_param("method") == "REQUEST"
    [event] = invitation.walk("VEVENT")
    assert str(event["ORGANIZER"]) == "mailto:team@forsyria.example"
    assert str(event["ATTENDEE"]) == "mailto:Organizer@example.org"
    vobject.readOne(calendar_part.get_content()).validate()


def test_mail_test_explains_a_missing_mail_server(runner, conference):
    result = runner.invoke(args=["mail", "test", "ada@example.org"])

    assert result.exit_code == 1
    assert "set MAIL_SERVER" in result.output


def test_mail_test_rejects_a_bad_address(make_app, smtp_server, make_conference):
    app = make_app(**smtp_server.app_config)
    with app.app_context():
        make_conference()
        result = app.test_cli_runner().invoke(args=["mail", "test", "not-an-address"])

    assert result.exit_code == 1
    assert "is not a valid email address" in result.output
    assert smtp_server.mailbox.envelopes == []


def test_mail_test_reports_a_refusal(make_app, smtp_server, make_conference):
    smtp_server.mailbox.refused.add("ada@example.org")
    app = make_app(**smtp_server.app_config)
    with app.app_context():
        make_conference()
        result = app.test_cli_runner().invoke(args=["mail", "test", "ada@example.org"])

    assert result.exit_code == 1
    assert "Not sent (failed): 550 5.1.1" in result.output


def test_outbox_status_list_show_and_retry(runner, make_email):
    row = outbox.enqueue(make_email())
    db.session.commit()

    status = runner.invoke(args=["outbox", "status"])
    listing = runner.invoke(args=["outbox", "list"])
    shown = runner.invoke(args=["outbox", "show", str(row.id)])
    row.status = MessageStatus.failed
    db.session.commit()
    retried = runner.invoke(args=["outbox", "retry", "--failed"])

    assert " pending: 1" in status.output
    assert "No mail server configured" in status.output
    assert "ada@example.org  test.sample" in listing.output  # its subject once rendered to send
    assert "Subject: For Syria: a test message" in shown.output
    assert "This is a test message" in shown.output
    assert "1 message(s) queued again." in retried.output
    assert db.session.get(OutboxMessage, row.id).status == MessageStatus.pending


def test_outbox_deliver_sends_due_messages(make_app, smtp_server, make_email):
    app = make_app(**smtp_server.app_config)
    with app.app_context():
        outbox.enqueue(make_email())
        db.session.commit()

        result = app.test_cli_runner().invoke(args=["outbox", "deliver"])

    assert result.output.strip() == "sent 1, to retry 0, failed 0"
    assert len(smtp_server.mailbox.envelopes) == 1


def test_outbox_deliver_without_a_server_says_messages_wait(runner):
    result = runner.invoke(args=["outbox", "deliver"])

    assert "Messages wait in the outbox" in result.output


def test_outbox_retry_of_an_unknown_message_is_an_error(runner):
    result = runner.invoke(args=["outbox", "retry", "42"])

    assert result.exit_code == 1
    assert "There is no message 42." in result.output
