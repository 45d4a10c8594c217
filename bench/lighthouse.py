"""Lighthouse scores and the front-end budget (issue #6, point 3).

    .venv/bin/python bench/lighthouse.py            # eight pages, about two and a half minutes
    .venv/bin/python bench/lighthouse.py --keep     # keep the temporary instance and reports

Builds a throw-away instance (SQLite in a temporary directory, the shipped content and
the sample programme, one organizer, one imported attendee), serves it with gunicorn on
a free loopback port, and runs the pinned Lighthouse (``bench/lighthouse``, installed
with ``npm ci`` when ``node_modules`` is missing) against Debian's Chromium with its
default phone profile (Moto G Power sized screen, slow 4G, 4x CPU slowdown) for:

- the conference page, in English and in Arabic;
- the story gallery and a story's page (a sample story with its picture), in Arabic;
- the registration form, in English and in Arabic;
- an attendee's private manage page (``/registration/<token>``);
- the back-office dashboard, signed in as an organizer.

It prints a Markdown table (and writes it to ``bench/results/lighthouse.md``) and checks
the budget for the conference page: under 100 KB transferred (photos aside), no request
to another host, no render-blocking request to another host, every image sized and
every image below the header lazy-loaded. The exit status is 1 when a check fails or a
score is under 95, except the SEO score of the two private pages, which are kept out of
search engines on purpose (checked: that must be their only failing SEO audit).

The instance is a ``servers.Instance`` (``bench/servers.py``, shared with ``make bench``)
that leaves the caller's own settings out, and runs with ``APP_ENV=production`` (a
random ``SECRET_KEY``, production headers, ``Secure`` cookies) over plain http on
loopback: the cookies are captured by this script and handed to Chromium as a
``Cookie`` header, so ``Secure`` does not stand in the way. ``TWO_FACTOR_REQUIRED`` is
turned off so that the organizer can sign in with a password alone. There is no
compressing proxy in front, unlike production.

This file prepares the instance, runs Lighthouse and judges the results;
``lighthouse_report.py`` reads each report and page and writes the table.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import servers  # noqa: E402 (the bench folder is not a package)
from lighthouse_report import (  # noqa: E402
    CATEGORIES,
    compressed_estimate,
    markdown,
    median_row,
    page_checks,
    summarize,
)

ROOT = servers.ROOT
NPM_DIR = ROOT / "bench" / "lighthouse"
# Lighthouse 13 needs Node.js 22; npm's ``node`` package (pinned beside it) brings one, so
# the machine's own Node.js may be older.
NODE = NPM_DIR / "node_modules" / ".bin" / "node"
LIGHTHOUSE = NPM_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
ATTEMPTS = 2  # a crashed Lighthouse run (``NO_NAVSTART`` and the like) is tried once more
RESULTS = ROOT / "bench" / "results" / "lighthouse.md"
CHROME_PATH = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --disable-quic --no-first-run"
)
MIN_SCORE = 95
BUDGET_BYTES = 100 * 1024

ATTENDEE_CSV = (
    "email,full_name,tracks,language,city,region\n"
    "bench-attendee@example.org,Bench Attendee,cultural arts,en,Houston,Texas\n"
)


def log(message):
    print(message, file=sys.stderr, flush=True)


def ensure_lighthouse():
    """Install the pinned Lighthouse (``npm ci``) unless it is there already."""
    if LIGHTHOUSE.exists() and NODE.exists():
        return
    log("Installing Lighthouse (npm ci in bench/lighthouse) ...")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NPM_DIR, check=True)


def instance_settings(base_url):
    """What this instance sets over ``servers.Instance``'s production-like defaults."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "BASE_URL": base_url,
        "TWO_FACTOR_REQUIRED": "0",  # a password is enough to sign the organizer in
        "PROXY_COUNT": "0",
        # An empty value beats a .env file's and leaves the default: no mail server (mail
        # waits in the outbox), rate limits in memory.
        "MAIL_SERVER": "",
        "RATELIMIT_STORAGE_URI": "",
        "LOG_FORMAT": "text",
    }


# Mints a private link for the imported attendee, as the deliverer does when it renders
# the confirmation (links are never stored in the outbox, so none can be read there).
MINT_LINK = """
import sqlalchemy as sa
from app import app
from conference.extensions import db
from conference.registration import services
from conference.registration.models import Registration

with app.app_context():
    registration = db.session.scalar(sa.select(Registration).filter_by(email={email!r}))
    print(services.mint_token(registration))
    db.session.commit()
"""


def import_attendee(instance):
    """Import one attendee, as the organizers' paper import makes one; return the path of
    their private manage page (a link minted for them, as their confirmation email's is)."""
    csv_path = instance.workdir / "attendees.csv"
    csv_path.write_text(ATTENDEE_CSV, encoding="utf-8")
    instance.flask("registrations", "import", str(csv_path))
    email = ATTENDEE_CSV.splitlines()[1].split(",")[0]
    result = subprocess.run(
        [str(servers.BIN / "python"), "-c", MINT_LINK.format(email=email)],
        cwd=servers.ROOT,
        env=instance.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    token = result.stdout.strip()
    if result.returncode or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        raise SystemExit(f"No private link could be made after the import:\n{result.stderr}")
    return f"/registration/{token}"


def gunicorn_options():
    """Longer worker timeout; on gunicorn 24+, off the shared ~/.gunicorn control socket."""
    options = ["--timeout", "120"]
    usage = subprocess.run(
        [str(servers.BIN / "gunicorn"), "--help"], capture_output=True, text=True
    ).stdout
    if "--no-control-socket" in usage:
        options.append("--no-control-socket")
    return options


def run_lighthouse(url, cookies, report_path, workdir):
    """Run Lighthouse once on ``url`` with the phone profile; return the parsed report."""
    headers_path = workdir / "headers.json"  # the session cookie stays off the command line
    headers_path.write_text(json.dumps({"Cookie": servers.cookie_header(cookies)}))
    command = [
        str(NODE),
        str(LIGHTHOUSE),
        url,
        "--form-factor=mobile",
        "--only-categories=" + ",".join(CATEGORIES),
        "--output=json",
        f"--output-path={report_path}",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--extra-headers={headers_path}",
        "--quiet",
    ]
    env = {**os.environ, "CHROME_PATH": CHROME_PATH}
    result = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
    if result.returncode:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise LighthouseFailed(lines[-1] if lines else f"exit status {result.returncode}")
    report = json.loads(report_path.read_text())
    if report.get("runtimeError"):
        error = report["runtimeError"]
        raise LighthouseFailed(f"{error.get('code')}: {error.get('message', '')}".strip())
    return report


class LighthouseFailed(Exception):
    """A Lighthouse run that ended without a report; ``str()`` says how it ended."""


def report_with_retry(label, url, cookies, report_path, workdir):
    """Run Lighthouse on ``url``, once more if it crashes; return (report, failures)."""
    failures = []
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return run_lighthouse(url, cookies, report_path, workdir), failures
        except LighthouseFailed as failure:
            log(f"Lighthouse: {label}, attempt {attempt} of {ATTEMPTS} failed: {failure}")
            failures.append(str(failure))
    return None, failures


# label, path (None: the attendee's private page), cookies (None: the staff session), what
# the page must show (so that a redirect or an error page is never measured instead), and
# whether the page is private: kept out of search engines, which costs its SEO score.
PAGES = [
    ("Conference page (English)", "/", {"lang": "en"}, 'id="programme"', False),
    ("Conference page (Arabic)", "/", {"lang": "ar"}, 'id="programme"', False),
    ("Story gallery (Arabic)", "/stories", {"lang": "ar"}, 'href="/stories/1"', False),
    ("A story's page (Arabic)", "/stories/1", {"lang": "ar"}, 'id="story-title-1"', False),
    ("Registration form (English)", "/register", {"lang": "en"}, 'name="full_name"', False),
    ("Registration form (Arabic)", "/register", {"lang": "ar"}, 'name="full_name"', False),
    ("Attendee's private page", None, {"lang": "en"}, "bench-attendee@example.org", True),
    ("Back-office dashboard", "/manage/dashboard", None, 'id="seats-title"', True),
]


def measure(args, workdir, port, origin):
    """Prepare the instance, serve it and run Lighthouse on every page.

    Returns the rows and, for the conference page, the budget facts.
    """
    log(f"Preparing an instance in {workdir} ...")
    instance = servers.Instance(
        "sqlite",
        servers.sqlite_url(workdir / "bench.db"),
        workdir,
        settings=instance_settings(origin),
        isolated=True,
    )
    instance.prepare()  # the schema, the content, the sample programme and an organizer
    manage_path = import_attendee(instance)
    rows, budget = [], []
    with servers.serve(
        "app:app",
        cwd=ROOT,
        env=instance.env(),
        workers=2,
        log=workdir / "gunicorn.log",
        port=port,
        options=gunicorn_options(),
    ) as base:
        staff_cookies = servers.sign_in_cookies(base, cookies={"lang": "en"})
        for index, (label, path, cookies, expected, private) in enumerate(PAGES):
            path = path or manage_path
            cookies = cookies or staff_cookies
            status, page_html, _jar = servers.request(base, path, cookies=cookies)
            if status != 200 or expected not in page_html:
                raise SystemExit(f"{label} ({path}) answered {status} without {expected!r}.")
            runs, failures = [], []
            for run in range(args.runs):
                log(f"Lighthouse: {label} (run {run + 1} of {args.runs}) ...")
                report_path = workdir / f"report-{index}-{run}.json"
                report, failed = report_with_retry(
                    label, origin + path, cookies, report_path, workdir
                )
                failures += failed
                if report is not None:
                    runs.append(summarize(label, report, origin))
            if not runs:  # a row that says so; the other pages are still measured
                rows.append(failed_row(label, private, failures))
                continue
            row = median_row(runs)
            row["private"] = private
            row["retried"] = len(failures)
            rows.append(row)
            if path == "/":
                images, blocking, problems = page_checks(page_html, origin)
                row["compressed"] = compressed_estimate(base, report, cookies)
                budget.append((row, images, blocking, problems))
    return rows, budget


def failed_row(label, private, failures):
    """The table's row for a page whose every Lighthouse run crashed."""
    return {
        "label": label,
        "private": private,
        "failed": failures[-1],
        "scores": dict.fromkeys(CATEGORIES),
        "failing": [],
        "errors": {},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per page (median taken)")
    parser.add_argument("--keep", action="store_true", help="keep the instance and the reports")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the table goes")
    args = parser.parse_args(argv)

    started = time.monotonic()
    ensure_lighthouse()
    workdir = Path(tempfile.mkdtemp(prefix="forsyria-lighthouse-"))
    port = servers.free_port()
    origin = f"http://127.0.0.1:{port}"
    try:
        rows, budget = measure(args, workdir, port, origin)
    finally:
        if args.keep:
            log(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    problems = []
    notes = ["Budget for the conference page (photos aside: there are none yet):", ""]
    for row, images, blocking, found in budget:
        within = row["without_photos"] < BUDGET_BYTES
        notes.append(
            f"- {row['label']}: {row['without_photos'] / 1024:.1f} KB transferred in "
            f"{row['requests']} requests, limit 100 KB: {'within' if within else 'OVER'} "
            f"(about {row['compressed'] / 1024:.1f} KB behind a proxy that gzips text). "
            f"Requests to other hosts: {len(row['foreign'])}. Render-blocking requests: "
            f"{len(blocking)} ({', '.join(urllib.parse.urlsplit(u).path for u in blocking)}), "
            f"{sum(not u.startswith(origin + '/') for u in blocking)} to another host. "
            f"Images: {images}, "
            + (
                "each with width and height, none below the header loading eagerly."
                if not found
                else "; ".join(found)
            )
        )
        if not within:
            problems.append(f"{row['label']}: {row['without_photos']} bytes, over the budget")
        if row["foreign"]:
            problems.append(f"{row['label']}: requests to other hosts: {row['foreign']}")
        problems.extend(f"{row['label']}: {problem}" for problem in found)
    for row in rows:
        if row.get("failed"):
            problems.append(f"{row['label']}: Lighthouse failed {ATTEMPTS} times: {row['failed']}")
            continue
        for key in CATEGORIES:
            score = row["scores"][key]
            if key == "seo" and row["private"]:
                continue
            if score is None or score < MIN_SCORE:
                problems.append(f"{row['label']}: {key} {score}")
        if row["private"]:  # its SEO score may fall short only for being kept out
            problems.extend(
                f"{row['label']}: {line}"
                for line in row["failing"]
                if line.startswith("seo/") and not line.startswith("seo/is-crawlable ")
            )
        if row["private"] and not row["blocked"]:
            problems.append(f"{row['label']}: private, yet open to search engines")
        if not row["private"] and row["blocked"]:
            problems.append(f"{row['label']}: public, yet blocked from search engines")
    errors = {k: v for row in rows for k, v in row["errors"].items()}
    if errors:
        weighted = sorted(k for k, (weight, _message) in errors.items() if weight)
        message = next(iter(errors.values()))[1]
        notes.append("")
        notes.append(
            f"Lighthouse could not compute {len(errors)} diagnostic audits with this Chromium "
            f"({', '.join(f'`{k}`' for k in sorted(errors))}: “{message}”). "
            + (
                "None of them counts towards a score (the performance score comes from the "
                "five metrics, which were measured); render-blocking requests and image "
                "loading are therefore checked in the HTML by `bench/lighthouse.py` itself."
                if not weighted
                else f"Scores are incomplete: {', '.join(weighted)} carry weight."
            )
        )
        if weighted:
            problems.append(f"audits with weight could not be computed: {weighted}")

    elapsed = time.monotonic() - started
    version = json.loads((NPM_DIR / "package.json").read_text())["dependencies"]["lighthouse"]
    meta = (
        f"Lighthouse {version}, {chromium_version()}, phone profile (Lighthouse's default: "
        "Moto G Power screen, simulated slow 4G, 4x CPU slowdown), "
        f"{args.runs} run{'s' if args.runs > 1 else ''} per page"
        f"{' (median)' if args.runs > 1 else ''}; gunicorn with `APP_ENV=production` and "
        "`TWO_FACTOR_REQUIRED=0` on loopback, no compressing proxy in front. Made by "
        f"`.venv/bin/python bench/lighthouse.py` in {elapsed:.0f} s."
    )
    text = markdown(rows, notes, meta)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    for row in rows:
        if row["failing"]:
            log(f"{row['label']}: audits under 0.9:")
            for line in row["failing"]:
                log(f"  {line}")
    if problems:
        log("Checks that failed:")
        for problem in problems:
            log(f"  {problem}")
        return 1
    return 0


def chromium_version():
    try:
        result = subprocess.run(
            [CHROME_PATH, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
        return result.stdout.strip() or "unknown"
    except OSError:
        return "not found"


if __name__ == "__main__":
    sys.exit(main())
