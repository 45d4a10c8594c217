"""Serving an app under gunicorn and loading it with wrk, both on loopback.

An ``Instance`` is one installation of the product: a database, the settings a
production deployment would have, and the ``flask`` commands to prepare it. ``serve``
runs any WSGI app under gunicorn with sync workers; ``wrk`` drives it from another
process and returns what it measured.
"""

import contextlib
import datetime
import hashlib
import http.client
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKERS = 4


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} after {timeout} s")


# The caller's own installation in its environment: database, mail, secrets, FLASK_*.
CALLER_PREFIXES = ("FLASK_", "MAIL_", "DATABASE_", "TEST_DATABASE")
CALLER_NAMES = {"SECRET_KEY", "APP_ENV", "BASE_URL", "RATELIMIT_STORAGE_URI"}


def environ_without_caller_settings():
    """``os.environ`` without the settings of the caller's own installation."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(CALLER_PREFIXES) and key not in CALLER_NAMES
    }


@dataclass
class Instance:
    """One installation of the product on ``database_url``, with production settings.

    ``settings`` override the defaults below in every ``env()``, ``flask`` commands
    included; ``isolated`` leaves the caller's own settings out of the environment.
    """

    name: str  # "sqlite" or "postgresql"
    database_url: str
    workdir: Path
    settings: dict = field(default_factory=dict)
    isolated: bool = False

    def env(self, **extra):
        return {
            **(environ_without_caller_settings() if self.isolated else os.environ),
            "FLASK_APP": "app",
            "APP_ENV": "production",
            "SECRET_KEY": "bench-" + "s" * 60,
            "DATABASE_URL": self.database_url,
            "BASE_URL": "https://forsyria.example.org",
            "MAIL_DEFAULT_SENDER": "For Syria <noreply@example.org>",
            "LOG_LEVEL": "WARNING",
            # The benchmark's organizer signs in without a second factor, and one client
            # may register thousands of times: production limits would stop it at 10.
            "TWO_FACTOR_REQUIRED": "false",
            "FLASK_REGISTRATION_RATE_LIMIT": "1000000 per minute",
            **self.settings,
            **extra,
        }

    def flask(self, *args, quiet=True):
        """Run ``flask ARGS`` for this instance; return its output."""
        result = subprocess.run(
            [str(BIN / "flask"), *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr}")
        if not quiet:
            sys.stderr.write(result.stderr)
        return result.stdout

    def prepare(self):
        """Create the schema, the conference and its programme, and an organizer."""
        self.flask("db", "upgrade")
        self.flask("content", "load")
        self.flask("content", "sample")
        self.flask(
            "users",
            "create",
            ORGANIZER[0],
            "--role",
            "organizer",
            "--password",
            ORGANIZER[1],
        )


ORGANIZER = ("bench-organizer@example.org", "bench-password-" + "x" * 12)


def sqlite_url(path):
    return f"sqlite:///{Path(path).resolve()}"


def reset_postgresql(server_url, database):
    """Drop and create ``database`` on the server of ``server_url``; return its URL.

    BENCH_DATABASE_SUFFIX, if set, is added to the name, so that two benches can run on
    one server at once (from two checkouts) without dropping each other's databases.
    """
    import psycopg

    database += os.environ.get("BENCH_DATABASE_SUFFIX", "")

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    parts = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + database))


@contextlib.contextmanager
def serve(
    wsgi_app, *, cwd, env, workers=WORKERS, log=None, port=None, options=(), own_session=True
):
    """Run ``wsgi_app`` ("module:name") under gunicorn; yield its base URL.

    ``port``: the loopback port (a free one by default); ``options``: more gunicorn options.
    ``own_session``: in a session of its own (else only a process group of its own, in
    the caller's session): Linux's autogroup scheduling shares the CPU between sessions,
    so on a busy machine two servers in two sessions get twice one server's share.
    """
    port = port or free_port()
    log_file = open(log or os.devnull, "ab")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
            *options,
            wsgi_app,
        ],
        cwd=cwd,
        env=env,
        stdout=log_file,
        stderr=log_file,
        **({"start_new_session": True} if own_session else {"process_group": 0}),
    )
    try:
        wait_for_port(port, process)
        time.sleep(1)  # every worker booted, not just the first
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(process)
        log_file.close()


def stop_group(process):
    """Stop ``process`` and its process group: SIGTERM, then SIGKILL after 20 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Load:
    """What one wrk run measured."""

    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors plus responses other than 2xx/3xx


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url, *, connections, duration, script=None, args=(), headers=()):
    """Drive ``url`` with wrk (2 threads) for ``duration`` seconds; return a ``Load``."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: apt-get install wrk")
    command = [
        "wrk",
        "--threads",
        str(min(2, connections)),
        "--connections",
        str(connections),
        "--duration",
        f"{duration}s",
        "--timeout",
        "10s",
        "--latency",
    ]
    for header in headers:
        command += ["--header", header]
    if script:
        command += ["--script", str(script)]
    command.append(url)
    if args:
        command += ["--", *args]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Load(
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(latency["50"]),
        p99_ms=_ms(latency["99"]),
        errors=errors + (int(non_2xx.group(1)) if non_2xx else 0),
    )


# A browser's first steps, for the session cookie and CSRF token that wrk then reuses


def request(base, path, *, cookies=None, form=None):
    """One request without following redirects; return (status, body, cookies)."""
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Accept-Language": "en"}
    if cookies:
        headers["Cookie"] = cookie_header(cookies)
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request("POST" if form is not None else "GET", path, body, headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    jar = dict(cookies or {})
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    connection.close()
    return response.status, text, jar


def registration_session(base):
    """The CSRF token and Cookie header of one visit to the registration form."""
    status, page, jar = request(base, "/register")
    if status != 200:
        raise RuntimeError(f"the registration form answered {status}")
    return csrf_token(page), cookie_header(jar)


def cookie_header(jar):
    """The value of a ``Cookie`` header that sends the cookies of ``jar``."""
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def csrf_token(page):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def sign_in(base):
    """Sign the benchmark organizer in; return the Cookie header value."""
    return cookie_header(sign_in_cookies(base))


def sign_in_cookies(base, cookies=None):
    """Sign the benchmark organizer in, starting from ``cookies``; return the cookie jar."""
    status, page, jar = request(base, "/manage/login", cookies=cookies)
    email, password = ORGANIZER
    status, _, jar = request(
        base,
        "/manage/login",
        cookies=jar,
        form={"csrf_token": csrf_token(page), "email": email, "password": password},
    )
    if status not in (302, 303):
        raise RuntimeError(f"signing in answered {status}")
    status, _, _ = request(base, "/manage/dashboard", cookies=jar)
    if status != 200:
        raise RuntimeError(f"the dashboard answered {status} after signing in")
    return jar


# ---------------------------------------------------------------------------------------
# The report's heading


def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        memory_gib = int(handle.readline().split()[1]) / 1024 / 1024
    return (
        f"{os.cpu_count()} × {cpu}, {memory_gib:.0f} GiB, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )


def commit():
    result = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


def private_link(instance):
    """The path of one attendee's private page: a link minted here, as a deliverer mints it.

    The outbox holds no working link (mail is rendered when it is sent, and the bench
    sends none): the token's hash is added for the first registration.
    """
    import sqlalchemy as sa

    from conference.config import database_uri

    token = secrets.token_urlsafe(32)
    engine = sa.create_engine(database_uri(instance.database_url))
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO manage_token (registration_id, token_hash, created_at) "
                    "SELECT min(id), :hash, :now FROM registration"
                ),
                {
                    "hash": hashlib.sha256(token.encode()).hexdigest(),
                    "now": datetime.datetime.now(datetime.UTC).replace(tzinfo=None),
                },
            )
    finally:
        engine.dispose()
    return f"/registration/{token}"
