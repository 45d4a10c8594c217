"""Many processes taking shift places at once: no shift ever goes over its maximum.

Each worker is a separate process with its own app and database connections, as app
servers are in production; on SQLite they share one file, as in the embedded default.
The workers wait at a barrier and then go together, so that they really race. Each
test ends with ``flask check``'s invariants (registration's and the volunteers').
"""

import copy
import multiprocessing
import random
import time
from datetime import timedelta

import sqlalchemy as sa

from conference import create_app, database
from conference.content import services as content
from conference.extensions import db
from conference.registration import invariants
from conference.volunteers import places, services
from conference.volunteers.models import Shift, ShiftSignup, SignupStatus, Volunteer
from conference.volunteers.rules import Reason
from tests.conftest import TEST_CONFIG

from .conftest import BEFORE, shift

TIMEOUT = 120  # seconds a worker may take; each test takes a few on both engines

_barrier = None  # set in each worker process by ``_ready``


def _ready(barrier):
    global _barrier
    _barrier = barrier


def _app(url):
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})


def _details(email, **overrides):
    return {
        "email": email,
        "full_name": "Racing Volunteer",
        "phone": None,
        "languages": ["ar", "en"],
        "age_group": "25_plus",
        "language": random.choice(["ar", "en"]),
        "tshirt_size": None,
        "skills": [],
        "sessions": [],
        "guardian_name": None,
        "guardian_email": None,
        "privacy_accepted": True,
        **overrides,
    }


def _setup(make_app, tmp_path, content_data, sample_data, maxima):
    """An app on a database the processes share, the sample shifts loaded, the shifts of
    ``maxima`` (key → maximum) given those maxima; returns ``(app, url)``."""
    app = make_app()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url == "sqlite://":  # processes share a file, as the embedded default does
        url = f"sqlite:///{tmp_path / 'volunteers.db'}"
        app = make_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        content.load_content(copy.deepcopy(content_data))
        conference = content.get_conference(content_data["conference"]["slug"])
        content.load_sample_programme(conference, sample_data)
        for key, maximum in maxima.items():
            db.session.execute(
                sa.update(Shift).where(Shift.key == key).values(max_people=maximum, min_people=1)
            )
        db.session.commit()
        _close()
    return app, url


def _run(workers, *, barrier_parties=None):
    """Run ``workers`` (``(function, args)``) each in its own process, all released at once
    by a barrier; return their results. No process outlives the call."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(barrier_parties or len(workers))
    pool = context.Pool(len(workers), initializer=_ready, initargs=(barrier,))
    try:
        jobs = [pool.apply_async(function, args) for function, args in workers]
        results = [job.get(timeout=TIMEOUT) for job in jobs]
        pool.close()
    finally:
        pool.terminate()
        pool.join()
    return results


def _close():
    """Give back the session's connection and close the pool's: nothing stays open."""
    db.session.remove()
    db.engine.dispose()


def _final_state(app, key):
    """``(taken, max_people, current sign-ups, broken invariants)`` of shift ``key``."""
    with app.app_context():
        found = shift(key)
        current = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ShiftSignup)
            .where(ShiftSignup.shift_id == found.id, ShiftSignup.status != SignupStatus.dropped)
        )
        problems = [str(problem) for problem in invariants.check_all()]
        state = (found.taken, found.max_people, current, problems)
        _close()
    return state


# --- Many people, the last places -----------------------------------------------------

PEOPLE_PROCESSES = 12
PEOPLE_EACH = 3  # 36 people
LAST_PLACES = 6
RACED = "sample-youth-1"


def _sign_up_many(url, prefix, count, key):
    """Sign ``count`` people up for shift ``key``; return ``(outcomes, errors)``: each
    outcome is ``"taken"`` or the refusal's reason."""
    app = _app(url)
    outcomes, errors = [], []
    with app.app_context():
        conference = content.get_conference("for-syria")
        shift_id = shift(key).id
        db.session.rollback()
        _barrier.wait(timeout=TIMEOUT)
        for n in range(count):
            try:
                services.sign_up(
                    conference,
                    shift_ids=[shift_id],
                    now=BEFORE,
                    **_details(f"{prefix}-{n}@example.org"),
                )
                outcomes.append("taken")
            except services.Refused as refused:
                outcomes.extend(r.reason.value for r in refused.refusals.values())
            except Exception as exc:  # reported to the test, which expects none
                db.session.rollback()
                errors.append(repr(exc))
        _close()
    return outcomes, errors


def test_many_people_racing_for_the_last_places_never_pass_the_maximum(
    make_app, tmp_path, content_data, sample_data
):
    already = 2
    app, url = _setup(make_app, tmp_path, content_data, sample_data, {RACED: already + LAST_PLACES})
    with app.app_context():
        conference = content.get_conference("for-syria")
        for n in range(already):
            services.sign_up(
                conference,
                shift_ids=[shift(RACED).id],
                now=BEFORE,
                **_details(f"early-{n}@example.org"),
            )
        _close()

    results = _run(
        [(_sign_up_many, (url, f"p{n}", PEOPLE_EACH, RACED)) for n in range(PEOPLE_PROCESSES)]
    )

    outcomes = [outcome for found, _errors in results for outcome in found]
    assert [error for _found, errors in results for error in errors] == []
    assert len(outcomes) == PEOPLE_PROCESSES * PEOPLE_EACH
    assert outcomes.count("taken") == LAST_PLACES
    assert set(outcomes) - {"taken"} == {Reason.full.value}  # the others: full, nothing else
    taken, maximum, current, problems = _final_state(app, RACED)
    assert problems == []
    assert taken == current == maximum == already + LAST_PLACES


def test_places_held_past_their_end_are_freed_once_while_people_race_for_them(
    make_app, tmp_path, content_data, sample_data
):
    """Minors' holds that ended fill a shift: each racer frees the ended holds under the
    shift's lock before asking for a place, and a hold is freed once, not by each."""
    held, confirmed, racers, each = 3, 3, 8, 2
    app, url = _setup(make_app, tmp_path, content_data, sample_data, {RACED: held + confirmed})
    with app.app_context():
        conference = content.get_conference("for-syria")
        long_ago = BEFORE - timedelta(days=4)  # their 72 hours ended a day before BEFORE
        for n in range(held):
            services.sign_up(
                conference,
                shift_ids=[shift(RACED).id],
                now=long_ago,
                **_details(
                    f"minor-{n}@example.org",
                    age_group="under_18",
                    guardian_name="Sami Khoury",
                    guardian_email=f"guardian-{n}@example.org",
                ),
            )
        for n in range(confirmed):
            services.sign_up(
                conference,
                shift_ids=[shift(RACED).id],
                now=BEFORE,
                **_details(f"a-{n}@example.org"),
            )
        _close()

    results = _run([(_sign_up_many, (url, f"h{n}", each, RACED)) for n in range(racers)])

    outcomes = [outcome for found, _errors in results for outcome in found]
    assert [error for _found, errors in results for error in errors] == []
    assert outcomes.count("taken") == held  # the places the ended holds kept
    assert set(outcomes) - {"taken"} == {Reason.full.value}
    taken, maximum, current, problems = _final_state(app, RACED)
    assert problems == []
    assert taken == current == maximum == held + confirmed
    with app.app_context():
        statuses = db.session.scalars(
            sa.select(ShiftSignup.status)
            .join(Volunteer)
            .where(Volunteer.email.startswith("minor-"))
        ).all()
        _close()
    assert statuses == [SignupStatus.dropped] * held


# --- One person, two overlapping shifts, two requests ----------------------------------

ROUNDS = 12
FIRST, SECOND = "sample-welcome-1am", "sample-youth-1"  # 08:30–12:30 and 10:00–13:00
BASE = "sample-youth-2"  # the next day's shift each of them signed up with


def _add_each(url, volunteer_ids, key):
    """For each volunteer in turn (the other process doing the same at the same moment),
    add shift ``key`` from their link; return ``({volunteer id: outcome}, errors)``."""
    app = _app(url)
    outcomes, errors = {}, []
    with app.app_context():
        shift_id = shift(key).id
        db.session.rollback()
        for volunteer_id in volunteer_ids:
            _barrier.wait(timeout=TIMEOUT)
            try:
                services.add_shifts(volunteer_id, [shift_id], now=BEFORE)
                outcomes[volunteer_id] = "added"
            except services.Refused as refused:
                [refusal] = refused.refusals.values()
                outcomes[volunteer_id] = refusal.reason.value
            except Exception as exc:  # reported to the test, which expects none
                db.session.rollback()
                errors.append(repr(exc))
            db.session.expire_all()
        _close()
    return outcomes, errors


def test_one_person_racing_two_overlapping_shifts_ends_with_one(
    make_app, tmp_path, content_data, sample_data
):
    app, url = _setup(
        make_app, tmp_path, content_data, sample_data, {FIRST: 100, SECOND: 100, BASE: 100}
    )
    with app.app_context():
        conference = content.get_conference("for-syria")
        ids = [
            services.sign_up(
                conference,
                shift_ids=[shift(BASE).id],
                now=BEFORE,
                **_details(f"twice-{n}@example.org"),
            ).volunteer.id
            for n in range(ROUNDS)
        ]
        _close()

    (first, first_errors), (second, second_errors) = _run(
        [(_add_each, (url, ids, FIRST)), (_add_each, (url, ids, SECOND))]
    )

    assert first_errors + second_errors == []
    for volunteer_id in ids:
        answers = sorted([first[volunteer_id], second[volunteer_id]])
        assert answers == ["added", Reason.overlap.value], (volunteer_id, answers)
    with app.app_context():
        keys = {
            volunteer.id: sorted(s.shift.key for s in volunteer.current_signups)
            for volunteer in db.session.scalars(sa.select(Volunteer).where(Volunteer.id.in_(ids)))
        }
        _close()
    for volunteer_id in ids:
        assert len(keys[volunteer_id]) == 2, keys[volunteer_id]  # theirs and one of the two
        assert BASE in keys[volunteer_id]
    taken_first, _, current_first, problems = _final_state(app, FIRST)
    taken_second, _, current_second, _ = _final_state(app, SECOND)
    assert problems == []
    assert taken_first == current_first == sum(v == "added" for v in first.values())
    assert taken_second == current_second == sum(v == "added" for v in second.values())
    assert taken_first + taken_second == ROUNDS


# --- A coordinator lowers a maximum while people sign up -------------------------------

LOWERED = "sample-youth-1"
START_MAX = 60
SIGNING_PROCESSES = 4
SIGNING_EACH = 15  # 60 people for 60 places, until the maximum comes down
LOWERINGS = 12


def _lower_repeatedly(url, key, attempts):
    """A coordinator's form, again and again: it read the places taken a moment ago and
    asks for a maximum just above them, under the shift's lock, as the setup page does.
    Returns ``(outcomes, errors)``: ``("lowered", maximum, taken)`` or ``("refused",
    maximum asked, taken)``."""
    app = _app(url)
    outcomes, errors = [], []
    with app.app_context():
        conference = content.get_conference("for-syria")
        shift_id = shift(key).id
        db.session.rollback()
        _barrier.wait(timeout=TIMEOUT)
        for attempt in range(attempts):
            seen = db.session.scalar(sa.select(Shift.taken).where(Shift.id == shift_id))
            db.session.rollback()
            time.sleep(random.uniform(0.002, 0.01))  # the coordinator types
            try:
                database.begin_write()
                [locked] = places.lock_shifts(conference, [shift_id])
                if attempt % 2:  # a few places more than are taken now
                    target = locked.taken + 3
                else:  # what was taken a moment ago (or one more); never below one place
                    target = max(seen + attempt % 4 // 2, 1)
                if target < locked.max_people:
                    places.change_max_people(locked, target, min_people=locked.min_people)
                    outcomes.append(("lowered", target, locked.taken))
                db.session.commit()
            except places.BelowTaken as below:
                db.session.rollback()
                outcomes.append(("refused", target, below.taken))
            except Exception as exc:  # reported to the test, which expects none
                db.session.rollback()
                errors.append(repr(exc))
        _close()
    return outcomes, errors


def test_lowering_a_maximum_while_people_sign_up_leaves_no_one_over_it(
    make_app, tmp_path, content_data, sample_data
):
    app, url = _setup(make_app, tmp_path, content_data, sample_data, {LOWERED: START_MAX})

    *signing, (lowering, lowering_errors) = _run(
        [
            *(
                (_sign_up_many, (url, f"s{n}", SIGNING_EACH, LOWERED))
                for n in range(SIGNING_PROCESSES)
            ),
            (_lower_repeatedly, (url, LOWERED, LOWERINGS)),
        ]
    )

    assert [error for _found, errors in signing for error in errors] + lowering_errors == []
    outcomes = [outcome for found, _errors in signing for outcome in found]
    assert set(outcomes) <= {"taken", Reason.full.value}
    lowered = [target for what, target, _taken in lowering if what == "lowered"]
    taken, maximum, current, problems = _final_state(app, LOWERED)
    assert problems == []
    assert taken == current == outcomes.count("taken")
    assert taken <= maximum
    if lowered:  # the last maximum set stands, and those who came after it found it full
        assert maximum == lowered[-1] < START_MAX
        assert taken == maximum or Reason.full.value not in outcomes
    else:  # the sign-ups filled the shift before any lowering: each was refused
        assert taken == maximum == START_MAX
    for what, target, taken_then in lowering:
        # Lowered only to at least the places taken, refused only below them.
        assert (target >= taken_then) if what == "lowered" else (target < taken_then)
