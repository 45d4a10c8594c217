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

This file holds the command line and the report; the exports live in ``data_exports.py``,
the outbox in ``data_outbox.py``, and the running of workers in ``data_workers.py``.
"""

import argparse
import json
import time
from pathlib import Path

import data_bulk
import data_exports
import data_outbox
from data_bulk import measure_bulk_queue
from data_exports import measure_exports
from data_outbox import measure_outbox
from data_workers import log

MIB = 1024 * 1024

WORKERS = {
    "export": data_exports.worker_export,
    "outbox-queue": data_outbox.worker_outbox_queue,
    "smtplib": data_outbox.worker_smtplib,
    "outbox-deliver": data_outbox.worker_outbox_deliver,
    "outbox-cleanup": data_outbox.worker_outbox_cleanup,
    "bulk-queue": data_bulk.worker_bulk_queue,
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
    bulk = [r for r in results if r["figure"] == "bulk email queued"]
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
            "`deliver_pending` (a `flask outbox work` pass) against plain `smtplib` doing the "
            "same work: rendering and building the same messages (timed) and sending them "
            "over one connection (the product does the outbox's database work besides); each "
            "message must arrive exactly once. Last two columns: smtplib sending the same "
            "bytes built beforehand (its building not timed).",
            "",
            "| figure | database | messages | KiB each | seconds | messages/s "
            "| build + smtplib messages/s | ratio | target | exactly once | met "
            "| smtplib alone messages/s | ratio to it |",
            "|---|---|--:|--:|--:|--:|--:|--:|---|---|---|--:|--:|",
        ]
        for r in deliveries:
            lines.append(
                f"| {r['figure']} (batch {r['batch_size']}) | {r['database']} | "
                f"{r['messages']:,} | {r['mean_message_bytes'] / 1024:.0f} | {r['seconds']:.2f} | "
                f"{r['per_second']:,.0f} | {r['build_and_send_per_second']:,.0f} | "
                f"{r['ratio_to_build_and_send']:.2f} | {r['target']} | "
                f"{_met(r['exactly_once'])} | {_met(r['met'])} | "
                f"{r['baseline_per_second']:,.0f} | {r['ratio']:.2f} |"
            )
    if bulk:
        if lines:
            lines.append("")
        lines += [
            "## Queueing a bulk email to every active, subscribed registration",
            "",
            "`send_broadcast` in a fresh process, from the call to its last commit; each "
            "recipient must be queued exactly once, and no one else.",
            "",
            "| figure | database | registrations | recipients | seconds | target "
            "| exactly once | met |",
            "|---|---|--:|--:|--:|---|---|---|",
        ]
        for r in bulk:
            lines.append(
                f"| {r['figure']} | {r['database']} | {r['registrations']:,} | "
                f"{r['recipients']:,} | {r['seconds']:.2f} | {r['target']} | "
                f"{_met(r['exactly_once'])} | {_met(r['met'])} |"
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
    bulk = commands.add_parser("bulk", help="time queueing a bulk email to everyone")
    for command in (exports, outbox, bulk):
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
            data_outbox.worker_smtp_server(**arguments)
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
    elif options.command == "bulk":
        results = measure_bulk_queue(options.database_url)
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
