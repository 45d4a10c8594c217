"""The development mailbox: mail delivered to files, read at /dev/mailbox; never in production."""

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conference import ROOT, config
from conference.content import services as content
from conference.mailer import mailbox, outbox

EN = {"Accept-Language": "en"}
AR = {"Accept-Language": "ar"}
SECRET = "production-secret-that-is-long-enough-0123456789"


def answers(**changes):
    """The registration form as a newcomer fills it in."""
    return {
        "full_name": "Layla Haddad",
        "email": "layla@example.org",
        "phone": "+1 202 555 0143",
        "city": "Houston",
        "region": "Texas",
        "language": "en",
        "tracks": ["cultural", "arts"],
        "privacy": "y",
        "submission_id": "submission-0000000000000001",
        **changes,
    }


def make_run_settings(port):
    """The settings ``make run PORT=port`` gives the app, read from the Makefile's command."""
    try:
        dry_run = subprocess.run(
            ["make", "-n", "run", f"PORT={port}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except FileNotFoundError:
        pytest.skip("make is not installed")
    [command] = [line for line in dry_run.splitlines() if "flask dev run" in line]
    assert f"--port {port}" in command
    environment = dict(re.findall(r"(?:^|\s)([A-Z_]+)=(\S+)", command.split("flask")[0]))
    return config.from_environ(environment)


@pytest.fixture
def dev_app(make_app, tmp_path, content_data):
    """The app as ``make run PORT=8000`` configures it, mail going to a temporary mailbox."""
    settings = make_run_settings(8000)
    app = make_app(
        **settings,
        DEV_MAILBOX_DIR=str(tmp_path / "mailbox"),
        PUBLIC_PAGE_MAX_AGE=10,  # the page caches on, as in development
    )
    with app.app_context():
        content.load_content(content_data)
        content.load_sample_programme(
            content.get_conference(app.config["CONFERENCE_SLUG"]),
            content.read_toml(content.SAMPLE_FILE),
        )
        yield app


def page(response):
    return response.get_data(as_text=True)


def link_to(html, pattern):
    """The path of the first link in ``html`` whose address matches ``pattern``."""
    found = re.search(rf'href="([^"]*{pattern}[^"]*)"', html)
    assert found, f"no link matching {pattern!r}"
    return found[1].replace("&amp;", "&")


def test_make_run_serves_the_port_it_is_given_and_delivers_to_the_mailbox():
    settings = make_run_settings(8000)

    assert settings["BASE_URL"] == "http://127.0.0.1:8000"
    assert settings["DEV_MAILBOX"] is True


def test_the_site_s_links_follow_the_port_make_run_serves(dev_app):
    client = dev_app.test_client()

    home = page(client.get("/", headers=EN))
    client.post("/register", data=answers(), headers=EN)
    outbox.deliver_pending()
    [stored] = mailbox.messages()
    invite = next(data for name, _, data in stored.attachments() if name == "invite.ics")
    feed = client.get("/calendar.ics?lang=en").get_data(as_text=True)

    assert '<link rel="canonical" href="http://127.0.0.1:8000/">' in home
    assert '<meta property="og:url" content="http://127.0.0.1:8000/">' in home
    assert "http://127.0.0.1:8000/registration/" in stored.body("plain")
    assert b"http://127.0.0.1:8000/" in invite.replace(b"\r\n ", b"")
    assert "http://127.0.0.1:8000/" in feed.replace("\r\n ", "")
    assert ":5000" not in home + stored.body("plain") + feed


def test_a_registration_s_confirmation_arrives_in_the_mailbox_with_a_working_private_link(
    dev_app,
):
    client = dev_app.test_client()
    registered = client.post("/register", data=answers(), headers=EN)
    assert registered.status_code == 303
    done = client.get(registered.headers["Location"], headers=EN)
    assert "We have sent a message to" in page(done)  # the success page says what it says

    report = outbox.deliver_pending()  # what the development server does after the request

    assert len(report.sent) == 1
    listing = client.get("/dev/mailbox", headers=EN)
    assert listing.status_code == 200
    assert "layla@example.org" in page(listing)
    message_path = link_to(page(listing), "/dev/mailbox/[0-9]")
    message = client.get(message_path, headers=EN)
    assert message.status_code == 200
    assert "For Syria" in page(message)

    frame = re.search(
        r'<iframe[^>]*sandbox="([^"]*)"[^>]*src="([^"]+)"', page(message)
    ) or re.search(r'<iframe[^>]*src="([^"]+)"[^>]*sandbox="([^"]*)"', page(message))
    assert frame, "the HTML body is shown in a sandboxed frame"
    body = client.get(f"{message_path}/html")
    policy = body.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox ")
    assert "script" not in policy.replace("allow-scripts", "")  # no script may run
    assert "allow-scripts" not in policy
    assert body.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert '<base target="_top">' in page(body)

    private_link = re.search(r'href="(http://127\.0\.0\.1:8000/registration/[^"]+)"', page(body))
    assert private_link, "the private link uses the address make run serves"
    opened = client.get(urlsplit(private_link[1]).path, headers=EN)
    assert opened.status_code == 200
    assert "Layla Haddad" in page(opened)

    text = re.search(r'<pre class="email-text"[^>]*>(.*?)</pre>', page(message), re.S)[1]
    assert "http://127.0.0.1:8000/registration/" in text


def test_attachments_download(dev_app):
    client = dev_app.test_client()
    client.post("/register", data=answers(), headers=EN)
    outbox.deliver_pending()
    [stored] = mailbox.messages()
    message = page(client.get(f"/dev/mailbox/{stored.name}", headers=EN))

    names = [filename for filename, _, _ in stored.attachments()]
    assert "invite.ics" in names
    for number, (filename, content_type, data) in enumerate(stored.attachments(), start=1):
        path = f"/dev/mailbox/{stored.name}/attachments/{number}"
        assert path in message
        download = client.get(path)
        assert download.status_code == 200
        assert download.mimetype == content_type
        assert f'filename="{filename}"' in download.headers["Content-Disposition"]
        assert download.data == data
    invite = client.get(f"/dev/mailbox/{stored.name}/attachments/{names.index('invite.ics') + 1}")
    assert invite.data.startswith(b"BEGIN:VCALENDAR")
    assert client.get(f"/dev/mailbox/{stored.name}/attachments/{len(names) + 1}").status_code == 404

    raw = client.get(f"/dev/mailbox/{stored.name}.eml")
    assert raw.mimetype == "message/rfc822"
    assert b"Subject:" in raw.data


def test_a_qr_code_attachment_is_an_image(dev_app):
    client = dev_app.test_client()
    client.post("/register", data=answers(), headers=EN)
    outbox.deliver_pending()
    [stored] = mailbox.messages()
    images = [
        (n, data)
        for n, (_, kind, data) in enumerate(stored.attachments(), 1)
        if kind == "image/png"
    ]
    if not images:
        pytest.skip("this confirmation carries no check-in code")
    number, data = images[0]
    download = client.get(f"/dev/mailbox/{stored.name}/attachments/{number}")
    assert download.data.startswith(b"\x89PNG")


def test_the_mailbox_lists_messages_newest_first(dev_app):
    client = dev_app.test_client()
    for number, address in enumerate(("first@example.org", "second@example.org"), start=1):
        client.post(
            "/register",
            data=answers(email=address, submission_id=f"submission-000000000000000{number}"),
            headers=EN,
        )
        outbox.deliver_pending()

    listing = page(client.get("/dev/mailbox", headers=EN))

    assert listing.index("second@example.org") < listing.index("first@example.org")
    assert [stored.to for stored in mailbox.messages()] == [
        "Layla Haddad <second@example.org>",
        "Layla Haddad <first@example.org>",
    ]


def test_unknown_or_malformed_messages_are_not_found(dev_app):
    client = dev_app.test_client()
    for path in (
        "/dev/mailbox/1234567890123456789-" + "0" * 32,
        "/dev/mailbox/..%2Fsecret_key",
        "/dev/mailbox/not-a-message/html",
        "/dev/mailbox/x.eml",
    ):
        assert client.get(path).status_code == 404, path


def test_every_page_has_a_development_banner_with_the_mailbox_count(dev_app):
    client = dev_app.test_client()
    home = page(client.get("/", headers=EN))
    assert 'class="dev-banner"' in home
    assert 'href="/dev/mailbox"' in home
    assert "Mailbox: 0 messages" in home
    # After the skip link, so that it stays the first thing a keyboard reaches.
    assert home.index("skip-link") < home.index("dev-banner") < home.index("site-header")

    client.post("/register", data=answers(), headers=EN)
    outbox.deliver_pending()
    again = client.get("/", headers={**EN, "If-None-Match": "*"})

    assert again.status_code == 200  # never "not modified": the count changed
    assert "Mailbox: 1 message<" in page(again)  # not the cached page's count
    assert "no-cache" in again.headers["Cache-Control"]
    assert "public" not in again.headers["Cache-Control"]

    arabic = page(client.get("/", headers=AR))
    assert "موقع للتطوير" in arabic
    assert 'href="/dev/mailbox"' in arabic


def test_the_banner_and_mailbox_are_absent_without_the_setting(make_app, tmp_path):
    app = make_app(DEV_MAILBOX_DIR=str(tmp_path / "mailbox"))
    client = app.test_client()

    assert client.get("/dev/mailbox").status_code == 404
    assert "dev-banner" not in page(client.get("/register", headers=EN))
    with app.app_context():
        assert outbox.deliver_pending().skipped_reason  # mail waits, as before
    assert not Path(tmp_path / "mailbox").exists()


def test_production_refuses_the_mailbox(make_app):
    with pytest.raises(config.ConfigError, match="DEV_MAILBOX"):
        make_app(APP_ENV="production", TESTING=False, SECRET_KEY=SECRET, DEV_MAILBOX=True)


def test_in_production_there_is_no_mailbox_and_no_banner(make_app):
    app = make_app(APP_ENV="production", TESTING=False, SECRET_KEY=SECRET)
    client = app.test_client()

    assert client.get("/dev/mailbox").status_code == 404
    assert "dev-banner" not in page(client.get("/register", headers=EN))
    assert "dev-banner" not in page(client.get("/dev/mailbox", headers=EN))


def test_message_names_are_redacted_from_the_logs(dev_app):
    from conference import applog

    [rule] = [r for r in dev_app.url_map.iter_rules() if r.endpoint == "mailbox.message"]
    name = "1796212273615073545-" + "a" * 32

    assert applog.redact(f"GET /dev/mailbox/{name}/html") == "GET /dev/mailbox/<name>/html"
    assert rule.rule == "/dev/mailbox/<secret:name>"
