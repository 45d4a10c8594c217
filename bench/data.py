"""Exports of 100,000 registrations and delivery of 10,000 emails (issue #6).

``bench/run.py`` calls ``measure_exports``, ``measure_outbox`` and ``markdown``; run alone:

    .venv/bin/python bench/data.py exports --database-url URL [--rows N] [--columns all]
    .venv/bin/python bench/data.py outbox --database-url URL [--messages N]

The database must already be upgraded and loaded (``flask db upgrade``, ``flask content
load``, and for the exports ``flask demo generate --registrations N``).

Exports: the organizer's code path (``export_statement`` → ``attendee_rows`` →
``csv_body`` / ``build_xlsx`` + ``xlsx_body``, audit events included) in a fresh Python
process per file, so that its peak resident memory (``ru_maxrss``) is that of one export
alone; the baseline is the same process's peak right after the app was created and the
conference read. The reference is the database's own CSV dump of the same rows and
values (same registrations, same columns, tracks aggregated the same way, same labels
and time format) by its command-line client (``sqlite3 -csv`` / ``psql`` with
``COPY ... TO STDOUT``); its peak memory is the client's, from ``wait4``.

Outbox: an aiosmtpd server in a process of its own on a free loopback port counts what it
receives. ``messages`` registration confirmations (of registrations in the database, each
with its invitation and check-in QR code) are queued with ``enqueue_many`` as the
registrations queue them (what to send, not the rendered message) and then delivered by
``outbox.deliver_pending`` in a fresh process, exactly as a ``flask outbox work`` pass
does: it renders each message, minting its private link, and sends it. The baseline
sends the same messages, rendered and built beforehand (untimed) with ``outbox.render``
and ``outbox.build_message``, with plain ``smtplib`` over one connection. The benchmark's
messages are queued as due at a fixed time in 2001, and both sides deliver "as of" that
time, so other mail waiting in the outbox is left alone.

Figures are in MiB (2**20 bytes) and seconds of wall-clock time. Progress goes to
standard error; nothing is printed on standard output except by the command line.
"""

import argparse
import csv
import importlib.util
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024

CSV_TARGET = 5  # our CSV export within 5× the database's own dump
XLSX_TARGET = 10  # XLSX within 10× our CSV
PEAK_TARGET_MB = 150  # peak resident memory of an export process
OUTBOX_TARGET = 0.8  # deliveries per second, as a share of plain smtplib's

# The benchmark's messages are due at this time, and delivered "as of" one second later.
EPOCH = datetime(2001, 1, 1)
SENDER = "For Syria <noreply@example.org>"
SAMPLE_EMAILS = 50  # distinct confirmations (registrations), repeated to make up the count

# What the organizer's columns show, as SQL for each database: the dump must select the
# same values so that the comparison is of equal work. Tracks are named in English, the
# language the export's labels use outside a request.
LANGUAGE_LABEL = (
    "CASE r.language WHEN 'ar' THEN 'العربية' WHEN 'en' THEN 'English' ELSE r.language END"
)
DUMP_COLUMNS = {
    "id": "r.id",
    "full_name": "r.full_name",
    "email": "r.email",
    "phone": "r.phone",
    "city": "r.city",
    "region": "r.region",
    "language": LANGUAGE_LABEL,
    "tracks_confirmed": "{tracks_confirmed}",
    "tracks_waitlisted": "{tracks_waitlisted}",
    "needs": "r.needs",
    "photo_consent": "CASE WHEN r.photo_consent THEN 'Yes' ELSE 'No' END",
    "registered_at": "{time_created_at}",
    "checked_in_at": "{time_checked_in_at}",
    "source": "CASE r.source WHEN 'web' THEN 'Online form' "
    "WHEN 'import' THEN 'Paper form (imported)' ELSE r.source END",
    "status": "CASE r.status WHEN 'active' THEN 'Active' WHEN 'cancelled' THEN 'Cancelled' "
    "ELSE r.status END",
}
DEFAULT_COLUMNS = [
    "id",
    "full_name",
    "email",
    "language",
    "tracks_confirmed",
    "tracks_waitlisted",
    "registered_at",
]
ALL_COLUMNS = list(DUMP_COLUMNS)
# Same as conference.spreadsheets.FORMULA_PREFIXES (checked by the export worker).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def log(message):
    print(f"  [data] {message}", file=sys.stderr, flush=True)


def database_kind(database_url):
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


# ---------------------------------------------------------------------------------------
# Exports


def measure_exports(
    database_url,
    rows=100_000,
    workdir=None,
    *,
    columns="default",
    repeat=3,
    keep_files=False,
    profile=None,
):
    """Time our CSV and XLSX exports of every active registration against the database's dump.

    ``rows`` is how many registrations the database holds (checked, and reported as
    ``registrations``); the exports carry the active ones (the organizer's default filter),
    and each result's ``rows`` says how many. ``columns``: ``"default"`` (the columns
    ticked when the page opens), ``"all"``, or a list of column keys. ``workdir``: where
    the files are written (a new temporary folder if not given); they are deleted unless
    ``keep_files``. The dump and our CSV, a second or two each, run ``repeat`` times and
    the fastest run counts (peak memory: the highest); the XLSX runs once.
    ``profile``: a folder for cProfile output of our exports (slower).

    Returns three result dicts: the dump, our CSV, our XLSX.
    """
    columns = _column_keys(columns)
    kind = database_kind(database_url)
    workdir = _workdir(workdir, f"exports-{kind}")
    log(f"exports on {kind}: {len(columns)} columns, files in {workdir}")

    dump_file = workdir / f"dump-{kind}.csv"
    dump = _database_dump(database_url, columns, dump_file, repeat)
    log(f"database dump ({dump['tool']}): {dump['rows']} rows in {dump['seconds']:.2f} s")

    ours = {}
    for file_format, runs in (("csv", repeat), ("xlsx", 1)):
        out = workdir / f"export-{kind}.{file_format}"
        ours[file_format] = _best(
            _worker(
                "export",
                database_url,
                file_format=file_format,
                out=str(out),
                columns=columns,
                profile=_profile_path(profile, f"export-{file_format}-{kind}"),
            )
            for _run in range(runs)
        )
        result = ours[file_format]
        log(
            f"our {file_format.upper()}: {result['rows']} rows in {result['seconds']:.2f} s, "
            f"peak {result['peak_mb']:.0f} MiB"
        )

    if ours["csv"]["registrations"] != rows:
        log(f"note: the database holds {ours['csv']['registrations']} registrations, not {rows}")
    same = _same_rows(workdir / f"export-{kind}.csv", dump_file)
    if not keep_files:
        for path in (dump_file, workdir / f"export-{kind}.csv", workdir / f"export-{kind}.xlsx"):
            path.unlink(missing_ok=True)

    registrations = ours["csv"]["registrations"]
    csv_ratio = ours["csv"]["seconds"] / dump["seconds"]
    xlsx_ratio = ours["xlsx"]["seconds"] / ours["csv"]["seconds"]
    compared = (
        f"{len(columns)} columns ({', '.join(columns)}) of the active registrations, "
        "tracks aggregated per registration, labels and times formatted as the export does"
    )
    expected = ours["csv"]["expected_rows"]
    results = [
        {
            "figure": f"database CSV dump ({dump['tool']})",
            "database": kind,
            "registrations": registrations,
            "rows": dump["rows"],
            "columns": columns,
            "seconds": dump["seconds"],
            "runs": dump["runs"],
            "cpu_seconds": dump["cpu_seconds"],
            "peak_mb": dump["peak_mb"],
            "baseline_mb": None,
            "bytes": dump["bytes"],
            "ratio": None,
            "target": "reference",
            "peak target": None,
            "met": None,
            "same_values_as_ours": same,
            "compared": compared,
        }
    ]
    for file_format, ratio, target, limit in (
        ("csv", csv_ratio, f"≤ {CSV_TARGET}× dump", CSV_TARGET),
        ("xlsx", xlsx_ratio, f"≤ {XLSX_TARGET}× CSV", XLSX_TARGET),
    ):
        result = ours[file_format]
        complete = result["rows"] == expected and result["complete"]
        results.append(
            {
                "figure": f"export {file_format.upper()}",
                "database": kind,
                "registrations": registrations,
                "rows": result["rows"],
                "columns": columns,
                "seconds": result["seconds"],
                "runs": result["runs"],
                "cpu_seconds": result["cpu_seconds"],
                "peak_mb": result["peak_mb"],
                "baseline_mb": result["baseline_mb"],
                "bytes": result["bytes"],
                "ratio": ratio,
                "target": target,
                "peak target": f"< {PEAK_TARGET_MB} MB",
                "met": bool(complete and ratio <= limit and result["peak_mb"] < PEAK_TARGET_MB),
                "complete": complete,
                "profiled": bool(profile),
            }
        )
    return results


def _best(runs):
    """The fastest of several runs' results, with the highest peak memory of them all."""
    runs = list(runs)
    best = dict(min(runs, key=lambda run: run["seconds"]))
    best["peak_mb"] = max(run["peak_mb"] for run in runs)
    best["runs"] = [round(run["seconds"], 3) for run in runs]
    return best


def _column_keys(columns):
    if columns == "default":
        return list(DEFAULT_COLUMNS)
    if columns == "all":
        return list(ALL_COLUMNS)
    columns = list(columns)
    unknown = [key for key in columns if key not in DUMP_COLUMNS]
    if unknown or not columns:
        raise ValueError(f"unknown columns: {unknown}" if unknown else "no columns")
    return columns


def dump_sql(kind, columns):
    """The SELECT that gives the same rows and values as our export of ``columns``.

    Tracks are aggregated per registration in a grouped join (faster on PostgreSQL than
    a subquery per row, and as fast on SQLite), ordered by the tracks' position.
    """
    tracks = [key for key in columns if key in ("tracks_confirmed", "tracks_waitlisted")]
    if kind == "sqlite":
        # SQLite before 3.44 has no ORDER BY in aggregates: it aggregates in input order.
        aggregates = ", ".join(
            f"group_concat(name, '; ') FILTER (WHERE status = '{key[7:]}') AS {key}"
            for key in tracks
        )
        places = (
            f"SELECT registration_id, {aggregates} FROM (SELECT p.registration_id, p.status, "
            "json_extract(t.name, '$.en') AS name FROM place p JOIN track t ON t.id = p.track_id "
            "ORDER BY p.registration_id, t.position, t.id) GROUP BY registration_id"
        )
        time_format = "strftime('%Y-%m-%d %H:%M', r.{})"
    else:
        aggregates = ", ".join(
            "string_agg(t.name ->> 'en', '; ' ORDER BY t.position, t.id) "
            f"FILTER (WHERE p.status = '{key[7:]}') AS {key}"
            for key in tracks
        )
        places = (
            f"SELECT p.registration_id, {aggregates} FROM place p "
            "JOIN track t ON t.id = p.track_id GROUP BY p.registration_id"
        )
        time_format = "to_char(r.{}, 'YYYY-MM-DD HH24:MI')"
    values = {
        "tracks_confirmed": "pc.tracks_confirmed",
        "tracks_waitlisted": "pc.tracks_waitlisted",
        "time_created_at": time_format.format("created_at"),
        "time_checked_in_at": time_format.format("checked_in_at"),
    }
    select = ", ".join(f'{DUMP_COLUMNS[key].format(**values)} AS "{key}"' for key in columns)
    join = f" LEFT JOIN ({places}) pc ON pc.registration_id = r.id" if tracks else ""
    return (
        f"SELECT {select} FROM registration r{join} "
        "WHERE r.conference_id = (SELECT id FROM conference WHERE slug = 'for-syria') "
        "AND r.status = 'active' ORDER BY r.id"
    )


def _database_dump(database_url, columns, out, repeat=1):
    """Run the database's own CSV dump of the rows into ``out``; time it and its memory."""
    kind = database_kind(database_url)
    sql = dump_sql(kind, columns)
    if kind == "sqlite":
        path = sqlite_path(database_url)
        if shutil.which("sqlite3"):
            tool, command = "sqlite3 CLI", ["sqlite3", "-csv", "-header", str(path), sql]
        else:
            log("sqlite3 is missing (apt-get install -y sqlite3): dumping with Python's sqlite3")
            tool, command = "Python sqlite3 + csv", [sys.executable, "-c", PY_SQLITE_DUMP]
            command += [str(path), sql]
    else:
        url = libpq_url(database_url)
        copy = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"
        if shutil.which("psql"):
            tool = "psql COPY TO STDOUT"
            command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", copy]
        else:
            log("psql is missing (apt-get install -y postgresql-client): dumping with psycopg")
            tool, command = "psycopg COPY TO STDOUT", [sys.executable, "-c", PY_PG_DUMP, url, copy]
    _timed_child(command, out)  # untimed: warms the caches, as our exports find them after it
    runs = []
    for _run in range(repeat):
        seconds, cpu, peak_kib = _timed_child(command, out)
        runs.append({"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_kib / 1024})
    with open(out, encoding="utf-8", newline="") as handle:
        count = sum(1 for _row in csv.reader(handle)) - 1  # the header
    return {"tool": tool, "bytes": out.stat().st_size, "rows": count, **_best(runs)}


def _timed_child(command, out):
    """Run ``command`` with standard output to ``out``: (seconds, CPU seconds, peak RSS KiB)."""
    with open(out, "wb") as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=ROOT)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            stderr.seek(0)
            message = stderr.read().decode("utf-8", "replace")
            raise RuntimeError(f"{command[0]} failed ({process.returncode}): {message}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


PY_SQLITE_DUMP = """
import csv, sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
cursor = connection.execute(sys.argv[2])
writer = csv.writer(sys.stdout, lineterminator="\\r\\n")
writer.writerow([d[0] for d in cursor.description])
writer.writerows(cursor)
"""

PY_PG_DUMP = """
import sys, psycopg
with psycopg.connect(sys.argv[1]) as connection, connection.cursor() as cursor:
    with cursor.copy(sys.argv[2]) as copy:
        for data in copy:
            sys.stdout.buffer.write(data)
"""


def _same_rows(ours, dump):
    """Whether our CSV and the dump hold the same values (the dump with our formula guard)."""

    def neutralised(value):
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value

    with (
        open(ours, encoding="utf-8-sig", newline="") as mine,
        open(dump, encoding="utf-8", newline="") as theirs,
    ):
        ours_rows, dump_rows = csv.reader(mine), csv.reader(theirs)
        next(ours_rows)
        next(dump_rows)
        for left, right in zip(ours_rows, dump_rows, strict=False):
            if left != [neutralised(value) for value in right]:
                log(f"the dump differs from our export: {left} != {right}")
                return False
        # Both exhausted: same number of rows.
        return next(ours_rows, None) is None and next(dump_rows, None) is None


def sqlite_path(database_url):
    """The file of a ``sqlite:///`` URL (a relative path is in instance/, as for the app)."""
    path = database_url.split(":///", 1)[1].split("?", 1)[0]
    return Path(path) if Path(path).is_absolute() else ROOT / "instance" / path


def libpq_url(database_url):
    """The URL as psql and psycopg take it (no SQLAlchemy driver name)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", database_url)


# ---------------------------------------------------------------------------------------
# Outbox


def measure_outbox(database_url, messages=10_000, workdir=None, *, profile=None):
    """Deliver ``messages`` queued emails with the product and with plain smtplib; compare.

    Both send to the same local aiosmtpd server, which must receive each message exactly
    once on each side. The benchmark's rows are deleted afterwards. ``profile``: a folder
    for cProfile output of the product's delivery (slower).

    Returns one result dict.
    """
    kind = database_kind(database_url)
    workdir = _workdir(workdir, f"outbox-{kind}")
    run = uuid.uuid4().hex[:8]
    port = _free_port()
    log(f"outbox on {kind}: SMTP server on 127.0.0.1:{port}, run {run}")
    with SMTPServerProcess(port) as server:
        try:
            queued = _worker("outbox-queue", database_url, run=run, messages=messages)
            log(
                f"queued {queued['queued']} messages ({queued['distinct']} registrations' "
                f"confirmations, repeated) in {queued['seconds']:.1f} s"
            )
            baseline = _worker(
                "smtplib",
                database_url,
                run=run,
                port=port,
                spool=str(workdir / f"messages-{kind}-{run}.bin"),
            )
            sent_by_smtplib = server.stats(reset=True)
            log(
                f"smtplib: {baseline['messages']} in {baseline['seconds']:.2f} s "
                f"(built beforehand in {baseline['build_seconds']:.2f} s)"
            )
            product = _worker(
                "outbox-deliver",
                database_url,
                run=run,
                port=port,
                profile=_profile_path(profile, f"outbox-{kind}"),
                extra_env=_mail_env(port),
            )
            sent_by_product = server.stats(reset=True)
            log(f"deliver_pending: {product['sent']} in {product['seconds']:.2f} s")
        finally:
            _worker("outbox-cleanup", database_url, run=run)

    per_second = messages / product["seconds"]
    baseline_per_second = messages / baseline["seconds"]
    ratio = per_second / baseline_per_second
    # The same work as the product minus the outbox: read the rows, build, send.
    with_build = messages / (baseline["seconds"] + baseline["build_seconds"])
    exactly_once = all(
        stats["count"] == messages and stats["unique_message_ids"] == messages
        for stats in (sent_by_smtplib, sent_by_product)
    ) and product["statuses"] == {"sent": messages}
    if not exactly_once:
        log(
            f"counts do not match: smtplib {sent_by_smtplib}, product {sent_by_product}, "
            f"rows {product['statuses']}"
        )
    return [
        {
            "figure": "outbox delivery",
            "database": kind,
            "messages": messages,
            "seconds": product["seconds"],
            "per_second": per_second,
            "baseline_seconds": baseline["seconds"],
            "baseline_per_second": baseline_per_second,
            "ratio": ratio,
            "build_and_send_per_second": with_build,
            "ratio_to_build_and_send": per_second / with_build,
            "mean_message_bytes": sent_by_product["bytes"] / max(sent_by_product["count"], 1),
            "received": sent_by_product["count"],
            "baseline_received": sent_by_smtplib["count"],
            "exactly_once": exactly_once,
            "batch_size": product["batch_size"],
            "peak_mb": product["peak_mb"],
            "target": f"≥ {OUTBOX_TARGET} of smtplib",
            "met": bool(exactly_once and ratio >= OUTBOX_TARGET),
            "profiled": bool(profile),
        }
    ]


def _mail_env(port):
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_USE_TLS": "false",
        "MAIL_USE_SSL": "false",
        "MAIL_TIMEOUT": "30",
    }


class SMTPServerProcess:
    """The counting SMTP server, in a process of its own (not sharing the client's GIL)."""

    def __init__(self, port):
        self.port = port
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "worker", "smtp-server", json.dumps({"port": self.port})],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.process.kill()
            raise RuntimeError(f"the SMTP server did not start: {line!r}")
        return self

    def stats(self, *, reset=False):
        self.process.stdin.write("reset\n" if reset else "stats\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def __exit__(self, *exc):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port():
    with socket.socket() as probe:  # aiosmtpd cannot bind port 0 (aio-libs/aiosmtpd#276)
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------------------------------
# Workers: each runs in a fresh process (`data.py worker NAME JSON`) and prints one line of
# JSON on standard output.


def _workdir(workdir, name):
    base = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="forsyria-data-"))
    path = base / "data" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def _profile_path(profile, name):
    if not profile:
        return None
    Path(profile).mkdir(parents=True, exist_ok=True)
    return str(Path(profile) / f"{name}.prof")


def _app_env(database_url, extra=None):
    """Production settings, as ``bench/servers.py`` gives the app under test."""
    return {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "bench-" + "s" * 60,
        "DATABASE_URL": database_url,
        "BASE_URL": "https://forsyria.example.org",
        "MAIL_DEFAULT_SENDER": SENDER,
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "text",
        "TWO_FACTOR_REQUIRED": "false",
        **(extra or {}),
    }


def _worker(name, database_url, *, extra_env=None, **arguments):
    """Run worker ``name`` in a fresh Python process; return what it printed (a dict)."""
    result = subprocess.run(
        [sys.executable, __file__, "worker", name, json.dumps(arguments)],
        cwd=ROOT,
        env=_app_env(database_url, extra_env),
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"bench/data.py worker {name} failed ({result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _app():
    if importlib.util.find_spec("conference") is None:  # not installed in this Python
        sys.path.insert(0, str(ROOT))
    from conference import create_app

    return create_app()


def _profiled(path, function):
    if not path:
        return function()
    import cProfile

    profiler = cProfile.Profile()
    try:
        return profiler.runcall(function)
    finally:
        profiler.dump_stats(path)


def worker_export(file_format, out, columns, profile=None):
    import sqlalchemy as sa
    from flask_babel import gettext as _

    app = _app()
    with app.app_context():
        from conference import spreadsheets
        from conference.audit import AuditEvent
        from conference.content import services as content
        from conference.extensions import db
        from conference.i18n import current_language, direction
        from conference.registration import exports
        from conference.registration.models import Registration
        from conference.registration.queries import Filters

        assert spreadsheets.FORMULA_PREFIXES == FORMULA_PREFIXES, "update FORMULA_PREFIXES"
        assert exports.DEFAULT_COLUMNS == DEFAULT_COLUMNS, "update DEFAULT_COLUMNS"
        assert set(exports.COLUMNS) == set(DUMP_COLUMNS), "update DUMP_COLUMNS"
        conference = content.get_conference(app.config["CONFERENCE_SLUG"])
        if conference is None:
            raise SystemExit("Load the conference first: flask content load")
        filters = Filters()
        expected = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                exports.export_statement(conference, filters, columns).subquery()
            )
        )
        registrations = db.session.scalar(sa.select(sa.func.count()).select_from(Registration))
        db.session.commit()
        baseline = _peak_mib()

        def export():
            # What the export view does once the form is valid.
            header = [str(exports.COLUMNS[key][0]) for key in columns]
            labels = exports.Labels.for_conference(conference)
            statement = exports.export_statement(conference, filters, columns)
            event_id = exports.record_export_started(
                file_format=file_format, filters=filters, columns=columns
            )
            rows = exports.attendee_rows(statement, columns, labels)
            if file_format == "xlsx":
                spool, count = exports.build_xlsx(
                    header,
                    rows,
                    title=_("Attendees")[:31],
                    right_to_left=direction(current_language()) == "rtl",
                )
                db.session.rollback()
                body = exports.xlsx_body(event_id, spool, count)
            else:
                body = exports.csv_body(event_id, header, rows)
            with open(out, "wb") as handle:
                for data in body:
                    handle.write(data)
            return event_id

        started, cpu = time.perf_counter(), time.process_time()
        event_id = _profiled(profile, export)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        details = db.session.scalar(sa.select(AuditEvent.details).where(AuditEvent.id == event_id))
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": _peak_mib(),
        "baseline_mb": baseline,
        "bytes": os.path.getsize(out),
        "rows": details["rows"],
        "complete": details["complete"],
        "expected_rows": expected,
        "registrations": registrations,
    }


def _bench_rows(run):
    from conference.mailer.models import OutboxMessage

    return OutboxMessage.idempotency_key.like(f"bench:{run}:%")


def worker_outbox_queue(run, messages):
    import dataclasses

    import sqlalchemy as sa

    app = _app()
    with app.app_context():
        from conference.extensions import db
        from conference.mailer import outbox
        from conference.mailer.models import OutboxMessage

        started = time.perf_counter()
        emails = _sample_emails(SAMPLE_EMAILS)
        db.session.commit()  # the check-in codes of the QR codes, made as a seat is given
        queued = 0
        for start in range(0, messages, 1000):
            batch = []
            for number in range(start, min(start + 1000, messages)):
                email = emails[number % len(emails)]
                local, _at, domain = email.recipient.partition("@")
                recipient = f"{local}+bench{number}@{domain or 'example.org'}"
                batch.append(
                    (f"bench:{run}:{number}", dataclasses.replace(email, recipient=recipient))
                )
            queued += outbox.enqueue_many(batch)
            db.session.commit()
        db.session.execute(
            sa.update(OutboxMessage)
            .where(_bench_rows(run))
            .values(next_attempt_at=EPOCH, created_at=EPOCH)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        seconds = time.perf_counter() - started
    return {"queued": queued, "distinct": len(emails), "seconds": seconds}


def _sample_emails(count):
    """Registration confirmations of up to ``count`` people, half in each language."""
    import sqlalchemy as sa

    from conference.extensions import db
    from conference.registration import emails
    from conference.registration.models import Place, PlaceStatus, Registration

    with_seat = sa.exists().where(
        Place.registration_id == Registration.id, Place.status == PlaceStatus.confirmed
    )
    people = []
    for language in ("ar", "en"):
        people += db.session.scalars(
            sa.select(Registration)
            .where(Registration.status == "active", Registration.language == language, with_seat)
            .order_by(Registration.id)
            .limit(count // 2)
        ).all()
    if not people:  # no seats given yet: confirmations without an invitation
        people = db.session.scalars(
            sa.select(Registration).where(Registration.status == "active").limit(count)
        ).all()
    if people:
        return [emails.confirmation(person) for person in people]
    log("no registrations: queueing the bilingual sample message of `flask mail test`")
    from conference.mailer import outbox, samples

    return [
        outbox.Intent(
            kind=samples.KIND,
            recipient="bench.sample@example.org",
            language="ar",
            snapshot={"uid": str(uuid.uuid4())},
        )
    ]


def worker_smtplib(run, port, spool):
    """Build the queued messages with ``build_message`` (untimed), then send them with smtplib."""
    import smtplib

    import sqlalchemy as sa
    from flask_mail import sanitize_address, sanitize_addresses

    app = _app()
    with app.app_context():
        from conference.extensions import db
        from conference.mailer import outbox
        from conference.mailer.models import OutboxMessage

        count = 0
        building = time.perf_counter()
        with open(spool, "wb") as handle:
            rows = db.session.scalars(
                sa.select(OutboxMessage).where(_bench_rows(run)).order_by(OutboxMessage.id)
            )
            rendering = outbox.Rendering()  # its link hashes are not written: untimed build
            for row in rows:
                message = outbox.build_message(row, outbox.render(row, rendering))
                message.date = time.time()
                envelope = json.dumps(
                    [
                        sanitize_address(message.sender),
                        list(sanitize_addresses(message.send_to)),
                    ]
                ).encode()
                data = message.as_bytes()
                handle.write(f"{len(envelope)} {len(data)}\n".encode())
                handle.write(envelope + data)
                count += 1
        db.session.rollback()
        build_seconds = time.perf_counter() - building

    with open(spool, "rb") as handle:
        started = time.perf_counter()
        connection = smtplib.SMTP("127.0.0.1", port, timeout=30)
        for _number in range(count):
            envelope_size, data_size = map(int, handle.readline().split())
            sender, recipients = json.loads(handle.read(envelope_size))
            connection.sendmail(sender, recipients, handle.read(data_size))
        connection.quit()
        seconds = time.perf_counter() - started
    os.unlink(spool)
    return {"messages": count, "seconds": seconds, "build_seconds": build_seconds}


def worker_outbox_deliver(run, port, profile=None):
    """One delivery pass, as `flask outbox deliver` and each `flask outbox work` pass make."""
    from datetime import timedelta

    import sqlalchemy as sa

    app = _app()
    with app.app_context():
        from conference.extensions import db
        from conference.mailer import outbox
        from conference.mailer.models import OutboxMessage

        started = time.perf_counter()
        report = _profiled(
            profile, lambda: outbox.deliver_pending(now=EPOCH + timedelta(seconds=1))
        )
        seconds = time.perf_counter() - started
        statuses = dict(
            db.session.execute(
                sa.select(OutboxMessage.status, sa.func.count())
                .where(_bench_rows(run))
                .group_by(OutboxMessage.status)
            ).all()
        )
        batch_size = app.config["OUTBOX_BATCH_SIZE"]
    return {
        "seconds": seconds,
        "sent": len(report.sent),
        "retrying": len(report.retrying),
        "failed": len(report.failed),
        "statuses": {status.value: count for status, count in statuses.items()},
        "batch_size": batch_size,
        "peak_mb": _peak_mib(),
    }


def worker_outbox_cleanup(run):
    import sqlalchemy as sa

    app = _app()
    with app.app_context():
        from conference.extensions import db
        from conference.mailer.models import OutboxMessage

        deleted = db.session.execute(
            sa.delete(OutboxMessage)
            .where(_bench_rows(run))
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    return {"deleted": deleted}


def worker_smtp_server(port):
    """Accept mail on ``port``, count it, and answer ``stats``/``reset`` lines on stdin."""
    from aiosmtpd.controller import Controller

    message_id = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)

    class Counter:
        def __init__(self):
            self.reset()

        def reset(self):
            self.count = 0
            self.bytes = 0
            self.recipients = 0
            self.ids = set()

        async def handle_DATA(self, server, session, envelope):
            content = envelope.content
            self.count += 1
            self.bytes += len(content)
            self.recipients += len(envelope.rcpt_tos)
            found = message_id.search(content, 0, content.find(b"\r\n\r\n"))
            if found:
                self.ids.add(found[1])
            return "250 2.0.0 OK queued"

        def stats(self):
            return {
                "count": self.count,
                "bytes": self.bytes,
                "recipients": self.recipients,
                "unique_message_ids": len(self.ids),
            }

    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            stats = counter.stats()
            if line.strip() == "reset":
                counter.reset()
            print(json.dumps(stats), flush=True)
    finally:
        controller.stop()


WORKERS = {
    "export": worker_export,
    "outbox-queue": worker_outbox_queue,
    "smtplib": worker_smtplib,
    "outbox-deliver": worker_outbox_deliver,
    "outbox-cleanup": worker_outbox_cleanup,
}


# ---------------------------------------------------------------------------------------
# Reporting


def _number(value, spec):
    return "-" if value is None else format(value, spec)


def _met(value):
    return "-" if value is None else ("yes" if value else "**no**")


def markdown(results):
    """The results as Markdown: a table for the exports and one for the outbox."""
    exports = [r for r in results if "rows" in r]
    deliveries = [r for r in results if r["figure"] == "outbox delivery"]
    lines = []
    if exports:
        registrations = exports[0]["registrations"]
        lines += [
            f"## Attendee exports of {registrations:,} registrations (the active ones)",
            "",
            "Each file made in a fresh process; peak = its resident-memory high-water mark, "
            "baseline = the same process after starting the app. The dump selects the same "
            "values as our export.",
            "",
            "| figure | database | rows | seconds | MiB/s | peak MiB | baseline MiB | file MiB "
            "| ratio | target | peak target | met |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|---|",
        ]
        for r in exports:
            lines.append(
                f"| {r['figure']} | {r['database']} | {r['rows']:,} | {r['seconds']:.2f} | "
                f"{r['bytes'] / MIB / r['seconds']:.1f} | {r['peak_mb']:.0f} | "
                f"{_number(r['baseline_mb'], '.0f')} | {r['bytes'] / MIB:.1f} | "
                f"{_number(r['ratio'], '.2f')} | {r['target']} | {r['peak target'] or '-'} | "
                f"{_met(r['met'])} |"
            )
        columns = {", ".join(r["columns"]) for r in exports}
        lines += ["", f"Columns: {'; '.join(sorted(columns))}."]
    if deliveries:
        if lines:
            lines.append("")
        lines += [
            "## Outbox delivery to a local SMTP server (aiosmtpd, another process)",
            "",
            "`deliver_pending` (a `flask outbox work` pass) against plain `smtplib` sending the "
            "same messages, built beforehand, over one connection; each message must arrive "
            "exactly once. Last two columns: smtplib with the building timed too (the same "
            "work as the product without the outbox's database writes).",
            "",
            "| figure | database | messages | KiB each | seconds | messages/s | smtplib messages/s "
            "| ratio | target | exactly once | met | build + smtplib messages/s | ratio to it |",
            "|---|---|--:|--:|--:|--:|--:|--:|---|---|---|--:|--:|",
        ]
        for r in deliveries:
            lines.append(
                f"| {r['figure']} (batch {r['batch_size']}) | {r['database']} | "
                f"{r['messages']:,} | {r['mean_message_bytes'] / 1024:.0f} | {r['seconds']:.2f} | "
                f"{r['per_second']:,.0f} | {r['baseline_per_second']:,.0f} | {r['ratio']:.2f} | "
                f"{r['target']} | {_met(r['exactly_once'])} | {_met(r['met'])} | "
                f"{r['build_and_send_per_second']:,.0f} | {r['ratio_to_build_and_send']:.2f} |"
            )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    exports = commands.add_parser("exports", help="time the attendee exports")
    exports.add_argument("--rows", type=int, default=100_000)
    exports.add_argument("--columns", default="default", help="default, all, or key,key,...")
    exports.add_argument("--keep-files", action="store_true")
    outbox = commands.add_parser("outbox", help="time the outbox delivery")
    outbox.add_argument("--messages", type=int, default=10_000)
    for command in (exports, outbox):
        command.add_argument("--database-url", required=True)
        command.add_argument("--workdir", type=Path)
        command.add_argument("--profile", type=Path, help="folder for cProfile output (slower)")
        command.add_argument("--json", action="store_true", help="print the result dicts")
    worker = commands.add_parser("worker", help=argparse.SUPPRESS)
    worker.add_argument("name")
    worker.add_argument("arguments")
    options = parser.parse_args(argv)

    if options.command == "worker":
        arguments = json.loads(options.arguments)
        if options.name == "smtp-server":
            worker_smtp_server(**arguments)
            return
        print(json.dumps(WORKERS[options.name](**arguments)), flush=True)
        return

    started = time.perf_counter()
    if options.command == "exports":
        columns = options.columns
        if columns not in ("default", "all"):
            columns = columns.split(",")
        results = measure_exports(
            options.database_url,
            options.rows,
            options.workdir,
            columns=columns,
            keep_files=options.keep_files,
            profile=options.profile,
        )
    else:
        results = measure_outbox(
            options.database_url, options.messages, options.workdir, profile=options.profile
        )
    log(f"done in {time.perf_counter() - started:.0f} s")
    if options.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        print(markdown(results))


if __name__ == "__main__":
    main()
