"""The unsubscribe link in announcements: the page, RFC 8058 one-click, undoing it, and
tokens that name nobody."""

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conference.announcements import services, unsubscribe
from conference.extensions import db
from conference.registration import services as registrations
from conference.registration.models import Registration

from .helpers import FUZZ, HOSTILE

# ---------------------------------------------------------------------------------------
# Unsubscribing


def test_unsubscribe_page_then_button(client, attendee):
    registration = attendee()
    token = unsubscribe.unsubscribe_token(registration.id)

    page = client.get(f"/unsubscribe/{token}")
    done = client.post(f"/unsubscribe/{token}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Unsubscribe from announcements" in html
    assert 'lang="ar"' in html  # the same words in Arabic below
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page.headers["Cache-Control"]
    assert db.session.get(Registration, registration.id).announcements_opt_out is True
    assert done.status_code == 200
    assert "You are unsubscribed" in done.get_data(as_text=True)
    assert "Receive announcements again" in done.get_data(as_text=True)


def test_one_click_unsubscribe_needs_no_session_or_csrf_token(app, client, attendee):
    registration = attendee()
    token = unsubscribe.unsubscribe_token(registration.id)
    app.config["WTF_CSRF_ENABLED"] = True  # as in production

    response = client.post(
        f"/unsubscribe/{token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    resubscribe = client.post(f"/unsubscribe/{token}/undo")

    assert response.status_code == 200
    assert resubscribe.status_code == 400  # the page's own form carries a CSRF token
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).announcements_opt_out is True


def test_resubscribing(client, attendee):
    registration = attendee()
    services.set_announcements(registration, wanted=False)
    token = unsubscribe.unsubscribe_token(registration.id)

    response = client.post(f"/unsubscribe/{token}/undo")

    assert response.status_code == 200
    assert "You are subscribed again" in response.get_data(as_text=True)
    assert db.session.get(Registration, registration.id).announcements_opt_out is False


@pytest.mark.parametrize(
    "token",
    ["nonsense", "MQ.forged-signature", "x" * 300, "Im9uZSI.abc", "%00", "MA"],
)
def test_bad_tokens_are_not_found(client, attendee, token):
    attendee()

    assert client.get(f"/unsubscribe/{token}").status_code == 404
    assert client.post(f"/unsubscribe/{token}").status_code == 404


def test_tokens_for_other_values_or_salts_are_refused(client, app, attendee):
    from itsdangerous import URLSafeSerializer

    registration = attendee()
    other_salt = URLSafeSerializer(app.config["SECRET_KEY"], salt="other").dumps(registration.id)
    a_string = URLSafeSerializer(app.config["SECRET_KEY"], salt=unsubscribe.UNSUBSCRIBE_SALT).dumps(
        str(registration.id)
    )

    assert client.get(f"/unsubscribe/{other_salt}").status_code == 404
    assert client.get(f"/unsubscribe/{a_string}").status_code == 404


def test_erased_registrations_cannot_be_unsubscribed(client, attendee):
    registration = attendee()
    token = unsubscribe.unsubscribe_token(registration.id)
    registrations.erase_registration(registration)

    assert client.get(f"/unsubscribe/{token}").status_code == 404


def test_the_sample_link_in_previews_unsubscribes_nobody(client, attendee):
    attendee()

    url = unsubscribe.sample_unsubscribe_url()

    assert client.post(url.removeprefix("http://conference.test")).status_code == 404


def test_unsubscribe_page_in_arabic(client, attendee):
    token = unsubscribe.unsubscribe_token(attendee().id)

    response = client.get(f"/unsubscribe/{token}", headers={"Accept-Language": "ar"})

    html = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert '<div class="other-language" lang="en" dir="ltr">' in html


# ---------------------------------------------------------------------------------------
# Hostile input: never a 500


@FUZZ
@given(token=st.one_of(HOSTILE, st.text(alphabet="ABCMQWxyz019._-", max_size=60)))
def test_hostile_unsubscribe_tokens_are_not_found(client, conference, token):
    token = token.replace("/", "").replace("\x00", "") or "x"

    for method in (client.get, client.post):
        response = method("/unsubscribe/" + quote(token, safe=""))
        assert response.status_code == 404
