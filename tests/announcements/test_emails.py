"""Bulk email, the messages: the organizer's text escaped and in paragraphs, the bilingual
test, and List-Unsubscribe headers through a real mail server."""

import copy
import re

import pytest

from conference import text
from conference.announcements import emails, queries, services
from conference.content import services as content
from conference.extensions import db
from conference.mailer import outbox
from conference.registration import services as registrations
from conference.registration.models import Registration
from conference.registration.queries import Filters

from .helpers import TEXTS, Rendered, broadcast_messages

# ---------------------------------------------------------------------------------------
# What the message says


def test_organizer_text_is_escaped_and_split_into_paragraphs(attendee, draft):
    attendee()
    body = "Line one\nline two <script>alert(1)</script>\n\n\nSee https://example.org/a?b=1&c=2."
    broadcast = draft(body={"ar": "نص", "en": body}, subject={"ar": "س", "en": "<b>Hi</b>"})

    services.send_broadcast(broadcast)

    [message] = broadcast_messages(broadcast)
    assert "<script>" not in message.html_body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html_body
    assert "Line one<br>\nline two" in message.html_body
    assert (
        '<a href="https://example.org/a?b=1&amp;c=2" dir="ltr" style="color:#0b5d45;">'
        "https://example.org/a?b=1&amp;c=2</a>." in message.html_body
    )
    assert message.subject == "<b>Hi</b>"
    assert "<title>&lt;b&gt;Hi&lt;/b&gt;</title>" in message.html_body
    assert body in message.text_body


@pytest.mark.parametrize(
    ("text", "paragraphs"),
    [
        ("one", ["one"]),
        ("one\r\ntwo\r\n\r\nthree", ["one<br>\ntwo", "three"]),
        ("  \n\n a \n \n\n b", ["a", "b"]),
        (
            "(see https://x.org/a_(b))",
            [
                '(see <a href="https://x.org/a_(b)" dir="ltr" style="color:#0b5d45;">https://x.org/a_(b)</a>)'
            ],
        ),
        ("javascript:alert(1) <i>", ["javascript:alert(1) &lt;i&gt;"]),
        ("", []),
    ],
)
def test_body_paragraphs(text, paragraphs):
    assert [str(p) for p in emails.body_paragraphs(text)] == paragraphs


def test_phone_numbers_addresses_and_links_read_left_to_right_in_arabic_text():
    """ "+1 (313) 555-0100" inside Arabic showed as "0100-555 (313) 1+": each run that reads
    left to right is isolated, in the HTML (``dir="ltr"``) and in the text part (FSI/PDI)."""
    body = "للاستفسار: +1 (313) 555-0100 أو info@example.org أو https://example.org/faq."
    [paragraph] = [str(p) for p in emails.body_paragraphs(body)]
    assert '<span dir="ltr">+1 (313) 555-0100</span>' in paragraph
    assert '<span dir="ltr">info@example.org</span>' in paragraph
    assert '<a href="https://example.org/faq" dir="ltr"' in paragraph
    assert paragraph.endswith("</a>.")  # the full stop stays with the sentence
    isolated = text.isolate_runs(body)
    for run in ("+1 (313) 555-0100", "info@example.org", "https://example.org/faq"):
        assert f"\u2068{run}\u2069" in isolated
    assert text.isolate_runs("No runs here.") == "No runs here."


def test_the_arabic_text_part_isolates_runs_and_the_english_one_is_unchanged(app, draft):
    body = {"en": "Call +1 (313) 555-0100.", "ar": "اتصلوا على +1 (313) 555-0100."}
    broadcast = draft(body=body)
    arabic = emails.render_message(broadcast, "ar", unsubscribe_url=None)
    english = emails.render_message(broadcast, "en", unsubscribe_url=None)
    assert "\u2068+1 (313) 555-0100\u2069" in arabic.text
    assert "Call +1 (313) 555-0100." in english.text
    assert "\u2068" not in english.text


def test_the_test_message_carries_both_languages_and_no_list_headers(app, login_as, draft):
    broadcast = draft()

    row = Rendered(services.send_test(broadcast, to="me@forsyria.example", name="Me"))

    assert row.kind == "broadcast.test"
    assert row.broadcast_id is None
    assert row.html_body.index('lang="ar"') < row.html_body.index("The first session")
    assert "List-Unsubscribe" not in row.headers
    assert queries.delivery_status(broadcast).waiting == 0


# ---------------------------------------------------------------------------------------
# A real mail server


def test_messages_arrive_with_list_unsubscribe_headers(make_app, content_data, smtp_server):
    app = make_app(**smtp_server.app_config)
    with app.app_context():
        content.load_content(copy.deepcopy(content_data))
        conference = content.get_conference(app.config["CONFERENCE_SLUG"])
        people = [
            registrations.register_attendee(
                conference,
                email=f"smtp{n}@example.org",
                full_name=f"Person {n}",
                track_keys=["arts"],
                language=language,
                privacy_accepted=True,
            ).registration
            for n, language in enumerate(["ar", "en"])
        ]
        outbox.deliver_pending()  # the confirmations
        smtp_server.mailbox.messages.clear()
        broadcast = services.save_draft(conference, **TEXTS, filters=Filters())

        services.send_broadcast(broadcast)
        report = outbox.deliver_pending()

        assert len(report.sent) == 2
        received = {
            message["To"].addresses[0].addr_spec: message
            for message in smtp_server.mailbox.messages
        }
        assert set(received) == {person.email for person in people}
        arabic = received[people[0].email]
        assert arabic["Subject"] == TEXTS["subject"]["ar"]
        assert arabic["Content-Language"] == "ar"
        assert arabic["Precedence"] == "bulk"
        assert arabic["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = re.fullmatch(
            r"<(http://conference\.test/unsubscribe/\S+)>",
            arabic["List-Unsubscribe"].strip(),  # folded: it is long
        )[1]
        assert link in arabic.get_body(("plain",)).get_content()
        assert link in arabic.get_body(("html",)).get_content()
        status = queries.delivery_status(broadcast)
        assert (status.waiting, status.sent, status.failed) == (0, 2, 0)

        # What a mail client does when its reader presses "unsubscribe".
        response = app.test_client().post(
            link.removeprefix("http://conference.test"),
            data={"List-Unsubscribe": "One-Click"},
        )

        assert response.status_code == 200
        db.session.expire_all()
        assert db.session.get(Registration, people[0].id).announcements_opt_out is True
        assert db.session.get(Registration, people[1].id).announcements_opt_out is False
