"""At the door, in a real browser: the desk on a phone and a desktop in both languages,
the "already checked in" sentence kept whole, the red "not valid" page, and the camera
scan (BarcodeDetector where the browser has it, the bundled decoder elsewhere).

The camera is stubbed in the page (``add_init_script``): a canvas stream stands in for
it, showing a real QR code where the bundled decoder has to read one.
"""

import base64
import json

import pytest

from conference.accounts import services as accounts
from conference.checkin import services as checkin
from conference.extensions import db
from conference.registration import checkin_code
from conference.registration import services as registrations
from conference.registration.models import Registration

from .conftest import live_app_with, serious_violations, serving

pytestmark = pytest.mark.browser

STAFF_EMAIL = "gate@forsyria.example"
STAFF_PASSWORD = "a long door password here"
NAMESAKE = {"en": "Layla Haddad", "ar": "ليلى حداد"}


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    app = live_app_with(
        tmp_path_factory.mktemp("door"),
        [
            ("layla1@example.org", "Layla Haddad", "en", ["arts"]),
            ("layla2@example.org", "Layla Haddad", "en", ["social"]),
            ("layla3@example.org", "ليلى حداد", "ar", ["arts"]),
            ("layla4@example.org", "ليلى حداد", "ar", ["cultural"]),
            ("karim@example.org", "كريم العلي", "ar", ["social"]),
            ("kareem@example.org", "Kareem Aly-Abdelrahman", "en", ["arts", "social"]),
        ],
        source="import",
    )
    with app.app_context():
        staff = accounts.create_user(
            STAFF_EMAIL,
            role="checkin",
            name="Samer Abdulrahman Al-Khatib",
            password=STAFF_PASSWORD,
        )
        cities = {
            "layla1@example.org": "Dearborn",
            "layla2@example.org": "Homs",
            "layla3@example.org": "حمص",
            "layla4@example.org": "ديربورن",
        }
        for address, city in cities.items():
            db.session.get(Registration, app.people[address]).city = city
        db.session.commit()
        for address in ("karim@example.org", "kareem@example.org"):
            checkin.check_in(db.session.get(Registration, app.people[address]), by=staff)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(live_app):
    with serving(live_app) as url:
        yield url


def code_of(app, address):
    with app.app_context():
        return db.session.get(Registration, app.people[address]).checkin_code


def sign_in(open_page, language, width, init_script=None):
    page = open_page("/manage/login", language=language, width=width)
    if init_script:
        page.context.add_init_script(init_script)
    page.fill("#email", STAFF_EMAIL)
    page.fill("#password", STAFF_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(page.url.split("/manage/")[0] + "/manage/checkin")
    return page


def search(page, text):
    page.fill("#q", text)
    page.press("#q", "Enter")
    page.wait_for_selector(".checkin-people, .checkin__results-title")


def no_overflow(page, width):
    return page.evaluate("document.documentElement.scrollWidth") <= width


# Each word of the element's text: the distinct lines its pieces sit on (one if whole).
BROKEN_WORDS = """element => {
  const broken = [];
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_desk_tells_namesakes_apart_and_keeps_sentences_whole(
    open_page, live_server, live_app, language, width
):
    page = sign_in(open_page, language, width)
    assert page.get_attribute("html", "lang") == language
    assert no_overflow(page, width)
    assert serious_violations(page) == []

    search(page, NAMESAKE[language])
    people = page.locator(".checkin-person--alike")
    assert people.count() == 2
    told = [people.nth(i).locator(".checkin-person__tell").inner_text() for i in range(2)]
    assert told[0] != told[1]  # the number and city differ, beside the same name
    assert all(page.locator(".checkin-person__number").all_inner_texts())
    assert no_overflow(page, width)
    assert serious_violations(page) == []

    # "Checked in at 11:04 PM by ...": one block, and no word broken across lines.
    search(page, "كريم" if language == "ar" else "Kareem")
    sentence = page.locator(".checkin-state--done .checkin-state__text").first
    assert sentence.evaluate("e => e.getClientRects().length") == 1
    box = sentence.bounding_box()
    parent = page.locator(".checkin-state--done").first.bounding_box()
    assert box["width"] > parent["width"] * 0.6  # the sentence's own block, not a column
    assert sentence.evaluate(BROKEN_WORDS) == []
    assert no_overflow(page, width)
    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["en", "ar"])
def test_an_unknown_code_is_a_red_not_valid_page(open_page, live_server, language):
    page = sign_in(open_page, language, 390)

    response = page.goto(live_server + "/manage/checkin/c/NoSuchCode123456")

    assert response.status == 404
    state = page.locator(".checkin-invalid")
    assert state.is_visible()
    colour = state.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(179, 38, 30)"  # the site's red, the full width of the column
    assert page.evaluate("document.activeElement.dataset.checkinInvalid") == "unknown"
    assert page.locator(".checkin-invalid__button").is_visible()
    assert no_overflow(page, 390)
    assert serious_violations(page) == []


def camera_stub(detected=None, qr_png=None):
    """An init script giving the page a camera (a canvas stream) and, with ``detected``,
    a BarcodeDetector that reads that text; with ``qr_png``, no BarcodeDetector and the
    camera shows that image."""
    image = base64.b64encode(qr_png).decode("ascii") if qr_png else ""
    return (
        (
            """
(() => {
  const detected = DETECTED;
  const image = IMAGE;
  window.__tracks = [];
  const canvas = document.createElement("canvas");
  canvas.width = 480; canvas.height = 480;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff"; context.fillRect(0, 0, 480, 480);
  if (image) {
    const picture = new Image();
    picture.onload = () => context.drawImage(picture, 40, 40, 400, 400);
    picture.src = "data:image/png;base64," + image;
  }
  setInterval(() => context.fillRect(0, 0, 1, 1), 100);  // keep frames coming
  Object.defineProperty(navigator, "mediaDevices", {configurable: true, value: {
    getUserMedia: async () => {
      const stream = canvas.captureStream(10);
      window.__tracks.push(...stream.getTracks());
      return stream;
    },
  }});
  if (detected === null) {
    delete window.BarcodeDetector;
  } else {
    window.BarcodeDetector = class {
      static async getSupportedFormats() { return ["qr_code"]; }
      async detect() { return detected ? [{rawValue: detected}] : []; }
    };
  }
})();
"""
        )
        .replace("DETECTED", json.dumps(detected))
        .replace("IMAGE", json.dumps(image))
    )


NO_CAMERA = """
Object.defineProperty(
  Navigator.prototype, "mediaDevices", {configurable: true, get: () => undefined}
);
"""


def test_without_a_camera_there_is_no_scan_button(open_page, live_server):
    page = sign_in(open_page, "en", 390, NO_CAMERA)

    assert page.locator(".checkin-scan").is_hidden()
    assert page.locator("#q").is_visible()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_scanned_link_opens_the_code_s_page(open_page, live_server, live_app, language):
    code = code_of(live_app, "layla3@example.org")
    page = sign_in(
        open_page, language, 390, camera_stub(f"http://127.0.0.1/manage/checkin/c/{code}")
    )
    button = page.locator(".checkin-scan__open")
    assert button.is_visible()
    assert button.bounding_box()["height"] >= 44
    assert no_overflow(page, 390)
    assert serious_violations(page) == []

    button.click()

    page.wait_for_url(f"**/manage/checkin/c/{code}")
    assert "ليلى حداد" in page.inner_text("main")
    assert [url for url in page.requested if "jsQR" in url] == []  # the browser's own


def test_a_bare_code_works_and_escape_closes_the_camera(open_page, live_server, live_app):
    page = sign_in(open_page, "en", 390, camera_stub(""))
    page.locator(".checkin-scan__open").click()
    page.wait_for_function("window.__tracks.length === 1")

    status = page.locator(".checkin-scan__status")
    assert status.get_attribute("role") == "status"
    page.wait_for_function(
        "document.querySelector('.checkin-scan__status').textContent.startsWith('Scanning')"
    )
    assert page.locator(".checkin-scan__open").get_attribute("aria-expanded") == "true"
    assert serious_violations(page) == []

    page.keyboard.press("Escape")

    assert page.locator(".checkin-scan__panel").is_hidden()
    assert page.evaluate("window.__tracks.every(track => track.readyState === 'ended')")
    assert page.evaluate("document.activeElement.classList.contains('checkin-scan__open')")

    # A bare code read by the camera opens its page too.
    code = code_of(live_app, "layla1@example.org")
    page.reload()  # the detector is made once per page: a new page, a new detector
    page.evaluate(
        """code => { window.BarcodeDetector = class {
             static async getSupportedFormats() { return ["qr_code"]; }
             async detect() { return [{rawValue: code}]; } }; }""",
        code,
    )
    page.locator(".checkin-scan__open").click()
    page.wait_for_url(f"**/manage/checkin/c/{code}")


def test_without_barcode_detector_the_bundled_decoder_reads_the_qr_code(
    open_page, live_server, live_app
):
    code = code_of(live_app, "layla2@example.org")
    png = checkin_code.qr_png(f"http://127.0.0.1/manage/checkin/c/{code}")
    page = sign_in(open_page, "en", 390, camera_stub(None, png))
    assert [url for url in page.requested if "jsQR" in url] == []  # only when needed

    page.locator(".checkin-scan__open").click()

    page.wait_for_url(f"**/manage/checkin/c/{code}", timeout=20000)
    assert [url for url in page.requested if "/static/js/vendor/jsQR.js" in url]
    assert [url for url in page.requested if not url.startswith(live_server)] == []


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_private_page_shows_a_scannable_qr_code(
    open_page, live_server, live_app, language, width
):
    with live_app.app_context():
        registration = db.session.get(Registration, live_app.people["layla3@example.org"])
        token = registrations.mint_token(registration)
        code = registration.checkin_code
        db.session.commit()

    page = open_page(f"/registration/{token}", language=language, width=width)

    image = page.locator("svg.checkin-qr__image")
    box = image.bounding_box()
    assert 200 <= box["width"] <= 300  # big enough to scan from a phone's screen
    assert box["width"] == pytest.approx(box["height"], abs=1)
    assert page.locator(".checkin-qr__code").inner_text() == code
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    assert no_overflow(page, width)
    assert serious_violations(page) == []
    assert [url for url in page.requested if not url.startswith(live_server)] == []
