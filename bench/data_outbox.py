"""Delivery of 10,000 emails by the outbox against plain smtplib (``data.py``).

An aiosmtpd server in a process of its own counts what it receives; the product's
delivery and the baseline run in fresh processes (see ``data.py``).
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime

from data_workers import (
    ROOT,
    SCRIPT,
    create_app,
    database_kind,
    log,
    make_workdir,
    peak_mib,
    profile_path,
    profiled,
    run_worker,
)

# Deliveries per second, as a share of plain smtplib's doing the same work: building the
# same messages (``outbox.render`` and ``build_message``, timed) and sending them over one
# connection. Sending alone, bytes built beforehand, is reported beside it.
OUTBOX_TARGET = 0.8

# The benchmark's messages are due at this time, and delivered "as of" one second later.
EPOCH = datetime(2001, 1, 1)
SAMPLE_EMAILS = 50  # distinct confirmations (registrations), repeated to make up the count


def measure_outbox(database_url, messages=10_000, workdir=None, *, profile=None):
    """Deliver ``messages`` queued emails with the product and with plain smtplib; compare.

    Both send to the same local aiosmtpd server, which must receive each message exactly
    once on each side. The benchmark's rows are deleted afterwards. ``profile``: a folder
    for cProfile output of the product's delivery (slower).

    Returns one result dict.
    """
    kind = database_kind(database_url)
    workdir = make_workdir(workdir, f"outbox-{kind}")
    run = uuid.uuid4().hex[:8]
    port = _free_port()
    log(f"outbox on {kind}: SMTP server on 127.0.0.1:{port}, run {run}")
    with SMTPServerProcess(port) as server:
        try:
            queued = run_worker("outbox-queue", database_url, run=run, messages=messages)
            log(
                f"queued {queued['queued']} messages ({queued['distinct']} registrations' "
                f"confirmations, repeated) in {queued['seconds']:.1f} s"
            )
            baseline = run_worker(
                "smtplib",
                database_url,
                run=run,
                port=port,
                spool=str(workdir / f"messages-{kind}-{run}.bin"),
            )
            sent_by_smtplib = server.stats(reset=True)
            log(
                f"smtplib: {baseline['messages']} in {baseline['seconds']:.2f} s "
                f"(built beforehand in {baseline['build_seconds']:.2f} s)"
            )
            product = run_worker(
                "outbox-deliver",
                database_url,
                run=run,
                port=port,
                profile=profile_path(profile, f"outbox-{kind}"),
                extra_env=_mail_env(port),
            )
            sent_by_product = server.stats(reset=True)
            log(f"deliver_pending: {product['sent']} in {product['seconds']:.2f} s")
        finally:
            run_worker("outbox-cleanup", database_url, run=run)

    per_second = messages / product["seconds"]
    baseline_per_second = messages / baseline["seconds"]
    ratio = per_second / baseline_per_second
    # The same work as the product minus the outbox: read the rows, build, send.
    with_build = messages / (baseline["seconds"] + baseline["build_seconds"])
    exactly_once = all(
        stats["count"] == messages and stats["unique_message_ids"] == messages
        for stats in (sent_by_smtplib, sent_by_product)
    ) and product["statuses"] == {"sent": messages}
    if not exactly_once:
        log(
            f"counts do not match: smtplib {sent_by_smtplib}, product {sent_by_product}, "
            f"rows {product['statuses']}"
        )
    return [
        {
            "figure": "outbox delivery",
            "database": kind,
            "messages": messages,
            "seconds": product["seconds"],
            "per_second": per_second,
            "baseline_seconds": baseline["seconds"],
            "baseline_per_second": baseline_per_second,
            "ratio": ratio,
            "build_and_send_per_second": with_build,
            "ratio_to_build_and_send": per_second / with_build,
            "mean_message_bytes": sent_by_product["bytes"] / max(sent_by_product["count"], 1),
            "received": sent_by_product["count"],
            "baseline_received": sent_by_smtplib["count"],
            "exactly_once": exactly_once,
            "batch_size": product["batch_size"],
            "peak_mb": product["peak_mb"],
            "target": f"≥ {OUTBOX_TARGET} of build + smtplib",
            "met": bool(exactly_once and per_second / with_build >= OUTBOX_TARGET),
            "profiled": bool(profile),
        }
    ]


def _mail_env(port):
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_USE_TLS": "false",
        "MAIL_USE_SSL": "false",
        "MAIL_TIMEOUT": "30",
    }


class SMTPServerProcess:
    """The counting SMTP server, in a process of its own (not sharing the client's GIL)."""

    def __init__(self, port):
        self.port = port
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), "worker", "smtp-server", json.dumps({"port": self.port})],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.process.kill()
            raise RuntimeError(f"the SMTP server did not start: {line!r}")
        return self

    def stats(self, *, reset=False):
        self.process.stdin.write("reset\n" if reset else "stats\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def __exit__(self, *exc):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port():
    with socket.socket() as probe:  # aiosmtpd cannot bind port 0 (aio-libs/aiosmtpd#276)
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _bench_rows(run):
    from conference.mailer.models import OutboxMessage

    return OutboxMessage.idempotency_key.like(f"bench:{run}:%")


def worker_outbox_queue(run, messages):
    import dataclasses

    import sqlalchemy as sa

    app = create_app()
    with app.app_context():
        from conference.extensions import db
        from conference.mailer import outbox
        from conference.mailer.models import OutboxMessage

        started = time.perf_counter()
        emails = _sample_emails(SAMPLE_EMAILS)
        db.session.commit()  # the check-in codes of the QR codes, made as a seat is given
        queued = 0
        for start in range(0, messages, 1000):
            batch = []
            for number in range(start, min(start + 1000, messages)):
                email = emails[number % len(emails)]
                local, _at, domain = email.recipient.partition("@")
                recipient = f"{local}+bench{number}@{domain or 'example.org'}"
                batch.append(
                    (f"bench:{run}:{number}", dataclasses.replace(email, recipient=recipient))
                )
            queued += outbox.enqueue_many(batch)
            db.session.commit()
        db.session.execute(
            sa.update(OutboxMessage)
            .where(_bench_rows(run))
            .values(next_attempt_at=EPOCH, created_at=EPOCH)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        seconds = time.perf_counter() - started
    return {"queued": queued, "distinct": len(emails), "seconds": seconds}


def _sample_emails(count):
    """Registration confirmations of up to ``count`` people, half in each language."""
    import sqlalchemy as sa

    from conference.extensions import db
    from conference.registration import emails
    from conference.registration.models import Place, PlaceStatus, Registration

    with_seat = sa.exists().where(
        Place.registration_id == Registration.id, Place.status == PlaceStatus.confirmed
    )
    people = []
    for language in ("ar", "en"):
        people += db.session.scalars(
            sa.select(Registration)
            .where(Registration.status == "active", Registration.language == language, with_seat)
            .order_by(Registration.id)
            .limit(count // 2)
        ).all()
    if not people:  # no seats given yet: confirmations without an invitation
        people = db.session.scalars(
            sa.select(Registration).where(Registration.status == "active").limit(count)
        ).all()
    if people:
        return [emails.confirmation(person) for person in people]
    log("no registrations: queueing the bilingual sample message of `flask mail test`")
    from conference.mailer import outbox, samples

    return [
        outbox.Intent(
            kind=samples.KIND,
            recipient="bench.sample@example.org",
            language="ar",
            snapshot={"uid": str(uuid.uuid4())},
        )
    ]


def worker_smtplib(run, port, spool):
    """Build the queued messages with ``build_message`` (untimed), then send them with smtplib."""
    import smtplib

    import sqlalchemy as sa
    from flask_mail import sanitize_address, sanitize_addresses

    app = create_app()
    with app.app_context():
        from conference.extensions import db
        from conference.mailer import outbox
        from conference.mailer.models import OutboxMessage

        count = 0
        building = time.perf_counter()
        with open(spool, "wb") as handle:
            rows = db.session.scalars(
                sa.select(OutboxMessage).where(_bench_rows(run)).order_by(OutboxMessage.id)
            )
            rendering = outbox.Rendering()  # its link hashes are not written: untimed build
            for row in rows:
                message = outbox.build_message(row, outbox.render(row, rendering))
                message.date = time.time()
                envelope = json.dumps(
                    [
                        sanitize_address(message.sender),
                        list(sanitize_addresses(message.send_to)),
                    ]
                ).encode()
                data = message.as_bytes()
                handle.write(f"{len(envelope)} {len(data)}\n".encode())
                handle.write(envelope + data)
                count += 1
        db.session.rollback()
        build_seconds = time.perf_counter() - building

    with open(spool, "rb") as handle:
        started = time.perf_counter()
        connection = smtplib.SMTP("127.0.0.1", port, timeout=30)
        for _number in range(count):
            envelope_size, data_size = map(int, handle.readline().split())
            sender, recipients = json.loads(handle.read(envelope_size))
            connection.sendmail(sender, recipients, handle.read(data_size))
        connection.quit()
        seconds = time.perf_counter() - started
    os.unlink(spool)
    return {"messages": count, "seconds": seconds, "build_seconds": build_seconds}


def worker_outbox_deliver(run, port, profile=None):
    """One delivery pass, as `flask outbox deliver` and each `flask outbox work` pass make."""
    from datetime import timedelta

    import sqlalchemy as sa

    app = create_app()
    with app.app_context():
        from conference.extensions import db
        from conference.mailer import outbox
        from conference.mailer.models import OutboxMessage

        started = time.perf_counter()
        report = profiled(profile, lambda: outbox.deliver_pending(now=EPOCH + timedelta(seconds=1)))
        seconds = time.perf_counter() - started
        statuses = dict(
            db.session.execute(
                sa.select(OutboxMessage.status, sa.func.count())
                .where(_bench_rows(run))
                .group_by(OutboxMessage.status)
            ).all()
        )
        batch_size = app.config["OUTBOX_BATCH_SIZE"]
    return {
        "seconds": seconds,
        "sent": len(report.sent),
        "retrying": len(report.retrying),
        "failed": len(report.failed),
        "statuses": {status.value: count for status, count in statuses.items()},
        "batch_size": batch_size,
        "peak_mb": peak_mib(),
    }


def worker_outbox_cleanup(run):
    import sqlalchemy as sa

    app = create_app()
    with app.app_context():
        from conference.extensions import db
        from conference.mailer.models import OutboxMessage

        deleted = db.session.execute(
            sa.delete(OutboxMessage)
            .where(_bench_rows(run))
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    return {"deleted": deleted}


def worker_smtp_server(port):
    """Accept mail on ``port``, count it, and answer ``stats``/``reset`` lines on stdin."""
    from aiosmtpd.controller import Controller

    message_id = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)

    class Counter:
        def __init__(self):
            self.reset()

        def reset(self):
            self.count = 0
            self.bytes = 0
            self.recipients = 0
            self.ids = set()

        async def handle_DATA(self, server, session, envelope):
            content = envelope.content
            self.count += 1
            self.bytes += len(content)
            self.recipients += len(envelope.rcpt_tos)
            found = message_id.search(content, 0, content.find(b"\r\n\r\n"))
            if found:
                self.ids.add(found[1])
            return "250 2.0.0 OK queued"

        def stats(self):
            return {
                "count": self.count,
                "bytes": self.bytes,
                "recipients": self.recipients,
                "unique_message_ids": len(self.ids),
            }

    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            stats = counter.stats()
            if line.strip() == "reset":
                counter.reset()
            print(json.dumps(stats), flush=True)
    finally:
        controller.stop()
