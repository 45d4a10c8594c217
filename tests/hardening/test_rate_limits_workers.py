"""Rate limits hold across several app processes when they share Redis.

The real app runs under gunicorn, as the README deploys it, with three sync workers (each
its own process). The registration form's POST is limited per client address; its limit
comes from the environment (``FLASK_REGISTRATION_RATE_LIMIT``), set low here. Requests
arrive on separate connections, several at a time, so different workers answer them; the
access log names the worker of each answer. With ``RATELIMIT_STORAGE_URI`` pointing at
Redis the workers together accept exactly the limit and answer the rest with the
translated 429 page, and a worker refuses even when it accepted fewer itself. The control
runs the same app counting in each process's memory (``memory://``, the embedded default)
and sees more accepted than the limit: the check can fail.

Redis is expected at ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``); without it
these tests are skipped, or fail under ``REQUIRE_FULL_SUITE=1``. Each run uses a key prefix
of its own and deletes only its own keys.
"""

import gettext
import http.client
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
import redis

from conference import ROOT, create_app
from conference.content import services as content
from conference.extensions import db

from ..conftest import skip_or_fail

# Both tests in one xdist worker: they share the module's two gunicorn servers.
pytestmark = pytest.mark.xdist_group("gunicorn")

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WORKERS = 3
LIMIT = 5
SECRET = "rate-limit-test-secret-that-is-long-enough"
# A POST with no CSRF token: the form page comes back with "timed out", nothing is saved.
FORM = urlencode({"full_name": "Rate Limit", "email": "limit@example.org"}).encode()


@pytest.fixture(scope="module")
def redis_client():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        skip_or_fail(f"Redis is not reachable at {REDIS_URL} ({exc}): rate limit tests skipped")
    yield client
    client.close()


@pytest.fixture(scope="module")
def servers(redis_client, tmp_path_factory):
    """Two copies of the app under gunicorn, started together: limits counted in Redis
    under a key prefix of this run's, and in each worker's memory."""
    folder = tmp_path_factory.mktemp("workers")
    database = f"sqlite:///{folder / 'conference.db'}"
    prefix = f"hardening-{uuid.uuid4().hex}"
    started = {
        "redis": Gunicorn(folder / "redis", database, REDIS_URL, prefix),
        "memory": Gunicorn(folder / "memory", database, "memory://", prefix),
    }
    try:
        # While they start (nothing touches the database before the first request): the
        # schema and the conference, as `make run` leaves them.
        app = create_app(
            {"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": database}
        )
        data = content.read_toml(content.CONTENT_FILE)
        data["conference"]["registration"] = {"status": "open"}  # whatever the file says now
        with app.app_context():
            db.create_all()
            content.load_content(data)
            db.engine.dispose()
        for server in started.values():
            server.wait_until_ready()
        yield started
    finally:
        Gunicorn.stop_all(started.values())
        for key in redis_client.scan_iter(match=f"*{prefix}*"):
            redis_client.delete(key)


class Gunicorn:
    """``gunicorn app:app`` on a free loopback port, in a process group of its own."""

    def __init__(self, folder, database, storage, prefix):
        folder.mkdir()
        self.log = folder / "gunicorn.log"
        self.access_log = folder / "access.log"
        self.prefix = prefix
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("FLASK_") and name not in ("DATABASE_URL", "APP_ENV")
        }
        environment.update(
            APP_ENV="production",
            SECRET_KEY=SECRET,
            DATABASE_URL=database,
            BASE_URL="http://127.0.0.1",
            RATELIMIT_STORAGE_URI=storage,
            FLASK_RATELIMIT_ENABLED="true",  # whatever instance/config.py says
            FLASK_RATELIMIT_KEY_PREFIX=prefix,
            FLASK_REGISTRATION_RATE_LIMIT=f"{LIMIT} per minute",
            LOG_LEVEL="WARNING",
        )
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            "127.0.0.1:0",
            # Import the app once and fork: three imports would take seconds on a small CI
            # machine. Each worker is still a process with its own memory.
            "--preload",
            "--no-control-socket",
            "--access-logfile",
            str(self.access_log),
            "--access-logformat",
            "%(p)s %(s)s",
            "app:app",
        ]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.port = None

    def output(self):
        return self.log.read_text(errors="replace")

    def wait_until_ready(self, timeout=30):
        """Wait until gunicorn listens and every worker has booted."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            output = self.output()
            listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", output)
            if listening and output.count("Booting worker with pid") >= WORKERS:
                self.port = int(listening[1])
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"gunicorn did not start:\n{self.output()}", pytrace=False)

    @staticmethod
    def stop_all(servers, grace=1.0):
        """Stop each server's process group: TERM, then KILL what is left after ``grace``."""
        for server in servers:
            if server.process.poll() is None:
                os.killpg(server.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for server in servers:
            try:
                server.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:  # the master, and any worker it left behind
                os.killpg(server.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            server.process.wait()

    def post(self, path="/register"):
        """POST the registration form on a connection of its own; return (status, body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(
                "POST",
                path,
                body=FORM,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept-Language": "ar",
                    "Connection": "close",
                },
            )
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def post_many(self, count):
        """Send ``count`` POSTs, several at a time; return their (status, body)."""
        with ThreadPoolExecutor(max_workers=2 * WORKERS) as pool:
            return list(pool.map(lambda _n: self.post(), range(count)))

    def answers_by_worker(self, expected):
        """Wait for ``expected`` access log lines; return {worker pid: Counter of statuses}."""
        deadline = time.monotonic() + 5
        while True:
            lines = self.access_log.read_text().split("\n")[:-1]  # complete lines only
            if len(lines) >= expected or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert len(lines) == expected, f"{len(lines)} answers logged, {expected} expected"
        workers = {}
        for line in lines:
            pid, status = line.split()
            workers.setdefault(pid, Counter())[int(status)] += 1
        return workers


def test_workers_sharing_redis_accept_exactly_the_limit_between_them(servers, redis_client):
    server = servers["redis"]
    answers = server.post_many(4 * LIMIT)
    workers = server.answers_by_worker(len(answers))
    while len(workers) < 2:  # rare: the kernel gave every connection to the same worker
        assert len(answers) < 20 * LIMIT, f"only one worker ever answered: {workers}"
        answers += server.post_many(2 * WORKERS)
        workers = server.answers_by_worker(len(answers))

    statuses = Counter(status for status, _body in answers)
    assert statuses == {200: LIMIT, 429: len(answers) - LIMIT}, f"answers by worker: {workers}"
    # A worker refused before reaching the limit itself: it counted the others' answers.
    assert any(c[429] and c[200] < LIMIT for c in workers.values()), workers
    too_many = gettext.translation(
        "messages", localedir=ROOT / "conference" / "translations", languages=["ar"]
    ).gettext("Too many requests")
    assert too_many != "Too many requests"  # the catalog has it in Arabic
    refusals = [body for status, body in answers if status == 429]
    assert all(too_many in body for body in refusals), refusals[0][:800]
    assert all('<html lang="ar"' in body for body in refusals), refusals[0][:800]
    assert list(redis_client.scan_iter(match=f"*{server.prefix}*")), "counted in Redis"


def test_control_workers_counting_in_their_own_memory_accept_more_than_the_limit(servers):
    """Without shared storage each worker keeps its own count, so the limit does not hold
    overall: this is what the test above would see if Redis were not really shared."""
    server = servers["memory"]
    answers = []
    while sum(status == 200 for status, _body in answers) <= LIMIT:
        assert len(answers) < 20 * LIMIT, "only one worker ever answered"
        answers += server.post_many(2 * WORKERS)

    workers = server.answers_by_worker(len(answers))
    assert len(workers) >= 2
    for statuses in workers.values():  # each worker holds the limit for itself
        assert statuses[200] == min(LIMIT, sum(statuses.values()))
