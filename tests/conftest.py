"""Fixtures shared by the whole suite.

The ``app`` fixture runs each test that uses it on SQLite and, when ``TEST_DATABASE_URL``
is set, again on PostgreSQL (production's engine). Without PostgreSQL or Chromium those
tests are skipped with a reason; with ``REQUIRE_FULL_SUITE=1`` (CI) a skip of that kind
fails instead, so CI always runs them.

Runs never share anything: ``TEST_DATABASE_URL`` names only the server and a database to
connect to first; each run creates a database of its own there and drops it when it ends,
so two runs side by side (CI next to a developer, or two CI runs) cannot touch each
other's tables. Under pytest-xdist (``-n``, the default of ``make test``) the controller
creates and drops that database and each worker process works in a schema of its own in
it; ports, temporary files and browsers are per worker too. On PostgreSQL each new app
finds the tables of the previous one emptied, not dropped and created again (the DDL
costs more than most tests). And no test leaves anything running for the next: a thread
or a child process that a test started and that is still alive after its teardown fails
that test (``no_leftovers``); an app's background deliverer is stopped with the app.
"""

import asyncio
import copy
import email
import email.policy
import itertools
import os
import secrets
import socket
import threading
import time
from pathlib import Path

import jinja2
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import g, template_rendered
from sqlalchemy import text
from sqlalchemy.engine import make_url

from conference import access, create_app
from conference.config import database_uri
from conference.content import services as content
from conference.extensions import db

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "BASE_URL": "http://conference.test",
    "LOG_LEVEL": "WARNING",
    "CACHE_TYPE": "SimpleCache",
    # Tests see every change at once; tests/site/test_pagecache.py turns it on.
    "PUBLIC_PAGE_MAX_AGE": 0,
    # No deliverer thread: tests deliver explicitly (the in-memory database is shared).
    "OUTBOX_DELIVER_AFTER_REQUEST": False,
}

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
# This run's own database on that server, created on first use and dropped when the run
# ends (``pytest_sessionfinish``). Kept in the environment so that a second import of this
# module, and processes the tests fork or start, agree on it.
RUN_DATABASE = os.environ.setdefault(
    "TEST_RUN_DATABASE", f"test_run_{os.getpid()}_{secrets.token_hex(4)}"
)
# Inside it, each test process works in a schema of its own.
POSTGRES_SCHEMA = f"test_{os.getpid()}"
STRICT = os.environ.get("REQUIRE_FULL_SUITE") == "1"


def skip_or_fail(reason):
    """Skip with ``reason``; in CI (``REQUIRE_FULL_SUITE=1``) fail instead."""
    if STRICT:
        pytest.fail(f"REQUIRE_FULL_SUITE=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request):
    """The database each ``app`` runs on: in-memory SQLite, then PostgreSQL if configured."""
    if request.param == "sqlite":
        yield "sqlite://"
        return
    yield postgres_url()
    drop_postgres_schema()


def postgres_url():
    """The PostgreSQL URL of this run's database and this process's schema.

    Skips (CI: fails) without ``TEST_DATABASE_URL``.
    """
    if not POSTGRES_URL:
        skip_or_fail("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    create_run_database()
    url = run_database_url().render_as_string(hide_password=False)
    separator = "&" if "?" in url else "?"
    # A commit returns without waiting for the disk: what each connection sees is the same,
    # only a crash of the server could lose the last commits (of a throw-away database).
    # ``public`` after the process's own schema: what extensions the run's database has
    # (``pg_trgm``, see ``create_run_database``) are found there, and nothing else is.
    options = f"-csearch_path%3D{POSTGRES_SCHEMA},public%20-csynchronous_commit%3Doff"
    return f"{url}{separator}options={options}"


def run_database_url():
    """This run's database on the ``TEST_DATABASE_URL`` server (a SQLAlchemy URL)."""
    return make_url(database_uri(POSTGRES_URL)).set(database=RUN_DATABASE)


def _server_engine():
    """An engine on the database ``TEST_DATABASE_URL`` names, for CREATE/DROP DATABASE."""
    return sa.create_engine(
        database_uri(POSTGRES_URL), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )


_created = []
# Set in a pytest-xdist worker: the controller creates and drops the run's database.
IS_XDIST_WORKER = "PYTEST_XDIST_WORKER" in os.environ


def create_run_database():
    """Create this run's database, once per run (by the xdist controller, when there is one)."""
    if _created:
        return
    if IS_XDIST_WORKER:  # created by the controller before it started the workers
        _created.append(RUN_DATABASE)
        return
    engine = _server_engine()
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": RUN_DATABASE}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{RUN_DATABASE}"'))
    finally:
        engine.dispose()
    # The name search's trigram index needs ``pg_trgm``. Created once here, in ``public``,
    # before any process makes its schema: created by the models in a process's own schema
    # it would leave with that schema's DROP, under the others' indexes, and two processes
    # creating it at once collide.
    engine = sa.create_engine(run_database_url(), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    finally:
        engine.dispose()
    _created.append(RUN_DATABASE)


def drop_run_database():
    """Drop this run's database, ending any connection still open to it."""
    engine = _server_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{RUN_DATABASE}" WITH (FORCE)'))
    finally:
        engine.dispose()


def pytest_sessionstart(session):
    """Under xdist, the controller creates the run's database before any worker needs it:
    two workers creating it at once would collide."""
    if POSTGRES_URL and not IS_XDIST_WORKER and session.config.pluginmanager.has_plugin("dsession"):
        try:
            create_run_database()
        except sa.exc.SQLAlchemyError as exc:
            raise pytest.UsageError(
                f"TEST_DATABASE_URL is set but its server refused CREATE DATABASE: {exc}"
            ) from exc


def pytest_sessionfinish(session):
    # Only the process that created it (not an xdist worker) drops it, after every worker.
    if (
        POSTGRES_URL
        and _created
        and not IS_XDIST_WORKER
        and os.environ.get("TEST_RUN_DATABASE") == RUN_DATABASE
    ):
        drop_run_database()


def drop_postgres_schema():
    engine = sa.create_engine(run_database_url(), poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE"))
    engine.dispose()


class SharedTemplateCode(jinja2.BytecodeCache):
    """Templates compiled once per test process instead of once per app.

    Every test makes an app of its own, and each app's Jinja environment would parse and
    compile every template it renders again (a tenth of a second for a page). The code
    is kept per template source (Jinja checks its checksum) and per setting that changes
    what Jinja compiles; each app still runs it in its own environment, with its own
    filters, globals and translations.
    """

    def __init__(self):
        self.code = {}

    @staticmethod
    def _key(bucket):
        environment = bucket.environment
        settings = (
            tuple(sorted(environment.extensions)),
            environment.autoescape,
            getattr(environment, "newstyle_gettext", None),
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.optimized,
            environment.finalize,
        )
        # Flask's autoescape is a method of each app: the same function for all of them.
        return (tuple(getattr(s, "__qualname__", s) for s in settings), bucket.key)

    def load_bytecode(self, bucket):
        code = self.code.get(self._key(bucket))
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.code[self._key(bucket)] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


@pytest.fixture
def make_app(database_url):
    """Return a function that creates an app on the test database with extra config."""
    created = []

    def _make_app(**config):
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config})
        app.jinja_env.bytecode_cache = TEMPLATE_CODE
        created.append(app)
        with app.app_context():
            if not (database_url.startswith("postgresql") and empty_postgres_tables()):
                if database_url.startswith("postgresql"):
                    reset_postgres()
                db.create_all()
        return app

    yield _make_app
    for app in created:
        deliverer = app.extensions.get("outbox_deliverer")
        if deliverer is not None:
            deliverer.stop()
        with app.app_context():
            db.session.remove()  # PostgreSQL: the tables stay, the next app empties them
            db.engine.dispose()


def empty_postgres_tables():
    """Delete every row and restart the id sequences if this process's schema holds exactly
    the tables and columns the models describe; return whether it did.

    The next test starts as on tables just created (the same rows: none; the same ids: from
    1), without the DDL, which costs a PostgreSQL test more than the test itself. A schema
    that differs (none yet, a migration test's, ``alembic_version`` left over) is not
    touched: the caller recreates it.
    """
    found = db.session.execute(
        text(
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c"
            " ON c.oid = a.attrelid WHERE c.relnamespace = current_schema()::regnamespace"
            " AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
        )
    ).all()
    described = {(t.name, c.name) for t in db.metadata.sorted_tables for c in t.columns}
    if set(map(tuple, found)) != described:
        db.session.rollback()
        return False
    db.session.execute(text("SET LOCAL lock_timeout = '30s'"))  # a leftover fails, not hangs
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    sequences = db.session.scalars(
        text(
            "SELECT relname FROM pg_class"
            " WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace"
        )
    )
    for sequence in list(sequences):
        db.session.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    db.session.commit()
    return True


def reset_postgres():
    """Empty this process's schema: tables left by an interrupted run or a migration test."""
    db.session.execute(text(f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE"))
    db.session.execute(text(f"CREATE SCHEMA {POSTGRES_SCHEMA}"))
    db.session.commit()


def _children():
    """The ids of this process's living child processes (Linux: /proc)."""
    found = set()
    for children in Path("/proc/self/task").glob("*/children"):
        try:
            found.update(int(pid) for pid in children.read_text().split())
        except OSError:  # the thread ended meanwhile
            continue
    return found


@pytest.fixture(autouse=True)
def no_leftovers():
    """Fail a test that leaves a thread or a child process of its own running.

    Set up before the test's other function-scoped fixtures and torn down after them, so
    what wider-scoped fixtures keep for later tests (a live server, a browser) is already
    there before and is not counted. Leftovers get a few seconds to end by themselves.
    """
    threads, children = set(threading.enumerate()), _children()
    yield
    deadline = time.monotonic() + 5
    while True:
        extra_threads = [t for t in threading.enumerate() if t not in threads and t.is_alive()]
        extra_children = _children() - children
        if not (extra_threads or extra_children) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not extra_threads, f"threads left running: {[t.name for t in extra_threads]}"
    assert not extra_children, f"child processes left running: {sorted(extra_children)}"


@pytest.fixture
def app(make_app):
    """A fresh app and empty database for each test, inside an app context."""
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def content_data():
    """The shipped content file, parsed once."""
    return content.read_toml(content.CONTENT_FILE)


@pytest.fixture(scope="session")
def sample_data():
    return content.read_toml(content.SAMPLE_FILE)


@pytest.fixture
def make_conference(app, content_data):
    """Return a function that loads the conference from the shipped content, with changes.

    ``make_conference(venue_name={"en": ..., "ar": ...}, arts_capacity=2, sample=True)``
    """

    def _make_conference(sample=False, **overrides):
        data = copy.deepcopy(content_data)
        for name, value in overrides.items():
            if name.endswith("_capacity"):
                track = next(
                    t for t in data["tracks"] if t["key"] == name.removesuffix("_capacity")
                )
                track["capacity"] = value
            else:
                data["conference"][name] = value
        content.load_content(data)
        conference = content.get_conference(data["conference"]["slug"])
        if sample:
            content.load_sample_programme(conference, content.read_toml(content.SAMPLE_FILE))
        return conference

    return _make_conference


@pytest.fixture
def conference(make_conference):
    """The conference as shipped, with the sample programme."""
    return make_conference(sample=True)


# Started first, so that under xdist the other workers' short tests fill in around them
# and no worker is left alone with a long test at the end (names, not paths: files move).
SLOW_FIRST = (
    "tests/browser/",
    "tests/hardening/",
    "test_exporting_100000_rows_keeps_memory_flat",
    "test_lists_and_the_dashboard_stay_fast_at_100000_registrations",
    "test_concurrent_sign_ups_and_cancellations_never_oversell",
    "test_many_people_racing_for_the_last_places_never_pass_the_maximum",
    "test_lowering_a_maximum_while_people_sign_up_leaves_no_one_over_it",
    "test_each_volunteer_url_answers_each_role_as_declared",
)


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by database
def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: not any(slow in item.nodeid for slow in SLOW_FIRST))


def pytest_terminal_summary(terminalreporter):
    """Say plainly which of the environment-dependent test groups ran."""
    groups = {
        "PostgreSQL": "[postgresql",
        "browser (Chromium)": "tests/browser/",
        "Redis (rate limits across workers)": "tests/hardening/test_rate_limits_workers.py",
    }
    passed = terminalreporter.stats.get("passed", [])
    skipped = terminalreporter.stats.get("skipped", [])
    terminalreporter.section("environment-dependent tests")
    for name, marker in groups.items():
        ran = sum(1 for report in passed if marker in report.nodeid)
        missed = sum(1 for report in skipped if marker in report.nodeid)
        terminalreporter.write_line(f"{name}: {ran} passed, {missed} skipped")


STAFF_PASSWORD = "correct horse battery staple"


# scrypt is slow on purpose (a tenth of a second, more on a busy machine), and most tests
# only need someone signed in: the staff password is hashed once per test process, and a
# check of a (hash, password) pair the fixtures have already checked gives the same answer
# without working it out again. Tests of passwords themselves call the app directly.
_STAFF_PASSWORD_HASH = []
_CHECKED = {}


@pytest.fixture
def make_user(app, monkeypatch):
    """Return a function that creates a staff account: ``make_user("organizer")``."""
    from conference.accounts import services as accounts

    real_hash = accounts.generate_password_hash

    def hash_once(password):
        if password != STAFF_PASSWORD:
            return real_hash(password)
        if not _STAFF_PASSWORD_HASH:
            _STAFF_PASSWORD_HASH.append(real_hash(password))
        return _STAFF_PASSWORD_HASH[0]  # a real scrypt hash of it (one salt for all)

    def _make_user(role, email=None, **overrides):
        with monkeypatch.context() as patch:
            patch.setattr(accounts, "generate_password_hash", hash_once)
            return accounts.create_user(
                email or f"{role}@forsyria.example",
                role=role,
                password=STAFF_PASSWORD,
                **overrides,
            )

    return _make_user


@pytest.fixture
def login_as(client, make_user, monkeypatch):
    """Return a function that signs ``client`` in as a new user with ``role``; returns the user."""
    from conference.accounts import services as accounts

    real_check = accounts.check_password_hash

    def check_once(password_hash, password):  # a pure function: remembering it is exact
        if (password_hash, password) not in _CHECKED:
            _CHECKED[password_hash, password] = real_check(password_hash, password)
        return _CHECKED[password_hash, password]

    def _login_as(role, **overrides):
        user = make_user(role, **overrides)
        with monkeypatch.context() as patch:
            patch.setattr(accounts, "check_password_hash", check_once)
            response = client.post(
                "/manage/login", data={"email": user.email, "password": STAFF_PASSWORD}
            )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login_as


@pytest.fixture
def enforced_access(app):
    """Access enforcement on for ``app`` (``create_app`` turns it on; this makes sure)."""
    if not any(f.__name__ == "enforce_access" for f in app.before_request_funcs[None]):
        access.init_app(app)


@pytest.fixture
def organizer(client, login_as, enforced_access):
    """``client`` signed in as an organizer (with access enforced); the user."""
    return login_as("organizer")


# --- Registering someone through the service ---------------------------------------------

_registration_numbers = itertools.count(1)


def _loaded_conference(request):
    return content.current_conference() or request.getfixturevalue("conference")


@pytest.fixture
def register(request, app):
    """Return a function that registers someone through the service; it returns the
    ``Outcome``: ``register("ada@example.org", tracks=["arts"], to=other, full_name=...)``.

    Defaults: a new address each time, "Ada Lovelace", the arts track, English, privacy
    accepted, and the conference already loaded (``make_conference``), else the
    ``conference`` fixture's.
    """
    from conference.registration import services

    def _register(email=None, tracks=("arts",), *, to=None, **overrides):
        values = {
            "email": email or f"person{next(_registration_numbers)}@example.org",
            "full_name": "Ada Lovelace",
            "track_keys": list(tracks),
            "language": "en",
            "privacy_accepted": True,
            **overrides,
        }
        return services.register_attendee(to or _loaded_conference(request), **values)

    return _register


@pytest.fixture
def make_registration(register):
    """Like ``register``, returning the registration itself."""

    def _make_registration(email=None, tracks=("arts",), **overrides):
        return register(email, tracks, **overrides).registration

    return _make_registration


# --- A real SMTP server on loopback (aiosmtpd), which can be told to misbehave ----------


class Mailbox:
    """What the server received, and how it should answer next."""

    def __init__(self):
        self.envelopes = []
        self.temporary_failures = 0  # answer 451 to this many DATA commands
        self.refused = set()  # answer 550 to RCPT TO for these addresses
        self.delay = 0.0  # seconds to wait before answering DATA

    @property
    def messages(self):
        return [
            email.message_from_bytes(envelope.content, policy=email.policy.default)
            for envelope in self.envelopes
        ]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.temporary_failures > 0:
            self.temporary_failures -= 1
            return "451 4.3.0 Temporary local problem, try again later"
        self.envelopes.append(envelope)
        return "250 2.0.0 OK queued"


class SMTPServer:
    """An aiosmtpd server on a fixed free loopback port that can be stopped and started."""

    def __init__(self):
        self.mailbox = Mailbox()
        self.port = _free_port()  # aiosmtpd cannot bind port 0 (aio-libs/aiosmtpd#276)
        self.controller = None

    def start(self):
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def app_config(self):
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_USE_SSL": False,
            "MAIL_SUPPRESS_SEND": False,  # Flask-Mail suppresses in TESTING unless told not to
            "MAIL_TIMEOUT": 2,
            "MAIL_DEFAULT_SENDER": "For Syria <organizers@forsyria.example>",
        }


def _free_port():
    """A free loopback port, from a block of this xdist worker's own below the ephemeral
    range: between this probe and aiosmtpd's bind, neither another worker nor anything
    binding port 0 can take it."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    first = 20000 + 500 * (worker % 24)  # 20000-31999, under Linux's 32768-60999
    offset = secrets.randbelow(500)
    for n in range(500):
        port = first + (offset + n) % 500
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:  # in use (or still closing): the next one
                continue
            return port
    raise RuntimeError(f"no free loopback port in {first}-{first + 499}")


@pytest.fixture
def smtp_server():
    """A running SMTP server; ``smtp_server.mailbox`` holds what it received."""
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stopped_smtp_server():
    """An SMTP server that is down until the test calls ``start()``."""
    server = SMTPServer()
    yield server
    server.stop()


class Renders:
    """Counts the renders of ``template`` by ``app`` while open (kept pages are not)."""

    def __init__(self, app, template):
        self.app = app
        self.template = template
        self.count = 0

    def _seen(self, _sender, template, context, **_extra):
        if template.name == self.template:
            self.count += 1

    def __enter__(self):
        template_rendered.connect(self._seen, self.app)
        return self

    def __exit__(self, *_exc):
        template_rendered.disconnect(self._seen, self.app)


def as_a_new_request():
    """Forget this request's CSRF token: the tests' requests share one app context (and
    so ``g``), where each request of a deployment has its own."""
    g.pop("csrf_token", None)
