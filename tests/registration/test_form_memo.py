"""The blank registration form is kept per process by what it shows; each answer fills in
its own CSRF token, a new one-time id and the seats left now. So the second visitor is
answered without rendering, yet no two visitors share a token or an id, and the seats
are never stale."""

import re

import sqlalchemy as sa

from conference.content import services as content
from conference.content.models import Track
from conference.extensions import db
from conference.memo import CSRF_SLOT
from conference.registration import views

from ..conftest import Renders, as_a_new_request
from .conftest import AR, answers, registrations, text


def form_renders(app):
    """Counts the form's renders, from an empty memo."""
    views.FORM_MEMO.clear()
    return Renders(app, "registration/register.html")


def hidden(html, name):
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)[1]


def seats(html, track_name):
    """The seats line under a track's name."""
    return re.search(rf"{track_name}.*?<strong class=\"seats\">([^<]*)</strong>", html, re.S)[1]


def test_a_second_visitor_is_answered_without_rendering(app, client, conference):
    with form_renders(app) as renders:
        first = text(client.get("/register"))
        second = text(app.test_client().get("/register"))

    assert renders.count == 1
    assert hidden(first, "submission_id") != hidden(second, "submission_id")
    assert CSRF_SLOT not in second
    assert "\ufffe" not in second
    assert 'name="full_name"' in second


def test_each_visitor_registers_with_the_token_and_id_of_their_own_page(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        content.load_content_file()
        first, second = app.test_client(), app.test_client()
        with form_renders(app) as renders:
            first_page = text(first.get("/register"))
            as_a_new_request()
            second_page = text(second.get("/register"))

        sent = [
            visitor.post(
                "/register",
                data=answers(
                    email=f"visitor{n}@example.org",
                    csrf_token=hidden(page, "csrf_token"),
                    submission_id=hidden(page, "submission_id"),
                ),
            )
            for n, (visitor, page) in enumerate([(second, second_page), (first, first_page)])
        ]

        assert renders.count == 1
        assert [response.status_code for response in sent] == [303, 303]
        assert len(registrations()) == 2  # two ids: neither is taken for a double click


def test_the_seats_left_are_read_at_each_visit(app, client, make_conference, register):
    conference = make_conference(arts_capacity=2)
    with form_renders(app) as renders:
        before = seats(text(client.get("/register")), "Arts")
        register(tracks=["arts"], to=conference)
        one_left = seats(text(client.get("/register")), "Arts")
        register(tracks=["arts"], to=conference)
        full = seats(text(client.get("/register")), "Arts")

    assert renders.count == 1
    assert before == "2 places left"
    assert one_left == "1 place left"
    assert full == "Full: you will join the waiting list"


def test_a_change_to_a_track_shows_on_the_next_visit(client, conference):
    client.get("/register")

    db.session.execute(
        sa.update(Track)
        .where(Track.conference_id == conference.id, Track.key == "arts")
        .values(description={"en": "Painting & music, changed.", "ar": "فنون"})
    )
    db.session.commit()
    db.session.expire_all()

    assert "Painting &amp; music, changed." in text(client.get("/register"))


def test_each_language_has_its_own_form(client, conference):
    english = text(client.get("/register"))
    arabic = text(client.get("/register", headers=AR))

    assert 'lang="en" dir="ltr"' in english
    assert 'lang="ar" dir="rtl"' in arabic
    assert seats(arabic, "الفنون") != seats(english, "Arts")


def test_a_message_to_show_once_is_shown_once(client, conference):
    client.get("/register")  # kept
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Shown just once.")]

    once = text(client.get("/register"))
    after = text(client.get("/register"))

    assert "Shown just once." in once
    assert "Shown just once." not in after
