"""Security headers and cookie flags on every page; no page loads from another host.

Every GET route of the URL map is opened with real objects behind it, public pages
anonymously and staff pages signed in (``routes.py``), twice: as the tests run the app,
and with production settings (``APP_ENV=production``: secure cookies, HSTS). Each answer
must carry a Content-Security-Policy that allows this site only, no script inline and no
framing, ``nosniff``, a referrer policy and the permissions policy; staff pages, private
links and pages with a form or an address on them must not be stored. Each HTML page is
parsed: nothing it loads, submits to or is styled from may be on another host. Every
cookie set along the way is HttpOnly and SameSite, and Secure in production.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from conference import ROOT
from conference.access import Role
from conference.accounts import services as accounts
from conference.content import services as content

from ..conftest import STAFF_PASSWORD
from .routes import site, walk  # noqa: F401 - fixtures

PRODUCTION = {
    "APP_ENV": "production",
    "TESTING": False,  # production settings apply only outside TESTING (config.is_production)
    "BASE_URL": "https://conference.test",
    # Required in production; off here so the walk's admin needs no authenticator app.
    "TWO_FACTOR_REQUIRED": False,
}

# Pages that show what the visitor typed or their address, or carry a sign-in form.
FORM_PAGES = {
    "registration.register",
    "registration.registered",
    "registration.resend_link",
    "registration.link_sent",
    "registration.email_changed",
    "accounts.login",
    "accounts.code",
}
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
COOKIES = {"session", "lang"}  # what the privacy notice promises: language and forms
YEAR = 365 * 24 * 3600


@pytest.fixture
def database_url():
    """SQLite only: headers do not depend on the engine, and the walk is not free."""
    return "sqlite://"


@pytest.fixture(params=["development", "production"])
def make_app(request, make_app):
    """conftest's ``make_app``, then again with production settings (``site``, ``app``
    and the fixtures built on them use this one)."""
    settings = PRODUCTION if request.param == "production" else {}
    return lambda **config: make_app(**{**settings, **config})


def test_every_page_sends_security_headers_and_loads_only_from_here(walk):  # noqa: F811
    production = is_production(walk.app)
    if production:  # each setting in one of the languages
        walk.headers["Accept-Language"] = "ar"
    own = own_hosts(walk.app)
    problems, loaded, seen = [], set(), 0

    for page in walk.pages():
        response = page.response
        where = f"GET {page.path} ({page.who}, {response.status_code})"
        if response.status_code >= 400:
            problems.append(f"{where}: the walk should reach a page")
        camera = page.rule.endpoint in CAMERA_PAGES
        problems += [f"{where}: {p}" for p in header_problems(response, production, camera)]
        if (
            page.who != "anonymous"
            or "token" in page.rule.arguments
            or page.rule.endpoint in FORM_PAGES
        ):
            if "no-store" not in response.headers.get("Cache-Control", ""):
                problems.append(f"{where}: personal page without Cache-Control: no-store")
        if "token" in page.rule.arguments and response.headers["Referrer-Policy"] != "no-referrer":
            problems.append(f"{where}: a private link must not be sent on in a Referer")
        problems += [f"{where}: {p}" for p in cookie_problems(response, production)]
        if response.mimetype == "text/html" and response.status_code == 200:
            seen += 1
            references = References.of(response.get_data(as_text=True))
            problems += [f"{where}: {p}" for p in references.problems(own)]
            loaded |= {(page.who, url) for url in references.loads if is_own(url, own)}

    # What the pages load from this site (stylesheets, icons, the email preview's frame)
    # exists and carries the same headers.
    for who, url in sorted(loaded):
        if url.startswith("data:"):
            continue
        response = walk.get(urlsplit(url)._replace(scheme="", netloc="").geturl(), who)
        where = f"GET {url} (loaded by a page, {who}, {response.status_code})"
        if response.status_code != 200:
            problems.append(f"{where}: missing")
        problems += [f"{where}: {p}" for p in header_problems(response, production)]

    # The error pages too.
    missing = walk.get("/does-not-exist")
    assert missing.status_code == 404
    problems += [f"404 page: {p}" for p in header_problems(missing, production)]
    problems += [
        f"404 page: {p}" for p in References.of(missing.get_data(as_text=True)).problems(own)
    ]

    assert not problems, "\n".join(problems)
    assert seen > 30, "the walk reached too few pages to say anything"
    assert any(".css" in url for _who, url in loaded)


def test_every_cookie_is_httponly_samesite_and_secure_in_production(make_app, content_data):
    """Through a visit with forms protected as in production: the sign-in form, signing
    in, a staff page, switching language, the registration form, signing out. Requests
    run outside any shared app context, as a server runs them (the CSRF token is kept on
    ``g``)."""
    app = make_app(WTF_CSRF_ENABLED=True)
    production = is_production(app)
    with app.app_context():
        content.load_content(content_data)
        email = accounts.create_user(
            "admin@cookies.example", role=Role.admin, password=STAFF_PASSWORD
        ).email
    client = app.test_client()  # over HTTPS in production (PREFERRED_URL_SCHEME)
    # As a browser sends it: with HTTPS, Flask-WTF checks that forms come from this site.
    origin = {"Referer": f"{'https' if production else 'http'}://localhost/manage/login"}
    responses = []

    def token_of(response):
        return CSRF_FIELD.search(response.get_data(as_text=True))[1]

    form = client.get("/manage/login")
    signed_in = client.post(
        "/manage/login",
        data={"csrf_token": token_of(form), "email": email, "password": STAFF_PASSWORD},
        headers=origin,
    )
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    account = client.get("/manage/account")
    assert account.status_code == 200
    responses += [form, signed_in, account, client.get("/language/ar"), client.get("/register")]
    signed_out = client.post(
        "/manage/logout", data={"csrf_token": token_of(account)}, headers=origin
    )
    assert signed_out.status_code == 302
    responses += [signed_out, client.get("/manage/login")]  # shows "signed out"
    assert client.get("/manage/account").status_code == 302  # really signed out

    problems = [p for response in responses for p in cookie_problems(response, production)]
    names = {cookie_name(c) for r in responses for c in r.headers.getlist("Set-Cookie")}
    assert not problems, "\n".join(problems)
    assert names == COOKIES, "the site sets exactly the cookies the privacy notice names"


def test_stylesheets_scripts_and_images_load_nothing_from_other_hosts():
    static = ROOT / "static"
    problems = []
    files = sorted(p for p in static.rglob("*") if p.suffix in {".css", ".js", ".svg"})
    assert any(p.suffix == ".css" for p in files)

    for path in files:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        if path.suffix == ".css":
            urls = css_urls(text)
            imports = re.findall(r"@import\s+(?:url\()?\s*['\"]?([^'\")\s;]+)", text)
            problems += [f"{name}: @import {url}" for url in imports if not is_relative(url)]
            problems += [f"{name}: url({url})" for url in urls if not is_relative(url)]
        elif path.suffix == ".svg":
            references = References.of(text)
            problems += [f"{name}: {p}" for p in references.problems(set())]
        else:  # scripts: every address they fetch is built from the page's own links
            problems += [
                f"{name}: {url}" for url in re.findall(r"""["'`]((?:https?:)?//[^"'`]*)""", text)
            ]

    assert not problems, "\n".join(problems)


# --- Headers ------------------------------------------------------------------------------


# Pages that may use the camera, from this origin only: the check-in desk's QR scan.
CAMERA_PAGES = {"checkin.desk"}


def header_problems(response, production, camera=False):
    headers = response.headers
    problems = []
    policy = headers.get("Content-Security-Policy")
    if not policy:
        problems.append("no Content-Security-Policy")
    else:
        problems += csp_problems(policy, headers.get("X-Frame-Options"))
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("Referrer-Policy") not in ("same-origin", "no-referrer"):
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    permissions = headers.get("Permissions-Policy", "")
    for feature in ("camera=(self)" if camera else "camera=()", "microphone=()", "geolocation=()"):
        if feature not in permissions:
            problems.append(f"Permissions-Policy does not refuse {feature}")
    for name in ("Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy"):
        if headers.get(name) != "same-origin":
            problems.append(f"{name} {headers.get(name)!r}")
    hsts = headers.get("Strict-Transport-Security")
    if production:
        max_age = re.search(r"max-age=(\d+)", hsts or "")
        if not max_age or int(max_age[1]) < YEAR:
            problems.append(f"production without a year of HSTS: {hsts!r}")
    elif hsts:
        problems.append("HSTS outside production (it would pin 127.0.0.1 to HTTPS)")
    return problems


def csp_problems(policy, frame_options):
    """What in a Content-Security-Policy would let a page load from, or be framed by,
    another site, or run inline script."""
    directives = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name.lower()] = sources
    problems = []
    sandboxed = "sandbox" in directives and directives.get("default-src") == ["'none'"]
    for name, sources in directives.items():
        for source in sources:
            if source in ("'self'", "'none'"):
                continue
            if name == "img-src" and source == "data:":
                continue  # the authenticator QR code, an inline SVG image
            if name == "style-src" and source == "'unsafe-inline'" and sandboxed:
                continue  # the email preview: email HTML needs inline styles; no script runs
            problems.append(f"CSP {name} allows {source}")
    if "default-src" not in directives:
        problems.append("CSP without default-src")
    if "'self'" not in directives.get("script-src", directives.get("default-src", [])):
        if not (sandboxed and "script-src" not in directives):
            problems.append("CSP script-src is not 'self'")
    if directives.get("object-src", directives.get("default-src")) != ["'none'"]:
        problems.append("CSP allows plugins (object-src)")
    if "base-uri" not in directives:
        problems.append("CSP without base-uri")
    if "form-action" not in directives:
        problems.append("CSP without form-action")
    ancestors = directives.get("frame-ancestors")
    expected = {"'none'": "DENY", "'self'": "SAMEORIGIN"}
    if ancestors is None or len(ancestors) != 1 or ancestors[0] not in expected:
        problems.append(f"CSP frame-ancestors {ancestors}")
    elif frame_options != expected[ancestors[0]]:
        problems.append(f"X-Frame-Options {frame_options!r} with frame-ancestors {ancestors[0]}")
    return problems


def is_production(app):
    return app.config["SESSION_COOKIE_SECURE"]


# --- Cookies ------------------------------------------------------------------------------


def cookie_name(header):
    return header.split("=", 1)[0].strip()


def cookie_problems(response, production):
    problems = []
    for header in response.headers.getlist("Set-Cookie"):
        name = cookie_name(header)
        attributes = {}
        for part in header.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            attributes[key.lower()] = value
        if "httponly" not in attributes:
            problems.append(f"cookie {name} without HttpOnly")
        if attributes.get("samesite", "").lower() not in ("lax", "strict"):
            problems.append(f"cookie {name} without SameSite=Lax or Strict")
        if production and "secure" not in attributes:
            problems.append(f"cookie {name} without Secure in production")
    return problems


# --- Addresses in pages -------------------------------------------------------------------

# Attributes whose address the browser fetches by itself ("href" on anything but a link:
# <link>, <base>), or sends a form or a ping to.
FETCHED = {"src", "href", "xlink:href", "poster", "data", "background", "manifest"}
FETCHED_LISTS = {"srcset", "imagesrcset"}  # "url 2x, url 400w"
SUBMITTED = {"action", "formaction"}
LINKS = {"a", "area"}  # their href is followed only when the visitor clicks


class References(HTMLParser):
    """The addresses an HTML page uses: ``loads`` (fetched by the browser itself),
    ``submits`` (forms, pings) and ``links`` (followed only when clicked)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads = []
        self.submits = []
        self.links = []
        self.in_style = False

    @classmethod
    def of(cls, html):
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser

    def handle_starttag(self, tag, attrs):
        self.in_style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "xlink:href") and tag in LINKS:
                self.links.append(value.strip())
            elif name in FETCHED:
                self.loads.append(value.strip())
            elif name in FETCHED_LISTS:
                self.loads += [c.split()[0] for c in value.split(",") if c.strip()]
            elif name in SUBMITTED:
                self.submits.append(value.strip())
            elif name == "ping":
                self.submits += value.split()
            elif name == "style":
                self.loads += css_urls(value)
            elif name == "content" and tag == "meta" and ("http-equiv", "refresh") in attrs:
                self.loads += re.findall(r"url\s*=\s*['\"]?([^'\"\s;]+)", value, re.IGNORECASE)

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            self.loads += css_urls(data)

    def problems(self, own):
        problems = [f"loads {url}" for url in self.loads if not is_own(url, own)]
        problems += [f"sends a form to {url}" for url in self.submits if not is_own(url, own)]
        for url in self.links:  # a sponsor's website is fine; a script or //host is not
            parts = urlsplit(url)
            if url.startswith("//") or parts.scheme not in ("", "http", "https", "mailto", "tel"):
                problems.append(f"links to {url}")
        return problems


def css_urls(css):
    """Addresses in ``url(...)`` and ``@import "..."`` of a stylesheet or style attribute."""
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+?)['\"]?\s*\)", css, re.IGNORECASE)
    return urls + re.findall(r"@import\s+['\"]([^'\"]+)['\"]", css, re.IGNORECASE)


def is_relative(url):
    """An address on the same host whatever the host: a path, a fragment, or data."""
    parts = urlsplit(url.strip())
    return not url.strip().startswith("//") and (
        (not parts.scheme and not parts.netloc) or parts.scheme == "data"
    )


def is_own(url, own):
    """Whether ``url`` leaves the browser on this site (protocol-relative never does here)."""
    parts = urlsplit(url.strip())
    if is_relative(url):
        return True
    return parts.scheme in ("http", "https") and parts.hostname in own


def own_hosts(app):
    return {"localhost", urlsplit(app.config["BASE_URL"]).hostname}


def test_the_address_checks_catch_other_hosts():
    """The checks above fail when they should (they are what this file relies on)."""
    page = References.of(
        '<link rel="stylesheet" href="//cdn.example/a.css">'
        '<img srcset="/a.png 1x, https://img.example/b.png 2x">'
        '<form action="https://collect.example/"></form>'
        "<div style=\"background: url('http://x.example/i.png')\"></div>"
        "<style>@import 'https://fonts.example/css';</style>"
        '<a href="javascript:alert(1)">x</a><a href="https://sponsor.example/">ok</a>'
    )
    assert len(page.problems({"conference.test"})) == 6
    assert csp_problems("default-src 'self' https://cdn.example; frame-ancestors *", "DENY")
    assert csp_problems("default-src 'self'; script-src 'self' 'unsafe-inline'", "DENY")
    assert not References.of('<a href="https://sponsor.example/" rel="noopener">x</a>').problems(
        set()
    )
