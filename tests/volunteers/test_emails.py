"""Volunteers' emails: every kind renders in English and Arabic (text and HTML, the
Arabic one right to left with its links and addresses isolated), private links are
minted when the message is rendered and only their hash is kept, and the confirmation
and the guardian's request reach a real SMTP server."""

import re

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.mailer.rendering import PRIVATE_LINK_REMOVED
from conference.volunteers import emails, services
from conference.volunteers.models import SignupStatus, TokenPurpose, VolunteerToken

from .conftest import BEFORE, shift
from .mail_helpers import links, messages, token_in  # noqa: F401 - fixture

# The private pages the emails link to.
pytestmark = pytest.mark.usefixtures("links")

GUARDIAN = {
    "age_group": "under_18",
    "guardian_name": "Sami Haddad",
    "guardian_email": "sami@example.org",
}


@pytest.fixture
def app(make_app, smtp_server):
    """The app with its mail going to a real SMTP server on loopback."""
    app = make_app(**smtp_server.app_config)
    with app.app_context():
        yield app


def _tokens():
    return db.session.scalar(sa.select(sa.func.count()).select_from(VolunteerToken))


def _every_kind(sign_up, language):
    """Queue one message of every kind for volunteers writing in ``language``."""
    adult = sign_up(
        f"lina.{language}@example.org", ["sample-youth-1", "sample-stage-1"], language=language
    ).volunteer
    sign_up(f"lina.{language}@example.org", ["sample-youth-2"], language=language)
    sign_up(f"minor.{language}@example.org", ["sample-youth-2"], language=language, **GUARDIAN)
    services.add_shifts(adult, [shift("sample-youth-2").id], now=BEFORE)
    services.drop_shift(adult, shift("sample-youth-1").id, now=BEFORE, actor=None)
    (stage,) = [s for s in adult.current_signups if s.shift.key == "sample-stage-1"]
    outbox.enqueue(emails.shift_changed(stage, changes=["time", "place"]))
    outbox.enqueue(
        emails.team_message(
            adult,
            shift_id=stage.shift_id,
            subject="Bring water / أحضروا الماء",
            body="First line\nsecond line <b>not bold</b>\n\nNew paragraph",
            sender="Nour",
        )
    )
    db.session.commit()
    other = sign_up(f"gone.{language}@example.org", ["sample-welcome-2am"], language=language)
    services.erase_volunteer(other.volunteer, now=BEFORE)
    return adult


def test_every_kind_renders_in_english_and_arabic(sign_up):
    _every_kind(sign_up, "en")
    _every_kind(sign_up, "ar")
    seen = set()
    for row in messages():
        email = outbox.render(row)
        seen.add((row.kind, row.language))
        assert email.subject.strip(), row.kind
        assert email.text.strip(), row.kind
        assert email.html.strip(), row.kind
        assert email.language == row.language
        if row.language == "ar":
            assert 'lang="ar" dir="rtl"' in email.html
            assert "Hello" not in email.text, row.kind  # translated, not English
            url = "http://conference.test/volunteer/"
            if url in email.text:
                assert f"\u2068{url}" in email.text  # FSI before the link
            if "organizers@example.org" in email.text:
                assert "\u2068organizers@example.org\u2069" in email.text
                assert '<bdi dir="ltr">organizers@example.org</bdi>' in email.html
        else:
            assert 'lang="en" dir="ltr"' in email.html
    kinds = {kind for kind, _language in seen}
    assert kinds == {
        emails.CONFIRMATION,
        emails.AWAITING_GUARDIAN,
        emails.GUARDIAN_REQUEST,
        emails.ALREADY_SIGNED_UP,
        emails.SHIFTS_ADDED,
        emails.SHIFT_DROPPED,
        emails.SHIFT_CHANGED,
        emails.REMINDER,
        emails.TEAM_MESSAGE,
        emails.ERASED,
    }
    assert {language for _kind, language in seen} == {"en", "ar"}


def test_what_each_message_says(sign_up):
    adult = _every_kind(sign_up, "en")

    def only(kind):
        (row,) = [m for m in messages(kind) if m.recipient == adult.email]
        return outbox.render(row)

    confirmation = only(emails.CONFIRMATION)
    assert "Youth corner" in confirmation.text
    assert "Main stage" in confirmation.text
    assert re.search(r"Friday, March 18, 2022, 10:00\sAM – 1:00\sPM", confirmation.text)
    assert "until 24 hours before each shift starts" in confirmation.text
    assert "Calendar link" in confirmation.text
    dropped = only(emails.SHIFT_DROPPED)
    assert "You have dropped this shift" in dropped.text
    changed = only(emails.SHIFT_CHANGED)
    assert "What changed: its time, its place." in changed.text
    team = only(emails.TEAM_MESSAGE)
    assert team.subject == "Bring water / أحضروا الماء"
    assert "A message from Nour" in team.text
    assert "second line <b>not bold</b>" in team.text
    assert "&lt;b&gt;not bold&lt;/b&gt;" in team.html
    assert "<b>not bold" not in team.html
    assert "second line" in team.html
    assert "<br>" in team.html
    already = only(emails.ALREADY_SIGNED_UP)
    assert "nothing has changed" in already.text
    (guardian,) = [m for m in messages(emails.GUARDIAN_REQUEST)]
    request = outbox.render(guardian)
    assert request.recipient == "sami@example.org"
    assert "Lina Haddad has signed up to volunteer" in request.text
    assert "Youth corner" in request.text
    assert "Saturday, March 19, 2022" in request.text
    assert "held until Mar 4, 2022" in request.text
    assert "organizers@example.org" in request.text
    assert "http://conference.test/volunteer/guardian/" in request.text


def test_a_coordinator_s_removal_says_so_with_its_reason(sign_up, make_user):
    volunteer = sign_up("lina@example.org", ["sample-youth-1"], language="ar").volunteer
    coordinator = make_user("coordinator")
    services.drop_shift(
        volunteer, shift("sample-youth-1").id, now=BEFORE, actor=coordinator, reason="Rain / مطر"
    )
    (row,) = messages(emails.SHIFT_DROPPED)
    email = outbox.render(row)
    assert "<bdi>Rain / مطر</bdi>" in email.html
    assert "Rain / مطر" in email.text
    assert email.calendar_method == "CANCEL"


def test_private_links_are_minted_at_render_and_only_their_hash_is_kept(sign_up):
    volunteer = sign_up("lina@example.org", ["sample-youth-1"]).volunteer
    (row,) = messages(emails.CONFIRMATION)
    before = _tokens()

    shown = outbox.render_for_display(row)
    assert str(PRIVATE_LINK_REMOVED) in shown.text
    assert _tokens() == before  # display mints nothing

    rendering = outbox.Rendering()
    email = outbox.render(row, rendering)
    token = token_in(email.text, "volunteer")
    assert token
    assert services.find_by_token(token) is None
    rendering.write()
    db.session.commit()
    assert services.find_by_token(token).id == volunteer.id
    stored = db.session.scalars(sa.select(VolunteerToken.token_hash)).all()
    assert token not in stored
    row = db.session.get(OutboxMessage, row.id)
    assert token not in str(row.snapshot)
    assert token not in (row.subject or "")


def test_a_message_of_an_erased_volunteer_is_not_rendered(sign_up):
    volunteer = sign_up("lina@example.org", ["sample-youth-1"]).volunteer
    (row,) = messages(emails.CONFIRMATION)
    # As a deliverer that claimed it just before the erasure holds it.
    claimed = OutboxMessage(
        kind=row.kind,
        recipient=row.recipient,
        recipient_name=row.recipient_name,
        language=row.language,
        snapshot=dict(row.snapshot),
        message_id=row.message_id,
    )
    services.erase_volunteer(volunteer, now=BEFORE)
    assert messages(emails.CONFIRMATION) == []  # the unsent one is gone
    before = _tokens()
    with pytest.raises(outbox.RenderError):
        outbox.render(claimed)
    assert _tokens() == before


def test_the_confirmation_reaches_a_real_smtp_server(sign_up, smtp_server):
    sign_up("lina@example.org", ["sample-youth-1"], language="ar")
    sign_up("omar@example.org", ["sample-youth-2", "sample-stage-1"])

    outbox.deliver_pending()

    received = {  # the confirmations (the reminders, long due in this test, carry no calendar)
        m["To"].addresses[0].addr_spec: m
        for m in smtp_server.mailbox.messages
        if any(p.get_content_type() == "text/calendar" for p in m.walk())
    }
    arabic, english = received["lina@example.org"], received["omar@example.org"]
    assert arabic["Content-Language"] == "ar"
    html = arabic.get_body(("html",)).get_content()
    assert 'dir="rtl"' in html
    # One shift: the invitation is the inline calendar part (and its invite.ics copy).
    calendars = [p for p in arabic.walk() if p.get_content_type() == "text/calendar"]
    assert calendars
    assert calendars[0].get_param("method") == "REQUEST"
    token = token_in(arabic.get_body(("plain",)).get_content(), "volunteer")
    assert services.find_by_token(token).email == "lina@example.org"
    # Two shifts: one attached invitation per shift, no inline part.
    attached = [p for p in english.iter_attachments()]
    assert [p.get_filename() for p in attached] == ["shift-1.ics", "shift-2.ics"]
    assert {p.get_content_type() for p in attached} == {"text/calendar"}
    assert {p.get_param("method") for p in attached} == {"REQUEST"}
    alternative = next(p for p in english.walk() if p.get_content_type() == "multipart/alternative")
    assert "text/calendar" not in [p.get_content_type() for p in alternative.iter_parts()]


def test_the_guardian_s_request_arrives_and_its_link_confirms(sign_up, smtp_server):
    outcome = sign_up("young@example.org", ["sample-youth-1"], language="ar", **GUARDIAN)

    outbox.deliver_pending()

    by_recipient = {m["To"].addresses[0].addr_spec: m for m in smtp_server.mailbox.messages}
    assert set(by_recipient) == {"sami@example.org", "young@example.org"}
    request = by_recipient["sami@example.org"]
    text = request.get_body(("plain",)).get_content()
    assert request["Content-Language"] == "ar"
    assert "\u2068Lina Haddad\u2069" in text  # the minor's Latin name isolated in Arabic
    token = token_in(text, "volunteer/guardian")
    assert services.find_by_token(token, TokenPurpose.guardian).id == outcome.volunteer.id
    services.confirm_guardian(token, now=BEFORE)
    db.session.expire_all()
    (signup,) = services.find_by_token(token, TokenPurpose.guardian).signups
    assert signup.status == SignupStatus.confirmed
    kinds = [m.kind for m in messages() if m.status == MessageStatus.pending]
    assert emails.CONFIRMATION in kinds
    assert emails.REMINDER in kinds
