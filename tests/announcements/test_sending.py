"""Bulk email, sending: each recipient in their language, the segment, unsubscribed people
left out, queueing in batches that resume, and several processes at once."""

import copy
import multiprocessing
import re

import sqlalchemy as sa

from conference import create_app
from conference.announcements import queries, services, unsubscribe
from conference.announcements.models import Broadcast
from conference.audit import AuditEvent
from conference.content import services as content
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.registration import seats
from conference.registration import services as registrations
from conference.registration.models import Registration
from conference.registration.queries import Filters

from .helpers import TEXTS, broadcast_messages

# ---------------------------------------------------------------------------------------
# Who gets what


def test_each_recipient_gets_their_own_language(attendee, draft):
    arabic, english = attendee("ar"), attendee("en")
    broadcast = draft()

    assert services.send_broadcast(broadcast) is True

    messages = {m.recipient: m for m in broadcast_messages(broadcast)}
    ar, en = messages[arabic.email], messages[english.email]
    assert (ar.language, ar.subject) == ("ar", TEXTS["subject"]["ar"])
    assert (en.language, en.subject) == ("en", TEXTS["subject"]["en"])
    assert 'lang="ar" dir="rtl"' in ar.html_body
    assert "تبدأ الجلسة الأولى" in ar.text_body
    assert "first session" not in ar.text_body
    assert "The first session starts at ten." in en.text_body
    assert ar.recipient_name == arabic.full_name
    assert ar.idempotency_key == f"broadcast:{broadcast.id}:{arabic.id}"
    assert broadcast.recipients == broadcast.queued == 2
    assert broadcast.queued_at is not None


def test_segment_filters_choose_the_recipients(attendee, draft, conference):
    seats.set_capacity(next(t for t in conference.tracks if t.key == "arts"), 1)
    seated = attendee(tracks=["arts"])
    waiting = attendee(tracks=["arts"])
    attendee(tracks=["social"])
    cancelled = attendee(tracks=["arts"])
    registrations.cancel_registration(cancelled)
    broadcast = draft(Filters(track="arts", status="waitlisted"))

    services.send_broadcast(broadcast)

    assert [m.recipient for m in broadcast_messages(broadcast)] == [waiting.email]
    assert seated.email not in {m.recipient for m in broadcast_messages(broadcast)}


def test_announcements_skip_people_who_unsubscribed(attendee, draft):
    stays = attendee()
    left = attendee()
    services.set_announcements(left, wanted=False)
    broadcast = draft()

    services.send_broadcast(broadcast)

    assert [m.recipient for m in broadcast_messages(broadcast)] == [stays.email]


def test_essential_messages_reach_everyone_without_an_unsubscribe_link(attendee, draft):
    stays = attendee()
    left = attendee()
    services.set_announcements(left, wanted=False)
    broadcast = draft(essential=True)

    services.send_broadcast(broadcast)

    messages = broadcast_messages(broadcast)
    assert {m.recipient for m in messages} == {stays.email, left.email}
    for message in messages:
        assert "List-Unsubscribe" not in message.headers
        assert "/unsubscribe/" not in message.text_body + message.html_body
        assert "It is about your registration" in message.text_body


def test_announcements_carry_a_working_unsubscribe_link_for_their_recipient(
    client, attendee, draft
):
    first, second = attendee(), attendee("ar")
    broadcast = draft()
    services.send_broadcast(broadcast)

    for registration, message in zip((first, second), broadcast_messages(broadcast), strict=True):
        link = re.search(
            r"<(http://conference\.test/unsubscribe/[^>]+)>", message.headers["List-Unsubscribe"]
        )[1]
        assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert link in message.text_body
        assert f'href="{link}"' in message.html_body
        token = link.rsplit("/", 1)[1]
        assert unsubscribe.find_by_unsubscribe_token(token).id == registration.id


def test_queueing_writes_one_complete_row_per_recipient_and_no_one_else(attendee, draft):
    arabic, english, other = attendee("ar"), attendee("en"), attendee("en")
    unsubscribed, cancelled = attendee(), attendee()
    services.set_announcements(unsubscribed, wanted=False)
    registrations.cancel_registration(cancelled)
    other.language = "fr"  # none of ours: announcements in English
    db.session.commit()
    broadcast = draft()

    services.send_broadcast(broadcast)

    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast.id)
        .order_by(OutboxMessage.registration_id)
    ).all()
    people = (arabic, english, other)
    assert [(r.registration_id, r.recipient, r.recipient_name) for r in rows] == [
        (p.id, p.email, p.full_name) for p in people
    ]
    assert [r.language for r in rows] == ["ar", "en", "en"]
    assert [r.idempotency_key for r in rows] == [f"broadcast:{broadcast.id}:{p.id}" for p in people]
    for row in rows:
        assert (row.kind, row.status, row.attempts, row.snapshot) == (
            "broadcast.announcement",
            MessageStatus.pending,
            0,
            {},
        )
        assert not row.forget_after_sending
        assert row.next_attempt_at == row.created_at
        assert re.fullmatch(r"<[0-9a-f]{32}\.\d+@conference\.test>", row.message_id)
    assert len({r.message_id for r in rows}) == 3
    assert broadcast.queued == broadcast.recipients == 3


def test_queueing_the_same_recipients_again_adds_nothing(attendee, draft, conference):
    people = [attendee() for _ in range(3)]
    broadcast = draft()
    services.send_broadcast(broadcast)
    segment = queries.recipients_query(conference, Filters(), essential=False).with_only_columns(
        Registration.id,
        Registration.email,
        Registration.full_name,
        queries.recipient_language_column(),
    )

    again = outbox.enqueue_select(
        segment, kind="broadcast.announcement", key_prefix=f"broadcast:{broadcast.id}:"
    )  # as a batch whose cursor was lost would
    db.session.commit()

    assert again == 0
    assert [m.recipient for m in broadcast_messages(broadcast)] == [p.email for p in people]


def test_batches_count_what_they_queue(monkeypatch, attendee, draft):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    for _ in range(5):
        attendee()
    broadcast = draft()
    counts = []

    services.start_sending(broadcast)
    services.queue_broadcast(broadcast, progress=counts.append)

    assert counts == [2, 2, 1]
    assert broadcast.queued == broadcast.recipients == 5
    assert len(broadcast_messages(broadcast)) == 5


def test_sending_twice_queues_nothing_twice(client, login_as, attendee, draft):
    login_as("organizer")
    for _ in range(3):
        attendee()
    broadcast = draft()

    client.post(f"/manage/email/{broadcast.id}/send")
    client.post(f"/manage/email/{broadcast.id}/send")
    services.send_broadcast(broadcast)
    services.queue_broadcast(broadcast)

    assert len(broadcast_messages(broadcast)) == 3
    assert db.session.get(Broadcast, broadcast.id).queued == 3
    events = db.session.scalars(sa.select(AuditEvent).filter_by(action="bulk_email.sent"))
    assert len(list(events)) == 1


def test_queueing_resumes_where_it_stopped(monkeypatch, attendee, draft):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    people = [attendee() for _ in range(5)]
    broadcast = draft()

    first = services.send_broadcast(broadcast, seconds=0)  # one batch, then stop
    progress = (broadcast.queued, broadcast.is_queueing)
    late = attendee()  # registered after sending started: not part of this email
    second = services.queue_broadcast(broadcast)

    assert first is False
    assert progress == (2, True)
    assert second is True
    assert [m.recipient for m in broadcast_messages(broadcast)] == [p.email for p in people]
    assert late.email not in {m.recipient for m in broadcast_messages(broadcast)}
    assert (broadcast.queued, broadcast.recipients) == (5, 5)


def test_a_half_queued_email_offers_to_queue_the_rest(
    monkeypatch, client, login_as, attendee, draft
):
    monkeypatch.setattr(services, "BATCH_SIZE", 1)
    login_as("organizer")
    attendee(), attendee()
    broadcast = draft()
    client.application.config["BULK_EMAIL_REQUEST_SECONDS"] = 0

    sent = client.post(f"/manage/email/{broadcast.id}/send", follow_redirects=True)
    resumed = client.post(f"/manage/email/{broadcast.id}/send", follow_redirects=True)

    assert "1 of 2 messages are in the outbox" in sent.get_data(as_text=True)
    assert "Queue the rest" in sent.get_data(as_text=True)
    assert "2 messages were queued" in resumed.get_data(as_text=True)
    assert len(broadcast_messages(broadcast)) == 2


def test_the_cli_finishes_queueing(monkeypatch, runner, attendee, draft):
    monkeypatch.setattr(services, "BATCH_SIZE", 1)
    attendee(), attendee(), attendee()
    broadcast = draft()
    services.send_broadcast(broadcast, seconds=0)

    result = runner.invoke(args=["broadcast", "queue", str(broadcast.id)])
    missing = runner.invoke(args=["broadcast", "queue", "999"])

    assert result.exit_code == 0, result.output
    assert "3 messages queued" in result.output
    assert len(broadcast_messages(broadcast)) == 3
    assert missing.exit_code != 0


def test_delivery_status_counts_the_outbox(attendee, draft):
    for _ in range(3):
        attendee()
    broadcast = draft()
    services.send_broadcast(broadcast)
    first, second, _third = broadcast_messages(broadcast)
    first.row.status = MessageStatus.sent
    second.row.status = MessageStatus.failed
    db.session.commit()

    status = queries.delivery_status(broadcast)

    assert (status.waiting, status.sent, status.failed) == (1, 1, 1)


# ---------------------------------------------------------------------------------------
# Several processes at once (a double click reaching two app servers)


def _send_in_process(config, broadcast_id, batch_size):
    services.BATCH_SIZE = batch_size
    app = create_app(config)
    with app.app_context():
        try:
            services.send_broadcast(db.session.get(Broadcast, broadcast_id))
        except Exception as exc:  # reported to the test, which expects none
            return repr(exc)
        finally:
            db.session.remove()
            db.engine.dispose()
    return None


def test_concurrent_sends_queue_each_message_once(make_app, tmp_path, content_data):
    app = make_app()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url == "sqlite://":  # processes share a file, as the embedded default does
        url = f"sqlite:///{tmp_path / 'bulk.db'}"
        app = make_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        content.load_content(copy.deepcopy(content_data))
        conference = content.get_conference(app.config["CONFERENCE_SLUG"])
        people = [
            registrations.register_attendee(
                conference,
                email=f"many{n}@example.org",
                full_name=f"Person {n}",
                track_keys=["social"],
                language="ar" if n % 2 else "en",
                privacy_accepted=True,
            ).registration.id
            for n in range(40)
        ]
        broadcast_id = services.save_draft(conference, **TEXTS, filters=Filters()).id
        config = {key: app.config[key] for key in ("TESTING", "SECRET_KEY", "BASE_URL")}
        config |= {"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"}
        db.session.remove()
        db.engine.dispose()

    context = multiprocessing.get_context("fork")
    with context.Pool(3) as pool:
        jobs = [pool.apply_async(_send_in_process, (config, broadcast_id, 3)) for _ in range(3)]
        errors = [job.get(timeout=120) for job in jobs]

    with app.app_context():
        broadcast = db.session.get(Broadcast, broadcast_id)
        keys = [message.idempotency_key for message in broadcast_messages(broadcast)]
        events = db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "bulk_email.sent")
        )
        result = (broadcast.queued, broadcast.recipients, broadcast.queued_at is not None)
        db.session.remove()
        db.engine.dispose()
    assert errors == [None, None, None]
    assert sorted(keys) == sorted(f"broadcast:{broadcast_id}:{rid}" for rid in people)
    assert result == (40, 40, True)
    assert events == 1
