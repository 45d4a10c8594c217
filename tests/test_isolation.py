"""Addresses, phone numbers and links read right inside Arabic text, in every message.

Inside right-to-left text the bidi algorithm reorders the neutral characters of a value
that reads left to right: "+1 (313) 555-0100" showed as "0100-555 (313) 1+". Every such
value must be isolated: between FSI and PDI in plain text, inside ``<bdi>`` or an element
with ``dir="ltr"`` in HTML. Each test renders real Arabic emails and pages carrying a
phone number, an email address and a link, and checks every one of them.
"""

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from conference.announcements import services as announcements
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage
from conference.registration import services as registrations
from conference.registration.queries import Filters

FSI, PDI = "\u2068", "\u2069"
PHONE = "+1 (313) 555-0100"
ADDRESS = "info@forsyria.example"
LINK = "https://forsyria.example/venue"
RUNS = (PHONE, ADDRESS, LINK)
ARABIC_ADDRESS = f"شارع بغداد، دمشق. هاتف {PHONE}، بريد {ADDRESS}، الخريطة {LINK}."
ANNOUNCEMENT = {
    "subject": {"ar": "تغيير في البرنامج", "en": "A change to the programme"},
    "body": {
        "ar": f"للاستفسار اتصلوا على {PHONE} أو اكتبوا إلى {ADDRESS}.\n\nالتفاصيل في {LINK}.",
        "en": f"Call {PHONE} or write to {ADDRESS}.\n\nDetails at {LINK}.",
    },
}
# Anything in a message that reads left to right and could be reordered: a link, an
# address or a long number with separators (found independently of conference.text).
ANY_RUN = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\+?\(?\d[\d ()-]{6,}\d")
LATIN_NAME = "Ada Lovelace"


class _Text(HTMLParser):
    """The text of an HTML document, each piece with whether it is isolated."""

    SKIPPED = {"title", "style", "script", "head"}
    VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "source", "area", "col"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.pieces = []  # (text, isolated)

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attrs = dict(attrs)
        isolating = tag == "bdi" or (attrs.get("dir") or "").lower() == "ltr"
        self.stack.append((tag, isolating, tag in self.SKIPPED))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if any(skipped for _, _, skipped in self.stack):
            return
        self.pieces.append((data, any(isolating for _, isolating, _ in self.stack)))


def html_runs(html):
    """``(isolated, not isolated)``: the runs found in the text of ``html``."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    isolated, bare = [], []
    for piece, is_isolated in parser.pieces:
        found = [match.group(0).rstrip(".,،") for match in ANY_RUN.finditer(piece)]
        (isolated if is_isolated else bare).extend(found)
    return isolated, bare


def assert_html_isolated(html, expected=RUNS):
    isolated, bare = html_runs(html)
    assert bare == [], f"not isolated in the HTML: {bare}"
    for run in expected:
        assert run in isolated, f"{run} is missing from the HTML"


def assert_text_isolated(text, expected=RUNS):
    outside = re.sub(f"{FSI}[^{FSI}{PDI}]*{PDI}", "", text)
    bare = [match.group(0) for match in ANY_RUN.finditer(outside)]
    assert bare == [], f"not isolated in the text: {bare}"
    for run in expected:
        assert f"{FSI}{run}{PDI}" in text, f"{run} is not isolated in the text"


def rendered(kind):
    """The emails of ``kind`` waiting in the outbox, rendered as the deliverer does."""
    rows = db.session.scalars(
        sa.select(OutboxMessage).filter_by(kind=kind).order_by(OutboxMessage.id)
    )
    emails = []
    for row in rows:
        rendering = outbox.Rendering()
        emails.append(outbox.render(row, rendering))
        rendering.write()
    db.session.commit()
    return emails


@pytest.fixture
def venue(make_conference):
    """The conference with a confirmed venue whose Arabic address has a phone, an address
    and a link; the arts track has one seat."""
    return make_conference(
        sample=True,
        unconfirmed=[],
        arts_capacity=1,
        venue_address={"en": f"Baghdad Street. {PHONE}, {ADDRESS}, {LINK}", "ar": ARABIC_ADDRESS},
    )


@pytest.fixture
def arabic_attendee(venue, register):
    def _arabic_attendee(email, **overrides):
        return register(
            email, ["arts"], to=venue, language="ar", full_name=LATIN_NAME, **overrides
        ).registration

    return _arabic_attendee


# ---------------------------------------------------------------------------------------
# Emails


def test_registration_emails_isolate_every_run_in_arabic(venue, arabic_attendee):
    first = arabic_attendee("first@example.org", phone=PHONE)
    arabic_attendee("second@example.org")  # on the waiting list: the seat is taken
    registrations.send_manage_link(venue, "first@example.org")
    db.session.commit()
    confirmations = rendered("registration.confirmation")
    [manage_link] = rendered("registration.manage_link")

    registrations.cancel_registration(first)  # the second person is promoted

    [promoted] = rendered("registration.promoted")
    [cancelled] = rendered("registration.cancelled")

    assert len(confirmations) == 2
    for email in [*confirmations, manage_link, promoted]:
        assert email.language == "ar"
        # The request for the link says nothing of the venue: no phone, address or link.
        expected = () if email is manage_link else RUNS
        assert_html_isolated(email.html, expected)
        assert_text_isolated(email.text, expected)
        # The private link in the text part, alone on its line, is isolated too.
        [link] = re.findall(r"https?://[^\s\u2069]+/registration/[^\s\u2069]+", email.text)
        assert f"{FSI}{link}{PDI}" in email.text
    assert_html_isolated(cancelled.html, expected=())
    assert_text_isolated(cancelled.text, expected=())
    # A name in Latin letters keeps its own direction inside the Arabic greeting.
    for email in [*confirmations, manage_link, promoted, cancelled]:
        assert f"<bdi>{LATIN_NAME}</bdi>" in email.html
        assert f"{FSI}{LATIN_NAME}{PDI}" in email.text


def test_english_emails_are_left_as_they_are(venue, register):
    register("english@example.org", ["arts"], to=venue, language="en", full_name=LATIN_NAME)
    db.session.commit()

    [email] = rendered("registration.confirmation")

    assert FSI not in email.text
    assert PHONE in email.text
    assert f'<bdi dir="ltr">{PHONE}</bdi>' not in email.html


def test_announcements_and_their_test_isolate_every_run_in_arabic(venue, arabic_attendee):
    arabic_attendee("reader@example.org")
    broadcast = announcements.save_draft(venue, **ANNOUNCEMENT, filters=Filters())
    announcements.send_test(broadcast, to="me@forsyria.example", name=LATIN_NAME)
    announcements.send_broadcast(broadcast)

    [copy] = rendered("broadcast.announcement")
    [test] = rendered("broadcast.test")

    assert copy.language == "ar"
    assert_html_isolated(copy.html)
    assert_text_isolated(copy.text)
    # The unsubscribe link is put in each copy after rendering: isolated as well.
    [unsubscribe] = re.findall(r"https?://[^\s\u2069]+/unsubscribe/[^\s\u2069]+", copy.text)
    assert f"{FSI}{unsubscribe}{PDI}" in copy.text
    arabic_html = test.html[test.html.index('lang="ar" dir="rtl" style') :]
    arabic_html = arabic_html[: arabic_html.index('lang="en"')]
    assert_html_isolated("<div " + arabic_html)
    arabic_text = test.text.split("\n\n---\n\n")[0]
    assert_text_isolated(arabic_text)


def test_the_invitation_isolates_its_link_in_arabic(client, login_as):
    login_as("admin")
    client.set_cookie("lang", "ar")
    client.post("/manage/users", data={"email": "new@forsyria.example", "role": "checkin"})
    row = db.session.scalar(sa.select(OutboxMessage).filter_by(kind="accounts.invitation"))
    row.language = "ar"  # the invitation goes out in the language of the person inviting
    db.session.commit()

    [email] = rendered("accounts.invitation")

    assert_html_isolated(email.html, expected=())
    [link] = re.findall(r"https?://[^\s\u2069]+/invitation/[^\s\u2069]+", email.text)
    assert_text_isolated(email.text, expected=(link,))


# ---------------------------------------------------------------------------------------
# Pages


def test_the_private_page_isolates_the_phone_and_address(client, venue, arabic_attendee):
    registration = arabic_attendee("private@example.org", phone=PHONE)
    token = registrations.mint_token(registration)
    db.session.commit()
    client.set_cookie("lang", "ar")

    html = client.get(f"/registration/{token}").get_data(as_text=True)

    assert 'dir="rtl"' in html
    main = html[html.index("<main") : html.index("</main>")]
    assert_html_isolated(main, expected=(PHONE, "private@example.org"))


def test_a_flash_message_isolates_the_address_it_names(client, login_as):
    login_as("admin")
    client.set_cookie("lang", "ar")

    page = client.post(
        "/manage/users",
        data={"email": "invitee@forsyria.example", "role": "checkin"},
        follow_redirects=True,
    )

    html = page.get_data(as_text=True)
    [notice] = re.findall(r'<p class="flash__text">.*?</p>', html, re.DOTALL)
    assert_html_isolated(notice, expected=("invitee@forsyria.example",))


def test_the_announcement_preview_isolates_every_run(client, login_as, venue):
    login_as("organizer")
    broadcast = announcements.save_draft(venue, **ANNOUNCEMENT, filters=Filters())

    html = client.get(f"/manage/email/{broadcast.id}/preview/ar").get_data(as_text=True)

    assert_html_isolated(html)


def test_the_checker_finds_a_run_that_is_not_isolated():
    """The checks above can fail: a bare run, in HTML or in text, is reported."""
    with pytest.raises(AssertionError):
        assert_html_isolated(f'<p dir="rtl">هاتف {PHONE}</p>', expected=())
    with pytest.raises(AssertionError):
        assert_text_isolated(f"هاتف {PHONE}", expected=())
    assert_html_isolated(f'<p>هاتف <bdi dir="ltr">{PHONE}</bdi></p>', expected=(PHONE,))
    assert_text_isolated(f"هاتف {FSI}{PHONE}{PDI}", expected=(PHONE,))
