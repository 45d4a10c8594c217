"""A success story's whole way in a real browser: submitted in Arabic on a phone with a
GPS-tagged photo, its confirmation arriving through a real SMTP server, approved by an
organizer, shown in the gallery and on its own page with the photo stripped of every
tag, then withdrawn from the private link and gone from both pages at once."""

import io
import re
import time

import pytest
import sqlalchemy as sa
from PIL import Image

from conference.accounts import services as accounts
from conference.extensions import db
from conference.images import StoredImage
from conference.mailer import outbox
from conference.showcase.models import Story, StoryStatus

from .conftest import live_app_with, serious_violations, serving

pytestmark = pytest.mark.browser

PHONE = 390
EMAIL = "organizer@forsyria.example"
PASSWORD = "a long organizer passphrase"
PRIVATE_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/stories/mine/[A-Za-z0-9_-]{30,})")
TITLE = "مرسم في حلب الجديدة"
BODY = "افتتحت ريم مرسمًا للأطفال في حيّها.\n\nاليوم يتعلم فيه أربعون طفلًا الرسم كل أسبوع."


def gps_tagged_jpeg():
    """A photo as a phone takes it: EXIF with the camera, where it was taken (GPS) and an
    orientation that turns the landscape pixels upright (portrait)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x8825] = {1: "N", 2: (36.0, 12.0, 5.0), 3: "E", 4: (37.0, 9.0, 40.0)}  # GPS
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (196, 90, 48)).save(buffer, "JPEG", exif=exif.tobytes())
    data = buffer.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the test's own premise
    return data


def assert_untagged(data):
    """Stored or served image bytes: WebP, no EXIF, no GPS, no XMP, no camera name."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    assert not image.getexif()
    assert "exif" not in image.info
    assert "xmp" not in image.info
    for marker in (b"Exif", b"PhoneMaker", b"GPS"):
        assert marker not in data


@pytest.fixture(scope="module")
def site(tmp_path_factory, live_smtp):
    app = live_app_with(
        tmp_path_factory.mktemp("story"),
        **live_smtp.app_config,
        TWO_FACTOR_REQUIRED=False,
        OUTBOX_DELIVER_AFTER_REQUEST=True,
    )
    with app.app_context():
        accounts.create_user(EMAIL, role="organizer", password=PASSWORD)
        db.session.commit()
    app.extensions["outbox_deliverer"].wake()  # started here, not inside the test
    with serving(app) as url:
        app.config["BASE_URL"] = url
        app.url = url
        yield app
    app.extensions["outbox_deliverer"].stop()
    with app.app_context():
        db.engine.dispose()


def wait_for_mail(site, smtp, count, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(smtp.mailbox.envelopes) >= count:
            return smtp.mailbox.messages
        with site.app_context():
            outbox.deliver_pending()
        time.sleep(0.3)
    raise AssertionError(f"expected {count} messages, got {len(smtp.mailbox.envelopes)}")


def assert_fits_and_is_accessible(page):
    assert page.get_attribute("html", "lang") == "ar"
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert serious_violations(page) == []


def test_a_story_submitted_in_arabic_is_moderated_shown_and_withdrawn(
    browser, site, live_smtp, tmp_path
):
    phone = browser.new_context(
        viewport={"width": PHONE, "height": 844},
        locale="ar",
        extra_http_headers={"Accept-Language": "ar"},
    )
    page = phone.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    # 1. Submitted in Arabic on a phone, with a photo that says where it was taken.
    photo = tmp_path / "IMG_2041.jpg"
    photo.write_bytes(gps_tagged_jpeg())
    page.goto(site.url + "/stories/submit")
    assert_fits_and_is_accessible(page)
    page.fill("#title", TITLE)
    page.fill("#body", BODY)
    page.check("input[name=language][value=ar]")
    page.fill("#person_name", "ريم الأحمد")
    page.check("input[name=track][value=arts]")
    page.set_input_files("#photo_1", str(photo))
    page.fill("#alt_1", "أطفال يرسمون حول طاولة كبيرة")
    page.check("input[name=minor][value=no]")
    page.check("input[name=credit][value=full_name]")
    page.check("input[name=places][value=public]")
    page.check("input[name=places][value=sponsors]")
    page.fill("#full_name", "سلمى حداد")
    page.fill("#email", "salma@example.org")
    page.check("input[name=email_language][value=ar]")
    page.check("#agree")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert page.url.endswith("/stories/submitted"), page.url
    assert_fits_and_is_accessible(page)

    # The confirmation, in Arabic, with the private link; nothing is public yet.
    (confirmation,) = wait_for_mail(site, live_smtp, 1)
    assert "salma@example.org" in confirmation["To"]
    assert re.search("[\u0600-\u06ff]", str(confirmation["Subject"]))
    text = confirmation.get_body(preferencelist=("plain",)).get_content()
    private = PRIVATE_LINK.search(text)[1]
    with site.app_context():
        story = db.session.scalar(sa.select(Story))
        story_id, photo_key = story.id, story.photos[0].image_key
        assert story.status is StoryStatus.submitted
        assert story.consents[0].language == "ar"
        stored = db.session.scalars(sa.select(StoredImage.data).filter_by(key=photo_key)).all()
    assert stored
    for data in stored:
        assert_untagged(data)
    page.goto(site.url + "/stories")
    assert TITLE not in page.inner_text("main")

    # 2. An organizer approves it.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
    office = desk.new_page()
    office.goto(f"{site.url}/manage/stories/{story_id}")
    office.fill("#email", EMAIL)
    office.fill("#password", PASSWORD)
    office.get_by_role("button", name="Sign in").click()
    office.wait_for_url(f"**/manage/stories/{story_id}")
    assert TITLE in office.inner_text("main")
    with office.expect_navigation():
        office.locator(f"form[action$='/manage/stories/{story_id}/approve'] button").click()
    assert "Approved" in office.inner_text("body")
    desk.close()

    # 3. In the gallery and on its page, right to left, the photo upright and untagged.
    page.goto(site.url + "/stories")
    assert_fits_and_is_accessible(page)
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"**/stories/{story_id}")
    assert_fits_and_is_accessible(page)
    assert "ريم الأحمد" in page.inner_text("main")
    block = page.locator("[lang=ar]", has_text="افتتحت ريم").first
    assert block.get_attribute("dir") == "rtl"
    image = page.locator(f"main img[src*='{photo_key}']").first
    assert image.get_attribute("alt") == "أطفال يرسمون حول طاولة كبيرة"
    width, height = int(image.get_attribute("width")), int(image.get_attribute("height"))
    assert height > width  # the orientation tag was applied before it was dropped
    served = page.request.get(image.evaluate("img => img.currentSrc"))
    assert served.status == 200
    assert_untagged(served.body())

    # 4. Withdrawn from the private link: gone from the gallery and its page at once.
    page.goto(private)
    assert_fits_and_is_accessible(page)
    page.goto(private + "/withdraw")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    page.goto(site.url + "/stories")
    assert TITLE not in page.inner_text("main")
    response = page.goto(f"{site.url}/stories/{story_id}")
    assert response.status in (404, 410) or TITLE not in page.inner_text("main")
    assert TITLE not in page.content()
    assert all(url.startswith(site.url) for url in requested)
    phone.close()
