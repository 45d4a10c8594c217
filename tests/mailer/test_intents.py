"""The outbox stores what to send; private links exist only in the mail that went out.

A full journey is delivered to a real SMTP server, then every place the app keeps
anything (each table, the outbox pages and downloads, a backup, the logs) is searched
for the tokens taken from the delivered mails.
"""

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from conference import database
from conference.accounts import services as accounts
from conference.announcements import services as announcements
from conference.clock import utcnow
from conference.content import services as content
from conference.extensions import db
from conference.mailer import delivery, outbox
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.registration import queries, services, staff_services
from conference.registration.models import ManageToken, Registration
from conference.registration.queries import Filters

from ..conftest import STAFF_PASSWORD

LINK = re.compile(r"http://conference\.test/registration/([A-Za-z0-9_-]+)")


def later(**delta):
    return utcnow() + timedelta(**delta)


def answers(**changes):
    return {
        "full_name": "Layla Haddad",
        "email": "layla@example.org",
        "city": "Houston",
        "language": "ar",
        "tracks": ["cultural", "arts"],
        "privacy": "y",
        "submission_id": "submission-0000000000000001",
        **changes,
    }


def deliver():
    report = outbox.deliver_pending()
    assert report.failed == report.retrying == [], report
    return report


def tokens_in(mailbox, start=0):
    """The private-link tokens of the mails received since ``start``, in order."""
    found = []
    for message in mailbox.messages[start:]:
        for part in message.walk():
            if part.get_content_maintype() == "text":
                for token in LINK.findall(part.get_content()):
                    if token not in found:
                        found.append(token)
    return found


def everything_stored():
    """Every row of every table, as text."""
    dump = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            dump.append(repr(tuple(row)))
    db.session.rollback()
    return "\n".join(dump)


@pytest.fixture
def journey_app(make_app, smtp_server, database_url, tmp_path):
    """An app whose mail goes to ``smtp_server``; on SQLite, a file (``flask backup``)."""
    config = dict(smtp_server.app_config)
    if database_url == "sqlite://":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'live.db'}"
    app = make_app(**config)
    with app.app_context():
        content.load_content_file()
        yield app


def test_after_a_full_journey_no_working_private_link_is_stored_anywhere(
    journey_app, smtp_server, tmp_path, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    client = journey_app.test_client()
    mailbox = smtp_server.mailbox
    conference = content.get_conference("for-syria")
    tokens = []

    # Register; the confirmation's link opens the registration.
    assert client.post("/register", data=answers()).status_code == 303
    deliver()
    [first] = tokens_in(mailbox)
    tokens.append(first)
    assert client.get(f"/registration/{first}").status_code == 200

    # Change tracks through that link: the new mail carries a link of its own, which works.
    changed = client.post(f"/registration/{first}/tracks", data={"tracks": ["social"]})
    assert changed.status_code == 303
    deliver()
    [second] = tokens_in(mailbox, start=1)
    tokens.append(second)
    assert second != first
    assert client.get(f"/registration/{second}").status_code == 200

    # Ask for the link again (the answer never says whether the address is registered).
    assert client.post("/register/link", data={"email": "layla@example.org"}).status_code < 400
    deliver()
    tokens += tokens_in(mailbox, start=2)
    assert len(tokens) == 3

    # Cancel: every link stops working; it only answers as the cancellation did.
    assert client.post(f"/registration/{second}/cancel").status_code == 303
    deliver()
    for token in tokens:
        ended = client.get(f"/registration/{token}")
        assert ended.status_code == 303
        assert ended.headers["Location"].endswith("/register/cancelled")

    # Register again, and a repeat of the address: two more links, both working.
    again = answers(submission_id="submission-0000000000000002", tracks=["arts"])
    assert client.post("/register", data=again).status_code == 303
    repeat = answers(submission_id="submission-0000000000000003")
    assert client.post("/register", data=repeat).status_code == 303
    deliver()
    fresh = [t for t in tokens_in(mailbox) if t not in tokens]
    assert len(fresh) == 2
    assert all(client.get(f"/registration/{t}").status_code == 200 for t in fresh)
    tokens += fresh

    # A bulk email to everyone.
    broadcast = announcements.save_draft(
        conference,
        subject={"ar": "تذكير", "en": "A reminder"},
        body={"ar": "نلقاكم قريبًا.", "en": "See you soon."},
        filters=Filters(),
    )
    assert announcements.send_broadcast(broadcast)
    deliver()
    assert mailbox.messages[-1]["Subject"] == "تذكير"
    kinds = [row.kind for row in db.session.scalars(sa.select(OutboxMessage))]
    assert len(mailbox.messages) == len(kinds) == 7
    assert all(
        row.status == MessageStatus.sent for row in db.session.scalars(sa.select(OutboxMessage))
    )

    # What organizers can read: the outbox page, each message and its .eml download.
    accounts.create_user("organizer@forsyria.example", role="organizer", password=STAFF_PASSWORD)
    signed_in = client.post(
        "/manage/login", data={"email": "organizer@forsyria.example", "password": STAFF_PASSWORD}
    )
    assert signed_in.status_code == 302
    shown = [client.get("/manage/outbox").get_data(as_text=True)]
    for message_id in db.session.scalars(sa.select(OutboxMessage.id)):
        page = client.get(f"/manage/outbox/{message_id}")
        download = client.get(f"/manage/outbox/{message_id}/message.eml")
        assert page.status_code == download.status_code == 200
        shown += [page.get_data(as_text=True), download.get_data(as_text=True)]
    assert "[حُذف الرابط الخاص]" in "".join(shown)  # the links are visibly removed
    assert "/registration/" not in "".join(shown).replace("/registration/&lt;", "")

    # A backup (SQLite: ``flask backup`` copies the database file).
    stored = everything_stored()
    if db.engine.dialect.name == "sqlite":
        result = journey_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backups")])
        assert result.exit_code == 0, result.output
        backup = Path(result.output.split("Backup written to ")[1].strip()).read_bytes()
    else:  # PostgreSQL backups are pg_dump's: of the tables searched above
        backup = b""

    logs = "\n".join(  # the app's logs, at every level (not the test SMTP server's own)
        f"{record.getMessage()} {record.__dict__}"
        for record in caplog.records
        if record.name != "mail.log"
    ) + "".join(capsys.readouterr())
    for token in tokens:
        assert token not in stored
        assert all(token not in text for text in shown)
        assert token.encode() not in backup
        assert token not in logs
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 2


def test_a_crash_between_commit_and_rendering_loses_nothing(
    journey_app, smtp_server, monkeypatch, register_one
):
    register_one()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the deliverer dies right after its claim

    with monkeypatch.context() as patched:
        patched.setattr(delivery, "_render_claimed", crash)
        with pytest.raises(KeyboardInterrupt):
            outbox.deliver_pending()
    db.session.rollback()
    [row] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert row.status == MessageStatus.sending  # claimed, not lost

    report = outbox.deliver_pending(now=later(hours=1))  # once the lease is over

    assert len(report.sent) == 1
    [token] = tokens_in(smtp_server.mailbox)
    assert queries.find_by_token(token) is not None


def test_a_message_that_cannot_be_rendered_fails_with_the_reason_and_can_be_retried(
    journey_app, smtp_server, register_one
):
    register_one()
    row = db.session.scalars(sa.select(OutboxMessage)).one()
    good = dict(row.snapshot)
    row.snapshot = {**good, "confirmed": [999999]}
    db.session.commit()

    report = outbox.deliver_pending()

    assert report.failed == [row.id]
    db.session.refresh(row)
    assert row.status == MessageStatus.failed
    assert row.last_error == "not sent: cannot be rendered: its track 999999 no longer exists"
    assert smtp_server.mailbox.messages == []
    accounts.create_user("organizer@forsyria.example", role="organizer", password=STAFF_PASSWORD)
    client = journey_app.test_client()
    client.post(
        "/manage/login", data={"email": "organizer@forsyria.example", "password": STAFF_PASSWORD}
    )
    page = client.get(f"/manage/outbox/{row.id}").get_data(as_text=True)
    assert "its track 999999 no longer exists" in page
    assert "Try this message again" in page

    row.snapshot = good  # whatever was wrong is put right
    db.session.commit()
    retried = client.post(f"/manage/outbox/{row.id}/retry")
    report = outbox.deliver_pending()

    assert retried.status_code == 303
    assert report.sent == [row.id]
    [token] = tokens_in(smtp_server.mailbox)
    assert queries.find_by_token(token) is not None


def test_erasing_drops_the_registrations_pending_messages_but_sends_the_goodbye(
    journey_app, smtp_server, register_one
):
    registration = register_one()
    services.change_tracks(registration, ["social"])
    staff_services.correct_email(registration, "layla.new@example.org")  # a new address, a new mail
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 3

    services.erase_registration(registration)
    deliver()

    [goodbye] = smtp_server.mailbox.messages
    assert goodbye["To"].addresses[0].addr_spec == "layla.new@example.org"
    assert tokens_in(smtp_server.mailbox) == []
    [row] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert row.kind == "registration.erased"
    assert (row.status, row.recipient, row.snapshot) == (MessageStatus.sent, "", {})


def test_a_message_claimed_before_its_registration_was_erased_is_not_rendered(
    journey_app, smtp_server, register_one
):
    registration = register_one()
    [claimed] = outbox.claim_batch(10)  # rendered while the registration was there...
    assert claimed.message is not None
    registration.status = registration.status.erased  # ...this time, erased before rendering
    db.session.commit()
    row = db.session.scalars(sa.select(OutboxMessage)).one()
    row.status = MessageStatus.pending
    db.session.commit()

    report = outbox.deliver_pending()

    assert report.failed == [row.id]
    db.session.refresh(row)
    assert row.last_error == "not sent: cannot be rendered: its registration was erased"


@pytest.fixture
def register_one(journey_app):
    def _register_one():
        return services.register_attendee(
            content.get_conference("for-syria"),
            email="layla@example.org",
            full_name="Layla Haddad",
            track_keys=["arts"],
            language="en",
            privacy_accepted=True,
        ).registration

    return _register_one


def test_messages_rendered_before_the_upgrade_are_still_delivered_then_forgotten(
    make_app, smtp_server, database_url, tmp_path
):
    import flask_migrate

    from ..conftest import reset_postgres

    if database_url == "sqlite://":
        database_url = f"sqlite:///{tmp_path / 'upgraded.db'}"
    app = make_app(SQLALCHEMY_DATABASE_URI=database_url, **smtp_server.app_config)
    link = "http://conference.test/registration/an-old-token-minted-at-enqueue"
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            reset_postgres()
        else:
            db.drop_all()
        flask_migrate.upgrade(revision="0004_staff_accounts")
        insert = sa.text(
            "INSERT INTO outbox_message (idempotency_key, kind, recipient, recipient_name,"
            " language, subject, text_body, html_body, calendar, calendar_method, attachments,"
            " headers, forget_after_sending, message_id, status, attempts, next_attempt_at,"
            " created_at, sent_at) VALUES (:key, 'registration.manage_link', :to, 'Layla',"
            " 'en', 'Your link', :text, '<p>link</p>', NULL, NULL, '[]', '{}', :false, :id,"
            " :status, 0, '2026-01-01', '2026-01-01', NULL)"
        )
        for n, status in enumerate(("sent", "pending")):
            db.session.execute(
                insert,
                {
                    "key": f"old:{n}",
                    "to": f"old{n}@example.org",
                    "text": f"Your link: {link}",
                    "false": False,
                    "id": f"<old{n}@conference.test>",
                    "status": status,
                },
            )
        db.session.commit()

        flask_migrate.upgrade(revision="0008_outbox_intent")
        sent, pending = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        shown = outbox.render_for_display(pending).text
        report = outbox.deliver_pending()
        db.session.refresh(pending)

        assert sent.snapshot == {}  # its rendered message, link included, is gone
        assert "[private link removed]" in shown
        assert link not in shown
        assert report.sent == [pending.id]
        assert smtp_server.mailbox.messages[0].get_body(("plain",)).get_content().strip() == (
            f"Your link: {link}"
        )
        assert pending.snapshot == {}  # dropped once sent
        assert pending.subject == "Your link"
        db.session.remove()


def test_flask_outbox_show_prints_the_message_with_its_private_link_removed(
    journey_app, register_one
):
    register_one()
    row = db.session.scalars(sa.select(OutboxMessage)).one()

    shown = journey_app.test_cli_runner().invoke(args=["outbox", "show", str(row.id)])

    assert shown.exit_code == 0, shown.output
    assert "Subject: You are registered for For Syria" in shown.output
    assert "[private link removed]" in shown.output
    assert "/registration/" not in shown.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ManageToken)) == 0


def test_a_link_rendered_before_an_address_correction_does_not_work_after_it(
    journey_app, register_one
):
    registration = register_one()
    row = db.session.scalars(sa.select(OutboxMessage)).one()
    rendering = outbox.Rendering()
    [token] = LINK.findall(outbox.render(row, rendering).text)  # rendered for the old address
    db.session.rollback()

    staff_services.correct_email(registration, "layla.new@example.org")  # commits meanwhile
    database.begin_write()
    rendering.write()
    db.session.commit()

    assert queries.find_by_token(token) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ManageToken)) == 0


def test_a_batch_reads_its_registrations_in_one_query_and_each_message_is_its_own(
    journey_app, smtp_server
):
    conference = content.get_conference("for-syria")
    people = [
        services.register_attendee(
            conference,
            email=f"batch{n}@example.org",
            full_name=f"Batch Person {n}",
            track_keys=["arts"],
            language="en",
            privacy_accepted=True,
        ).registration
        for n in range(4)
    ]
    expected = {p.email: (p.full_name, p.ics_uid) for p in people}
    reads = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT") and re.search(
            r"\bFROM registration\b", statement
        ):
            reads.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        claimed = outbox.claim_batch(10)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)

    assert len(claimed) == 4
    assert len(reads) == 1  # not one a message
    for item in claimed:
        [address] = item.message.recipients
        name, uid = expected[address]
        assert name in item.message.body
        [invite] = [a for a in item.message.attachments if a.filename == "invite.ics"]
        assert f"UID:{uid}" in invite.data.decode()
