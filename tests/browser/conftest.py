"""A live server and Debian's Chromium, driven by Playwright.

No browser is downloaded: Playwright's driver launches ``/usr/bin/chromium`` (Debian's
``chromium`` package). Without it, or without Playwright, these tests are skipped with
the reason, and fail instead under ``REQUIRE_FULL_SUITE=1``.
"""

import contextlib
import os
import threading
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import make_server

from conference import create_app
from conference.content import services as content
from conference.extensions import db
from conference.registration import services as registrations

from ..conftest import TEST_CONFIG, SMTPServer, skip_or_fail

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# No network here but loopback: keep Chromium from calling home at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


axe = Axe()


def serious_violations(page):
    """The page's serious and critical axe-core findings, described briefly (none wanted)."""
    results = axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


@contextlib.contextmanager
def serving(app):
    """Serve ``app`` from a thread on a free loopback port; give its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def live_app_with(directory, people=(), *, source="web", **config):
    """An app on a database file in ``directory``, with the shipped content loaded and
    ``people`` registered through the service: (email, full name, language, tracks) each.

    For a module's own live server; ``app.people`` maps each address to its registration
    id. Staff accounts are the module's to add (inside ``app.app_context()``).
    """
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'live.db'}",
            "BASE_URL": "http://127.0.0.1",
            "WTF_CSRF_ENABLED": True,
            **config,
        }
    )
    app.people = {}
    with app.app_context():
        db.create_all()
        content.load_content_file()
        conference = content.get_conference(app.config["CONFERENCE_SLUG"])
        for email, name, language, tracks in people:
            app.people[email] = registrations.register_attendee(
                conference,
                email=email,
                full_name=name,
                track_keys=list(tracks),
                language=language,
                privacy_accepted=True,
                source=source,
            ).registration.id
    return app


@pytest.fixture(scope="module")
def live_smtp():
    """A real SMTP server on loopback for one test module's live app."""
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app on a free loopback port, with the shipped content and the sample programme."""
    database = tmp_path_factory.mktemp("live") / "live.db"
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "BASE_URL": "http://127.0.0.1",
        }
    )
    with app.app_context():
        db.create_all()
        content.load_content_file()
        conference = content.get_conference(app.config["CONFERENCE_SLUG"])
        content.load_sample_programme(conference, content.read_toml(content.SAMPLE_FILE))
    with serving(app) as url:
        yield url
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, shared by the browser tests."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright is not installed: browser tests skipped")
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} not found (apt-get install chromium): browser tests skipped")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, live_server):
    """Return a function that opens a path in a fresh context, recording every request."""
    contexts = []

    def _open(path="/", *, language="en", width=390, height=844):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale=language,
            extra_http_headers={"Accept-Language": language},
            device_scale_factor=1,
        )
        contexts.append(context)
        page = context.new_page()
        page.requested = []
        page.on("request", lambda request: page.requested.append(request.url))
        response = page.goto(live_server + path)
        page.status = response.status
        return page

    yield _open
    for context in contexts:
        context.close()
