"""Subject, From, To and Reply-To read back exactly as written, through a real SMTP server.

Messages are produced the way the app produces them (the registration and bulk email
services, then ``outbox.deliver_pending``) and parsed back from the bytes the server got.

Display names are read the way RFC 2047 §6.2 says: the whitespace between two adjacent
encoded-words is not text. Python's own address parser (3.11, up to gh-128110) keeps it
as a space, so a name spread over several encoded-words is decoded with
``email.header.decode_header``, which follows the RFC; the number of addresses and the
address itself are still taken from ``email.policy.default``.
"""

import copy
import email
import email.policy
import itertools
from email.header import decode_header, make_header
from email.utils import getaddresses
from types import SimpleNamespace

import pytest
from flask import render_template
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conference.announcements import services as announcements
from conference.announcements.models import Broadcast
from conference.content import services as content
from conference.extensions import db
from conference.mailer import headers, outbox
from conference.mailer.models import OutboxMessage
from conference.registration import services
from conference.registration.queries import Filters

_numbers = itertools.count(1)

HOSTILE_NAMES = [
    "For Syria Security Team <security@evil.example>, Victim",
    "X: a@evil.example, b@evil.example;",
    'Ada "the Countess" Lovelace',
    "Back\\slash \\\" O'Brien",
    "أحمد الحلبي",
    "=?utf-8?q?For_Syria?= <security@evil.example>",
    "=?utf-8?b?RXZl?=",
    "Zoë (Chloé) <zoe@evil.example>, «سارة» بنت عبد الله",
    "عبد الرحمن بن محمد بن عبد الله الحلبي الدمشقي أُلغي تسجيله في «من أجل سوريا» " * 2 + "وآخرون",
    "Alexandra Catherine Montgomery-Fitzwilliam O'Donnell, Jr., of the Royal Borough "
    "of Kensington and Chelsea, London",
    "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschaferswessenschafe"
    "warenwohlgepflegeundsorgfaltigkeitbeschutzenvonangreifendurchihrraubgierigfeinde",
]

LONG_NAMES = {
    "en": [
        'Alexandra Catherine Montgomery-Fitzwilliam O\'Donnell ("Alex"), of Kensington, '
        "Chelsea and the Royal Borough <alex@evil.example>",
        "Sir Bartholomew Jonathan Wolfeschlegelsteinhausenbergerdorff the Third",
        "Chloé Zoë Ümit Şahin-Ğüneş de la Fontaine-Beaumont",
    ],
    "ar": [
        "عبد الرحمن بن محمد بن عبد الله الحلبي الدمشقي «أبو خالد» من حمص، سوريا",
        "فاطمة الزهراء بنت أحمد بن يوسف الشامي, <fatima@evil.example>",
        "أُسامة بن مُحمّد بن عبدِ اللهِ الإدلبيّ",
    ],
}

BULK_SUBJECTS = {
    "en": "A change to the programme: the opening session moves to the main hall, and the "
    "cultural track starts an hour later than planned",
    "ar": "تغيير في البرنامج: تنتقل جلسة الافتتاح إلى القاعة الكبرى، ويبدأ المسار الثقافي "
    "بعد ساعة من الموعد المحدد في «من أجل سوريا»",
}


@pytest.fixture
def app(make_app, smtp_server):
    """The app, sending to the test SMTP server (the ``conference`` fixture uses this app)."""
    app = make_app(**smtp_server.app_config)
    with app.app_context():
        yield app


def register(conference, name, *, language="en", tracks=("arts",), email_address=None):
    outcome = services.register_attendee(
        conference,
        email=email_address or f"person{next(_numbers)}@example.org",
        full_name=name,
        track_keys=list(tracks),
        language=language,
        privacy_accepted=True,
    )
    return outcome.registration


def read_mailbox(message, name):
    """The one ``(display name, address)`` in header ``name`` of raw ``message``.

    Fails unless ``email.policy.default`` finds exactly one address there, without defects.
    """
    modern = email.message_from_bytes(message, policy=email.policy.default)
    header = modern[name]
    assert not header.defects, header.defects
    [address] = header.addresses
    legacy = email.message_from_bytes(message, policy=email.policy.compat32)
    [(phrase, addr_spec)] = getaddresses(legacy.get_all(name))
    assert addr_spec == address.addr_spec
    return str(make_header(decode_header(phrase))), address.addr_spec


def read_subject(message):
    subject = email.message_from_bytes(message, policy=email.policy.default)["Subject"]
    assert not subject.defects, subject.defects
    return str(subject)


def assert_well_formed(message):
    """Headers in ASCII (RFC 2047), no line longer than 78 characters."""
    head = message.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert max(len(line) for line in head.split(b"\r\n")) <= 78


def subject_of(template, language, **context):
    """The subject the template gives in ``language``, as ``render_email`` spaces it."""
    with force_locale(language):
        rendered = render_template(f"emails/{template}.subject.txt", **context)
    return " ".join(rendered.split())


# ---------------------------------------------------------------------------------------
# Hostile names stay one address: the registrant's


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_name_is_one_address_the_registrants(conference, smtp_server, name):
    registration = register(conference, name, email_address="registrant@example.org")
    assert registration.full_name == name  # the name is taken as given

    outbox.deliver_pending()

    [envelope] = smtp_server.mailbox.envelopes
    assert envelope.rcpt_tos == ["registrant@example.org"]
    assert_well_formed(envelope.content)
    assert read_mailbox(envelope.content, "To") == (name, "registrant@example.org")
    assert read_mailbox(envelope.content, "From") == ("For Syria", "organizers@forsyria.example")


# ---------------------------------------------------------------------------------------
# Every kind of message, in both languages, with long names


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_message_kind_reads_back_exactly(make_conference, smtp_server, language):
    conference = make_conference(arts_capacity=1)
    arts = next(track for track in conference.tracks if track.key == "arts")
    first_name, second_name, third_name = LONG_NAMES[language]
    expected = {}  # Message-ID: (subject, name, address)

    def deliver(rows_before, subject, name, address):
        for row in db.session.query(OutboxMessage).filter(OutboxMessage.id > rows_before):
            expected[row.message_id] = (subject, name, address)
        outbox.deliver_pending()

    def last_row():
        return db.session.query(db.func.max(OutboxMessage.id)).scalar() or 0

    mark = last_row()
    first = register(conference, first_name, language=language, email_address="first@example.org")
    deliver(
        mark,
        subject_of("registration/confirmation", language, confirmed=True),
        first_name,
        "first@example.org",
    )

    mark = last_row()
    register(conference, "Someone Else", language=language, email_address="first@example.org")
    deliver(
        mark,
        subject_of("registration/already_registered", language),
        first_name,
        "first@example.org",
    )

    mark = last_row()
    services.send_manage_link(conference, "first@example.org")
    deliver(mark, subject_of("registration/manage_link", language), first_name, "first@example.org")

    mark = last_row()
    second = register(
        conference, second_name, language=language, email_address="second@example.org"
    )
    deliver(
        mark,
        subject_of("registration/confirmation", language, confirmed=[]),
        second_name,
        "second@example.org",
    )

    mark = last_row()
    services.change_tracks(first, ["arts", "social"])
    deliver(mark, subject_of("registration/changed", language), first_name, "first@example.org")

    mark = last_row()
    services.cancel_registration(first)
    rows = {
        row.kind: row for row in db.session.query(OutboxMessage).filter(OutboxMessage.id > mark)
    }
    assert set(rows) == {"registration.cancelled", "registration.promoted"}
    expected[rows["registration.cancelled"].message_id] = (
        subject_of("registration/cancelled", language),
        first_name,
        "first@example.org",
    )
    expected[rows["registration.promoted"].message_id] = (
        subject_of("registration/promoted", language, promoted_place=SimpleNamespace(track=arts)),
        second_name,
        "second@example.org",
    )
    outbox.deliver_pending()

    mark = last_row()
    services.erase_registration(second)
    deliver(mark, subject_of("registration/erased", language), second_name, "second@example.org")

    mark = last_row()
    third = register(
        conference,
        third_name,
        language=language,
        tracks=("social",),
        email_address="third@example.org",
    )
    deliver(
        mark,
        subject_of("registration/confirmation", language, confirmed=True),
        third_name,
        "third@example.org",
    )
    for essential in (False, True):
        broadcast = announcements.save_draft(
            conference,
            subject={"en": BULK_SUBJECTS["en"], "ar": BULK_SUBJECTS["ar"]},
            body={"en": "Hello.", "ar": "مرحبًا."},
            filters=Filters(),
            essential=essential,
        )
        mark = last_row()
        announcements.send_broadcast(broadcast)
        deliver(mark, BULK_SUBJECTS[language], third.full_name, "third@example.org")

    received = {
        email.message_from_bytes(envelope.content, policy=email.policy.default)[
            "Message-ID"
        ]: envelope.content
        for envelope in smtp_server.mailbox.envelopes
    }
    kinds = {
        row.kind
        for row in db.session.query(OutboxMessage).filter(OutboxMessage.message_id.in_(received))
    }
    assert kinds == {
        "registration.confirmation",
        "registration.already_registered",
        "registration.manage_link",
        "registration.changed",
        "registration.cancelled",
        "registration.promoted",
        "registration.erased",
        "broadcast.announcement",
    }
    assert db.session.query(Broadcast).count() == 2
    assert set(received) == set(expected)
    for message_id, message in received.items():
        subject, name, address = expected[message_id]
        assert_well_formed(message)
        assert read_subject(message) == subject
        assert read_mailbox(message, "To") == (name, address)
        assert read_mailbox(message, "From") == ("For Syria", "organizers@forsyria.example")


def test_the_arabic_cancellation_subject_keeps_every_space(conference, smtp_server):
    registration = register(conference, "لينا حداد", language="ar")
    services.cancel_registration(registration)

    outbox.deliver_pending()

    cancellation = smtp_server.mailbox.envelopes[-1].content
    assert read_subject(cancellation) == "أُلغي تسجيلك في «من أجل سوريا»"


# ---------------------------------------------------------------------------------------
# The configured sender and reply address


@pytest.mark.parametrize(
    ("sender", "display_name"),
    [
        (
            ("فريق مؤتمر «من أجل سوريا» للتسجيل والاستعلامات", "organizers@forsyria.example"),
            "فريق مؤتمر «من أجل سوريا» للتسجيل والاستعلامات",
        ),
        (
            "فريق مؤتمر «من أجل سوريا» للتسجيل والاستعلامات <organizers@forsyria.example>",
            "فريق مؤتمر «من أجل سوريا» للتسجيل والاستعلامات",
        ),
        ('"For Syria, Damascus" <organizers@forsyria.example>', "For Syria, Damascus"),
    ],
    ids=["pair", "text", "quoted"],
)
def test_a_configured_sender_and_reply_address_read_back_exactly(
    make_app, smtp_server, content_data, sender, display_name
):
    app = make_app(
        **{
            **smtp_server.app_config,
            "MAIL_DEFAULT_SENDER": sender,
            "MAIL_REPLY_TO": "فريق «من أجل سوريا»، دمشق <reply@forsyria.example>",
        }
    )
    with app.app_context():
        content.load_content(copy.deepcopy(content_data))
        conference = content.get_conference(content_data["conference"]["slug"])
        register(conference, "أحمد الحلبي", language="ar", email_address="ahmad@example.org")
        outbox.deliver_pending()

    [envelope] = smtp_server.mailbox.envelopes
    assert envelope.mail_from == "organizers@forsyria.example"
    assert_well_formed(envelope.content)
    assert read_mailbox(envelope.content, "From") == (display_name, "organizers@forsyria.example")
    assert read_mailbox(envelope.content, "Reply-To") == (
        "فريق «من أجل سوريا»، دمشق",
        "reply@forsyria.example",
    )
    assert read_mailbox(envelope.content, "To") == ("أحمد الحلبي", "ahmad@example.org")


# ---------------------------------------------------------------------------------------
# Any text at all


HEADER_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")),  # the app keeps no controls
    min_size=1,
    max_size=250,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(subject=HEADER_TEXT, name=HEADER_TEXT)
def test_any_subject_and_name_read_back_exactly(app, subject, name):
    message = outbox.OutboxMail(
        subject=subject, recipients=[(name, "someone@example.org")], body="Hello."
    ).as_bytes()

    assert_well_formed(message)
    assert read_subject(message) == subject
    assert read_mailbox(message, "To") == (name, "someone@example.org")


def test_a_line_break_in_a_name_is_refused(app):
    with pytest.raises(headers.HeaderValueError):
        outbox.OutboxMail(subject="Hi", recipients=[("Ada\r\nBcc: x@evil.example", "a@b.example")])


def test_an_address_a_header_cannot_carry_fails_with_the_reason(conference, smtp_server):
    register(conference, "Ñandú", email_address="ñandú@example.org")  # needs SMTPUTF8

    report = outbox.deliver_pending()

    [row] = db.session.query(OutboxMessage).all()
    assert report.failed == [row.id]
    assert "SMTPUTF8" in row.last_error
    assert smtp_server.mailbox.envelopes == []
