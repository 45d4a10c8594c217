"""Photograph the back office: ``make screens`` writes the PNG files beside this script.

The scene (``conference.development.scene``: 300 made-up people, a full track, check-ins,
an email sent) is built in a throw-away SQLite database, served on a loopback port and
opened in Debian's Chromium, in both languages, at a phone's width (390 px) and a
desktop's (1280 px). Each picture is the first screen a person sees.
"""

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from conference import create_app  # noqa: E402
from conference.content import services as content  # noqa: E402
from conference.development.scene import ADMIN, DOOR, PASSWORD, build_scene  # noqa: E402
from conference.extensions import db  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, serving  # noqa: E402

HERE = Path(__file__).resolve().parent
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}


def _search_the_desk(page):
    """Look up two people of the same name, one of them checked in (the desk's search is
    a form post: what is typed never goes into the address)."""
    page.fill("#q", "ليلى حداد")
    page.locator("form.checkin-search button[type=submit]").click()
    page.wait_for_load_state("networkidle")


# name: (path, who, what to do on the page before the picture)
SHOTS = {
    "dashboard": ("/manage/dashboard", ADMIN, None),
    "attendees": ("/manage/attendees", ADMIN, None),
    "outbox": ("/manage/outbox", ADMIN, None),
    "audit": ("/manage/audit", ADMIN, None),
    "checkin": ("/manage/checkin", DOOR, _search_the_desk),
    "checkin-code": ("/manage/checkin/c/{checkin_code}", DOOR, None),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where the PNG files go")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise

    with tempfile.TemporaryDirectory() as directory:
        app = create_app(
            {
                "SECRET_KEY": "screens-only-secret-key-long-enough-for-the-checks",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/scene.db",
                "BASE_URL": "http://127.0.0.1",
                "OUTBOX_DELIVER_AFTER_REQUEST": False,
                "RATELIMIT_ENABLED": False,
                "TWO_FACTOR_REQUIRED": False,
                "PUBLIC_PAGE_MAX_AGE": 0,
                "LOG_LEVEL": "WARNING",
            }
        )
        with app.app_context():
            db.create_all()
            content.load_content_file()
            conference = content.get_conference(app.config["CONFERENCE_SLUG"])
            content.load_sample_programme(conference, content.read_toml(content.SAMPLE_FILE))
            scene = build_scene(conference)
            values = vars(scene)
        with serving(app) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            states = {who: _sign_in(browser, url, who) for who in (ADMIN, DOOR)}
            for name, (path, who, action) in SHOTS.items():
                for language in ("ar", "en"):
                    for size, (width, height) in SIZES.items():
                        target = arguments.out / f"{name}-{language}-{size}.png"
                        _shoot(
                            browser,
                            url + path.format(**values),
                            states[who],
                            language,
                            width,
                            height,
                            target,
                            action,
                        )
                        print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
            browser.close()
        with app.app_context():
            db.engine.dispose()


def _sign_in(browser, url, email):
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + "/manage/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    state = context.storage_state()
    context.close()
    return state


def _shoot(browser, address, state, language, width, height, target, action=None):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale=language,
        extra_http_headers={"Accept-Language": language},
        storage_state=state,
        device_scale_factor=1,
    )
    page = context.new_page()
    page.goto(address)
    page.wait_for_load_state("networkidle")
    if action:
        action(page)
    page.screenshot(path=str(target))
    context.close()


if __name__ == "__main__":
    main()
