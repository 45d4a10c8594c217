"""Queueing a bulk email to every active registration (about 98,000 of 100,000).

The organizer's code path (``announcements.services.send_broadcast``: the audience fixed,
the audit event, then one outbox row per recipient) in a fresh Python process, timed
from the call to the last commit. The database must hold the registrations already
(``flask demo generate``). What is queued is checked: one message per recipient, to each
active registration that has not unsubscribed, and to no one else. The broadcast, its
messages and its audit event are deleted afterwards.
"""

import time

from data_workers import create_app, database_kind, log, peak_mib, run_worker

BULK_TARGET_SECONDS = 3.0


def measure_bulk_queue(database_url):
    """Queue one bulk email to every active, subscribed registration; return one result."""
    kind = database_kind(database_url)
    result = run_worker("bulk-queue", database_url)
    log(
        f"bulk email on {kind}: {result['queued']:,} queued in {result['seconds']:.2f} s "
        f"({result['expected']:,} expected, exactly once: {result['exactly_once']})"
    )
    return [
        {
            "figure": "bulk email queued",
            "database": kind,
            "registrations": result["registrations"],
            "recipients": result["queued"],
            "seconds": result["seconds"],
            "exactly_once": result["exactly_once"],
            "peak_mb": result["peak_mb"],
            "target": f"≤ {BULK_TARGET_SECONDS:g} s",
            "met": bool(result["exactly_once"] and result["seconds"] <= BULK_TARGET_SECONDS),
        }
    ]


def worker_bulk_queue():
    import sqlalchemy as sa

    app = create_app()
    with app.app_context():
        from conference.announcements import services
        from conference.announcements.models import Broadcast
        from conference.audit import AuditEvent
        from conference.content.models import Conference
        from conference.extensions import db
        from conference.mailer.models import OutboxMessage
        from conference.registration.models import Registration, RegistrationStatus
        from conference.registration.queries import Filters

        conference = db.session.scalars(sa.select(Conference).order_by(Conference.id)).first()
        registrations = db.session.scalar(sa.select(sa.func.count(Registration.id)))
        expected = set(
            db.session.scalars(
                sa.select(Registration.id).where(
                    Registration.conference_id == conference.id,
                    Registration.status == RegistrationStatus.active,
                    Registration.announcements_opt_out.is_(False),
                )
            )
        )
        draft = services.save_draft(
            conference,
            subject={"ar": "إعلان", "en": "Announcement"},
            body={"ar": "نص الإعلان", "en": "The announcement"},
            filters=Filters(),
        )
        broadcast_id = draft.id
        db.session.commit()
        started = time.perf_counter()
        services.send_broadcast(draft)
        seconds = time.perf_counter() - started
        queued = db.session.execute(
            sa.select(OutboxMessage.registration_id, sa.func.count())
            .where(OutboxMessage.broadcast_id == broadcast_id)
            .group_by(OutboxMessage.registration_id)
        ).all()
        exactly_once = {rid for rid, _ in queued} == expected and all(n == 1 for _, n in queued)
        db.session.execute(
            sa.delete(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast_id)
        )
        db.session.execute(sa.delete(AuditEvent).where(AuditEvent.action == "bulk_email.sent"))
        db.session.execute(sa.delete(Broadcast).where(Broadcast.id == broadcast_id))
        db.session.commit()
    return {
        "registrations": registrations,
        "expected": len(expected),
        "queued": sum(n for _, n in queued),
        "exactly_once": exactly_once,
        "seconds": seconds,
        "peak_mb": peak_mib(),
    }
