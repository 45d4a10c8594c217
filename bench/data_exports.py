"""Exports of 100,000 registrations against the database's own CSV dump (``data.py``).

Our CSV and XLSX exports run the organizer's code path in a fresh process per file (see
``data.py``); the dump selects the same rows and values with the database's client.
"""

import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from data_workers import (
    ROOT,
    create_app,
    database_kind,
    log,
    make_workdir,
    peak_mib,
    profile_path,
    profiled,
    run_worker,
)

CSV_TARGET = 5  # our CSV export within 5× the database's own dump
XLSX_TARGET = 10  # XLSX within 10× our CSV
PEAK_TARGET_MB = 150  # peak resident memory of an export process

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
    workdir = make_workdir(workdir, f"exports-{kind}")
    log(f"exports on {kind}: {len(columns)} columns, files in {workdir}")

    dump_file = workdir / f"dump-{kind}.csv"
    dump = _database_dump(database_url, columns, dump_file, repeat)
    log(f"database dump ({dump['tool']}): {dump['rows']} rows in {dump['seconds']:.2f} s")

    ours = {}
    for file_format, runs in (("csv", repeat), ("xlsx", 1)):
        out = workdir / f"export-{kind}.{file_format}"
        ours[file_format] = _best(
            run_worker(
                "export",
                database_url,
                file_format=file_format,
                out=str(out),
                columns=columns,
                profile=profile_path(profile, f"export-{file_format}-{kind}"),
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


def worker_export(file_format, out, columns, profile=None):
    import sqlalchemy as sa

    app = create_app()
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
        baseline = peak_mib()

        def export():
            # What the export view calls once the form is valid.
            download = exports.export_attendees(
                conference,
                filters,
                columns,
                file_format,
                right_to_left=direction(current_language()) == "rtl",
            )
            with open(out, "wb") as handle:
                for data in download.body:
                    handle.write(data)
            return download.event_id

        started, cpu = time.perf_counter(), time.process_time()
        event_id = profiled(profile, export)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        details = db.session.scalar(sa.select(AuditEvent.details).where(AuditEvent.id == event_id))
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": peak_mib(),
        "baseline_mb": baseline,
        "bytes": os.path.getsize(out),
        "rows": details["rows"],
        "complete": details["complete"],
        "expected_rows": expected,
        "registrations": registrations,
    }
