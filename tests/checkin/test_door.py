"""At the door: the scan button, codes that let no one in, look-alike names, and the QR
code in the confirmation's body and on the private page."""

import email
import email.policy
import re

import pytest
import sqlalchemy as sa

from conference.checkin import services as checkin
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage
from conference.registration import checkin_code, services

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FSI, PDI = "\u2068", "\u2069"


def text(response):
    return response.get_data(as_text=True)


def search(client, query):
    return client.post("/manage/checkin", data={"q": query})


def code_page(client, registration_or_code):
    code = getattr(registration_or_code, "checkin_code", registration_or_code)
    return client.get(f"/manage/checkin/c/{code}")


# ---------------------------------------------------------------------------------------
# The scan button


def test_the_desk_offers_a_scan_button_that_its_script_reveals(client, login_as, conference):
    login_as("checkin")

    response = client.get("/manage/checkin")
    html = text(response)

    assert re.search(r'<script src="/static/js/checkin-scan\.js[^"]*" defer>', html)
    # Hidden until the script finds a camera: without JavaScript, the search is the way.
    [scan] = re.findall(r"<div class=\"checkin-scan\" hidden data-checkin-scan[^>]*>", html)
    assert 'data-code-url="/manage/checkin/c/CODE"' in scan
    assert 'data-decoder="/static/js/vendor/jsQR.js' in scan
    assert 'data-scanning="Scanning…' in scan
    assert 'aria-controls="checkin-scan-panel" aria-expanded="false"' in html
    assert "Scan a QR code" in html
    assert 'role="status" aria-live="polite"' in html
    assert "Close the camera" in html
    assert '<form method="post" action="/manage/checkin"' in html  # the search stays
    # The camera for this page, from this site only; every other page refuses it.
    assert "camera=(self)" in response.headers["Permissions-Policy"]
    assert "camera=()" in client.get("/manage/account").headers["Permissions-Policy"]


def test_the_scan_scripts_are_served_from_this_site_with_the_decoders_licence(client):
    served = {}
    for name in ("checkin-scan.js", "vendor/jsQR.js"):
        with client.get(f"/static/js/{name}") as response:
            assert response.status_code == 200
            served[name] = text(response)

    assert "BarcodeDetector" in served["checkin-scan.js"]
    assert "getUserMedia" in served["checkin-scan.js"]
    assert served["vendor/jsQR.js"].startswith("/*! jsQR 1.4.0")
    assert "Apache License, Version 2.0" in served["vendor/jsQR.js"][:400]


# ---------------------------------------------------------------------------------------
# Codes that let no one in


@pytest.mark.parametrize("language", ["en", "ar"])
def test_an_unknown_code_fills_the_screen_with_not_valid(client, login_as, conference, language):
    login_as("checkin")
    client.set_cookie(client.application.config["LANGUAGE_COOKIE"], language)

    response = code_page(client, "AbCdEfGhIjKlMnOp")
    html = text(response)

    assert response.status_code == 404
    assert 'data-checkin-invalid="unknown"' in html
    assert '<header class="staff-header">' in html  # in the back office's frame, not a bare page
    assert 'href="/manage/checkin"' in html  # what to do: search by name
    if language == "en":
        assert (
            '<h1 id="checkin-invalid-title" class="checkin-invalid__title">Not valid</h1>' in html
        )
        assert "Search for the person by name instead." in html
    else:
        assert "غير صالح" in html
        assert "ابحث بالاسم" in html


def test_a_cancelled_registration_s_code_is_not_valid(client, login_as, make_registration):
    registration = make_registration(full_name="Pat Gone")
    services.cancel_registration(registration)
    login_as("checkin")

    response = code_page(client, registration)
    html = text(response)

    assert response.status_code == 404
    assert 'data-checkin-invalid="cancelled"' in html
    assert "Cancelled — not valid" in html
    assert "Pat Gone" in html
    assert 'action="/manage/checkin/' not in html  # no check-in button


def test_an_erased_registration_s_code_is_not_valid(client, login_as, make_registration):
    registration = make_registration(full_name="Pat Erased")
    code = registration.checkin_code
    services.erase_registration(registration)
    login_as("checkin")

    response = code_page(client, code)

    assert response.status_code == 404
    assert 'data-checkin-invalid="unknown"' in text(response)
    assert "Pat Erased" not in text(response)


def test_a_waiting_list_person_s_code_has_no_seat(
    client, login_as, make_conference, make_registration
):
    conference = make_conference(arts_capacity=1)
    seated = make_registration(full_name="Pat Seated", tracks=["arts"], to=conference)
    moved = make_registration(full_name="Pat Moved", tracks=["social"], to=conference)
    # Their seat goes: they join the arts waiting list instead; the old code stays.
    services.change_tracks(moved, ["arts"])
    assert moved.checkin_code
    assert not moved.confirmed_places
    login_as("checkin")

    response = code_page(client, moved)
    html = text(response)

    assert response.status_code == 404
    assert 'data-checkin-invalid="waitlisted"' in html
    assert "On the waiting list — no seat" in html
    assert "Pat Moved" in html
    assert code_page(client, seated).status_code == 200


# ---------------------------------------------------------------------------------------
# Look-alike names


def test_look_alike_names_are_told_apart_by_city_and_number(client, login_as, make_registration):
    first = make_registration(full_name="Layla Haddad", email="layla@example.org", city="Homs")
    second = make_registration(full_name="layla  HADDAD", email="lina@example.org", city="Dearborn")
    other = make_registration(full_name="Layla Haddadin", email="lh@example.org", city="Aleppo")
    login_as("checkin")

    html = text(search(client, "layla"))

    # Both show the same masked address: the city and the number tell them apart.
    assert html.count("l•••@example.org") == 3
    assert "Some people here look alike" in html
    items = re.findall(r'<li class="checkin-person([^"]*)">(.*?)</li>', html, re.S)
    assert len(items) == 3
    for registration, city in [(first, "Homs"), (second, "Dearborn")]:
        [(cls, body)] = [v for v in items if f'number">{registration.id}<' in v[1]]
        assert cls == " checkin-person--alike"
        assert f"City: <bdi>{city}</bdi>" in body
    [(cls, body)] = [v for v in items if f'number">{other.id}<' in v[1]]
    assert cls == ""
    assert "Aleppo" not in html  # no more than needed: not a look-alike, no city
    # The number is there for everyone, isolated left to right.
    assert f'<bdi dir="ltr" class="checkin-person__number">{other.id}</bdi>' in body
    for address in ("layla@example.org", "lina@example.org", "lh@example.org"):
        assert address not in html


def test_look_alikes_ignore_case_accents_and_spacing(make_registration):
    a = make_registration(full_name="Zoé  Khoury")
    b = make_registration(full_name="zoe khoury")
    c = make_registration(full_name="Zoe Khouri")

    assert checkin.look_alikes([a, b, c]) == {a.id, b.id}
    assert checkin.look_alikes([a, c]) == set()


def test_namesakes_without_a_city_still_show_their_numbers(client, login_as, make_registration):
    one = make_registration(full_name="Sam Noor")
    two = make_registration(full_name="Sam Noor")
    login_as("checkin")

    html = text(search(client, "sam noor"))

    assert html.count("checkin-person--alike") == 2
    assert "City:" not in html
    for registration in (one, two):
        assert f'class="checkin-person__number">{registration.id}</bdi>' in html


# ---------------------------------------------------------------------------------------
# The QR code in the email's body


def delivered(kind):
    """The MIME message of the outbox row of ``kind``, as the deliverer writes it."""
    [row] = db.session.scalars(sa.select(OutboxMessage).filter_by(kind=kind))
    rendered = outbox.render(row)
    raw = outbox.build_message(row, rendered).as_bytes()
    return rendered, email.message_from_bytes(raw, policy=email.policy.default)


def tree(part, depth=0):
    lines = ["  " * depth + part.get_content_type()]
    for child in part.iter_parts() if part.is_multipart() else []:
        lines += tree(child, depth + 1)
    return lines


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_confirmation_shows_the_qr_code_inline_and_attached(make_registration, language):
    registration = make_registration(language=language)
    code = registration.checkin_code
    png = checkin_code.qr_png(checkin_code.checkin_url(code))

    rendered, message = delivered("registration.confirmation")

    assert tree(message) == [
        "multipart/mixed",
        "  multipart/alternative",
        "    text/plain",
        "    multipart/related",
        "      text/html",
        "      image/png",
        "    text/calendar",
        "  application/ics",
        "  image/png",
    ]
    [related] = [p for p in message.walk() if p.get_content_type() == "multipart/related"]
    assert related.get_param("type") == "text/html"
    html_part, image = related.get_payload()
    content_id = image["Content-ID"].strip().strip("<>")
    assert image.get_content_disposition() == "inline"
    assert image.get_payload(decode=True) == png
    html = html_part.get_content()
    [img] = re.findall(r"<img [^>]*>", html)
    assert f'src="cid:{content_id}"' in img
    assert 'alt="QR code for checking in"' in img or language == "ar"
    assert 'alt=""' not in img
    # The code written out below the image, left to right inside either language.
    assert '<span dir="ltr" style="font-family:Menlo' in html
    assert f">{code}</span>" in html
    # The text part points to the attachment and gives the code itself, isolated in Arabic.
    plain = message.get_body(("plain",)).get_content()
    if language == "ar":
        assert f"{FSI}{code}{PDI}" in plain
    else:
        assert code in plain
        assert FSI not in plain
    # The attachment stays, for a reader that shows only text or blocks images.
    [attached] = [p for p in message.iter_attachments() if p.get_filename() == "checkin.png"]
    assert attached.get_content_disposition() == "attachment"
    assert attached.get_payload(decode=True) == png
    assert outbox.attachment_names(rendered) == ["invite.ics", "checkin.png"]


def test_a_waiting_list_confirmation_has_no_qr_code(make_conference, make_registration):
    conference = make_conference(arts_capacity=0)
    make_registration(to=conference)

    rendered, message = delivered("registration.confirmation")

    assert "image/png" not in "\n".join(tree(message))
    assert "multipart/related" not in "\n".join(tree(message))
    assert "cid:" not in rendered.html
    assert "check-in code" not in rendered.text


def test_the_promoted_email_shows_the_qr_code_inline_too(make_conference, make_registration):
    conference = make_conference(arts_capacity=1)
    first = make_registration(full_name="First", to=conference)
    second = make_registration(full_name="Second", to=conference)
    services.cancel_registration(first)

    rendered, message = delivered("registration.promoted")

    [image] = [p for p in message.walk() if p["Content-ID"]]
    assert f'src="cid:{image["Content-ID"].strip().strip("<>")}"' in rendered.html
    assert second.checkin_code in rendered.html
    assert second.checkin_code in rendered.text
    assert FSI not in rendered.text  # English: nothing to isolate from


# ---------------------------------------------------------------------------------------
# The QR code on the private page


def private_page(client, registration):
    token = services.mint_token(registration)
    db.session.commit()
    return client.get(f"/registration/{token}")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_private_page_shows_the_qr_code_to_a_seat_holder(client, make_registration, language):
    registration = make_registration(language=language)
    client.set_cookie(client.application.config["LANGUAGE_COOKIE"], language)

    response = private_page(client, registration)
    html = text(response)

    assert response.status_code == 200
    [svg] = re.findall(r"<svg [^>]*>", html)
    assert 'role="img" aria-labelledby="checkin-qr-label"' in svg
    assert 'class="checkin-qr__image"' in svg
    assert 'id="checkin-qr-label"' in html
    assert "width=" not in svg  # sized by the stylesheet, for a phone and for paper
    assert checkin_code.qr_svg(checkin_code.checkin_url(registration.checkin_code)) in html
    assert f'<bdi dir="ltr" class="checkin-qr__code">{registration.checkin_code}</bdi>' in html
    assert "<img" not in html.split('checkin-qr" aria-labelledby')[1].split("</section>")[0]


def test_the_private_page_has_no_qr_code_for_the_waiting_list(
    client, make_conference, make_registration
):
    conference = make_conference(arts_capacity=0)
    registration = make_registration(to=conference)

    html = text(private_page(client, registration))

    assert "<svg" not in html
    assert "checkin-qr" not in html


def test_the_qr_svg_is_made_once_per_link(app, make_registration):
    registration = make_registration()
    checkin_code.qr_svg.cache_clear()

    with app.test_request_context():
        first = checkin_code.checkin_qr_svg(registration)
        second = checkin_code.checkin_qr_svg(registration)

    assert first == second
    info = checkin_code.qr_svg.cache_info()
    assert (info.misses, info.hits) == (1, 1)
