import contextlib

import icalendar
import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from conference import text
from conference.audit import AuditEvent
from conference.content import services as content
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage
from conference.registration import emails, invariants, queries, seats, services
from conference.registration.models import (
    ManageToken,
    Place,
    PlaceStatus,
    Registration,
    RegistrationStatus,
)


@pytest.fixture
def statements(app):
    """A context manager that collects the SQL statements run inside it."""

    @contextlib.contextmanager
    def _statements():
        seen = []

        def record(conn, cursor, statement, *args):
            seen.append(" ".join(statement.split()))

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)

    return _statements


def queued(kind=None):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.filter_by(kind=kind)
    return [Rendered(row) for row in db.session.scalars(query)]


class Rendered:
    """A queued row, and the message the deliverer makes of it (rendered on first use).

    Rendering mints the private links and commits their hashes, as the deliverer does.
    """

    def __init__(self, row):
        self.row = row
        self._email = None

    @property
    def email(self):
        if self._email is None:
            rendering = outbox.Rendering()
            self._email = outbox.render(self.row, rendering)
            rendering.write()
            db.session.commit()
        return self._email

    def __getattr__(self, name):
        return getattr(self.row, name)

    subject = property(lambda self: self.email.subject)
    text_body = property(lambda self: self.email.text)
    calendar = property(lambda self: self.email.calendar)
    attachment_names = property(lambda self: outbox.attachment_names(self.email))


def calendar_of(message):
    return icalendar.Calendar.from_ical(message.calendar)


def test_register_attendee_confirms_and_queues_the_invitation(conference, register):
    outcome = register(
        " Ada@Example.ORG ", tracks=["arts", "cultural"], full_name=" Ada  Lovelace "
    )

    registration = outcome.registration
    assert outcome.created
    assert registration.email == "ada@example.org"
    assert registration.full_name == "Ada Lovelace"
    assert sorted(p.track.key for p in registration.confirmed_places) == ["arts", "cultural"]
    assert [t.seats_taken for t in conference.tracks] == [1, 0, 1]
    [message] = queued()
    assert message.recipient == "ada@example.org"
    assert message.kind == "registration.confirmation"
    assert message.attachment_names == ["invite.ics", "checkin.png"]
    invitation = calendar_of(message)
    assert invitation["METHOD"] == "REQUEST"
    [event] = invitation.walk("VEVENT")
    assert str(event["UID"]) == registration.ics_uid
    assert event["SEQUENCE"] == 0
    assert "/registration/" in message.text_body


def test_register_attendee_waitlists_when_full_and_tells_the_place(make_conference, register):
    conference = make_conference(arts_capacity=1)
    register("first@example.org", to=conference)

    second = register("second@example.org", to=conference).registration
    third = register("third@example.org", to=conference).registration

    assert [p.status for p in second.places] == [PlaceStatus.waitlisted]
    place = third.places[0]
    assert queries.places_in_line([place]) == {place.id: 2}
    message = queued()[-1]
    assert message.calendar is None
    assert "number 2 in line" in message.text_body
    assert message.subject == "You are on the waiting list for For Syria"


def test_registering_again_changes_nothing_and_sends_the_link(conference, register):
    first = register("ada@example.org").registration

    again = register("ADA@example.org", tracks=["social"], full_name="Someone Else")

    assert not again.created
    assert again.registration.id == first.id
    assert Registration.query.count() == 1
    assert [p.track.key for p in first.places] == ["arts"]
    message = queued()[-1]
    assert message.kind == "registration.already_registered"
    assert "/registration/" in message.text_body


def test_a_repeat_and_an_unknown_address_leave_nothing_of_the_work_they_rehearse(
    conference, register, statements
):
    first = register("ada@example.org", tracks=["arts"]).registration
    arts = first.places[0].track
    taken = arts.seats_taken

    with statements() as repeat:
        register("ada@example.org", tracks=["arts", "social"])
    with statements() as link:
        services.send_manage_link(conference, "nobody@example.org")
    db.session.expire_all()

    assert Registration.query.count() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Place)) == 1
    assert arts.seats_taken == taken
    assert [m.kind for m in queued()] == [
        "registration.confirmation",
        "registration.already_registered",
    ]
    # The same writes as a first registration and a sent link, undone: registration,
    # place and message inserts, each inside a savepoint that is rolled back.
    assert any("INSERT INTO registration " in s for s in repeat)
    assert any("INSERT INTO place" in s for s in repeat)
    assert any("INSERT INTO outbox_message" in s for s in link)
    assert any(s.startswith("ROLLBACK TO SAVEPOINT") for s in repeat + link)


@pytest.mark.parametrize("seen_full", [True, False])
def test_a_stale_read_of_the_seats_still_gives_the_check_in_code_to_seats_only(
    make_conference, register, seen_full
):
    # The code goes in the registration's first INSERT by a guess from seats read before
    # the lock; when the lock finds otherwise, the code is put right.
    conference = make_conference(arts_capacity=1)
    if not seen_full:
        register(tracks=("arts",), to=conference)  # the seat is gone...
    [arts] = [track for track in conference.tracks if track.key == "arts"]
    # ...but this request read it the other way round, before the lock
    so.attributes.set_committed_value(arts, "seats_taken", 1 if seen_full else 0)

    registration = register(tracks=("arts",), to=conference).registration

    db.session.expire_all()
    if seen_full:  # a seat after all: a code for its QR image
        assert [p.status for p in registration.places] == [PlaceStatus.confirmed]
        assert registration.checkin_code
    else:  # waiting after all: nothing to check in
        assert [p.status for p in registration.places] == [PlaceStatus.waitlisted]
        assert registration.checkin_code is None
    assert emails.confirmation(registration).snapshot == queued()[-1].row.snapshot


def test_a_repeat_runs_the_statements_of_a_new_registration(conference, register, statements):
    # Its answer must take as long as a new registration's: the same statements in the
    # same order (a rehearsal rolled back where the new one is released), none more.
    register("ada@example.org", tracks=["arts", "social"])

    with statements() as new:
        register("grace@example.org", tracks=["arts", "social"])
    with statements() as repeat:
        register("ada@example.org", tracks=["arts", "social"])

    def shape(seen):
        return [
            " ".join(s.replace("ROLLBACK TO SAVEPOINT", "RELEASE SAVEPOINT").split()[:3])
            for s in seen
        ]

    assert shape(repeat) == shape(new)
    assert any(s.startswith("ROLLBACK TO SAVEPOINT") for s in repeat)


def test_the_same_submission_twice_makes_one_registration_and_one_email(conference, register):
    first = register("ada@example.org", submission_id="form-1")

    second = register("ada@example.org", submission_id="form-1")

    assert second.registration.id == first.registration.id
    assert not second.created
    assert len(queued()) == 1


def test_registration_is_refused_while_closed(make_conference, register):
    conference = make_conference(registration={"status": "closed"})

    with pytest.raises(services.RegistrationError, match="Registration is closed."):
        register(to=conference)


def test_the_registration_window_follows_its_times(make_conference):
    from datetime import datetime

    conference = make_conference(
        registration={
            "status": "open",
            "opens_at": datetime(2022, 1, 10, 9, 0),
            "closes_at": datetime(2022, 3, 16, 17, 0),
        }
    )

    assert not conference.is_registration_open(datetime(2022, 1, 10, 16, 59))  # 08:59 PST
    assert conference.is_registration_open(datetime(2022, 1, 10, 17, 0))
    assert conference.is_registration_open(datetime(2022, 3, 16, 23, 59))  # 16:59 PDT
    assert not conference.is_registration_open(datetime(2022, 3, 17, 0, 0))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not an address"}, "correct format"),
        ({"full_name": "   "}, "Enter your full name"),
        ({"full_name": "x" * 201}, "200 characters or fewer"),
        ({"track_keys": []}, "Select at least one track"),
        ({"track_keys": ["sports"]}, "Select at least one track"),
        ({"privacy_accepted": False}, "privacy notice"),
    ],
)
def test_register_attendee_rejects_bad_input(conference, register, overrides, message):
    with pytest.raises(services.RegistrationError, match=message):
        register(**overrides)

    assert Registration.query.count() == 0


def test_text_is_cleaned_of_control_and_bidi_override_characters(conference, register):
    registration = register(
        full_name="A\x00da\u202e Love\x07lace",
        city="Da\u200fmascus\x1b",
        needs="wheelchair\r\naccess\x00",
    ).registration

    assert registration.full_name == "Ada Lovelace"
    assert registration.city == "Da\u200fmascus"
    assert registration.needs == "wheelchair\naccess"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Bob\nSmith", "Bob Smith"),
        ("Bob\r\nSmith", "Bob Smith"),
        ("Bob\tSmith", "Bob Smith"),
        ("Bob\x0bSmith\x0c", "Bob Smith"),
        ("Bob\x85Smith", "Bob Smith"),  # NEL, a line break too
    ],
)
def test_line_breaks_inside_a_one_line_field_become_spaces(typed, kept):
    assert text.clean_text(typed) == kept


def test_line_breaks_in_a_multiline_field_stay_line_breaks():
    assert text.clean_text("one\r\ntwo\rthree\x0bfour", multiline=True) == ("one\ntwo\nthree four")


@pytest.mark.parametrize(
    "variant",
    [
        "\uff41lice@example.org",  # full-width a
        "ALICE@EXAMPLE.ORG",
        "alice\uff20example.org",  # full-width @
        "alice@\uff45xample.org",  # full-width e in the domain
    ],
)
def test_addresses_that_differ_only_in_compatibility_forms_are_the_same(
    conference, register, variant
):
    first = register("alice@example.org").registration

    again = register(variant)

    assert services.normalise_email(variant) == "alice@example.org"
    assert not again.created
    assert again.registration.id == first.id


def test_a_new_registration_s_confirmation_tells_what_its_places_are(make_conference, register):
    # The registration is written without the ORM; its confirmation must say what the
    # ORM's intent built from the saved places says (seats, places in line, sequence).
    conference = make_conference(arts_capacity=1, social_capacity=2)
    register(tracks=("arts", "social"), to=conference)
    register(tracks=("arts",), to=conference)

    outcome = register(tracks=("social", "arts", "cultural"), to=conference)

    registration = outcome.registration
    row = queued("registration.confirmation")[-1].row
    assert row.registration_id == registration.id
    assert row.snapshot == emails.confirmation(registration).snapshot
    by_key = {track.key: track.id for track in conference.tracks}
    assert row.snapshot["waiting"] == [[by_key["arts"], 2]]
    assert sorted(row.snapshot["confirmed"]) == sorted([by_key["social"], by_key["cultural"]])
    assert registration.checkin_code  # a seat: a code for its QR image
    assert dict(outcome.placement) == {
        by_key["social"]: None,
        by_key["arts"]: 2,
        by_key["cultural"]: None,
    }


def test_inside_the_seat_lock_a_new_registration_runs_only_its_seat_statements(
    make_conference, register, statements
):
    conference = make_conference(arts_capacity=1)
    register(tracks=("arts",), to=conference)

    with statements() as seen:
        register(tracks=("arts", "social"), to=conference)  # a place in line, and a seat

    locking = seen.index(
        next(s for s in seen if s.startswith("SELECT track.id, track.capacity, track.seats_taken"))
    )
    inside = [s.split(" (")[0].split(" SET")[0] for s in seen[locking + 1 :]]
    # The registration's row was written before the lock; inside: the tracks' counts
    # (the line is never counted), the places, then (after the savepoint) the confirmation.
    assert any(s.startswith("INSERT INTO registration") for s in seen[:locking])
    assert inside == [
        "UPDATE track",
        "INSERT INTO place",
        "RELEASE SAVEPOINT sa_savepoint_1",
        "INSERT INTO outbox_message",
    ]


def test_each_change_of_places_keeps_the_tracks_counts(make_conference, register):
    """Seats taken and places waiting follow every way a place comes, goes or moves up."""
    conference = make_conference(arts_capacity=1, social_capacity=1)
    by_key = {track.key: track for track in conference.tracks}
    arts, social = by_key["arts"], by_key["social"]

    def counts():
        db.session.expire_all()
        return [(track.seats_taken, track.places_waiting) for track in (arts, social)]

    first = register("first@example.org", tracks=("arts", "social"), to=conference).registration
    second = register("second@example.org", tracks=("arts",), to=conference).registration
    third = register("third@example.org", tracks=("arts", "social"), to=conference).registration
    assert counts() == [(1, 2), (1, 1)]

    services.change_tracks(third, ["social"])  # leaves one line
    assert counts() == [(1, 1), (1, 1)]
    services.change_tracks(second, ["arts", "social"])  # joins another
    assert counts() == [(1, 1), (1, 2)]
    services.cancel_registration(first)  # a seat freed in each: the first in line moves up
    assert counts() == [(1, 0), (1, 1)]
    seats.set_capacity(social, 2)  # the last one waiting gets the new seat
    assert counts() == [(1, 0), (2, 0)]

    fourth = register("fourth@example.org", tracks=("arts",), to=conference).registration
    fifth = register("fifth@example.org", tracks=("arts",), to=conference).registration
    assert counts() == [(1, 2), (2, 0)]
    seats.confirm_from_waitlist(fourth.places[0])  # by an organizer, ahead of nobody
    assert counts() == [(2, 1), (2, 0)]
    services.erase_registration(fifth)
    assert counts() == [(2, 0), (2, 0)]
    assert invariants.check(conference) == []


def test_places_in_line_counts_each_track_in_one_query(make_conference, register):
    conference = make_conference(arts_capacity=1, social_capacity=1)
    register(tracks=("arts", "social"), to=conference)
    register(tracks=("arts",), to=conference)
    register(tracks=("social",), to=conference)
    register(tracks=("arts",), to=conference)
    last = register(tracks=("arts", "social", "cultural"), to=conference).registration
    waitlisted = last.waitlisted_places
    statements = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        positions = queries.places_in_line(waitlisted)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    by_track = {place.track.key: positions[place.id] for place in waitlisted}

    assert by_track == {"arts": 3, "social": 2}  # the seat in "cultural" has no place in line
    assert len(statements) == 1
    assert queries.places_in_line([]) == {}


def test_cancel_frees_the_seat_for_the_next_in_line(make_conference, register):
    conference = make_conference(arts_capacity=1)
    first = register("first@example.org", to=conference).registration
    second = register("second@example.org", to=conference).registration
    third = register("third@example.org", to=conference).registration

    services.cancel_registration(first)

    assert first.status == RegistrationStatus.cancelled
    assert first.places == []
    assert second.places[0].status == PlaceStatus.confirmed
    place = third.places[0]
    assert queries.places_in_line([place]) == {place.id: 1}
    assert conference.tracks[2].seats_taken == 1
    cancelled = queued("registration.cancelled")[0]
    assert calendar_of(cancelled)["METHOD"] == "CANCEL"
    [event] = calendar_of(cancelled).walk("VEVENT")
    assert str(event["UID"]) == first.ics_uid
    assert event["SEQUENCE"] == 1
    [promoted] = queued("registration.promoted")
    assert promoted.recipient == "second@example.org"
    assert promoted.subject == "A seat is yours: Arts"
    assert calendar_of(promoted)["METHOD"] == "REQUEST"


def test_a_cancelled_registration_s_links_open_nothing_but_say_it_ended(conference, register):
    registration = register("ada@example.org").registration
    token = services.mint_token(registration)
    db.session.commit()

    assert services.cancel_registration(registration) is True

    assert queries.find_by_token(token) is None
    assert queries.find_ended_by_token(token) == registration
    assert queries.find_ended_by_token("not-a-token") is None


def test_change_tracks_moves_seats_and_sends_the_updated_invitation(make_conference, register):
    conference = make_conference(social_capacity=0)
    registration = register(tracks=["arts"], to=conference).registration

    changed = services.change_tracks(registration, ["cultural", "social"])

    assert changed
    assert {p.track.key: p.status for p in registration.places} == {
        "cultural": PlaceStatus.confirmed,
        "social": PlaceStatus.waitlisted,
    }
    assert [t.seats_taken for t in conference.tracks] == [1, 0, 0]
    message = queued("registration.changed")[0]
    assert calendar_of(message)["METHOD"] == "REQUEST"
    assert calendar_of(message).walk("VEVENT")[0]["SEQUENCE"] == 1


def test_change_to_only_full_tracks_cancels_the_invitation(make_conference, register):
    conference = make_conference(social_capacity=0)
    registration = register(tracks=["arts"], to=conference).registration

    services.change_tracks(registration, ["social"])

    message = queued("registration.changed")[0]
    assert calendar_of(message)["METHOD"] == "CANCEL"


def test_change_to_the_same_tracks_sends_nothing(conference, register):
    registration = register(tracks=["arts"]).registration

    assert not services.change_tracks(registration, ["arts"])
    assert queued("registration.changed") == []


def test_raising_capacity_promotes_and_lowering_below_seats_is_refused(make_conference, register):
    conference = make_conference(arts_capacity=1)
    register("first@example.org", to=conference)
    waiting = register("second@example.org", to=conference).registration
    arts = conference.tracks[2]

    seats.set_capacity(arts, 2)

    assert waiting.places[0].status == PlaceStatus.confirmed
    with pytest.raises(services.RegistrationError, match="cannot go below"):
        seats.set_capacity(arts, 1)
    assert arts.capacity == 2


def test_content_reload_with_more_seats_promotes(make_conference, register, content_data):
    import copy

    conference = make_conference(arts_capacity=1)
    register("first@example.org", to=conference)
    waiting = register("second@example.org", to=conference).registration
    data = copy.deepcopy(content_data)
    data["tracks"][2]["capacity"] = 5

    content.load_content(data)

    assert waiting.places[0].status == PlaceStatus.confirmed
    data["tracks"][2]["capacity"] = 1
    with pytest.raises(content.ContentError, match="below the 2 seats"):
        content.load_content(data)


def test_erase_forgets_the_person_after_a_last_email(make_conference, register):
    conference = make_conference(arts_capacity=1)
    registration = register("ada@example.org", to=conference, phone="555-0100").registration
    waiting = register("second@example.org", to=conference).registration
    token = services.mint_token(registration)
    db.session.commit()

    services.erase_registration(registration)

    assert registration.status == RegistrationStatus.erased
    assert (registration.email, registration.full_name, registration.phone) == ("", "", None)
    assert queries.find_by_token(token) is None
    assert queries.find_ended_by_token(token) == registration  # "erased", and nothing else
    assert waiting.places[0].status == PlaceStatus.confirmed
    to_ada = [m for m in queued() if m.recipient == "ada@example.org"]
    assert [m.kind for m in to_ada] == ["registration.erased"]  # the unsent confirmation went
    assert to_ada[0].forget_after_sending
    assert calendar_of(to_ada[0])["METHOD"] == "CANCEL"
    [event] = AuditEvent.query.filter_by(action="registration.erased").all()
    assert event.details == {"registration": registration.id}
    assert event.actor_email == "system"


def test_erasing_an_old_registration_spares_the_new_one_at_the_same_address(conference, register):
    old = register("ada@example.org").registration
    services.cancel_registration(old)
    new = register("ada@example.org").registration
    assert new.id != old.id

    services.erase_registration(old)

    kept = [m for m in queued() if m.recipient == "ada@example.org"]
    assert {m.row.registration_id for m in kept} == {old.id, new.id}
    assert [m.kind for m in kept if m.row.registration_id == new.id] == [
        "registration.confirmation"
    ]
    assert [m.kind for m in kept if m.row.registration_id == old.id] == ["registration.erased"]
    assert invariants.check() == []


def test_manage_tokens_are_stored_only_as_hashes(conference, register):
    register("ada@example.org")
    message = queued()[0]
    token = message.text_body.split("/registration/")[1].split()[0]

    found = queries.find_by_token(token)

    assert found is not None
    stored = [t.token_hash for t in ManageToken.query.all()]
    assert token not in stored
    assert all(len(h) == 64 for h in stored)
    assert queries.find_by_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert queries.find_by_token("") is None
    assert queries.find_by_token("x" * 5000) is None


def test_each_email_with_a_link_gets_its_own_token(conference, register):
    register("ada@example.org")
    register("ada@example.org")

    links = [m.text_body.split("/registration/")[1].split()[0] for m in queued()]

    assert len(set(links)) == 2
    assert all(queries.find_by_token(link) for link in links)


def test_send_manage_link_is_silent_about_unknown_addresses(conference, register):
    register("ada@example.org")

    services.send_manage_link(conference, "nobody@example.org")
    services.send_manage_link(conference, "not an address")
    services.send_manage_link(conference, " ADA@example.org ")

    assert [m.kind for m in queued()] == ["registration.confirmation", "registration.manage_link"]


def test_emails_are_in_the_registrants_language(conference, register):
    register("omar@example.org", language="ar", full_name="عمر")

    [message] = queued()

    assert message.language == "ar"
    assert message.subject == "تم تسجيلك في «من أجل سوريا»"
    assert "مرحبًا عمر،" in message.text_body
    [event] = calendar_of(message).walk("VEVENT")
    assert str(event["SUMMARY"]) == "من أجل سوريا"


def test_registering_does_a_bounded_number_of_queries(conference, register):
    from sqlalchemy import event

    for n in range(5):
        register(f"early{n}@example.org")
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        register("late@example.org", tracks=["arts", "social", "cultural"])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    few = len(statements)
    for n in range(20):
        register(f"more{n}@example.org")
    statements.clear()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        register("later@example.org", tracks=["arts", "social", "cultural"])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert len(statements) == few


# ---------------------------------------------------------------------------------------
# Repeats: the second of two identical changes does nothing (tests/hardening/test_races.py
# makes them at the same moment)


def test_a_second_cancellation_changes_nothing_and_sends_nothing(make_conference, register):
    conference = make_conference(arts_capacity=1)
    registration = register("ada@example.org", to=conference).registration
    register("second@example.org", to=conference)
    register("third@example.org", to=conference)
    assert services.cancel_registration(registration) is True
    sent = len(queued())

    assert services.cancel_registration(registration) is False

    assert len(queued()) == sent
    assert [m.recipient for m in queued("registration.promoted")] == ["second@example.org"]
    assert conference.tracks[2].seats_taken == 1


def test_a_second_erasure_does_nothing(make_conference, register):
    registration = register("ada@example.org").registration
    assert services.erase_registration(registration) is True
    sent = len(queued())

    assert services.erase_registration(registration) is False

    assert len(queued()) == sent
    assert AuditEvent.query.filter_by(action="registration.erased").count() == 1


def test_an_ended_registration_cannot_be_changed(conference, register):
    registration = register("ada@example.org").registration
    services.cancel_registration(registration)

    with pytest.raises(services.RegistrationEnded) as ended:
        services.change_tracks(registration, ["social"])
    assert ended.value.status == RegistrationStatus.cancelled
    with pytest.raises(services.RegistrationEnded):
        services.update_details(
            registration,
            full_name="Ada",
            phone=None,
            city=None,
            region=None,
            language="en",
            needs=None,
            photo_consent=False,
        )
    assert [p.track.key for p in registration.places] == []
