"""Two app groups behind nginx, as two hosts would be, on one PostgreSQL and one Redis.

docs/deployment.md "Past one machine" says app hosts can be added with the data in one
place. Here the sign-up burst (``bench/burst.py``: arrivals at a fixed rate, each loading
the form and posting it) runs on loopback against:

- **one group**: one gunicorn master with 4 sync workers, the client sending straight
  to it, and the same group behind nginx; and
- **two groups**: two gunicorn masters with 2 sync workers each (4 in all), on two
  ports as two hosts would be, behind nginx (its own configuration in the bench's
  temporary folder, the proxy headers of docs/deployment.md §6, round robin over the
  two ports),

each setup on a fresh PostgreSQL database of its own (the one group's two setups share
one), all with the rate limits in one Redis database (``REDIS_DB``, emptied first) and
the production registration limit. The client plays the load balancer in front: each
arrival comes from an address of its own (``X-Forwarded-For``), and the app trusts two
proxies (``PROXY_COUNT=2``); straight to one group, the client adds nginx's hop itself.
The same rates (the single group's capacity, from the burst figure if it ran, and twice
that) and the same duration go to every setup, in alternating order. Every process runs
in the bench's session, so that they share one machine's CPU as one group would (see
``servers.serve``). Throughput adds up if the two groups hold a rate one group does not.

Then, with the two groups still running, the checks of what they share: the seats
(exactly the track's seats confirmed, everyone else waiting in order, ``burst``'s check),
the registration rate limit (posts from one address alternating between the two groups
directly: the limit is reached on the second as on the first), and a content change
(``flask content load`` of an edited file) shown by both groups' cached conference page
on the next request, as ``conference/pagecache.py`` promises.
"""

import asyncio
import contextlib
import http.client
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import burst
import servers

from conference.config import Defaults

SETUPS = ("one group, direct", "one group behind nginx", "two groups behind nginx")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_DB = 11  # the bench's own: emptied before the runs, no other database touched
GROUP_WORKERS = 2  # each of the two groups; one group has servers.WORKERS (4)
FACTORS = (1, 2)  # rates: the single group's capacity and twice that
# Arrivals a second, when the burst figure did not measure it.
DEFAULT_CAPACITY = float(os.environ.get("BENCH_HOSTS_CAPACITY", 20))
WARM_UP_SECONDS = 5
CONTENT_FILE = servers.ROOT / "conference" / "content" / "conference.toml"
LIMIT_ADDRESS = "198.51.100.23"  # the one client of the rate limit's check
NGINX_HOP = ", 127.0.0.1"  # what nginx appends to X-Forwarded-For, here on loopback

NGINX_CONF = """\
daemon off;
{user}
worker_processes 1;  # the two cores are for the app groups and the client
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream forsyria {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port} backlog=2048;
        client_max_body_size 2m;
        location / {{
            proxy_pass http://forsyria;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Prefix "";
            proxy_read_timeout 130s;
        }}
    }}
}}
"""


log = burst.log


def nginx_binary():
    debian = "/usr/sbin/nginx"  # not on every user's PATH
    return shutil.which("nginx") or (debian if os.access(debian, os.X_OK) else None)


@contextlib.contextmanager
def nginx(ports, workdir, name="nginx"):
    """nginx on a free loopback port, proxying to ``ports``; yield (base URL, its pid)."""
    prefix = workdir / name
    prefix.mkdir(exist_ok=True)
    port = servers.free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            user="user root;" if os.geteuid() == 0 else "",  # its workers read the temp dir
            prefix=prefix,
            port=port,
            servers="\n".join(f"        server 127.0.0.1:{p};" for p in ports),
        ),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [nginx_binary(), "-c", str(conf), "-p", str(prefix), "-e", str(prefix / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=open(prefix / "stderr.log", "ab"),  # noqa: SIM115 (nginx keeps it)
        process_group=0,  # in the bench's session: see servers.serve
    )
    try:
        servers.wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        servers.stop_group(process)


def _flush_redis():
    import redis

    client = redis.Redis.from_url(f"{REDIS_URL}/{REDIS_DB}", socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


# ---------------------------------------------------------------------------------------
# CPU: the app's processes, nginx's, and the whole machine's


def _group_cpu_seconds(pgid):
    """User and system CPU time of the processes of process group ``pgid``."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _machine_busy_seconds():
    """CPU seconds the whole machine spent on anything but idling, every core summed."""
    with open("/proc/stat", encoding="utf-8") as handle:
        values = [int(value) for value in handle.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    setup: str  # one of SETUPS
    run: burst.Run
    wall_s: float = 0.0  # from the first arrival to the last answer
    drained_s: float = 0.0  # from the first arrival to the server's queue drained
    app_cpu_s: float = 0.0  # gunicorn masters and workers
    nginx_cpu_s: float = 0.0
    machine_busy_s: float = 0.0  # all cores, everything on the machine, during the load

    @property
    def served(self):
        """Arrivals answered in time (form and registration) a second."""
        run = self.run
        return (run.arrivals - run.errors - run.timeouts) / self.wall_s if self.wall_s else 0

    @property
    def within(self):
        return burst._within(self.run, burst.CAPACITY_P99_MS)


def _measure(setup, base, ports, nginx_pid, run, prefix):
    def app_cpu():
        return sum(burst._server_cpu_seconds(port) for port in ports)

    def nginx_cpu():
        return _group_cpu_seconds(nginx_pid) if nginx_pid else 0.0

    app, front, machine, client = (
        app_cpu(),
        nginx_cpu(),
        _machine_busy_seconds(),
        time.process_time(),
    )
    start = time.monotonic()
    asyncio.run(burst._open_loop(base, run, prefix))
    measured = Measured(setup, run, wall_s=time.monotonic() - start)
    measured.machine_busy_s = _machine_busy_seconds() - machine
    run.client_cpu_s = time.process_time() - client
    burst.drain(base)
    measured.drained_s = time.monotonic() - start
    measured.app_cpu_s, measured.nginx_cpu_s = app_cpu() - app, nginx_cpu() - front
    run.server_cpu_s = measured.app_cpu_s
    log(
        f"  {setup}, {run.label}: {run.rate:g}/s aimed, {run.achieved:.1f}/s arrived, "
        f"{measured.served:.1f}/s served, POST p50/p95/p99 {run.post(0.5):.0f}/"
        f"{run.post(0.95):.0f}/{run.post(0.99):.0f} ms, {run.errors} errors, "
        f"{run.timeouts} timeouts, app CPU {run.cpu_ms_per_arrival:.1f} ms an arrival, "
        f"machine busy {measured.machine_busy_s / measured.wall_s:.2f} cores"
    )
    return measured


# ---------------------------------------------------------------------------------------
# The checks


@dataclass
class Check:
    name: str
    passed: bool | None  # None: not run
    detail: str


def _request(base, path, *, method="GET", body=None, headers=None):
    host, port = base.rsplit("/", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, body, {"Accept-Language": "en", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


RATE_LIMIT = "rate limit counted across groups (shared Redis)"
CONTENT = "content change on both groups' cached page"


def _checked(name, check, *args):
    """``check(*args)``, or a failed check saying what went wrong."""
    try:
        return check(*args)
    except Exception as error:  # noqa: BLE001 (reported as the check's failure)
        return Check(name, False, f"could not be checked: {error}".replace("\n", " "))


def check_rate_limit(group_bases):
    """Posts from one address alternating between the groups: the limit counts them all."""
    limit = int(re.match(r"\s*(\d+)", Defaults.REGISTRATION_RATE_LIMIT).group(1))
    headers = {
        "X-Forwarded-For": LIMIT_ADDRESS + NGINX_HOP,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    statuses = []
    for number in range(limit + 2):  # A, B, A, B, …, then two past the limit
        base = group_bases[number % 2]
        status, _ = _request(base, "/register", method="POST", body="full_name=x", headers=headers)
        statuses.append(("AB"[number % 2], status))
    under, over = statuses[:limit], statuses[limit:]
    passed = all(status != 429 for _, status in under) and all(s == 429 for _, s in over)
    detail = (
        f"limit {limit} a minute from one address; posts {limit // 2} + {limit - limit // 2} "
        f"alternating A, B: {', '.join(str(s) for _, s in under)}; then "
        + ", ".join(f"{group} {status}" for group, status in over)
    )
    return Check(RATE_LIMIT, passed, detail)


def check_content_change(instance, group_bases, front, workdir, seats):
    """An edited content file loaded by the CLI shows on both groups' cached page at once."""
    marker = f"Bench check {int(time.time())}"
    text = CONTENT_FILE.read_text(encoding="utf-8")
    edited = text.replace('[conference.tagline]\nen = "', f'[conference.tagline]\nen = "{marker}. ')
    for key in burst.TRACKS:  # the capacities the bench gave them, or the load refuses
        edited = re.sub(rf'(key = "{key}"\ncapacity = )\d+', rf"\g<1>{seats}", edited, count=1)
    path = workdir / "conference-edited.toml"
    path.write_text(edited, encoding="utf-8")
    bases = {"A": group_bases[0], "B": group_bases[1], "nginx": front}
    stale_before = 0
    for base in bases.values():  # every worker's cache holds the page (round robin: 8 each)
        for _ in range(8):
            status, page = _request(base, "/")
            stale_before += status != 200 or marker in page
    instance.flask("content", "load", str(path))
    changed = time.monotonic()
    seen = {name: [] for name in bases}  # per base: (seconds after the change, shown)
    while time.monotonic() - changed < Defaults.PUBLIC_PAGE_MAX_AGE + 2:
        for name, base in bases.items():
            status, page = _request(base, "/")
            seen[name].append((time.monotonic() - changed, status == 200 and marker in page))
        if all(len(answers) >= 8 for answers in seen.values()):
            break
    stale = {name: sum(not shown for _, shown in answers) for name, answers in seen.items()}
    passed = not stale_before and not any(stale.values())
    detail = (
        f"before: the old page from every answer ({24 - stale_before} of 24); after "
        "`flask content load` of an edited tagline, answers showing it: "
        + ", ".join(
            f"{name} {len(answers) - stale[name]} of {len(answers)}"
            for name, answers in seen.items()
        )
        + " (the promise: the next request, whatever process and host)"
    )
    return Check(CONTENT, passed, detail)


def seat_check(check, label, seats):
    """``burst``'s check of seats and order, with ``seats`` a track."""
    taken = min(seats, check.people)
    right = all(
        check.confirmed[key] == taken and check.waiting[key] == check.people - taken
        for key in burst.TRACKS
    )
    detail = (
        f"{check.people} people; confirmed {', '.join(str(v) for v in check.confirmed.values())}, "
        f"waiting {', '.join(str(v) for v in check.waiting.values())} "
        f"(tracks {', '.join(burst.TRACKS)}; {seats} seats each); "
        f"{check.created_inversions} neighbours with registration times backwards"
    )
    return [
        Check(f"seats: exactly the seats confirmed, the rest waiting, {label}", right, detail),
        Check(
            f"waiting list in order (the order the tracks' lock was taken in), {label}",
            check.in_order,
            "confirmed first, then waiting, by place id, the same people in the same order "
            "on both tracks",
        ),
    ]


# ---------------------------------------------------------------------------------------
# The figure


@dataclass
class Result:
    runs: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    capacity: float = 0.0
    capacity_from: str = ""
    not_run: str = ""  # why, when nothing ran


def measure(template, workdir, *, capacity=None, seconds=None):
    """Every setup at the same rates, then the checks; a ``Result`` that says what ran."""
    if template.name != "postgresql":
        return Result(not_run="PostgreSQL only (SQLite is one machine's file)")
    if nginx_binary() is None:
        return Result(not_run="nginx is missing (apt-get install nginx)")
    try:
        _flush_redis()
    except Exception as error:  # noqa: BLE001 (any failure: the figure is not run)
        return Result(not_run=f"Redis at {REDIS_URL} is not reachable ({error})")
    seconds = seconds or float(os.environ.get("BENCH_HOSTS_SECONDS", burst.STEP_SECONDS))
    result = Result(capacity=capacity or DEFAULT_CAPACITY)
    result.capacity_from = "measured by the burst figure" if capacity else "the default"
    rates = [result.capacity * factor for factor in FACTORS]
    settings = {
        "RATELIMIT_STORAGE_URI": f"{REDIS_URL}/{REDIS_DB}",
        "FLASK_REGISTRATION_RATE_LIMIT": Defaults.REGISTRATION_RATE_LIMIT,  # production's
        "PROXY_COUNT": "2",  # the load balancer (the client here) and nginx
    }
    prefix = f"{int(time.time())}h"
    log("* two app groups behind nginx: preparing one database for each setup")
    # A third of what each setup's arrivals ask for, so that most of them wait.
    seats = int(burst.WARM_UP_RATE * WARM_UP_SECONDS + sum(rates) * seconds) // 3
    one = burst.instance_for(template, workdir, "forsyria_bench_hosts_one", settings, seats)
    two = burst.instance_for(template, workdir, "forsyria_bench_hosts", settings, seats)

    def group(instance, name, workers):
        log_file = workdir / f"gunicorn-hosts-{name}.log"
        env = instance.env()
        return servers.serve(
            "app:app", cwd=servers.ROOT, env=env, workers=workers, log=log_file, own_session=False
        )

    # All up at once, the idle ones costing nothing, so that the runs of the setups can
    # alternate (one, two, then two, one): the machine's other load drifts. All in the
    # bench's session, so that the scheduler gives them one share of the CPU between them,
    # as one machine would have (see servers.serve).
    with (
        group(one, "one", servers.WORKERS) as single,
        group(two, "a", GROUP_WORKERS) as group_a,
        group(two, "b", GROUP_WORKERS) as group_b,
    ):
        groups = [group_a, group_b]
        ports = [int(base.rsplit(":", 1)[1]) for base in groups]
        single_port = [int(single.rsplit(":", 1)[1])]
        with (
            nginx(ports, workdir) as (front, nginx_pid),
            nginx(single_port, workdir, "nginx-one") as (single_front, single_nginx_pid),
        ):

            def direct(label, rate, duration):
                run = burst.Run("postgresql", label, rate, duration, forwarded=NGINX_HOP)
                tag = f"{prefix}1{label}{rate:g}"
                return _measure(SETUPS[0], single, single_port, None, run, tag)

            def single_proxied(label, rate, duration):
                run = burst.Run("postgresql", label, rate, duration, forwarded="")
                tag = f"{prefix}n{label}{rate:g}"
                return _measure(SETUPS[1], single_front, single_port, single_nginx_pid, run, tag)

            def proxied(label, rate, duration):
                run = burst.Run("postgresql", label, rate, duration, forwarded="")
                tag = f"{prefix}2{label}{rate:g}"
                return _measure(SETUPS[2], front, ports, nginx_pid, run, tag)

            setups = (direct, single_proxied, proxied)
            for setup in setups:  # every worker's first requests: not measured
                setup("warm-up", burst.WARM_UP_RATE, WARM_UP_SECONDS)
            for number, rate in enumerate(rates):
                order = setups if number % 2 == 0 else setups[::-1]
                result.runs += [setup("burst", rate, seconds) for setup in order]
            result.checks += seat_check(burst.check_seats(one), "one group", seats)
            result.checks += seat_check(burst.check_seats(two), "two groups", seats)
            result.checks.append(_checked(RATE_LIMIT, check_rate_limit, groups))
            result.checks.append(
                _checked(CONTENT, check_content_change, two, groups, front, workdir, seats)
            )
    for check in result.checks:
        log(f"  {check.name}: {'passed' if check.passed else 'FAILED'} ({check.detail})")
    return result


def _verdict(value):
    return "not run" if value is None else ("pass" if value else "**fail**")


def adds_up(result):
    """Whether the two groups hold a rate the one group does not (p99 < 1 s, no error)."""
    by_rate = {}
    for measured in result.runs:
        by_rate.setdefault(measured.run.rate, {})[measured.setup] = measured
    return any(
        pair[SETUPS[2]].within and not (pair[SETUPS[0]].within and pair[SETUPS[1]].within)
        for pair in by_rate.values()
        if len(pair) == len(SETUPS)
    )


def markdown(result):
    lines = ["## Two app groups behind nginx: one PostgreSQL, one Redis", ""]
    if result.not_run:
        return "\n".join([*lines, f"Not run: {result.not_run}."])
    cores = os.cpu_count()
    lines += [
        f"One gunicorn group of {servers.WORKERS} sync workers, straight from the client "
        "and behind nginx, against two groups of "
        f"{GROUP_WORKERS} on two ports behind nginx (1 nginx worker); one PostgreSQL; "
        "the production registration limit in one Redis, each arrival from its own address. "
        f"Rates: the single group's capacity ({result.capacity:g}/s, "
        f"{result.capacity_from}) and twice that; {result.runs[0].run.seconds:g} s each, "
        f"{burst.TIMEOUT} s client timeout. Served: arrivals answered in time a second, from "
        f"the first arrival to the last answer. Cores: CPU seconds a second, of {cores} "
        "(app and nginx: through the drain after the run; machine: everything on it, "
        "during the run).",
        "",
        "| setup | aimed /s | arrived /s | arrivals | served /s | POST p50 ms | p95 ms | p99 ms "
        "| errors | timeouts | app CPU ms per arrival | app cores | nginx cores "
        "| machine busy cores | p99 < 1 s, no error |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for measured in sorted(result.runs, key=lambda m: (m.run.rate, SETUPS.index(m.setup))):
        run, wall, drained = measured.run, measured.wall_s or 1, measured.drained_s or 1
        lines.append(
            f"| {measured.setup} | {run.rate:g} | {run.achieved:.1f} | {run.arrivals} | "
            f"{measured.served:.1f} | {run.post(0.5):.0f} | {run.post(0.95):.0f} | "
            f"{run.post(0.99):.0f} | {run.errors} | {run.timeouts} | "
            f"{run.cpu_ms_per_arrival:.1f} | {measured.app_cpu_s / drained:.2f} | "
            f"{measured.nginx_cpu_s / drained:.2f} | {measured.machine_busy_s / wall:.2f} | "
            f"{'yes' if measured.within else '**no**'} |"
        )
    lines += [
        "",
        "Throughput adds up (the two groups hold a rate the one group does not, direct or "
        "behind nginx): "
        f"{'yes' if adds_up(result) else '**no**'}.",
        "",
        "| check | result | detail |",
        "|---|---|---|",
    ]
    lines += [f"| {c.name} | {_verdict(c.passed)} | {c.detail} |" for c in result.checks]
    return "\n".join(lines)
