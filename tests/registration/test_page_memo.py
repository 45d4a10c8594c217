"""The private page's rendered HTML is kept per process by what it shows: a change made
anywhere (this process, another one, straight in the database) shows on the next request,
and one person's page never reaches another."""

import sqlalchemy as sa

from conference.content.models import Conference, Track
from conference.extensions import db
from conference.registration import views
from conference.registration.models import Place, PlaceStatus, Registration

from .conftest import AR, text


def elsewhere(statement):
    """Run ``statement`` past the app, as another process would: on a connection of its
    own on PostgreSQL (the tests' SQLite has a single shared connection)."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(statement)
        db.session.commit()
    else:
        with db.engine.begin() as connection:
            connection.execute(statement)
    db.session.expire_all()


def test_a_page_is_kept_and_answered_the_same(client, registered):
    _registration, token = registered(full_name="Layla Haddad")

    first = client.get(f"/registration/{token}")
    second = client.get(f"/registration/{token}")

    assert first.status_code == second.status_code == 200
    assert text(first) == text(second)
    assert len(views.PAGE_MEMO) >= 1


def test_each_link_opens_its_own_page_only(client, registered):
    _first, first_token = registered("first@example.org", full_name="First Person")
    _second, second_token = registered("second@example.org", full_name="Second Person")

    for _ in range(2):
        first = text(client.get(f"/registration/{first_token}"))
        second = text(client.get(f"/registration/{second_token}"))
        assert "First Person" in first
        assert "Second Person" not in first
        assert "Second Person" in second
        assert "First Person" not in second
        assert second_token not in first
        assert first_token not in second


def test_a_change_made_in_the_database_shows_on_the_next_request(client, registered):
    registration, token = registered(full_name="Layla Haddad")
    assert "Layla Haddad" in text(client.get(f"/registration/{token}"))

    elsewhere(
        sa.update(Registration)
        .where(Registration.id == registration.id)
        .values(full_name="Layla Khoury")
    )

    html = text(client.get(f"/registration/{token}"))
    assert "Layla Khoury" in html
    assert "Layla Haddad" not in html


def test_a_seat_given_elsewhere_shows_on_the_next_request(client, make_conference, registered):
    make_conference(arts_capacity=1)
    registered("first@example.org", tracks=["arts"])
    registration, token = registered("layla@example.org", tracks=["arts"])
    assert "Number 1 on the waiting list" in text(client.get(f"/registration/{token}"))

    elsewhere(
        sa.update(Place)
        .where(Place.registration_id == registration.id)
        .values(status=PlaceStatus.confirmed)
    )

    html = text(client.get(f"/registration/{token}"))
    assert "Your seat is confirmed" in html
    assert "waiting list" not in html


def test_a_content_change_shows_on_the_next_request(client, conference, registered):
    _registration, token = registered(tracks=["arts"])
    client.get(f"/registration/{token}")

    track = db.session.scalar(sa.select(Track).filter_by(key="arts"))
    name = dict(track.name, en="Arts and Letters")
    elsewhere(sa.update(Track).where(Track.id == track.id).values(name=name))
    elsewhere(
        sa.update(Conference).where(Conference.id == conference.id).values(content_version="v2")
    )

    assert "Arts and Letters" in text(client.get(f"/registration/{token}"))


def test_a_cancellation_shows_on_the_next_request(client, registered):
    _registration, token = registered()
    client.get(f"/registration/{token}")

    client.post(f"/registration/{token}/cancel")

    response = client.get(f"/registration/{token}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/register/cancelled")


def test_the_language_is_part_of_the_key(client, registered):
    _registration, token = registered()
    english = text(client.get(f"/registration/{token}"))

    arabic = text(client.get(f"/registration/{token}", headers=AR))

    assert 'lang="ar"' in arabic
    assert 'lang="en"' in english
    assert arabic != english


def test_a_message_to_show_once_is_not_kept(client, registered):
    _registration, token = registered(full_name="Layla Haddad")
    client.get(f"/registration/{token}")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Your details are saved.")]

    assert "Your details are saved." in text(client.get(f"/registration/{token}"))
    assert "Your details are saved." not in text(client.get(f"/registration/{token}"))


def test_the_memo_is_bounded():
    memo = views.RenderMemo(maxsize=2)
    for key in "abc":
        memo.get_or_render(key, lambda key=key: key.upper())
    assert len(memo) == 2
    assert memo.get_or_render("a", lambda: "new") == "new"
