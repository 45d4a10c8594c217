"""The registration form: its answers, suggestions, repeats and spam, the privacy notice."""

import re
from datetime import datetime

import pytest

from conference.content import services as content
from conference.extensions import limiter
from conference.mailer import outbox
from conference.registration.models import PlaceStatus

from .conftest import AR, EN, answers, queued, registrations, text

# ---------------------------------------------------------------------------------------
# The form


@pytest.mark.parametrize(
    ("headers", "language", "direction"), [(EN, "en", "ltr"), (AR, "ar", "rtl")]
)
def test_form_is_shown_in_the_page_language(client, conference, headers, language, direction):
    response = client.get("/register", headers=headers)

    html = text(response)
    assert response.status_code == 200
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert '<form class="form" method="post" action="/register" novalidate>' in html
    # The email language defaults to the page's; each language name is marked as such.
    assert re.search(
        rf'<input [^>]*checked [^>]*name="language" type="radio" value="{language}">', html
    )
    assert '<label class="choice__label" for="language-0" lang="ar">العربية</label>' in html
    assert '<label class="choice__label" for="language-1" lang="en">English</label>' in html
    assert response.headers["Cache-Control"] == "no-store"


def test_form_has_the_right_input_types_and_no_browser_validation(client, conference):
    html = text(client.get("/register"))

    assert 'autocomplete="name"' in html
    assert re.search(r'<input [^>]*autocomplete="email"[^>]*dir="ltr"[^>]*type="email"', html)
    assert re.search(r'<input [^>]*autocomplete="tel"[^>]*dir="ltr"[^>]*type="tel"', html)
    assert 'autocomplete="address-level2"' in html
    assert 'autocomplete="address-level1"' in html
    assert re.search(r'<textarea [^>]*dir="auto"[^>]*name="needs"', html)
    assert " required" not in html
    assert "maxlength" not in html
    assert 'name="submission_id" type="hidden" value="' in html
    assert '<div class="trap">' in html
    assert 'href="/privacy"' in html


def test_each_rendering_of_the_form_gets_its_own_submission_id(client, conference):
    ids = {
        re.search(
            r'name="submission_id" type="hidden" value="([^"]+)"', text(client.get("/register"))
        )[1]
        for _ in range(3)
    }

    assert len(ids) == 3


def test_tracks_show_the_places_left_and_full_tracks_the_waiting_list(
    client, make_conference, registered
):
    make_conference(arts_capacity=1, social_capacity=2)
    registered(tracks=["arts", "social"])

    html = text(client.get("/register"))

    assert "150 places left" in html
    assert "1 place left" in html
    assert "Full: you will join the waiting list" in html


def test_a_valid_answer_registers_and_shows_the_email_back(client, conference):
    response = client.post("/register", data=answers(email=" Layla@Example.org "))

    assert response.status_code == 303
    assert response.headers["Location"] == "/register/done"
    done = client.get("/register/done")
    assert '<bdi dir="ltr">Layla@Example.org</bdi>' in text(done)
    assert done.headers["Cache-Control"] == "no-store"
    [registration] = registrations()
    assert registration.email == "layla@example.org"
    assert registration.full_name == "Layla Haddad"
    assert registration.phone == "+1 202 555 0143"
    assert (registration.city, registration.region) == ("Houston", "Texas")
    assert registration.privacy_accepted_at is not None
    assert registration.photo_consent is False
    assert sorted(p.track.key for p in registration.places) == ["arts", "cultural"]
    [message] = queued("registration.confirmation")
    assert message.recipient == "layla@example.org"


def test_the_success_page_shows_the_address_once_and_never_in_its_url(client, conference):
    response = client.post("/register", data=answers(), follow_redirects=True)
    again = client.get("/register/done")

    assert "layla@example.org" not in response.request.url
    assert "layla@example.org" in text(response)
    assert again.status_code == 302
    assert again.headers["Location"] == "/register"


def test_email_language_and_optional_answers_are_stored(client, conference):
    client.post(
        "/register",
        data=answers(
            language="ar", phone="", region="", needs="Wheelchair\r\naccess", photo_consent="y"
        ),
        headers=AR,
    )

    [registration] = registrations()
    assert registration.language == "ar"
    assert registration.phone is None
    assert registration.region is None
    assert registration.needs == "Wheelchair\naccess"
    assert registration.photo_consent is True


def test_a_full_track_puts_the_registrant_on_its_waiting_list(client, make_conference, registered):
    make_conference(arts_capacity=1)
    registered(tracks=["arts"])

    client.post("/register", data=answers(tracks=["arts"]))

    [_first, second] = registrations()
    assert [p.status for p in second.places] == [PlaceStatus.waitlisted]


def test_empty_answers_give_an_error_summary_and_inline_errors(client, conference):
    response = client.post("/register", data={"language": "en"}, headers=EN)

    html = text(response)
    assert response.status_code == 200
    assert "<title>Error: Register for For Syria" in html
    assert '<div class="error-summary" tabindex="-1" autofocus>' in html
    for target, message in [
        ("full_name", "Enter your full name"),
        ("email", "Enter your email address"),
        ("city", "Enter your city"),
        ("tracks-0", "Select at least one track"),
        ("privacy", "Confirm you agree to the privacy notice"),
    ]:
        assert f'<li><a href="#{target}">{message}</a></li>' in html
    assert '<p id="full_name-error" class="error-message">' in html
    assert re.search(r'aria-describedby="full_name-error" aria-invalid="true"', html)
    assert '<fieldset class="fieldset" aria-describedby="tracks-hint tracks-error">' in html
    assert html.index("error-summary") < html.index("<h1>")
    assert registrations() == []


def test_errors_are_in_arabic_on_the_arabic_page(client, conference):
    response = client.post("/register", data={"email": "not-an-address"}, headers=AR)

    html = text(response)
    assert '<html lang="ar" dir="rtl">' in html
    assert '<a href="#full_name">أدخل اسمك الكامل</a>' in html
    assert "أدخل عنوان بريد إلكتروني بالصيغة الصحيحة، مثل name@example.com" in html
    assert "اختر مسارًا واحدًا على الأقل" in html
    assert "أكّد موافقتك على إشعار الخصوصية" in html


def test_answers_are_kept_when_the_form_comes_back_with_errors(client, conference):
    html = text(client.post("/register", data=answers(privacy=None, full_name="مُحَمَّد الشامي")))

    assert 'value="مُحَمَّد الشامي"' in html
    assert 'value="layla@example.org"' in html
    assert re.search(r'<input [^>]*checked [^>]*value="cultural"', html)
    assert 'value="submission-0000000000000001"' in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "x" * 201, "Full name must be 200 characters or fewer"),
        ("email", "layla@", "Enter an email address in the correct format"),
        ("email", "a" * 250 + "@example.org", "Email address must be 254 characters or fewer"),
        ("phone", "call me", "Enter a phone number, like +1 202 555 0143"),
        ("phone", "1" * 41, "Phone number must be 40 characters or fewer"),
        ("city", "x" * 101, "City must be 100 characters or fewer"),
        ("region", "x" * 101, "State or region must be 100 characters or fewer"),
        ("needs", "x" * 2001, "Accessibility or dietary needs must be 2,000 characters or fewer"),
        ("tracks", ["cooking"], "Select at least one track"),
        ("language", "fr", "Select the language we should email you in"),
    ],
)
def test_each_field_says_what_is_wrong(client, conference, field, value, message):
    html = text(client.post("/register", data=answers(**{field: value})))

    assert message in html
    assert registrations() == []


def test_phone_numbers_may_use_arabic_indic_digits(client, conference):
    response = client.post("/register", data=answers(phone="+١ (٢٠٢) ٥٥٥-٠١٤٣"))

    assert response.status_code == 303
    assert registrations()[0].phone == "+١ (٢٠٢) ٥٥٥-٠١٤٣"


def test_lengths_are_checked_after_spaces_and_control_characters_are_removed(client, conference):
    name = "  " + "x" * 200 + "\x00\u202e  "

    response = client.post("/register", data=answers(full_name=name))

    assert response.status_code == 303
    assert registrations()[0].full_name == "x" * 200


# ---------------------------------------------------------------------------------------
# "Did you mean …?"


def test_a_likely_typo_in_the_email_domain_is_asked_about_once(client, conference):
    first = client.post("/register", data=answers(email="layla@gmial.com"))

    html = text(first)
    assert first.status_code == 200
    assert registrations() == []
    assert "Error:" not in html
    assert '<div class="check-summary" tabindex="-1" autofocus>' in html
    assert 'Did you mean <bdi dir="ltr">layla@gmail.com</bdi>?' in html
    assert 'name="email_checked" type="hidden" value="layla@gmial.com"' in html
    assert 'aria-describedby="email-hint email-suggestion"' in html

    second = client.post(
        "/register", data=answers(email="layla@gmial.com", email_checked="layla@gmial.com")
    )

    assert second.status_code == 303
    assert registrations()[0].email == "layla@gmial.com"


def test_the_suggested_address_is_used_when_the_visitor_ticks_it(client, conference):
    response = client.post(
        "/register",
        data=answers(email="layla@gmial.com", email_checked="layla@gmial.com", use_suggestion="y"),
    )

    assert response.status_code == 303
    assert registrations()[0].email == "layla@gmail.com"
    assert "layla@gmail.com" in text(client.get("/register/done"))


def test_a_changed_address_is_checked_again(client, conference):
    response = client.post(
        "/register",
        data=answers(
            email="layla@hotmial.com", email_checked="layla@gmial.com", use_suggestion="y"
        ),
    )

    assert response.status_code == 200
    assert "layla@hotmail.com" in text(response)
    assert registrations() == []


# ---------------------------------------------------------------------------------------
# Repeats, double clicks, spam, the window


def test_registering_again_shows_the_same_page_and_emails_the_link(client, conference):
    client.post("/register", data=answers())
    first = text(client.get("/register/done"))

    again = client.post(
        "/register", data=answers(full_name="Someone Else", submission_id="another-submission-0002")
    )
    second = text(client.get("/register/done"))

    assert again.status_code == 303
    assert first == second
    [registration] = registrations()
    assert registration.full_name == "Layla Haddad"
    [message] = queued("registration.already_registered")
    assert message.recipient == "layla@example.org"
    assert "/registration/" in outbox.render(message).text


def test_a_full_width_address_is_accepted_and_is_the_same_person(client, conference):
    client.post("/register", data=answers())

    again = client.post(
        "/register",
        data=answers(email="\uff4cayla\uff20example.org", submission_id="another-submission-0003"),
    )

    assert again.status_code == 303
    [registration] = registrations()
    assert registration.email == "layla@example.org"
    [message] = queued("registration.already_registered")
    assert message.recipient == "layla@example.org"


def test_a_double_clicked_submit_registers_once(client, conference):
    first = client.post("/register", data=answers())
    second = client.post("/register", data=answers())

    assert first.status_code == second.status_code == 303
    assert len(registrations()) == 1
    assert len(queued()) == 1


def test_a_filled_in_spam_trap_shows_success_and_saves_nothing(client, conference):
    response = client.post("/register", data=answers(website="http://spam.example"))

    assert response.status_code == 303
    assert "layla@example.org" in text(client.get("/register/done"))
    assert registrations() == []
    assert queued() == []


# ---------------------------------------------------------------------------------------
# The page after the form: each chosen track's seat or place in line


def places_shown(html):
    """(track name, what the page says of it), in order."""
    return [
        (name, words.strip())
        for name, words in re.findall(
            r'<li(?: class="outcome--waiting")?><strong>([^<]+)</strong>([^<]+)</li>', html
        )
    ]


def fill(register, track, count):
    for n in range(count):
        register(f"filler-{track}-{n}@example.org", tracks=[track])


def test_the_page_says_which_tracks_have_a_seat_and_which_a_place_in_line(
    client, make_conference, register
):
    make_conference(arts_capacity=1)
    fill(register, "arts", 3)  # one seat, two waiting

    client.post("/register", data=answers(tracks=["cultural", "arts"]))
    html = text(client.get("/register/done"))

    assert places_shown(html) == [
        ("Cultural", "You have a seat."),
        ("Arts", "You are on the waiting list: number 3 in line."),
    ]
    assert "If a seat comes free, it is yours: we will email you at once." in html
    # The email says the same.
    [confirmation] = queued("registration.confirmation")[-1:]
    email = outbox.render(confirmation).text
    assert "Arts: number 3 in line" in email


def test_the_page_says_it_in_arabic(client, make_conference, register):
    make_conference(arts_capacity=1)
    fill(register, "arts", 1)

    client.post("/register", data=answers(tracks=["cultural", "arts"]), headers=AR)
    html = text(client.get("/register/done", headers=AR))

    assert places_shown(html) == [
        ("الثقافة", "لك مقعد مؤكَّد."),
        ("الفنون", "أنت في قائمة الانتظار: رقمك 1."),
    ]
    # The address is isolated, so the full stop ends the sentence, after it.
    assert '<bdi dir="ltr">layla@example.org</bdi>.' in html


def test_a_seat_for_every_track_says_nothing_of_waiting(client, conference):
    client.post("/register", data=answers(tracks=["arts"]))
    html = text(client.get("/register/done"))

    assert places_shown(html) == [("Arts", "You have a seat.")]
    assert "If a seat comes free" not in html


def test_a_repeat_sees_what_the_form_would_get_never_the_registrations_places(
    client, make_conference, register
):
    make_conference(arts_capacity=1)
    register("layla@example.org", tracks=["social"])
    fill(register, "arts", 2)  # arts: full, one waiting

    client.post("/register", data=answers(tracks=["arts"]))
    html = text(client.get("/register/done"))

    assert places_shown(html) == [("Arts", "You are on the waiting list: number 2 in line.")]
    assert "Social" not in html.split('<ul class="outcome">', 1)[1].split("</ul>", 1)[0]


def test_a_repeat_with_seats_left_sees_a_seat_that_stays_free(client, make_conference, register):
    make_conference(arts_capacity=2)
    register("layla@example.org", tracks=["social"])
    fill(register, "arts", 1)  # arts: one seat left

    client.post("/register", data=answers(tracks=["social", "arts"]))
    html = text(client.get("/register/done"))

    # The conference's order of tracks, as for anyone; the rehearsed seat was given back.
    assert places_shown(html) == [("Social", "You have a seat."), ("Arts", "You have a seat.")]
    client.post("/register", data=answers(email="nadia@example.org", tracks=["arts"]))
    assert places_shown(text(client.get("/register/done"))) == [("Arts", "You have a seat.")]


def test_a_double_clicked_submit_shows_its_own_places(client, make_conference, register):
    make_conference(arts_capacity=1)
    client.post("/register", data=answers(tracks=["arts"]))
    first = text(client.get("/register/done"))

    client.post("/register", data=answers(tracks=["arts"]))  # the same form, again
    second = text(client.get("/register/done"))

    assert places_shown(first) == places_shown(second) == [("Arts", "You have a seat.")]


def test_a_spam_trap_shows_places_like_anyone_else(client, conference):
    client.post("/register", data=answers(website="http://spam.example", tracks=["arts"]))

    assert places_shown(text(client.get("/register/done"))) == [("Arts", "You have a seat.")]
    assert registrations() == []


def test_places_forged_into_the_session_are_ignored(client, conference):
    with client.session_transaction() as session:
        session["registration.email"] = "a@example.org"
        session["registration.places"] = [[999, None], "x", [1, "two"], None]

    response = client.get("/register/done")

    assert response.status_code == 200
    assert places_shown(text(response)) == []


@pytest.mark.parametrize("headers", [EN, AR])
def test_a_closed_registration_says_so_in_both_languages(client, make_conference, headers):
    make_conference(registration={"status": "closed"})

    response = client.get("/register", headers=headers)

    html = text(response)
    assert response.status_code == 200
    assert "<form" not in html
    assert 'lang="ar" dir="rtl"' in html  # the Arabic page, or the Arabic part of the English one
    assert 'lang="en" dir="ltr"' in html
    assert html.count("<h1>") == 1


def test_a_closed_registration_refuses_a_post(client, make_conference):
    make_conference(registration={"status": "closed"})

    response = client.post("/register", data=answers())

    assert response.status_code == 403
    assert "Registration is closed" in text(response)
    assert registrations() == []


def test_the_registration_window_is_read_at_each_request(client, make_conference):
    make_conference(registration={"status": "open", "closes_at": datetime(2000, 1, 1)})

    response = client.post("/register", data=answers())

    assert response.status_code == 403


def test_a_timed_out_form_keeps_the_answers(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        content.load_content_file()
    client = app.test_client()

    response = client.post("/register", data=answers(csrf_token="expired"))

    html = text(response)
    assert response.status_code == 200
    assert "This page timed out. Check your answers and submit again." in html
    assert 'value="Layla Haddad"' in html


def test_the_form_works_with_its_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        content.load_content_file()
    client = app.test_client()
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get("/register"))
    )[1]

    response = client.post("/register", data=answers(csrf_token=token))

    assert response.status_code == 303


@pytest.fixture
def limited_app(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        REGISTRATION_RATE_LIMIT="2 per minute",
        RESEND_RATE_LIMIT="1 per minute",
    )
    with app.app_context():
        content.load_content_file()
    yield app
    limiter.enabled = False  # the limiter is one object; the next app sets it again anyway


def test_too_many_registrations_from_one_address_get_the_429_page(limited_app):
    client = limited_app.test_client()

    statuses = [
        client.post(
            "/register", data=answers(email=f"p{n}@example.org", submission_id=None), headers=AR
        ).status_code
        for n in range(3)
    ]
    form = client.get("/register")

    assert statuses == [303, 303, 429]
    assert form.status_code == 200  # only the POST is limited


def test_too_many_link_requests_get_the_429_page(limited_app):
    client = limited_app.test_client()

    first = client.post("/register/link", data={"email": "a@example.org"})
    second = client.post("/register/link", data={"email": "a@example.org"}, headers=AR)

    assert first.status_code == 303
    assert second.status_code == 429
    assert "طلبات كثيرة جدًا" in text(second)


# ---------------------------------------------------------------------------------------
# The privacy notice


@pytest.mark.parametrize("headers", [EN, AR])
def test_the_privacy_notice_says_what_why_how_long_and_who(client, conference, headers):
    response = client.get("/privacy", headers=headers)

    assert response.status_code == 200
    assert text(response).count("<h2>") >= 5


def test_the_privacy_notice_in_english(client, conference):
    html = text(client.get("/privacy", headers=EN))

    for heading in ("What we keep", "Why", "For how long", "Who sees it", "No tracking"):
        assert f"<h2>{heading}</h2>" in html
    assert "Sponsors never see personal data." in html
