"""Server-Timing: how long named steps of a request took, told in a response header.

A step starts with ``start(name)`` and ends with ``stop(name)``; each finished step is
listed in the response's ``Server-Timing`` header as ``name;dur=<milliseconds>``, which
browsers' developer tools and the bench read. Outside a request (CLI, deliverers,
tests calling services directly) nothing is recorded. The first ``start`` of a name in a
request wins, so a step started early (the SQLite write lock, taken when the
transaction begins) is not restarted by a later one (the PostgreSQL row locks).
"""

import time

from flask import g, has_app_context

_STARTED = "_timing_started"
_DONE = "_timing_done"


def init_app(app):
    app.after_request(_add_header)


def start(name):
    """Note that step ``name`` starts now (unless it already started in this request)."""
    if has_app_context():
        g.setdefault(_STARTED, {}).setdefault(name, time.perf_counter())


def stop(name):
    """End step ``name``; return its duration in milliseconds (``None`` if never started)."""
    if not has_app_context():
        return None
    began = g.get(_STARTED, {}).pop(name, None)
    if began is None:
        return None
    duration = (time.perf_counter() - began) * 1000
    g.setdefault(_DONE, []).append((name, duration))
    return duration


def cancel(name):
    """Forget step ``name`` without reporting it (its transaction was rolled back, say)."""
    if has_app_context():
        g.get(_STARTED, {}).pop(name, None)


def _add_header(response):
    done = g.pop(_DONE, None)
    if done:
        entries = [f"{name};dur={duration:.2f}" for name, duration in done]
        response.headers.add("Server-Timing", ", ".join(entries))
    return response
