"""The mail server misbehaves during a burst of registrations: every registration is
saved, and every confirmation reaches the server exactly once in the end.

Visitors post the real registration form from several threads (each its own client)
against a database several connections share (an SQLite file, as the embedded default
runs; PostgreSQL when ``TEST_DATABASE_URL`` is set), while a deliverer thread runs the
loop of ``flask outbox work`` against a real SMTP server on loopback. The test moves the
server through its phases as the burst progresses, not by the clock: it opens the next
block of registrations only once the previous block is saved and the deliverer has met
the current fault (a slow answer, a 451, a refused connection, mail accepted again).
Then the outbox is drained, with the clock moved past the back-off, as later passes of
the deliverer would.

A slow server must not make deliverers send twice either: a second deliverer takes a
claim whose lease ran out for abandoned, so a deliverer still working through a slow
batch renews its lease (third test; before that fix, it re-sent the tail of the batch).

The last test documents the one duplicate delivery cannot avoid: a server that keeps a
message but answers only after the client has given up receives it again on the retry,
with the same Message-ID, by which receiving systems drop the second copy.
"""

import asyncio
import copy
import re
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from conference.clock import utcnow
from conference.content import services as content
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.registration.models import PlaceStatus, Registration

from ..conftest import Mailbox, SMTPServer

REGISTRATIONS = 50
VISITORS = 5  # threads, each with its own test client
BLOCK = 10  # registrations posted during each of the five phases
TRACKS = ["cultural", "arts"]
MAIL_TIMEOUT = 3.0
SLOW = 0.2  # seconds the server waits before answering DATA: well below MAIL_TIMEOUT
FAILURES = 4  # DATA commands answered 451 in the failing phase
PATIENCE = 60.0  # seconds before a phase that never happens fails the test (busy machines)


class CountingMailbox(Mailbox):
    """conftest's Mailbox, which also counts its slow answers and can die mid-connection.

    With ``hang_on_second`` set, the second message of a connection is never answered:
    ``hanging`` is set, and the answer waits until the server is stopped (the message is
    not kept), as when a server goes down in the middle of a batch.
    """

    def __init__(self):
        super().__init__()
        self.slow_answers = 0
        self.hang_on_second = False
        self.hanging = threading.Event()
        self.accepted_on = Counter()  # connection (client address): messages accepted

    async def handle_DATA(self, server, session, envelope):
        if self.hang_on_second and self.accepted_on[session.peer] >= 1:
            self.hang_on_second = False
            self.hanging.set()
            await asyncio.sleep(PATIENCE)  # cancelled when the server stops
        slow = bool(self.delay)
        answer = await super().handle_DATA(server, session, envelope)
        if slow:
            self.slow_answers += 1
        if answer.startswith("250"):
            self.accepted_on[session.peer] += 1
        return answer


class StoresThenStalls(Mailbox):
    """A server that keeps the message as soon as DATA ends, then answers ``stall`` late.

    As a real one may (a slow spam scan, a disk that stalls after the queue file is
    written): the message is on its way even if the client stops waiting for the 250.
    """

    def __init__(self):
        super().__init__()
        self.stall = 0.0

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        if self.stall:
            await asyncio.sleep(self.stall)
        return "250 2.0.0 OK queued"


def make_server(mailbox):
    server = SMTPServer()
    server.mailbox = mailbox
    server.start()
    return server


@pytest.fixture
def mail_server():
    server = make_server(CountingMailbox())
    yield server
    server.stop()


@pytest.fixture
def stalling_server():
    server = make_server(StoresThenStalls())
    yield server
    server.stop()


def later(hours):
    return utcnow() + timedelta(hours=hours)


def form(n):
    """The registration form as visitor ``n`` fills it in."""
    return {
        "full_name": f"Visitor {n}",
        "email": f"visitor{n}@example.org",
        "phone": "+1 202 555 0143",
        "city": "Houston",
        "region": "Texas",
        "language": "ar" if n % 2 else "en",
        "tracks": TRACKS,
        "needs": "",
        "privacy": "y",
        "submission_id": f"mail-faults-submission-{n:04d}",
    }


def wait_until(condition, what):
    """Wait (polling) until ``condition()`` holds; fail after PATIENCE seconds."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


class Burst:
    """Visitors take numbered tickets; ticket ``n`` is posted once the test opens it."""

    def __init__(self, app):
        self.app = app
        self.changed = threading.Condition()
        self.next_ticket = 0
        self.opened = 0
        self.answers = {}  # ticket: status code of the POST
        self.errors = []
        self.threads = [
            threading.Thread(target=self.visitor, name=f"visitor-{n}") for n in range(VISITORS)
        ]

    def start(self):
        for thread in self.threads:
            thread.start()

    def open_until(self, count):
        with self.changed:
            self.opened = count
            self.changed.notify_all()

    def wait_answered(self, count):
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.answers) >= count, PATIENCE):
                pytest.fail(f"only {len(self.answers)} of {count} registrations were answered")

    def join(self):
        self.open_until(REGISTRATIONS)  # lets every visitor finish, even after a failure
        for thread in self.threads:
            thread.join(PATIENCE)
        assert not any(thread.is_alive() for thread in self.threads)

    def take_ticket(self):
        with self.changed:
            if self.next_ticket >= REGISTRATIONS:
                return None
            ticket = self.next_ticket
            self.next_ticket += 1
            self.changed.wait_for(lambda: ticket < self.opened)
            return ticket

    def visitor(self):
        client = self.app.test_client()
        while (ticket := self.take_ticket()) is not None:
            try:
                status = client.post("/register", data=form(ticket)).status_code
            except Exception as exc:  # reported to the test, which expects none
                self.errors.append(repr(exc))
                status = None
            with self.changed:
                self.answers[ticket] = status
                self.changed.notify_all()


class Deliverer:
    """A thread running what ``flask outbox work`` runs: delivery passes until stopped.

    ``paused()`` holds it between two passes, as the worker's interval (5 s by default)
    does, so that messages pile up for the next pass's batch.
    """

    INTERVAL = 0.05

    def __init__(self, app):
        self.app = app
        self.stopping = threading.Event()
        self.between_passes = threading.Lock()
        self.errors = []
        self.thread = threading.Thread(target=self.work, name="deliverer")

    def start(self):
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.thread.join(PATIENCE)
        assert not self.thread.is_alive()

    @contextmanager
    def paused(self):
        with self.between_passes:
            yield

    def work(self):
        with self.app.app_context():
            while not self.stopping.is_set():
                with self.between_passes:
                    try:
                        outbox.deliver_pending()
                    except Exception as exc:  # `work` logs and goes on; the test wants none
                        self.errors.append(repr(exc))
                        db.session.rollback()
                self.stopping.wait(self.INTERVAL)
            db.session.remove()


def count_messages(app, condition):
    """How many messages meet ``condition`` now (a transaction of its own each time)."""
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage).where(condition)
        )
        db.session.remove()
    return count


def refused_messages(app):
    """How many messages wait after the deliverer found the server's port closed."""
    return count_messages(app, OutboxMessage.last_error.startswith("ConnectionRefusedError"))


def sent_messages(app):
    return count_messages(app, OutboxMessage.status == MessageStatus.sent)


@pytest.fixture
def make_site(make_app, database_url, tmp_path, content_data, mail_server):
    """Return a function making the app on a database several connections share, mail
    going to ``mail_server``, with the conference loaded."""

    def _make_site(**config):
        url = database_url
        if url.startswith("sqlite"):  # threads share a file, as the embedded default does
            url = f"sqlite:///{tmp_path / 'mail-faults.db'}"
        app = make_app(
            SQLALCHEMY_DATABASE_URI=url,
            **{**mail_server.app_config, "MAIL_TIMEOUT": MAIL_TIMEOUT, **config},
        )
        with app.app_context():
            content.load_content(copy.deepcopy(content_data))
            db.session.remove()
        return app

    return _make_site


@pytest.fixture
def site(make_site):
    # Short passes, so that claims interleave with the registrations.
    return make_site(OUTBOX_BATCH_SIZE=5)


def test_mail_faults_during_a_burst_lose_and_duplicate_nothing(site, mail_server):
    mailbox = mail_server.mailbox
    burst, deliverer = Burst(site), Deliverer(site)

    def post(count, then, what):
        """Let registrations run up to ``count``; wait for them and for ``then()``."""
        burst.open_until(count)
        burst.wait_answered(count)
        wait_until(then, what)

    deliverer.start()
    burst.start()
    try:
        # Normal.
        post(BLOCK, lambda: mailbox.envelopes, "a first message delivered")
        # Slow: each answer takes SLOW seconds, well within MAIL_TIMEOUT.
        mailbox.delay = SLOW
        post(2 * BLOCK, lambda: mailbox.slow_answers >= 3, "slow answers")
        # Failing: the next DATA commands are answered 451.
        mailbox.delay = 0.0
        mailbox.temporary_failures = FAILURES
        post(3 * BLOCK, lambda: mailbox.temporary_failures == 0, "the 451 answers")
        # Down, in the middle of a batch: a pass claims several messages, the first is
        # accepted, and the server goes away while the second waits for its answer.
        with deliverer.paused():
            mailbox.hang_on_second = True
            burst.open_until(3 * BLOCK + 2)
            burst.wait_answered(3 * BLOCK + 2)
        wait_until(mailbox.hanging.is_set, "a connection in the middle of a batch")
        mail_server.stop()
        post(4 * BLOCK, lambda: refused_messages(site) > 0, "a refused connection")
        # Up again.
        received_while_up = len(mailbox.envelopes)
        mail_server.start()
        post(5 * BLOCK, lambda: len(mailbox.envelopes) > received_while_up, "delivery again")
    finally:
        burst.join()
        deliverer.stop()
        if mail_server.controller is None:  # a failed phase left it down
            mail_server.start()

    with site.app_context():
        passes = 0
        while outbox.counts()[MessageStatus.pending] and passes < 10:
            passes += 1  # each pass later than any back-off the previous one set
            outbox.deliver_pending(now=later(hours=3 * passes))

        registrations = list(db.session.scalars(sa.select(Registration).order_by(Registration.id)))
        messages = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        counts = outbox.counts()

        assert burst.errors == []
        assert deliverer.errors == []
        assert burst.answers == {n: 303 for n in range(REGISTRATIONS)}
        # Every registration saved, with a confirmed seat in each chosen track.
        assert sorted(r.email for r in registrations) == sorted(
            form(n)["email"] for n in range(REGISTRATIONS)
        )
        for registration in registrations:
            places = {(p.track.key, p.status) for p in registration.places}
            assert places == {(key, PlaceStatus.confirmed) for key in TRACKS}
        # One confirmation per registration, each sent, none failed or still waiting.
        assert sorted((m.kind, m.idempotency_key) for m in messages) == sorted(
            ("registration.confirmation", f"registration:{r.id}:new") for r in registrations
        )
        assert counts == {**dict.fromkeys(MessageStatus, 0), MessageStatus.sent: len(messages)}
        # The faults really happened: the 451s, the broken connection and a refused one
        # each cost a message an attempt.
        assert sum(m.attempts for m in messages) - len(messages) >= FAILURES + 2
        message_ids = {m.message_id for m in messages}
        db.session.remove()

    # The server received each confirmation exactly once.
    received = mailbox.messages
    recipients = Counter(rcpt for envelope in mailbox.envelopes for rcpt in envelope.rcpt_tos)
    assert recipients == Counter(form(n)["email"] for n in range(REGISTRATIONS))
    assert len(received) == REGISTRATIONS
    assert {message["Message-ID"] for message in received} == message_ids
    assert len(message_ids) == REGISTRATIONS


def test_two_deliverers_and_a_batch_slower_than_the_lease_send_each_message_once(
    make_site, mail_server
):
    lease = 2  # seconds; the batch takes at least messages * SLOW = 3 s
    messages = 15
    app = make_site(OUTBOX_LEASE_SECONDS=lease, OUTBOX_BATCH_SIZE=messages)
    client = app.test_client()
    answers = [client.post("/register", data=form(n)).status_code for n in range(messages)]
    mail_server.mailbox.delay = SLOW
    deliverers = [Deliverer(app), Deliverer(app)]  # two `flask outbox work` processes

    for deliverer in deliverers:
        deliverer.start()
    try:
        wait_until(lambda: sent_messages(app) == messages, "every message sent")
    finally:
        for deliverer in deliverers:
            deliverer.stop()

    recipients = Counter(
        rcpt for envelope in mail_server.mailbox.envelopes for rcpt in envelope.rcpt_tos
    )
    assert answers == [303] * messages
    assert [deliverer.errors for deliverer in deliverers] == [[], []]
    assert recipients == Counter(form(n)["email"] for n in range(messages))


def test_a_server_answering_after_the_timeout_gets_a_second_copy_with_the_same_message_id(
    make_app, stalling_server, content_data
):
    app = make_app(**{**stalling_server.app_config, "MAIL_TIMEOUT": 0.5})
    mailbox = stalling_server.mailbox
    with app.app_context():
        content.load_content(copy.deepcopy(content_data))
        answer = app.test_client().post("/register", data=form(1))
        [row] = db.session.scalars(sa.select(OutboxMessage)).all()

        mailbox.stall = 2.0  # keeps the message, answers after the client gave up
        first = outbox.deliver_pending()
        error = row.last_error
        mailbox.stall = 0.0
        second = outbox.deliver_pending(now=later(hours=3))
        third = outbox.deliver_pending(now=later(hours=6))

        assert answer.status_code == 303
        assert first.retrying == [row.id]
        assert "timed out" in error
        assert second.sent == [row.id]
        assert third.claimed == 0
        assert row.status == MessageStatus.sent
        assert row.attempts == 2
    # At least once: the server holds two copies, which say they are one message.
    copies = mailbox.messages
    assert [envelope.rcpt_tos for envelope in mailbox.envelopes] == [[form(1)["email"]]] * 2
    assert [message["Message-ID"] for message in copies] == [row.message_id] * 2
    # Each copy was rendered for its attempt: the same text, each with a link of its own.
    first_text, second_text = (sent.get_body(("plain",)).get_content() for sent in copies)
    link = re.compile(r"/registration/[A-Za-z0-9_-]+")
    assert link.findall(first_text) != link.findall(second_text)
    assert link.sub("<link>", first_text) == link.sub("<link>", second_text)
