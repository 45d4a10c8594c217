"""Errors, headers, limits and logging: what every page gets."""

import json
import logging
import re

import pytest
from flask import Blueprint
from flask_wtf import FlaskForm
from wtforms import StringField

from conference.access import public
from conference.applog import JSONFormatter
from conference.security import HEADERS

PAGES = [
    "/",
    "/register",
    "/register/link",
    "/privacy",
    "/volunteer",
    "/nope",
    "/healthz",
    "/robots.txt",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_security_headers(client, conference, path):
    response = client.get(path)

    for name, value in HEADERS.items():
        assert response.headers[name] == value
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    "path", ["/", "/register", "/register/link", "/privacy", "/volunteer", "/nope"]
)
def test_pages_load_nothing_from_other_hosts(client, conference, path):
    html = client.get(path).get_data(as_text=True)

    # What the browser fetches by itself: src attributes and <link href>. A link the
    # visitor may follow (<a href>, such as "add to Google Calendar") loads nothing.
    loaded = re.findall(r'\ssrc="([^"]+)"', html) + re.findall(
        r'<link\b[^>]*\shref="([^"]+)"', html
    )
    assert loaded
    for url in loaded:
        assert url.startswith(("/", "http://conference.test/")), url
    for url in re.findall(r'<a\b[^>]*\shref="([^"]+)"', html):
        assert url.startswith(("/", "#", "mailto:", "http://conference.test/", "https://")), url
    assert "<script" not in html
    assert ' style="' not in html


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/does-not-exist", 404),
        ("/%ff%fe", 404),
        ("/%00", 404),
        ("/static/../conference/config.py", 404),
        ("/static/%2e%2e/conference/config.py", 404),
        ("/static/css/nothing.css", 404),
        ("/" + "a" * 5000, 404),
        ("/language/" + "x" * 300, 404),
        ("/language/%D8%B9", 404),
        ("/?next=%ff", 200),
    ],
)
def test_malformed_paths_get_a_clear_4xx_page(client, conference, path, status):
    response = client.get(path)

    assert response.status_code == status
    if status == 404:
        assert "Page not found" in response.get_data(as_text=True)


def test_a_garbled_accept_language_falls_back_to_english(client, conference):
    response = client.get("/", headers={"Accept-Language": "%%%;q=abc,,ar-;q=-1"})

    assert response.status_code == 200


def test_wrong_method_gets_a_405_page_in_arabic(client, conference):
    response = client.post("/", headers={"Accept-Language": "ar"})

    assert response.status_code == 405
    assert "غير مسموح" in response.get_data(as_text=True)


def test_oversized_request_gets_a_413_page_naming_the_limit(client, conference):
    response = client.post(
        "/register",
        data=b"x" * (1024 * 1024 + 1),
        headers={"Accept-Language": "ar", "Content-Type": "text/plain"},
    )

    assert response.status_code == 413
    assert "1 MB" in response.get_data(as_text=True)
    assert "البيانات أكبر من المسموح" in response.get_data(as_text=True)


def test_internal_errors_get_a_bilingual_500_page_and_are_logged(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom", headers={"Accept-Language": "ar"})

    assert response.status_code == 500
    assert "حدث خطأ ما" in response.get_data(as_text=True)
    assert "kaboom" not in response.get_data(as_text=True)


def test_json_clients_get_json_errors(client, conference):
    response = client.get("/nope", headers={"Accept": "application/json"})

    assert response.status_code == 404
    assert response.json["status"] == 404


def test_forms_are_refused_without_a_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    probe = Blueprint("probe", __name__)

    class ProbeForm(FlaskForm):
        name = StringField()

    @probe.route("/probe", methods=["POST"])
    @public
    def submit():
        return "saved" if ProbeForm().validate_on_submit() else "invalid"

    app.register_blueprint(probe)

    response = app.test_client().post(
        "/probe", data={"name": "x"}, headers={"Accept-Language": "ar"}
    )

    assert response.status_code == 400
    assert "انتهت مهلة هذه الصفحة" in response.get_data(as_text=True)


def test_the_database_being_down_gives_a_503_page_and_healthz_says_so(tmp_path):
    from conference import create_app

    from .conftest import TEST_CONFIG

    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such/dir.db"}
    )
    client = app.test_client()

    page = client.get("/", headers={"Accept-Language": "ar"})
    health = client.get("/healthz")

    assert page.status_code == 503
    assert page.headers["Retry-After"] == "30"
    assert "الموقع غير متاح مؤقتًا" in page.get_data(as_text=True)
    assert health.status_code == 503
    assert health.json == {"status": "unavailable", "database": False}


def test_static_files_are_fingerprinted_and_cached_for_a_year(client, conference):
    html = client.get("/").get_data(as_text=True)
    stylesheet = __import__("re").search(r'href="(/static/css/app.css\?v=[0-9a-f]+)"', html)[1]

    with client.get(stylesheet) as fingerprinted, client.get("/static/css/app.css") as plain:
        pass

    assert fingerprinted.status_code == 200
    assert "max-age=31536000" in fingerprinted.headers["Cache-Control"]
    assert "immutable" in fingerprinted.headers["Cache-Control"]
    assert "no-cache" not in fingerprinted.headers["Cache-Control"]  # or browsers ask again
    assert "no-cache" in plain.headers["Cache-Control"]


def test_static_files_never_carry_a_signed_in_session(client, conference, login_as):
    login_as("organizer")
    html = client.get("/manage/dashboard").get_data(as_text=True)
    stylesheet = __import__("re").search(r'href="(/static/css/app.css\?v=[0-9a-f]+)"', html)[1]

    with client.get(stylesheet) as response, client.get("/favicon.ico") as icon:
        pass

    for answer in (response, icon):
        assert "Set-Cookie" not in answer.headers
        assert "Cookie" not in answer.headers.get("Vary", "")
    assert client.get("/manage/dashboard").status_code == 200  # still signed in


def test_production_sends_hsts_and_secure_cookies(monkeypatch):
    from conference import create_app

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app()

    response = app.test_client().get("/language/ar")

    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert "Secure" in response.headers["Set-Cookie"]


def test_log_lines_are_json_with_the_request_id(app):
    record = logging.LogRecord("conference.request", logging.INFO, __file__, 1, "request", (), None)
    record.fields = {"path": "/", "status": 200}

    with app.test_request_context("/"):
        from flask import g

        g.request_id = "abc12345"
        line = json.loads(JSONFormatter().format(record))

    assert line["message"] == "request"
    assert line["request_id"] == "abc12345"
    assert line["status"] == 200
    assert line["level"] == "info"


@pytest.mark.parametrize(
    ("status", "english", "arabic"),
    [
        (400, "Bad request", "طلب غير مفهوم"),
        (403, "You cannot see this page", "لا يمكنك عرض هذه الصفحة"),
        (404, "Page not found", "الصفحة غير موجودة"),
        (429, "Too many requests", "طلبات كثيرة جدًا"),
        (500, "Something went wrong", "حدث خطأ ما"),
    ],
)
def test_error_pages_exist_in_both_languages(make_app, status, english, arabic):
    from flask import abort

    app = make_app()
    app.add_url_rule("/fail", "fail", public(lambda: abort(status)))
    client = app.test_client()

    in_english = client.get("/fail", headers={"Accept-Language": "en"})
    in_arabic = client.get("/fail", headers={"Accept-Language": "ar"})

    assert in_english.status_code == in_arabic.status_code == status
    assert f"<h1>{english}</h1>" in in_english.get_data(as_text=True)
    assert f"<h1>{arabic}</h1>" in in_arabic.get_data(as_text=True)
    assert 'dir="rtl"' in in_arabic.get_data(as_text=True)
