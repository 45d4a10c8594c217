"""An attendee changes their own email address: asked from the private link, confirmed by
a link sent to the new address, keeping every seat and place in line."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from conference.clock import utcnow
from conference.content import services as content
from conference.extensions import db, limiter
from conference.registration import email_change, queries, services
from conference.registration.models import PlaceStatus

from .conftest import AR, audit_events, delivered, queued, registrations, text

LINK = re.compile(r"https?://[^/\s]+(/registration/new-address/[A-Za-z0-9_-]+)")


def changes():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(email_change.EmailChange)))


def confirm_link(kind="registration.email_change"):
    """The path of the link in the newest message of ``kind``, rendered as sent."""
    row = queued(kind)[-1]
    return LINK.search(delivered(row).text)[1]


@pytest.fixture
def waiting_attendee(make_conference, registered):
    """Layla: a seat in arts, number 2 on the social waiting list; her private link."""
    make_conference(social_capacity=1)
    registered("first@example.org", tracks=["social"])
    registered("second@example.org", tracks=["social"])
    return registered("layla@example.org", tracks=["arts", "social"], full_name="Layla")


def ask(client, token, address, **kwargs):
    return client.post(f"/registration/{token}/email", data={"email": address}, **kwargs)


def test_the_details_page_shows_the_address_and_leads_to_the_change(client, waiting_attendee):
    _registration, token = waiting_attendee

    html = text(client.get(f"/registration/{token}/details"))

    assert '<bdi dir="ltr">layla@example.org</bdi>' in html
    assert f'href="/registration/{token}/email"' in html
    page = client.get(f"/registration/{token}/email")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"


def test_a_change_end_to_end_keeps_the_seat_and_the_place_in_line(client, waiting_attendee):
    registration, token = waiting_attendee

    response = ask(client, token, " Layla.New@Example.org ")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/registration/{token}"
    assert "If this address can be used" in text(client.get(f"/registration/{token}"))
    [link_message] = queued("registration.email_change")
    [notice] = queued("registration.email_change_notice")
    assert link_message.recipient == "layla.new@example.org"
    assert notice.recipient == "layla@example.org"
    assert "/registration/" not in delivered(notice).text  # the old address gets no link
    assert registrations()[-1].email == "layla@example.org"  # nothing changes yet

    path = confirm_link()
    page = client.get(path)
    assert page.status_code == 200
    assert '<bdi dir="ltr">layla.new@example.org</bdi>' in text(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    done = client.post(path)

    assert done.status_code == 303
    shown = text(client.get(done.headers["Location"]))
    assert '<bdi dir="ltr">layla.new@example.org</bdi>' in shown
    changed = registrations()[-1]
    assert changed.id == registration.id
    assert changed.email == "layla.new@example.org"
    assert sorted((p.track.key, p.status) for p in changed.places) == [
        ("arts", PlaceStatus.confirmed),
        ("social", PlaceStatus.waitlisted),
    ]
    assert list(queries.places_in_line(changed.waitlisted_places).values()) == [2]
    # The old private link ends; the new address gets a new one, with the places.
    assert client.get(f"/registration/{token}").status_code == 404
    [welcome] = queued("registration.email_changed")
    assert welcome.recipient == "layla.new@example.org"
    email = delivered(welcome)
    assert "number 2 in line" in email.text
    new_link = re.search(r"https?://[^/\s]+(/registration/[A-Za-z0-9_-]+)\s", email.text)[1]
    assert "layla.new@example.org" in text(client.get(new_link))
    assert [e.details for e in audit_events(email_change.REQUESTED)] == [
        {"registration_id": registration.id}
    ]
    assert len(audit_events(email_change.CHANGED)) == 1
    assert changes() == []


def test_the_link_works_once(client, waiting_attendee):
    _registration, token = waiting_attendee
    ask(client, token, "new@example.org")
    path = confirm_link()

    assert client.post(path).status_code == 303
    again = client.post(path)

    assert again.status_code == 404
    assert "This link has expired or has already been used." in text(again)
    assert client.get(path).status_code == 404
    assert len(queued("registration.email_changed")) == 1


def test_the_link_expires(client, waiting_attendee):
    _registration, token = waiting_attendee
    ask(client, token, "new@example.org")
    path = confirm_link()
    [change] = changes()
    assert utcnow() + email_change.VALID - change.expires_at < timedelta(minutes=1)

    change.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.post(path)

    assert response.status_code == 404
    assert registrations()[-1].email == "layla@example.org"


def test_a_link_is_dead_until_its_message_is_sent_and_shows_no_link_to_organizers(
    client, waiting_attendee
):
    from conference.mailer import outbox

    _registration, token = waiting_attendee
    ask(client, token, "new@example.org")
    [row] = queued("registration.email_change")

    shown = outbox.render(row, outbox.Rendering(display=True))

    assert "new-address" not in shown.text
    assert changes()[0].token_hash is None


def test_a_new_request_ends_the_earlier_link(client, waiting_attendee):
    _registration, token = waiting_attendee
    ask(client, token, "first-try@example.org")
    first = confirm_link()
    ask(client, token, "second-try@example.org")
    second = confirm_link()

    assert client.post(first).status_code == 404
    assert client.post(second).status_code == 303
    assert registrations()[-1].email == "second-try@example.org"


def test_an_address_already_registered_is_not_told_apart_at_the_request(
    client, waiting_attendee, registered
):
    _registration, token = waiting_attendee
    registered("taken@example.org")

    free = ask(client, token, "free@example.org")
    free_page = text(client.get(free.headers["Location"]))
    taken = ask(client, token, "taken@example.org")
    taken_page = text(client.get(taken.headers["Location"]))

    assert free.status_code == taken.status_code == 303
    assert free_page == taken_page
    # Nothing goes to the taken address; the old address is told both times.
    assert [m.recipient for m in queued("registration.email_change")] == ["free@example.org"]
    assert len(queued("registration.email_change_notice")) == 2
    assert [c.new_email for c in changes()] == []  # the second request ended the first


def test_an_address_taken_before_the_confirmation_gets_a_clear_message(
    client, waiting_attendee, registered
):
    _registration, token = waiting_attendee
    ask(client, token, "new@example.org")
    path = confirm_link()
    registered("new@example.org")

    response = client.post(path)

    assert response.status_code == 409
    assert "Another registration for this conference already uses this email address" in text(
        response
    )
    assert registrations()[-2].email == "layla@example.org"
    assert client.get(f"/registration/{token}").status_code == 200


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("not an address", "Enter an email address in the correct format"),
        ("", "Enter your email address"),
        ("a" * 250 + "@example.org", "Email address must be 254 characters or fewer"),
        ("layla@example.org", "This is already your email address"),
        ("LAYLA@example.org", "This is already your email address"),
    ],
)
def test_bad_input_is_a_form_error(client, waiting_attendee, address, message):
    _registration, token = waiting_attendee

    response = ask(client, token, address)

    assert response.status_code == 422
    assert message in text(response)
    assert queued() == [] or all(m.kind.startswith("registration.confirmation") for m in queued())
    assert changes() == []


def test_bad_input_is_explained_in_arabic(client, waiting_attendee):
    _registration, token = waiting_attendee

    response = ask(client, token, "nope", headers=AR)

    assert response.status_code == 422
    assert 'lang="ar" dir="rtl"' in text(response)
    assert "Enter an email address" not in text(response)


def test_hostile_links_are_404(client, waiting_attendee):
    for wrong in ("nope", "x" * 500, "%00", "' or 1=1 --"):
        assert client.get(f"/registration/new-address/{wrong}").status_code == 404
        assert client.post(f"/registration/new-address/{wrong}").status_code == 404


def test_cancelling_or_erasing_forgets_the_new_address(client, waiting_attendee):
    registration, token = waiting_attendee
    ask(client, token, "new@example.org")
    path = confirm_link()

    services.erase_registration(registrations()[-1])

    assert changes() == []
    assert client.get(path).status_code == 404


def test_the_emails_speak_the_attendees_language(client, make_conference, registered):
    make_conference()
    _registration, token = registered("rana@example.org", language="ar", full_name="رنا")

    ask(client, token, "rana.new@example.org")

    [link_message] = queued("registration.email_change")
    email = delivered(link_message)
    assert link_message.language == "ar"
    assert "Confirm your new email address" not in email.html
    assert 'dir="rtl"' in email.html


def test_asking_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RESEND_RATE_LIMIT="2 per minute")
    try:
        with app.app_context():
            content.load_content_file()
            conference = content.get_conference(app.config["CONFERENCE_SLUG"])
            outcome = services.register_attendee(
                conference,
                email="ada@example.org",
                full_name="Ada",
                track_keys=["arts"],
                language="en",
                privacy_accepted=True,
            )
            token = services.mint_token(outcome.registration)
            db.session.commit()
            client = app.test_client()
            statuses = [ask(client, token, f"n{i}@example.org").status_code for i in range(3)]
    finally:
        limiter.enabled = False  # one object for every app: the next one sets it again

    assert statuses == [303, 303, 429]
