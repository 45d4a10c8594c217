"""No log line holds a working secret from a URL, whoever writes it.

Private links carry credentials in their path. These tests capture the real output of
each writer: Flask's error log for an exception inside a private-link page, the
development server's request line, gunicorn's access log, and our own request log.
"""

import http.client
import io
import logging
import re
import threading
import urllib.parse
import urllib.request
from datetime import timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from flask import request
from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger
from werkzeug.serving import make_server

from conference import applog
from conference.registration import views as registration_views
from conference.urls import Secret

TOKEN = "s3cr3t-T0ken_abcdefghijklmnopqrstuvwxyz"
SECRET_PATHS = [
    f"/registration/{TOKEN}",
    f"/registration/{TOKEN}/tracks",
    f"/registration/{TOKEN}/invite.ics",
    f"/manage/invitation/{TOKEN}",
    f"/manage/checkin/c/{TOKEN}",
    f"/unsubscribe/{TOKEN}",
    f"/unsubscribe/{TOKEN}/undo",
]


def test_every_credential_in_a_path_is_declared_secret(make_app):
    app = make_app()
    secret = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, Secret) for c in rule._converters.values())
    }

    assert {
        "/registration/<secret:token>",
        "/registration/<secret:token>/tracks",
        "/registration/<secret:token>/details",
        "/registration/<secret:token>/invite.ics",
        "/registration/<secret:token>/cancel",
        "/registration/<secret:token>/erase",
        "/manage/invitation/<secret:token>",
        "/manage/checkin/c/<secret:code>",
        "/unsubscribe/<secret:token>",
        "/unsubscribe/<secret:token>/undo",
    } <= secret


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_an_exception_inside_a_private_link_page_is_logged_without_the_token(
    make_app, monkeypatch, capsys, log_format
):
    app = make_app(PROPAGATE_EXCEPTIONS=False, LOG_FORMAT=log_format, LOG_LEVEL="INFO")

    def broken(token):
        raise RuntimeError(f"cannot load {request.url}")

    monkeypatch.setattr(registration_views, "_registration_or_404", broken)

    response = app.test_client().post(f"/registration/{TOKEN}/tracks")

    logged = capsys.readouterr().err
    assert response.status_code == 500
    assert "RuntimeError: cannot load http://localhost/registration/<token>/tracks" in logged
    assert "/registration/<token>/tracks" in logged
    assert TOKEN not in logged


def test_the_development_server_logs_request_lines_without_secrets(make_app):
    app = make_app()
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_log.addHandler(handler)
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.INFO)
    thread.start()
    try:
        for path in SECRET_PATHS:  # a 404 or a redirect to sign in is logged all the same
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.request("GET", f"{path}?x=1")
            connection.getresponse().read()
            connection.close()
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        werkzeug_log.removeHandler(handler)
        werkzeug_log.setLevel(level)

    logged = re.sub(r"\x1b\[[0-9;]*m", "", output.getvalue())  # its colours, if any
    assert len(logged.splitlines()) == len(SECRET_PATHS)
    assert TOKEN not in logged
    assert '"GET /registration/<token>/tracks?x=1 HTTP/1.1"' in logged
    assert '"GET /manage/checkin/c/<code>?x=1 HTTP/1.1"' in logged
    assert '"GET /unsubscribe/<token>/undo?x=1 HTTP/1.1"' in logged


def test_gunicorn_access_log_lines_hold_no_secrets(make_app, tmp_path):
    make_app()  # the app, as a gunicorn worker imports it
    access_log = tmp_path / "access.log"
    config = Config()
    config.set("accesslog", str(access_log))
    config.set(
        "access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %({raw_uri}e)s %({referer}i)s'
    )
    logger = GunicornLogger(config)
    path = f"/manage/invitation/{TOKEN}"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://forsyria.example.org/registration/{TOKEN}",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    sent = SimpleNamespace(headers=[("Referer", environ["HTTP_REFERER"])])

    try:
        logger.access(response, sent, environ, timedelta(milliseconds=5))
    finally:
        for handler in logger.access_log.handlers:
            handler.close()

    line = access_log.read_text()
    assert TOKEN not in line
    assert '"GET /manage/invitation/<token> HTTP/1.1" 200' in line
    assert '"https://forsyria.example.org/registration/<token>"' in line


def test_the_request_log_names_the_route_and_redacts_unrouted_paths(app):
    with app.test_request_context(f"/registration/{TOKEN}"):
        routed = applog._loggable_path()
    with app.test_request_context(f"/registration/{TOKEN}/nothing/here"):
        unrouted = applog._loggable_path()

    assert routed == "/registration/<token>"
    assert unrouted == "/registration/<token>/nothing/here"


def test_any_logger_of_the_process_is_redacted(app, caplog):
    with caplog.at_level(logging.INFO, logger="elsewhere"):
        logging.getLogger("elsewhere").info("link: %s", f"http://x/unsubscribe/{TOKEN}?a=1")

    assert caplog.records[-1].getMessage() == "link: http://x/unsubscribe/<token>?a=1"
    assert TOKEN not in caplog.text


def test_a_secret_path_inside_a_query_string_is_redacted_too(app):
    assert applog.redact(f"/manage/login?next=%2Fmanage%2Fcheckin%2Fc%2F{TOKEN}&a=1") == (
        "/manage/login?next=%2Fmanage%2Fcheckin%2Fc%2F<code>&a=1"
    )


class Forms(HTMLParser):
    """The forms of a page as a browser sees them: method, action and fields of each."""

    def __init__(self, html):
        super().__init__()
        self.forms = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            self.forms.append(SimpleNamespace(method=method, action=attrs.get("action"), fields={}))
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1].fields[attrs["name"]] = attrs.get("value") or ""

    def having(self, name):
        """The first form with a field called ``name``."""
        return next(form for form in self.forms if name in form.fields)


def test_a_code_typed_at_the_check_in_desk_reaches_no_log_line(make_app, capsys):
    """Staff (or a scanner) type a check-in code into the desk's search, in a browser.

    The form is sent as a browser sends it, whatever its method, to a real server;
    neither the server's request lines nor the app's own log may hold the code.
    """
    from conference.accounts import services as accounts
    from conference.content import services as content
    from conference.extensions import db
    from conference.registration import services as registrations

    app = make_app(WTF_CSRF_ENABLED=True, LOG_LEVEL="INFO")
    with app.app_context():
        content.load_content_file()
        code = registrations.register_attendee(
            content.get_conference(app.config["CONFERENCE_SLUG"]),
            email="ada@example.org",
            full_name="Ada Lovelace",
            track_keys=["arts"],
            language="en",
            privacy_accepted=True,
            source="import",
        ).registration.checkin_code
        accounts.create_user("door@forsyria.example", role="checkin", password="p" * 20)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_log.addHandler(handler)
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.INFO)
    thread.start()
    base = f"http://127.0.0.1:{server.port}"
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())

    def submit(page, form, **fields):
        data = urllib.parse.urlencode({**form.fields, **fields})
        url = urllib.parse.urljoin(page, form.action or "")
        if form.method == "post":
            return browser.open(url, data=data.encode(), timeout=10)
        return browser.open(f"{url.split('?')[0]}?{data}", timeout=10)

    try:
        with browser.open(f"{base}/manage/login", timeout=10) as response:
            login = Forms(response.read().decode()).having("password")
        with submit(
            f"{base}/manage/login", login, email="door@forsyria.example", password="p" * 20
        ) as response:
            desk = Forms(response.read().decode()).having("q")
            assert response.url == f"{base}/manage/checkin"
        with submit(f"{base}/manage/checkin", desk, q=code) as response:
            found = response.read().decode()
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        werkzeug_log.removeHandler(handler)
        werkzeug_log.setLevel(level)

    logged = re.sub(r"\x1b\[[0-9;]*m", "", output.getvalue()) + capsys.readouterr().err
    assert "Ada Lovelace" in found  # the code was searched for, and found
    assert "/manage/checkin" in logged  # the search's request was logged
    assert code not in logged


URL_ATTRIBUTE = re.compile(r'(?:href|action|src|formaction)="([^"]*)"')


def test_no_page_at_a_secret_path_puts_its_secret_in_a_query_string(conference, client, login_as):
    """A secret is redacted where it is expected, in its path segment; in a query string
    (``/language/ar?next=/registration/<token>``) a proxy's log would keep it whole."""
    from conference.announcements.unsubscribe import unsubscribe_token
    from conference.extensions import db
    from conference.registration import checkin_code
    from conference.registration import services as registrations

    registration = registrations.register_attendee(
        conference,
        email="ada@example.org",
        full_name="Ada Lovelace",
        track_keys=["arts"],
        language="en",
        privacy_accepted=True,
    ).registration
    token = registrations.mint_token(registration)
    code = checkin_code.ensure_checkin_code(registration)
    unsubscribe = unsubscribe_token(registration.id)
    db.session.commit()
    login_as("checkin")
    pages = {
        f"/registration/{token}": token,
        f"/registration/{token}/tracks": token,
        f"/unsubscribe/{unsubscribe}": unsubscribe,
        f"/manage/checkin/c/{code}": code,
    }

    for path, secret in pages.items():
        response = client.get(path, headers={"Accept-Language": "en"})
        links = [u.replace("&amp;", "&") for u in URL_ATTRIBUTE.findall(response.text)]
        switch = re.search(
            r'class="(?:language-switch|staff-language)" href="([^"]+)"', response.text
        )[1]
        switched = client.get(switch.replace("&amp;", "&"))

        assert response.status_code == 200, path
        assert [link for link in links if secret in urllib.parse.urlsplit(link).query] == []
        assert switch == f"{path}?lang=ar"
        assert switched.status_code == 303
        assert switched.headers["Location"] == path
        assert "lang=ar" in switched.headers["Set-Cookie"]
        assert "no-store" in switched.headers["Cache-Control"]
        client.delete_cookie("lang")


def test_the_language_switch_of_other_pages_is_unchanged(client, conference):
    home = client.get("/").text
    unrouted = client.get("/registration/s3cr3t-T0ken_abcdefghij/nothing/here").text

    assert 'class="language-switch" href="/language/ar?next=/"' in home
    assert client.get("/?lang=ar").status_code == 200  # only secret pages switch in place
    assert "s3cr3t" not in re.search(r'class="language-switch" href="([^"]+)"', unrouted)[1]
