"""Structured logging: one JSON object a line, and one line for each request.

Each request gets an id (taken from ``X-Request-ID`` when the proxy sets a sane one),
returned in the response and attached to every log line written while it runs. No
personal data is logged: paths and status codes only, never form fields or addresses.
"""

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from flask import g, has_request_context, request

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JSONFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message and extras."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


# Secrets in URLs (manage-link tokens) must not reach any log.
SECRET_SEGMENT = re.compile(r"(/registration/)[^/?\s]+")


def _loggable_path():
    """The route's pattern (``/registration/<token>``) rather than the path itself."""
    rule = request.url_rule
    return rule.rule if rule is not None else SECRET_SEGMENT.sub(r"\1<token>", request.path)


class RedactSecrets(logging.Filter):
    """Hide manage-link tokens in other loggers' lines (the development server's)."""

    def filter(self, record):
        if record.args:
            record.args = tuple(
                SECRET_SEGMENT.sub(r"\1<token>", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        record.msg = SECRET_SEGMENT.sub(r"\1<token>", str(record.msg))
        return True


def init_app(app):
    logging.getLogger("werkzeug").addFilter(RedactSecrets())
    handler = logging.StreamHandler(sys.stderr)
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("conference")
    logger.handlers[:] = [handler]
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.propagate = False
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(app.config["LOG_LEVEL"])
    access = logging.getLogger("conference.request")

    @app.before_request
    def start_request():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.match(given) else secrets.token_hex(8)
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if request.endpoint != "static":
            started = g.get("started", time.perf_counter())
            access.info(
                "request",
                extra={
                    "fields": {
                        "method": request.method,
                        "path": _loggable_path(),
                        "status": response.status_code,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                    }
                },
            )
        return response
