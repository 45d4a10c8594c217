"""Many processes registering and cancelling at once: no track is ever oversold.

Each worker is a separate process with its own app and database connections, as app
servers are in production. On SQLite they share one file, as in the embedded default.
"""

import copy
import multiprocessing
import random

import sqlalchemy as sa

from conference import create_app
from conference.content import services as content
from conference.extensions import db
from conference.registration import invariants, services
from conference.registration.models import Place, PlaceStatus, Registration, RegistrationStatus

from ..conftest import TEST_CONFIG

PROCESSES = 4
SIGN_UPS_EACH = 55  # 220 sign-ups for 50 seats
SEATS = 50
CANCELLATIONS = 25


def _app(url):
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})


def _sign_up(url, prefix, count):
    app = _app(url)
    errors, statuses = [], []
    with app.app_context():
        for n in range(count):
            # One session per sign-up, as each request has: on SQLite a cancelled last
            # place's id is given again, which a session kept from the sign-up before
            # would still hold (a warning, not a real clash).
            db.session.remove()
            conference = content.get_conference("for-syria")
            try:
                outcome = services.register_attendee(
                    conference,
                    email=f"{prefix}-{n}@example.org",
                    full_name=f"Person {prefix} {n}",
                    track_keys=["arts"],
                    language=random.choice(["ar", "en"]),
                    privacy_accepted=True,
                )
                # Read after the commit: the cancelling process may have ended it meanwhile.
                places = outcome.registration.places
                statuses.append(places[0].status.value if places else "cancelled meanwhile")
            except Exception as exc:  # reported to the test, which expects none
                db.session.rollback()
                errors.append(repr(exc))
        db.engine.dispose()
    return statuses, errors


def _cancel(url, count):
    app = _app(url)
    errors, done = [], 0
    with app.app_context():
        while done < count:
            candidate = db.session.scalar(
                sa.select(Registration)
                .join(Place)
                .where(
                    Registration.status == RegistrationStatus.active,
                    Place.status == PlaceStatus.confirmed,
                )
                .order_by(sa.func.random())
                .limit(1)
            )
            if candidate is None:
                db.session.rollback()
                continue
            try:
                services.cancel_registration(candidate)
                done += 1
            except Exception as exc:  # reported to the test, which expects none
                db.session.rollback()
                errors.append(repr(exc))
                done += 1
        db.engine.dispose()
    return [], errors


def test_concurrent_sign_ups_and_cancellations_never_oversell(make_app, tmp_path, content_data):
    app = make_app()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url == "sqlite://":  # processes share a file, as the embedded default does
        url = f"sqlite:///{tmp_path / 'concurrency.db'}"
        app = make_app(SQLALCHEMY_DATABASE_URI=url)
    data = copy.deepcopy(content_data)
    data["tracks"][2]["capacity"] = SEATS
    with app.app_context():
        content.load_content(data)
        db.engine.dispose()

    context = multiprocessing.get_context("fork")
    with context.Pool(PROCESSES + 1) as pool:
        sign_ups = [
            pool.apply_async(_sign_up, (url, f"p{n}", SIGN_UPS_EACH)) for n in range(PROCESSES)
        ]
        cancelling = pool.apply_async(_cancel, (url, CANCELLATIONS))
        results = [job.get(timeout=300) for job in [*sign_ups, cancelling]]

    errors = [error for _statuses, found in results for error in found]
    assert errors == []
    with app.app_context():
        arts = content.get_conference("for-syria").tracks[2]
        taken = arts.seats_taken
        places = db.session.execute(
            sa.select(Place.id, Place.status).where(Place.track_id == arts.id).order_by(Place.id)
        ).all()
        confirmed = [pid for pid, status in places if status == PlaceStatus.confirmed]
        waiting = [pid for pid, status in places if status == PlaceStatus.waitlisted]
        active = db.session.scalar(
            sa.select(sa.func.count()).where(Registration.status == RegistrationStatus.active)
        )
        problems = [str(problem) for problem in invariants.check()]
        db.session.rollback()
        db.engine.dispose()

    assert problems == []
    assert len(places) == active == PROCESSES * SIGN_UPS_EACH - CANCELLATIONS
    assert len(confirmed) == taken == SEATS  # full, never over
    assert waiting  # and a queue behind it
    assert max(confirmed) < min(waiting)  # nobody jumped the queue
