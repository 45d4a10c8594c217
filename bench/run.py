"""``make bench``: the product's speed under load, against baselines measured in the same run.

Each database (SQLite always; PostgreSQL when ``TEST_DATABASE_URL`` or ``DATABASE_URL``
names a server) gets a fresh installation served by gunicorn with sync workers, loaded
by wrk from another process on loopback at 8 and 32 connections:

- the conference page, the gallery, a story, the programme feed, the dashboard and an
  attendee's private page (GET), against a minimal Flask "hello" app; beside them the
  floor of any page that reads the database (a minimal Flask + SQLAlchemy app reading one
  row by key), with its own ratio to "hello";
- the registration form posted as a browser posts it (CSRF token, session cookie, a new
  email and submission id each time), against a minimal Flask + SQLAlchemy app whose
  POST inserts one row in the same database; and the same POST stopped by the spam trap
  (the form read, nothing validated or saved), the floor under the first;
- the volunteer sign-up form posted the same way, each POST a new person taking a place
  on one shift with places in the thousands (``bench/volunteering.py``), beside the
  registration POST and against the same insert baseline;
- the dashboard and the attendee list with 100,000 registrations;
- exports of 100,000 registrations and delivery of 10,000 emails (``bench/data.py``);
  queueing a bulk email to every active registration of the 100,000.
- a sign-up burst: new people arriving at a fixed rate, each loading the form and posting
  it, and the rate this machine takes with p99 under 1 s (``bench/burst.py``);
- the same burst on two app groups behind nginx, one PostgreSQL and one Redis, and the
  checks of what they share (``bench/hosts.py``).

The table is printed and written to ``bench/RESULTS.md`` with the date, machine and
commit. ``BENCH_DURATION`` (seconds per wrk run, default 10) and ``BENCH_ROWS`` (default
100,000) shorten a trial run.
"""

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import burst  # noqa: E402 (the bench folder is not a package)
import servers  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from conference.config import database_uri  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CONNECTIONS = (8, 32)
TARGETS = {
    "conference page": ("hello", 0.8),
    "story gallery": ("hello", 0.8),  # "a story page" too (the default)
    "programme feed (ICS)": ("hello", None),
    "dashboard (small)": ("hello", 0.2),  # the targets of the second speed pass
    "registration POST": ("insert", 0.2),
    "registration POST, spam trap (nothing saved)": ("insert", 0.5),
    "volunteer sign-up POST": ("insert", None),
    "manage page (private link)": ("hello", 0.2),
}
# No target: what a page that reads the database once can reach at the most.
SELECT_FLOOR = "Flask + SQLAlchemy select by key (floor)"
LIST_P99_MS = 100
# What ``--figures`` can choose (all by default).
FIGURES = tuple("pages registration volunteers lists exports outbox bulk burst hosts".split())
WARM_UP = 2  # seconds of load before each measured run, not counted


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# The runs


class Bench:
    def __init__(self, duration, rows, workdir):
        self.duration = duration
        self.rows = rows
        self.workdir = workdir
        self.http = []  # rows of the load table
        self.lists = []  # rows of the 100,000-registration table
        self.data = []  # export and outbox results
        self.baselines = {}  # (name, database, connections) -> requests per second
        self.warm_requests = 0
        self.figures = set(FIGURES)
        self.timing = []  # (database, new p50 ms, repeat p50 ms, relative difference)
        self.seat_lock = []  # (database, registrations, p50, p95, max ms)
        self.bursts = []  # burst.Result per database
        self.hosts = None  # hosts.Result, on PostgreSQL

    def load(self, url, connections, *, duration=None, **options):
        """Warm up, then measure (``duration`` seconds, the bench's by default); return the
        measured run and the warm-up's request count."""
        warm = servers.wrk(url, connections=connections, duration=WARM_UP, **options)
        self.warm_requests += warm.requests
        duration = duration or self.duration
        result = servers.wrk(url, connections=connections, duration=duration, **options)
        if result.errors:
            raise RuntimeError(f"{url}: {result.errors} errors or non-2xx/3xx answers")
        return result

    def hello(self):
        log("* baseline: Flask hello")
        env = {**os.environ}
        with servers.serve("hello:app", cwd=BENCH / "baselines", env=env) as base:
            for connections in CONNECTIONS:
                result = self.load(base + "/", connections)
                self.baselines["hello", None, connections] = result.per_second
                self.http.append(("Flask hello (baseline)", "-", connections, result, None, None))

    def insert(self, database, url):
        log(f"* baseline: Flask + SQLAlchemy insert on {database}")
        env = {**os.environ, "BASELINE_DATABASE_URL": database_uri(url)}
        subprocess.run([sys.executable, "insert.py"], cwd=BENCH / "baselines", env=env, check=True)
        script = BENCH / "wrk" / "post_insert.lua"
        with servers.serve("insert:app", cwd=BENCH / "baselines", env=env) as base:
            for connections in CONNECTIONS:
                result = self.load(
                    base + "/items", connections, script=script, args=[f"c{connections}"]
                )
                self.baselines["insert", database, connections] = result.per_second
                self.http.append(
                    (
                        "Flask + SQLAlchemy insert (baseline)",
                        database,
                        connections,
                        result,
                        None,
                        None,
                    )
                )

    def product(self, instance):
        log(f"* the product on {instance.name}: preparing")
        instance.prepare()
        log_file = self.workdir / f"gunicorn-{instance.name}.log"
        with servers.serve("app:app", cwd=ROOT, env=instance.env(), log=log_file) as base:
            cookie = servers.sign_in(base)
            pages = [
                ("conference page", "/", ()),
                ("story gallery", "/stories", ()),
                ("a story page", "/stories/1", ()),
                ("programme feed (ICS)", "/calendar.ics", ()),
                ("dashboard (small)", "/manage/dashboard", (f"Cookie: {cookie}",)),
            ]
            for figure, path, headers in pages if "pages" in self.figures else ():
                log(f"  {figure}")
                for connections in CONNECTIONS:
                    result = self.load(base + path, connections, headers=headers)
                    self._compare(figure, instance.name, connections, result)
            if "registration" in self.figures:
                self.registration_figures(base, instance)
            if "volunteers" in self.figures:
                self.volunteer_figures(base, instance)
            if "registration" in self.figures:  # the page of one of those registered
                figure = "manage page (private link)"
                log(f"  {figure}")
                path = servers.private_link(instance)
                for connections in CONNECTIONS:
                    result = self.load(base + path, connections)
                    self._compare(figure, instance.name, connections, result)

        if "lists" not in self.figures:
            return
        log(f"  flask demo generate --registrations {self.rows}")
        instance.flask("demo", "generate", "--registrations", str(self.rows), "--seed", "1")
        with servers.serve("app:app", cwd=ROOT, env=instance.env(), log=log_file) as base:
            cookie = servers.sign_in(base)
            for figure, path in (
                ("dashboard", "/manage/dashboard"),
                ("attendee list", "/manage/attendees"),
                ("attendee list, name search", "/manage/attendees?q=%D8%AD%D8%AF%D8%A7%D8%AF"),
                (
                    "attendee list, waiting, page 50",
                    f"/manage/attendees?status=waitlisted&after={_page_50_marker(instance)}",
                ),
            ):
                log(f"  {figure} at {self.rows} registrations")
                for connections in (1, 8):
                    result = self.load(base + path, connections, headers=(f"Cookie: {cookie}",))
                    self.lists.append((figure, instance.name, connections, result))

    def registration_figures(self, base, instance):
        log("  registration POST")
        before = _count_registrations(instance)
        self.warm_requests = 0
        posted = self.post_registrations(base, instance, "registration POST")
        posted += self.warm_requests
        saved = _count_registrations(instance) - before
        # wrk counts only answered requests; one in flight when it stopped may be saved.
        if not posted <= saved <= posted + 2 * sum(CONNECTIONS):
            raise RuntimeError(f"{posted} registrations answered, {saved} saved")
        log(f"  {saved} registrations saved for {posted} answered POSTs")
        # The floor under the figure above: the same form and request, stopped by the
        # spam trap before anything is validated or written.
        figure = "registration POST, spam trap (nothing saved)"
        log(f"  {figure}")
        before = _settled_count(instance)
        self.post_registrations(base, instance, figure, trap=True)
        if _count_registrations(instance) != before:
            raise RuntimeError("a registration was saved through the spam trap")
        import new_vs_repeat

        log("  registration POST: new address vs repeat, in blocks ABBA BAAB")
        script = BENCH / "wrk" / "post_registration.lua"
        self.timing.append(new_vs_repeat.measure(self, base, instance, script))
        import seat_lock

        log("  the seat lock's hold time")
        self.seat_lock.append(seat_lock.measure(base, instance.name))

    def volunteer_figures(self, base, instance):
        """The volunteer sign-up POST: every answer saved, the shift's count exact."""
        import volunteering

        figure = "volunteer sign-up POST"
        log(f"  {figure}")
        shift_id = volunteering.prepare_shift(instance)
        before, _, _ = volunteering.counts(instance)
        self.warm_requests, posted = 0, 0
        for connections in CONNECTIONS:
            token, session_cookie = volunteering.signup_session(base)
            result = self.load(
                base + "/volunteer",
                connections,
                script=BENCH / "wrk" / "post_volunteer.lua",
                args=[f"{instance.name}v{connections}", token, session_cookie, str(shift_id)],
            )
            posted += result.requests
            self._compare(figure, instance.name, connections, result)
        posted += self.warm_requests
        saved, taken, current = volunteering.settled_counts(instance)
        if not posted <= saved - before <= posted + 2 * sum(CONNECTIONS) or taken != current:
            raise RuntimeError(f"{posted} sign-ups answered, {saved - before} saved, {taken} taken")
        log(f"  {saved - before} volunteers saved for {posted} answered POSTs")
        instance.flask("check")  # the invariants of places, after the load

    def post_registrations(self, base, instance, figure, *, trap=False):
        """Post the registration form at each load; return how many POSTs were answered."""
        posted = 0
        for connections in CONNECTIONS:
            token, session_cookie = servers.registration_session(base)
            run = f"{instance.name}{'trap' if trap else 'c'}{connections}"
            result = self.load(
                base + "/register",
                connections,
                script=BENCH / "wrk" / "post_registration.lua",
                args=[run, token, session_cookie, *(["trap"] if trap else [])],
            )
            posted += result.requests
            self._compare(figure, instance.name, connections, result)
        return posted

    def exports_and_outbox(self, instance):
        import data

        if "exports" in self.figures:
            log(f"* exports of {self.rows} registrations on {instance.name}")
            self.data += data.measure_exports(instance.database_url, self.rows, self.workdir)
        if "outbox" in self.figures:
            log(f"* outbox delivery on {instance.name}")
            self.data += data.measure_outbox(instance.database_url, 10_000, self.workdir)
        if "bulk" in self.figures:
            if _count_registrations(instance) < self.rows // 2:  # "lists" made them, or not
                log(f"  flask demo generate --registrations {self.rows}")
                instance.flask("demo", "generate", "--registrations", str(self.rows), "--seed", "1")
            log(f"* a bulk email to everyone on {instance.name}")
            self.data += data.measure_bulk_queue(instance.database_url)
        if "burst" in self.figures:  # an installation of its own, tracks of 500 seats
            self.bursts += burst.measure(instance, self.workdir)
        if "hosts" in self.figures and instance.name == "postgresql":
            import hosts

            capacity = [r.capacity for r in self.bursts if r.database == instance.name]
            self.hosts = hosts.measure(instance, self.workdir, capacity=sum(capacity) or None)

    def read_one(self, database, url):
        """The floor of a page that reads the database once (``baselines/read_one.py``)."""
        log(f"* floor: Flask + SQLAlchemy select by key on {database}")
        env = {**os.environ, "BASELINE_DATABASE_URL": database_uri(url)}
        subprocess.run(
            [sys.executable, "read_one.py"], cwd=BENCH / "baselines", env=env, check=True
        )
        with servers.serve("read_one:app", cwd=BENCH / "baselines", env=env) as base:
            for connections in CONNECTIONS:
                result = self.load(base + "/people/bench-floor-token", connections)
                ratio = result.per_second / self.baselines["hello", None, connections]
                self.http.append((SELECT_FLOOR, database, connections, result, ratio, None))

    def _compare(self, figure, database, connections, result):
        baseline_name, target = TARGETS.get(figure, TARGETS["conference page"])
        key = (baseline_name, None if baseline_name == "hello" else database, connections)
        ratio = result.per_second / self.baselines[key]
        self.http.append((figure, database, connections, result, ratio, target))


def _scalar(instance, sql):
    engine = sa.create_engine(database_uri(instance.database_url))
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text(sql))
    finally:
        engine.dispose()


def _count_registrations(instance):
    return _scalar(instance, "SELECT count(*) FROM registration")


def _settled_count(instance):
    """The number of registrations once the POSTs wrk left in flight have finished."""
    count = _count_registrations(instance)
    while True:
        time.sleep(1)
        latest = _count_registrations(instance)
        if latest == count:
            return count
        count = latest


def _page_50_marker(instance):
    """The ``after`` id that opens page 50 of the waiting people, newest first."""
    return _scalar(
        instance,
        "SELECT DISTINCT registration.id FROM registration "
        "JOIN place ON place.registration_id = registration.id "
        "WHERE registration.status = 'active' AND place.status = 'waitlisted' "
        "ORDER BY registration.id DESC LIMIT 1 OFFSET 2449",
    )


# ---------------------------------------------------------------------------------------
# The report


def _met(value):
    return "yes" if value else "**no**"


def report(bench):
    lines = [
        "## Load: gunicorn, 4 sync workers; wrk, 2 threads, "
        f"{bench.duration} s a run, from another process on loopback",
        "",
        "| figure | database | connections | requests/s | p50 ms | p99 ms "
        "| ratio to baseline | target | met |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for figure, database, connections, result, ratio, target in bench.http:
        lines.append(
            f"| {figure} | {database} | {connections} | {result.per_second:,.0f} | "
            f"{result.p50_ms:.1f} | {result.p99_ms:.1f} | "
            + (f"{ratio:.2f}" if ratio is not None else "-")
            + " | "
            + (f"≥ {target}" if target else "-")
            + " | "
            + (_met(ratio >= target) if target else "-")
            + " |"
        )
    lines += [
        "",
        f"## Back office with {bench.rows:,} registrations",
        "",
        "| page | database | connections | requests/s | p50 ms | p99 ms | target | met |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for figure, database, connections, result in bench.lists:
        lines.append(
            f"| {figure} | {database} | {connections} | {result.per_second:,.0f} | "
            f"{result.p50_ms:.1f} | {result.p99_ms:.1f} | p99 < {LIST_P99_MS} ms | "
            f"{_met(result.p99_ms < LIST_P99_MS)} |"
        )
    if bench.timing:
        import new_vs_repeat

        lines += new_vs_repeat.markdown(bench.timing)
    if bench.seat_lock:
        import seat_lock

        lines += seat_lock.markdown(bench.seat_lock)
    if bench.data:
        import data

        lines += ["", data.markdown(bench.data)]
    if bench.bursts:
        lines += ["", burst.markdown(bench.bursts)]
    if "hosts" in bench.figures:
        import hosts

        no_server = hosts.Result(not_run="no PostgreSQL server (TEST_DATABASE_URL)")
        lines += ["", hosts.markdown(bench.hosts or no_server)]
    return "\n".join(lines) + "\n"


def lighthouse(output):
    """Run bench/lighthouse.py (a phone profile on the public and back-office pages)."""
    log("* Lighthouse")
    subprocess.run(
        [sys.executable, str(BENCH / "lighthouse.py"), "--output", str(output)], check=False
    )
    if not output.exists():
        return "\n## Lighthouse\n\nThe Lighthouse run failed: see its output above.\n"
    return ("\n" + output.read_text(encoding="utf-8")).replace("\n# ", "\n## ", 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 10)))
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", 100_000)))
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--skip-lighthouse", action="store_true")
    parser.add_argument(
        "--figures",
        default=",".join(FIGURES),
        help=f"a comma-separated choice of {', '.join(FIGURES)} (default: all)",
    )
    options = parser.parse_args()
    figures = set(options.figures.split(","))
    if not figures <= set(FIGURES):
        parser.error(f"--figures: choose among {', '.join(FIGURES)}")

    server = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="forsyria-bench-") as tmp:
        workdir = Path(tmp)
        bench = Bench(options.duration, options.rows, workdir)
        bench.figures = figures
        instances = [servers.Instance("sqlite", servers.sqlite_url(workdir / "app.db"), workdir)]
        baseline_urls = {"sqlite": servers.sqlite_url(workdir / "baseline.db")}
        if server and server.startswith("postgres"):
            instances.append(
                servers.Instance(
                    "postgresql", servers.reset_postgresql(server, "forsyria_bench"), workdir
                )
            )
            baseline_urls["postgresql"] = servers.reset_postgresql(
                server, "forsyria_bench_baseline"
            )
        else:
            log("* no TEST_DATABASE_URL: PostgreSQL is left out")

        baselines = bool(figures - {"burst", "hosts"})  # the burst compares with no baseline
        if baselines:
            bench.hello()
        for instance in instances:
            if baselines:
                bench.insert(instance.name, baseline_urls[instance.name])
                if {"pages", "registration"} & figures:  # the floor of pages read per request
                    bench.read_one(instance.name, baseline_urls[instance.name])
                bench.product(instance)
            bench.exports_and_outbox(instance)
        front_end = "" if options.skip_lighthouse else lighthouse(workdir / "lighthouse.md")

    heading = (
        "# Benchmark results\n\n"
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC\n"
        f"- machine: {servers.machine()}\n"
        f"- commit: {servers.commit()}\n"
        f"- command: `make bench`\n\n"
    )
    notes = (BENCH / "profiles.md").read_text(encoding="utf-8")
    text = heading + report(bench) + front_end + "\n" + notes
    print(text)
    options.output.write_text(text, encoding="utf-8")
    log(f"written to {options.output}")


if __name__ == "__main__":
    main()
