"""How long a registration holds its tracks' seat lock, as the app reports it.

Each registration answers with ``Server-Timing: seatlock;dur=<ms>``: on SQLite from
``BEGIN IMMEDIATE`` (the database's write lock) to the commit, on PostgreSQL from the
tracks' ``SELECT … FOR UPDATE`` to the commit. New registrations are posted one after
another on one connection, so the figure is the work done under the lock, not the wait
for it.
"""

import http.client
import re
import statistics
import time
import urllib.parse

import servers

TARGET_MS = 2.0
_DURATION = re.compile(r"(?:^|,)\s*seatlock;dur=([0-9.]+)")


def measure(base, database, count=200):
    """Post ``count`` new registrations; return ``(database, count, p50, p95, max)`` ms."""
    status, page, jar = servers.request(base, "/register")
    if status != 200:
        raise RuntimeError(f"the registration form answered {status}")
    token = servers.csrf_token(page)
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    stamp = time.time_ns()
    held = []
    try:
        for number in range(count):
            body = urllib.parse.urlencode(
                {
                    "csrf_token": token,
                    "full_name": "لينا حداد",
                    "email": f"bench.lock.{database}.{stamp}.{number}@example.org",
                    "city": "Dearborn",
                    "region": "MI",
                    "language": "ar",
                    "tracks": ["cultural", "arts"],
                    "privacy": "y",
                    "submission_id": f"submission-lock-{stamp}-{number}",
                },
                doseq=True,
            )
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": servers.cookie_header(jar),
                "Accept-Language": "en",
            }
            connection.request("POST", "/register", body, headers)
            response = connection.getresponse()
            response.read()
            timing = _DURATION.search(response.headers.get("Server-Timing") or "")
            if response.status != 303 or timing is None:
                raise RuntimeError(
                    f"a registration answered {response.status} without its seat-lock time"
                )
            held.append(float(timing.group(1)))
    finally:
        connection.close()
    held.sort()
    p95 = held[min(len(held) - 1, round(0.95 * (len(held) - 1)))]
    return database, count, statistics.median(held), p95, held[-1]


def markdown(rows):
    """The report's section: one row per database."""
    lines = [
        "",
        "## The seat lock: how long a registration holds it (1 connection, as the app "
        "reports it in `Server-Timing`)",
        "",
        "| database | registrations | p50 ms | p95 ms | max ms | target | met |",
        "|---|--:|--:|--:|--:|--:|---|",
    ]
    for database, count, p50, p95, longest in rows:
        lines.append(
            f"| {database} | {count} | {p50:.2f} | {p95:.2f} | {longest:.2f} | "
            f"p50 ≤ {TARGET_MS:g} ms | {'yes' if p50 <= TARGET_MS else '**no**'} |"
        )
    return lines
