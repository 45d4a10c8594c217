"""Configuration.

Precedence, lowest first: the committed ``Defaults``; ``instance/config.py``; a ``.env``
file; the process environment (the plain names the README lists, then any ``FLASK_*``
variable); and, for tests, the dict given to ``create_app``. The embedded default needs
none of them. In production (``APP_ENV=production``) the app refuses to start without a
real ``SECRET_KEY``.
"""

import json
import os
import secrets
import time
from pathlib import Path

from dotenv import dotenv_values

LANGUAGES = ("ar", "en")

# Values that must never be used as a production secret.
WEAK_SECRETS = {"", "dev", "test", "secret", "changeme", "change-me", "please-change-me"}
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration cannot run the app safely. The message says what to set."""


class Defaults:
    APP_ENV = "development"
    SECRET_KEY = None
    # Earlier keys, still accepted for what they signed (sessions, unsubscribe links),
    # after SECRET_KEY is rotated.
    SECRET_KEY_FALLBACKS = ()
    # Relative SQLite paths are resolved against instance/ by Flask-SQLAlchemy.
    SQLALCHEMY_DATABASE_URI = "sqlite:///conference.db"
    # A pooled PostgreSQL connection that died while idle (the database restarted) is
    # replaced as it leaves the pool, without a round trip (``database``), so after an
    # outage the next request succeeds instead of failing once per dead connection.
    BASE_URL = "http://127.0.0.1:5000"
    CONFERENCE_SLUG = "for-syria"

    LANGUAGES = LANGUAGES
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGE_COOKIE = "lang"
    LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600

    # Mail: with no MAIL_SERVER, messages wait in the outbox.
    # Development only (``make run`` turns it on; production refuses it): deliver every
    # message to .eml files under DEV_MAILBOX_DIR (default instance/mailbox/), read at
    # /dev/mailbox, instead of over SMTP. See ``mailer.mailbox``.
    DEV_MAILBOX = False
    DEV_MAILBOX_DIR = None
    MAIL_SERVER = None
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "For Syria <organizers@example.org>"
    MAIL_TIMEOUT = 30
    MAIL_REPLY_TO = None
    # Domain in Message-IDs; defaults to BASE_URL's host (never the machine's own name).
    MAIL_MESSAGE_ID_DOMAIN = None
    MAIL_EHLO_NAME = None

    # Outbox delivery: batch per SMTP connection, lease on claimed messages, retries
    # with exponential back-off (base * 2^(attempt-1), capped, with ±50% jitter).
    OUTBOX_BATCH_SIZE = 50
    OUTBOX_LEASE_SECONDS = 300
    OUTBOX_MAX_ATTEMPTS = 10
    OUTBOX_RETRY_BASE_SECONDS = 30
    OUTBOX_RETRY_CAP_SECONDS = 2 * 3600
    # Deliver right after a request that queued mail. None: yes, except in production,
    # where `flask outbox work` processes deliver.
    OUTBOX_DELIVER_AFTER_REQUEST = None

    # Staff accounts: sessions end after this long; two factors are required for roles
    # that can see and export personal data (None: yes in production, no otherwise).
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    # The lifetime counts from signing in, on the server (accounts.sessions), so the
    # cookie is not signed and sent again on every response: only when it changes.
    SESSION_REFRESH_EACH_REQUEST = False
    # Flask-Login's check of the browser behind a session. Staff sessions are permanent,
    # and for those "strong" acts as "basic" anyway; for visitors' sessions (a form's
    # CSRF token, the step before the authenticator code) "strong" only added an
    # unflagged "delete remember_token" cookie to every page and rewrote the session
    # cookie on every response. Takes precedence over ``login_manager.session_protection``.
    SESSION_PROTECTION = "basic"
    TWO_FACTOR_REQUIRED = None
    TOTP_ISSUER = "For Syria"
    LOGIN_RATE_LIMIT = "10 per minute; 100 per hour"
    # Where each role lands after signing in: the first of these pages that exists, else
    # their account page.
    STAFF_HOME = {
        "admin": ("manage.dashboard",),
        "organizer": ("manage.dashboard",),
        "coordinator": ("manage.dashboard",),
        "checkin": ("checkin.desk",),
        "sponsor": ("sponsor_portal.home",),
    }
    # The sponsor portal shows no group of fewer people than this: smaller groups read
    # "fewer than 5", and other figures are hidden with them so none can be worked out
    # by subtraction (``sponsors.disclosure``).
    SPONSOR_MIN_GROUP = 5
    # Seconds the dashboard's figures are kept before they are counted again.
    DASHBOARD_CACHE_SECONDS = 30
    # Seconds a web request spends queueing a bulk email's messages before it hands back
    # the page; the rest is queued by pressing the button again or `flask broadcast queue`.
    BULK_EMAIL_REQUEST_SECONDS = 20

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    # Per client address, on the POSTs of the registration form and of "send my link again".
    REGISTRATION_RATE_LIMIT = "10 per minute; 60 per hour"
    RESEND_RATE_LIMIT = "5 per minute; 20 per hour"

    # How long a shared cache (each process's own, see pagecache.py, or the proxy's) may
    # answer for a public page, such as the conference page, before asking the app again:
    # the most a content change or a track's seats left can lag behind. 0 turns it off.
    PUBLIC_PAGE_MAX_AGE = 10

    # Rendered public pages; keys carry the content version, so a per-process cache is
    # correct with any number of processes.
    CACHE_TYPE = "SimpleCache"
    CACHE_DEFAULT_TIMEOUT = 24 * 3600
    CACHE_THRESHOLD = 200

    MAX_CONTENT_LENGTH = 1024 * 1024
    # Uploaded photos and logos (images.py): the largest file and the most pixels taken.
    # A request carrying photos (a story's) may be as large as its photos allow.
    IMAGE_MAX_BYTES = 8 * 1024 * 1024
    IMAGE_MAX_PIXELS = 40_000_000
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = 3600
    # Number of proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = 0
    LOG_LEVEL = "INFO"
    LOG_FORMAT = "json"


# Plain environment names the README documents, with their parsers.
def _bool(value):
    return value.strip().lower() in {"1", "true", "yes", "on"}


ENVIRONMENT = {
    "APP_ENV": str,
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "BASE_URL": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USE_TLS": _bool,
    "MAIL_USE_SSL": _bool,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_DEFAULT_SENDER": str,
    "MAIL_TIMEOUT": float,
    "MAIL_REPLY_TO": str,
    "DEV_MAILBOX": _bool,
    "RATELIMIT_STORAGE_URI": str,
    "TWO_FACTOR_REQUIRED": _bool,
    "PROXY_COUNT": int,
    "LOG_LEVEL": str,
    "LOG_FORMAT": str,
}


def database_uri(url):
    """Return the SQLAlchemy URI for a ``DATABASE_URL`` (``postgres://`` uses psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environ(environ):
    """Return config values from an environment mapping; unknown names are ignored.

    :raises ConfigError: a value cannot be parsed (a port that is not a number, say).
    """
    values = {}
    for name, parse in ENVIRONMENT.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        try:
            values[name] = parse(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a valid {parse.__name__}.") from None
    if "DATABASE_URL" in values:
        values["SQLALCHEMY_DATABASE_URI"] = database_uri(values.pop("DATABASE_URL"))
    for key, raw in environ.items():  # FLASK_ANYTHING, parsed as JSON where it can be
        if key.startswith("FLASK_") and key not in {"FLASK_APP", "FLASK_DEBUG", "FLASK_RUN_PORT"}:
            try:
                values[key[6:]] = json.loads(raw)
            except ValueError:
                values[key[6:]] = raw
    return values


def load(app, test_config=None, environ=None):
    """Configure ``app``: defaults, instance file, ``.env``, environment, then test dict."""
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        root = Path(app.root_path).parent
        env = {**dotenv_values(root / ".env"), **(os.environ if environ is None else environ)}
        app.config.update(from_environ(env))
    else:
        app.config.update(test_config)

    if is_production(app.config):
        check_production(app.config)
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    app.config["BASE_URL"] = app.config["BASE_URL"].rstrip("/")
    if app.config["TWO_FACTOR_REQUIRED"] is None:
        app.config["TWO_FACTOR_REQUIRED"] = is_production(app.config)
    if app.config["OUTBOX_DELIVER_AFTER_REQUEST"] is None:
        app.config["OUTBOX_DELIVER_AFTER_REQUEST"] = not is_production(app.config)


def is_production(config):
    return config.get("APP_ENV") == "production" and not config.get("TESTING")


def check_production(config):
    """Refuse settings that would run production unsafely.

    :raises ConfigError: with the reason and the fix.
    """
    key = config.get("SECRET_KEY")
    if key is None or key.strip().lower() in WEAK_SECRETS or len(key) < MIN_SECRET_LENGTH:
        raise ConfigError(
            "APP_ENV=production needs SECRET_KEY set to a random value of at least "
            f"{MIN_SECRET_LENGTH} characters (it signs sessions and links). Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if config.get("DEV_MAILBOX"):
        raise ConfigError(
            "DEV_MAILBOX is for development only: in production mail goes to MAIL_SERVER. "
            "Unset DEV_MAILBOX (make run sets it; production never runs make run)."
        )


def _instance_secret(instance):
    """Return the development secret kept in ``instance/secret_key``, creating it once.

    Several processes may start together: ``O_EXCL`` lets exactly one of them write it.
    """
    path = instance / "secret_key"
    instance.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    for _attempt in range(50):  # another process may be between create and write
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.02)
    raise ConfigError(f"{path} is empty: delete it and start again.")
