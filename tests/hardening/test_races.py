"""The same registration changed by several processes at the same moment (double clicks,
two organizers, an organizer and the attendee): nothing is done twice, no track is
oversold, nobody gets an error page, and exactly the right emails are queued.

Each worker is a separate process with its own app and connections, as app servers are in
production; on SQLite they share one file, as in the embedded default. The workers load
what they change, wait at a barrier, then all act at once, for several rounds. After each
race the invariant check (``flask check``) must find nothing wrong.
"""

import copy
import multiprocessing
import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from conference import create_app
from conference.content import services as content
from conference.extensions import db
from conference.mailer.models import OutboxMessage
from conference.registration import invariants, services, staff_services
from conference.registration.models import Place, Registration

from ..conftest import TEST_CONFIG

PROCESSES = 4
ROUNDS = 3
WAIT = 120  # seconds; a worker stuck longer than this fails the test instead of hanging it


# ---------------------------------------------------------------------------------------
# What a worker does: load (before the barrier, as a request loads its registration),
# then act (all at once). Each returns a short word for the test to count.


def _registration(registration_id):
    return db.session.get(Registration, registration_id)


def _cancel(registration):
    return "cancelled" if services.cancel_registration(registration) else "unchanged"


def _erase(registration):
    return "erased" if services.erase_registration(registration) else "unchanged"


def _change(registration):
    try:
        changed = services.change_tracks(registration, ["social"])
    except services.RegistrationEnded:
        return "ended"
    return "changed" if changed else "unchanged"


def _confirm(place):
    if place is None:  # gone already: the cancellation came first
        return "refused"
    try:
        staff_services.confirm_place(place.registration, place.id)
    except services.RegistrationError:
        return "refused"
    return "confirmed"


def _capacity(argument):
    track_key, capacity = argument
    track = next(t for t in content.get_conference("for-syria").tracks if t.key == track_key)
    return f"promoted {len(staff_services.change_capacity(track, capacity))}"


OPERATIONS = {
    "cancel": (_registration, _cancel),
    "erase": (_registration, _erase),
    "change": (_registration, _change),
    "confirm": (lambda place_id: db.session.get(Place, place_id), _confirm),
    "capacity": (lambda argument: argument, _capacity),
}


def _work(url, operation, arguments, barrier, results):
    """One process: for each round, load, wait for the others, act; report the outcomes."""
    outcomes = []
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    try:
        if operation == "http-cancel":
            client = app.test_client()
            for token in arguments:
                client.get(f"/registration/{token}/cancel")  # the page with the button
                barrier.wait(WAIT)
                response = client.post(f"/registration/{token}/cancel")
                outcomes.append(f"{response.status_code} {response.headers.get('Location')}")
        else:
            load, act = OPERATIONS[operation]
            with app.app_context():
                for argument in arguments:
                    loaded = load(argument)
                    barrier.wait(WAIT)
                    try:
                        outcomes.append(act(loaded))
                    except Exception as exc:  # reported to the test, which expects none
                        db.session.rollback()
                        outcomes.append(f"error {exc!r}")
                    db.session.remove()
                db.engine.dispose()
    except threading.BrokenBarrierError:
        outcomes.append("error: the others never came to the barrier")
    except Exception as exc:  # reported to the test
        outcomes.append(f"error {exc!r}")
        barrier.abort()
    results.put((operation, outcomes))


def race(url, *workers):
    """Run ``workers`` (``(operation, [argument per round])``) at once; return their outcomes.

    Returns ``[(operation, [outcome per round]), ...]``, in the order the workers finished.
    """
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(workers))
    results = context.Queue()
    processes = [
        context.Process(target=_work, args=(url, operation, arguments, barrier, results))
        for operation, arguments in workers
    ]
    for process in processes:
        process.start()
    found = [results.get(timeout=WAIT * (ROUNDS + 1)) for _ in processes]
    for process in processes:
        process.join(WAIT)
    errors = [outcome for _, outcomes in found for outcome in outcomes if "error" in outcome]
    assert errors == []
    return found


# ---------------------------------------------------------------------------------------
# The database the processes share, and what the test reads from it afterwards


@pytest.fixture
def site(make_app, tmp_path, content_data):
    """Return ``(app, url, setup)``; ``setup(arts=…)`` loads the conference with those seats."""
    app = make_app()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url == "sqlite://":  # processes share a file, as the embedded default does
        url = f"sqlite:///{tmp_path / 'races.db'}"
        app = make_app(SQLALCHEMY_DATABASE_URI=url)

    def setup(*, arts, seated, waiting):
        """Arts with ``arts`` seats, ``seated`` people in it and ``waiting`` in line.

        Returns the registration ids of the seated and of the waiting, in arrival order.
        """
        data = copy.deepcopy(content_data)
        for track in data["tracks"]:
            track["capacity"] = arts if track["key"] == "arts" else 1000
        with app.app_context():
            content.load_content(data)
            conference = content.get_conference("for-syria")
            ids = [
                services.register_attendee(
                    conference,
                    email=f"person{n}@example.org",
                    full_name=f"Person {n}",
                    track_keys=["arts"],
                    language="ar" if n % 2 else "en",
                    privacy_accepted=True,
                ).registration.id
                for n in range(seated + waiting)
            ]
            db.session.remove()
            db.engine.dispose()  # no connection crosses the fork
        return ids[:seated], ids[seated:]

    return app, url, setup


def read(app, query):
    with app.app_context():
        try:
            return query()
        finally:
            db.session.rollback()
            db.engine.dispose()


def emails(app):
    """``Counter`` of ``(registration id, what)`` over the outbox's registration keys."""

    def count():
        keys = db.session.scalars(
            sa.select(OutboxMessage.idempotency_key).where(
                OutboxMessage.idempotency_key.startswith("registration:")
            )
        )
        return Counter((int(key.split(":")[1]), key.split(":")[2]) for key in keys)

    return read(app, count)


def problems(app):
    return read(app, lambda: [str(problem) for problem in invariants.check()])


def statuses(app, ids):
    """``{registration id: (registration status, {track key: place status})}``."""

    def query():
        found = {}
        for registration_id in ids:
            registration = db.session.get(Registration, registration_id)
            found[registration_id] = (
                registration.status.value,
                {place.track.key: place.status.value for place in registration.places},
            )
        return found

    return read(app, query)


def promoted(mail):
    return {registration_id for (registration_id, what), n in mail.items() if what == "promoted"}


def outcomes_of(found, operation):
    return Counter(outcome for name, outcomes in found if name == operation for outcome in outcomes)


# ---------------------------------------------------------------------------------------
# The races


def test_simultaneous_cancels_of_one_registration_cancel_it_once(site):
    app, url, setup = site
    seated, waiting = setup(arts=ROUNDS, seated=ROUNDS, waiting=PROCESSES * ROUNDS)

    found = race(url, *[("cancel", seated)] * PROCESSES)

    assert problems(app) == []
    assert outcomes_of(found, "cancel") == {
        "cancelled": ROUNDS,
        "unchanged": ROUNDS * (PROCESSES - 1),
    }
    mail = emails(app)
    assert all(mail[(r, "cancelled")] == 1 for r in seated)
    assert promoted(mail) == set(waiting[:ROUNDS])  # one freed seat each, no more
    assert all(mail[(r, "promoted")] == 1 for r in waiting[:ROUNDS])


def test_simultaneous_cancels_through_the_private_link_answer_the_same_page(site):
    app, url, setup = site
    seated, waiting = setup(arts=ROUNDS, seated=ROUNDS, waiting=PROCESSES * ROUNDS)
    tokens = []
    with app.app_context():
        for registration_id in seated:
            tokens.append(services.mint_token(db.session.get(Registration, registration_id)))
        db.session.commit()
        db.engine.dispose()

    found = race(url, *[("http-cancel", tokens)] * PROCESSES)

    # Whether it waited for the first one's lock or came after its commit, each click
    # answers as the first did; nobody sees an error.
    assert outcomes_of(found, "http-cancel") == {"303 /register/cancelled": ROUNDS * PROCESSES}
    assert problems(app) == []
    mail = emails(app)
    assert all(mail[(r, "cancelled")] == 1 for r in seated)
    assert promoted(mail) == set(waiting[:ROUNDS])


def test_simultaneous_erasures_erase_once(site):
    app, url, setup = site
    seated, waiting = setup(arts=ROUNDS, seated=ROUNDS, waiting=PROCESSES * ROUNDS)

    found = race(url, *[("erase", seated)] * PROCESSES)

    assert problems(app) == []
    assert outcomes_of(found, "erase") == {"erased": ROUNDS, "unchanged": ROUNDS * (PROCESSES - 1)}
    mail = emails(app)
    assert all(mail[(r, "erased")] == 1 for r in seated)
    assert promoted(mail) == set(waiting[:ROUNDS])


def test_simultaneous_changes_of_tracks_change_once(site):
    app, url, setup = site
    seated, waiting = setup(arts=ROUNDS, seated=ROUNDS, waiting=PROCESSES * ROUNDS)

    found = race(url, *[("change", seated)] * PROCESSES)

    assert problems(app) == []
    assert outcomes_of(found, "change") == {
        "changed": ROUNDS,
        "unchanged": ROUNDS * (PROCESSES - 1),
    }
    assert all(
        places == ("active", {"social": "confirmed"}) for places in statuses(app, seated).values()
    )
    mail = emails(app)
    assert all(mail[(r, "changed")] == 1 for r in seated)
    assert promoted(mail) == set(waiting[:ROUNDS])


def test_cancels_racing_promotions_and_capacity_changes(site):
    app, url, setup = site
    seats = 2 * ROUNDS
    seated, waiting = setup(arts=seats, seated=seats, waiting=6 * ROUNDS)
    # Each round at once: two seated people cancel (two promotions), the first two in line
    # cancel (whom those promotions may reach, or not), and the capacity rises by one.
    first_in_line = [waiting[2 * r : 2 * r + 2] for r in range(ROUNDS)]  # noqa: E203

    found = race(
        url,
        ("cancel", seated[0::2][:ROUNDS]),
        ("cancel", seated[1::2][:ROUNDS]),
        ("cancel", [pair[0] for pair in first_in_line]),
        ("cancel", [pair[1] for pair in first_in_line]),
        ("capacity", [("arts", seats + r + 1) for r in range(ROUNDS)]),
    )

    assert problems(app) == []
    assert outcomes_of(found, "cancel") == {"cancelled": 4 * ROUNDS}
    cancelled = {*seated[: 2 * ROUNDS], *[r for pair in first_in_line for r in pair]}
    state = statuses(app, seated + waiting)
    mail = emails(app)
    for registration_id, (status, places) in state.items():
        assert (status == "cancelled") == (registration_id in cancelled)
        assert mail[(registration_id, "cancelled")] == (registration_id in cancelled)
        was_waiting = registration_id in waiting
        now_seated = places.get("arts") == "confirmed"
        if status == "active":  # promoted exactly when seated now
            assert mail[(registration_id, "promoted")] == (was_waiting and now_seated)
        else:  # promoted at most once, before the cancellation
            assert mail[(registration_id, "promoted")] <= 1
    seated_now = sum(1 for _, places in state.values() if places.get("arts") == "confirmed")
    assert seated_now == seats + ROUNDS  # every seat taken: people are still waiting


def test_a_confirmation_from_the_waiting_list_racing_a_cancellation(site):
    app, url, setup = site
    seated, waiting = setup(arts=ROUNDS, seated=ROUNDS, waiting=3 * ROUNDS)
    # Each round: an organizer seats someone from the back of the line while that person
    # cancels, and a seated person cancels (the freed seat goes to the front of the line).
    back = waiting[-ROUNDS:]
    place_ids = read(
        app,
        lambda: [db.session.get(Registration, r).places[0].id for r in back],
    )

    found = race(
        url,
        ("confirm", place_ids),
        ("cancel", back),
        ("cancel", seated),
    )

    assert problems(app) == []
    confirmations = outcomes_of(found, "confirm")
    assert set(confirmations) <= {"confirmed", "refused"}  # a clear answer, never an error
    mail = emails(app)
    assert sum(mail[(r, "promoted")] for r in back) == confirmations["confirmed"]
    assert all(mail[(r, "cancelled")] == 1 for r in back + seated)
    # The front of the line gets the seats the seated freed, and each seat an organizer
    # added for someone who then cancelled.
    assert promoted(mail) - set(back) == set(waiting[: ROUNDS + confirmations["confirmed"]])
