import base64
import time

import pytest

from conference.access import public
from conference.extensions import db
from conference.mailer import outbox, rendering


def test_render_email_uses_the_recipients_language(app):
    english = rendering.render_email("mailer/test", to="a@example.org", language="en", name="Ada")
    arabic = rendering.render_email("mailer/test", to="a@example.org", language="ar", name="عمر")

    assert english.subject == "For Syria: a test message"
    assert english.text.startswith("Hello Ada,")
    assert '<html lang="en" dir="ltr">' in english.html
    assert arabic.subject == "من أجل سوريا: رسالة تجريبية"
    assert arabic.text.startswith("مرحبًا عمر،")
    assert '<html lang="ar" dir="rtl">' in arabic.html


def test_render_email_falls_back_to_english_for_an_unknown_language(app):
    email = rendering.render_email("mailer/test", to="a@example.org", language="xx")

    assert email.language == "en"


def test_arabic_plain_text_lines_starting_in_latin_get_a_right_to_left_mark():
    text = "مرحبا\n2022 مارس\nFor Syria هو\n\n- بند"

    assert rendering.rtl_paragraphs(text).split("\n") == [
        "مرحبا",
        "\u200f2022 مارس",
        "\u200fFor Syria هو",
        "",
        "- بند",
    ]


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("بطاقة الدخول.png", "attachment.png"),
        ("badge ahmad.png", "badge-ahmad.png"),
        ("../../etc/passwd", "passwd"),
        ("invite.ics", "invite.ics"),
    ],
)
def test_attachment_filenames_are_made_ascii(given, sent):
    attachment = rendering.Attachment(given, "image/png", b"\x89PNG")

    as_json = attachment.as_json()

    assert as_json["filename"] == sent
    assert base64.b64decode(as_json["data"]) == b"\x89PNG"


def test_an_emailed_calendar_must_carry_a_method(app):
    email = rendering.render_email(
        "mailer/test", to="a@example.org", language="en", calendar=b"BEGIN:VCALENDAR\r\n"
    )

    with pytest.raises(ValueError, match="METHOD"):
        _ = email.calendar_method


def test_the_embedded_default_delivers_after_the_response(make_app, smtp_server, make_email):
    app = make_app(**smtp_server.app_config, OUTBOX_DELIVER_AFTER_REQUEST=True)

    @app.post("/probe")
    @public
    def probe():
        outbox.enqueue(make_email())
        db.session.commit()
        return "queued"

    response = app.test_client().post("/probe")
    for _ in range(100):  # the process's deliverer thread sends it shortly after
        if smtp_server.mailbox.envelopes:
            break
        time.sleep(0.05)

    assert response.get_data(as_text=True) == "queued"
    assert len(smtp_server.mailbox.envelopes) == 1


def test_production_leaves_delivery_to_the_workers(make_app, smtp_server, make_email):
    app = make_app(**smtp_server.app_config, OUTBOX_DELIVER_AFTER_REQUEST=False)

    @app.post("/probe")
    @public
    def probe():
        outbox.enqueue(make_email())
        db.session.commit()
        return "queued"

    with app.test_client().post("/probe"):
        pass

    assert smtp_server.mailbox.envelopes == []
