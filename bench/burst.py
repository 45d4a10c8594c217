"""A sign-up burst as people live it: new visitors arriving at a fixed rate (open loop).

Registration opening is announced and people arrive at once. Unlike wrk's closed loop,
which sends the next request only when the last is answered (and so slows down with the
server), arrivals here come on a fixed schedule whatever the server does: each arrival
loads the registration form (``GET /register``, keeping its session cookie, CSRF token
and submission id) and posts it as a new person on two tracks, with a client timeout of
10 s per request, from one asyncio process (aiohttp) on loopback.

Each database gets an installation of its own, served by gunicorn with 4 sync workers,
whose two chosen tracks have 500 seats. A burst of ``RATE`` arrivals a second for
``SECONDS`` seconds is measured first (the POST's p50/p95/p99, errors and timeouts, the
achieved arrival rate, the server's CPU time per arrival); then a stepwise search
doubles the rate, 10 s a step, letting the server drain between steps, until the POST's
p99 passes 1 s: the highest rate below that is this machine's capacity. Afterwards the
seats are checked: per track exactly min(500, people) confirmed, the first 500 to take
the track's lock, and everyone else waiting behind them in that order (by place id, the
order the lock was taken in: the same people in the same order on both tracks). A
registration's own row is inserted just before it takes the lock, so registration ids
and times may run backwards between close neighbours: counted, not a failure.
"""

import asyncio
import itertools
import os
import re
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import servers
import sqlalchemy as sa

from conference.config import database_uri

RATE = 150  # arrivals a second in the burst
SECONDS = 20
WARM_UP_RATE = 10  # arrivals a second, for a few seconds before the burst (not reported)
WARM_UP_SECONDS = 3
STEP_SECONDS = 10
FIRST_STEP = 10  # arrivals a second; doubled at each step
TOP_STEP = 320
CAPACITY_P99_MS = 1000
TARGET_P99_MS = 500
SEATS = 500
TRACKS = ("cultural", "arts")
TIMEOUT = 10  # seconds, per request
HEADERS = {"Accept-Language": "en"}


def log(message):
    print(message, file=sys.stderr, flush=True)


@dataclass
class Run:
    """One open-loop run: what was aimed at and what each arrival lived."""

    database: str
    label: str
    rate: float
    seconds: float
    started: list = field(default_factory=list)  # each arrival's start, loop time
    post_ms: list = field(default_factory=list)  # every POST sent (timeouts as 10 s)
    get_ms: list = field(default_factory=list)
    errors: int = 0  # an answer other than the form (GET) or its 303 (POST), or a refusal
    timeouts: int = 0  # GETs and POSTs that reached the client timeout
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    # Each arrival from an address of its own, as a load balancer in front would say it
    # (``X-Forwarded-For``), followed by this (what a proxy between would add); None: no
    # header, every arrival from the client's own address.
    forwarded: str | None = None

    @property
    def arrivals(self):
        return len(self.started)

    @property
    def achieved(self):
        span = max(self.started) - min(self.started) if len(self.started) > 1 else 0
        return (len(self.started) - 1) / span if span else 0.0

    def post(self, share):
        return percentile(self.post_ms, share)

    @property
    def cpu_ms_per_arrival(self):
        return 1000 * self.server_cpu_s / max(self.arrivals, 1)


def percentile(values, share):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


_visitors = itertools.count(1)


def _headers(run):
    if run.forwarded is None:
        return HEADERS
    number = next(_visitors)  # 10.x.y.z, a new one for each arrival of the whole bench
    address = f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"
    return {**HEADERS, "X-Forwarded-For": address + run.forwarded}


def _hidden(page, name):
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page
    )
    return match.group(1) if match else None


async def _arrive(session, base, number, prefix, run):
    """One visitor: load the form, then post it as a new person."""
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    headers = _headers(run)
    start = time.monotonic()
    try:
        async with session.get(base + "/register", headers=headers, timeout=timeout) as answer:
            page = await answer.text()
            cookies = "; ".join(
                header.split(";", 1)[0] for header in answer.headers.getall("Set-Cookie", [])
            )
            status = answer.status
        run.get_ms.append(1000 * (time.monotonic() - start))
        token = _hidden(page, "csrf_token") if status == 200 else None
        if token is None:
            run.errors += 1
            return
        form = {
            "csrf_token": token,
            "full_name": "لينا حداد",
            "email": f"burst.{prefix}.{number}@example.org",
            "city": "Dearborn",
            "region": "MI",
            "language": "ar",
            "tracks": list(TRACKS),
            "privacy": "y",
            "submission_id": _hidden(page, "submission_id") or f"burst{prefix}n{number:08d}",
        }
        body = urllib.parse.urlencode(form, doseq=True)
        posted = time.monotonic()
        try:
            async with session.post(
                base + "/register",
                data=body,
                headers={
                    **headers,
                    "Cookie": cookies,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                allow_redirects=False,
                timeout=timeout,
            ) as answer:
                await answer.read()
                run.post_ms.append(1000 * (time.monotonic() - posted))
                if answer.status != 303:
                    run.errors += 1
        except TimeoutError:
            run.post_ms.append(1000.0 * TIMEOUT)
            raise
    except TimeoutError:
        run.timeouts += 1
    except aiohttp.ClientError:
        run.errors += 1


async def _open_loop(base, run, prefix):
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0, force_close=True)  # sync workers close anyway
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        loop = asyncio.get_running_loop()
        begin = loop.time()
        tasks = []
        for number in range(int(run.rate * run.seconds)):
            delay = begin + number / run.rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            run.started.append(loop.time())
            tasks.append(asyncio.create_task(_arrive(session, base, number, prefix, run)))
        await asyncio.gather(*tasks)


def _server_cpu_seconds(port):
    """User and system CPU time of the gunicorn master and workers bound to ``port``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    bind = f"127.0.0.1:{port}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if bind not in (entry / "cmdline").read_bytes():
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def measure_run(base, run, prefix):
    port = int(base.rsplit(":", 1)[1])
    cpu, client = _server_cpu_seconds(port), time.process_time()
    asyncio.run(_open_loop(base, run, prefix))
    run.client_cpu_s = time.process_time() - client
    drain(base)
    run.server_cpu_s = _server_cpu_seconds(port) - cpu
    log(
        f"  {run.label} on {run.database}: {run.rate:g}/s aimed, {run.achieved:.1f}/s arrived, "
        f"POST p50/p95/p99 {run.post(0.5):.0f}/{run.post(0.95):.0f}/{run.post(0.99):.0f} ms, "
        f"{run.errors} errors, {run.timeouts} timeouts ({len(run.post_ms)} POSTs sent), "
        f"server CPU {run.cpu_ms_per_arrival:.1f} ms an arrival"
    )
    return run


def drain(base, *, quiet_ms=150, limit=180):
    """Wait until the server answers the conference page quickly: what it queued is done."""
    deadline = time.monotonic() + limit
    quick = 0
    while time.monotonic() < deadline and quick < 2:
        start = time.monotonic()
        try:
            servers.request(base, "/")
            quick = quick + 1 if 1000 * (time.monotonic() - start) < quiet_ms else 0
        except OSError:
            quick = 0
        time.sleep(0.5)


# ---------------------------------------------------------------------------------------
# The installation and the check of its seats


def instance_for(template, workdir, database="forsyria_bench_burst", settings=None, seats=SEATS):
    """A fresh installation beside ``template``'s, its tracks' capacity set to ``seats``."""
    if template.name == "sqlite":
        url = servers.sqlite_url(workdir / f"{database}.db")
    else:
        url = servers.reset_postgresql(template.database_url, database)
    instance = servers.Instance(template.name, url, workdir, settings=settings or {})
    instance.prepare()
    engine = sa.create_engine(database_uri(url))
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE track SET capacity = :seats WHERE key IN :keys").bindparams(
                    sa.bindparam("keys", expanding=True)
                ),
                {"seats": seats, "keys": list(TRACKS)},
            )
    finally:
        engine.dispose()
    return instance


@dataclass
class Check:
    database: str
    people: int
    confirmed: dict  # track key -> confirmed places
    waiting: dict  # track key -> waitlisted places
    in_order: bool  # confirmed first, then waiting, by place id; same order on both tracks
    created_inversions: int  # pairs of neighbours whose registration times run backwards

    @property
    def passed(self):
        expected = min(SEATS, self.people)
        return self.in_order and all(
            self.confirmed[key] == expected and self.waiting[key] == self.people - expected
            for key in TRACKS
        )


def check_seats(instance):
    engine = sa.create_engine(database_uri(instance.database_url))
    try:
        with engine.connect() as connection:
            people = connection.scalar(sa.text("SELECT count(*) FROM registration"))
            rows = connection.execute(
                sa.text(
                    "SELECT track.key, place.status, place.registration_id, "
                    "registration.created_at FROM place "
                    "JOIN track ON track.id = place.track_id "
                    "JOIN registration ON registration.id = place.registration_id "
                    "WHERE track.key IN :keys ORDER BY place.id"
                ).bindparams(sa.bindparam("keys", expanding=True)),
                {"keys": list(TRACKS)},
            ).all()
    finally:
        engine.dispose()
    by_track = {key: [row for row in rows if row[0] == key] for key in TRACKS}
    confirmed = {key: sum(row[1] == "confirmed" for row in by_track[key]) for key in TRACKS}
    waiting = {key: sum(row[1] == "waitlisted" for row in by_track[key]) for key in TRACKS}
    in_order = (
        all(
            [row[1] for row in places] == sorted(row[1] for row in places)  # confirmed < waitlisted
            for places in by_track.values()
        )
        and len({tuple(row[2] for row in places) for places in by_track.values()}) == 1
    )
    first = by_track[TRACKS[0]]
    inversions = sum(a[3] > b[3] for a, b in zip(first, first[1:], strict=False))
    return Check(instance.name, people, confirmed, waiting, in_order, inversions)


# ---------------------------------------------------------------------------------------
# The figure: the burst, the capacity search and the check, per database


@dataclass
class Result:
    database: str
    burst: Run
    steps: list
    check: Check

    @property
    def capacity(self):
        passed = [step.rate for step in self.steps if _within(step, CAPACITY_P99_MS)]
        return max(passed, default=0)


def _within(run, p99_ms):
    return not run.errors and not run.timeouts and run.post(0.99) < p99_ms


def measure(template, workdir, *, rate=None, seconds=None, top=None):
    """The burst and the capacity search on a fresh installation like ``template``'s."""
    rate = rate or float(os.environ.get("BENCH_BURST_RATE", RATE))
    seconds = seconds or float(os.environ.get("BENCH_BURST_SECONDS", SECONDS))
    top = top or float(os.environ.get("BENCH_BURST_TOP", TOP_STEP))
    log(f"* sign-up burst on {template.name}: preparing")
    instance = instance_for(template, workdir)
    log_file = workdir / f"gunicorn-burst-{instance.name}.log"
    prefix = f"{int(time.time())}"
    with servers.serve("app:app", cwd=servers.ROOT, env=instance.env(), log=log_file) as base:
        # Every worker's first requests load templates and catalogues: not part of a burst.
        measure_run(
            base, Run(instance.name, "warm-up", WARM_UP_RATE, WARM_UP_SECONDS), prefix + "w"
        )
        burst = measure_run(base, Run(instance.name, "burst", rate, seconds), prefix + "b")
        steps, step = [], FIRST_STEP
        while step <= top:
            run = measure_run(
                base, Run(instance.name, "step", step, STEP_SECONDS), f"{prefix}s{step}"
            )
            steps.append(run)
            if not _within(run, CAPACITY_P99_MS):
                break
            step *= 2
        if len(steps) > 1 and not _within(steps[-1], CAPACITY_P99_MS):  # one step between
            middle = (steps[-1].rate + steps[-2].rate) / 2
            steps.append(
                measure_run(base, Run(instance.name, "step", middle, STEP_SECONDS), f"{prefix}m")
            )
    check = check_seats(instance)
    log(
        f"  seats on {check.database}: {check.people} people, confirmed {check.confirmed}, "
        f"waiting {check.waiting}, in order: {check.in_order}, "
        f"{'passed' if check.passed else 'FAILED'}"
    )
    return [Result(instance.name, burst, steps, check)]


def _met(value):
    return "yes" if value else "**no**"


def markdown(results):
    lines = [
        "## Sign-up burst: arrivals at a fixed rate, each loading the form and posting it",
        "",
        f"Open loop (asyncio, one client process on loopback; {TIMEOUT} s client timeout) "
        f"against gunicorn with {servers.WORKERS} sync workers; tracks of {SEATS} seats. "
        "Capacity: the highest rate whose POST p99 stays under "
        f"{CAPACITY_P99_MS} ms with no error ({STEP_SECONDS} s steps, drained between).",
        "",
        "| database | run | aimed /s | arrived /s | arrivals | POST p50 ms | p95 ms | p99 ms "
        "| POSTs sent | errors | timeouts (GET or POST) | server CPU ms per arrival "
        "| target | met |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for result in results:
        for run in [result.burst, *result.steps]:
            target = run is result.burst and result.database == "postgresql"
            lines.append(
                f"| {run.database} | {run.label} {run.seconds:g} s | {run.rate:g} | "
                f"{run.achieved:.1f} | {run.arrivals} | {run.post(0.5):.0f} | "
                f"{run.post(0.95):.0f} | {run.post(0.99):.0f} | {len(run.post_ms)} | "
                f"{run.errors} | "
                f"{run.timeouts} | {run.cpu_ms_per_arrival:.1f} | "
                + (f"no error, p99 < {TARGET_P99_MS} ms | " if target else "- | ")
                + (_met(_within(run, TARGET_P99_MS)) if target else "-")
                + " |"
            )
    lines += [
        "",
        "| database | capacity (arrivals/s) | people | confirmed per track | waiting per track "
        "| in order | seats right |",
        "|---|--:|--:|--:|--:|---|---|",
    ]
    for result in results:
        check = result.check
        lines.append(
            f"| {result.database} | {result.capacity:g} | {check.people} | "
            f"{', '.join(str(check.confirmed[key]) for key in TRACKS)} | "
            f"{', '.join(str(check.waiting[key]) for key in TRACKS)} | "
            f"{_met(check.in_order)} | {_met(check.passed)} |"
        )
    return "\n".join(lines)
