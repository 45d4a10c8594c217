"""Structured logging: one JSON object a line, and one line for each request.

Each request gets an id (taken from ``X-Request-ID`` when the proxy sets a sane one),
returned in the response and attached to every log line written while it runs (under
``make run``, the development server's own line for each request is dropped:
``ServerRequestLines``). No personal data is logged: paths and status codes only, never
form fields or addresses, and no line of any logger holds a credential from a URL
(``RedactingRecord``).
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
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)  # as logging.Formatter
        if record.exc_text:
            entry["exception"] = record.exc_text
        # Extra fields too: the message and traceback are redacted already (RedactingRecord).
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


# ---------------------------------------------------------------------------------------
# Secrets in paths
#
# Private links carry credentials in their path (``/registration/<token>``, staff
# invitations, check-in codes, unsubscribe tokens): whoever reads a log line with one
# can act as its owner. Flask's "Exception on /registration/<full token>/tracks",
# the development server's request lines, gunicorn's access log and our own lines all
# pass through one place: every log record is made by ``RedactingRecord``, whose
# message and exception text have each secret segment replaced by its variable's name.
# The segments come from the URL map (every ``<secret:...>`` variable), so a route
# added later is covered by declaring its variable secret.

# A path segment as it appears in a log line: up to a slash, query, fragment, quote,
# ampersand or space (what servers, tracebacks and query strings put around a path).
SEGMENT = r"[^/?#&\s\"'<>]+"
# A slash, also as it appears in a query string (``?next=%2Fmanage%2Fcheckin%2Fc%2F…``).
SLASH = "(?:/|%2[Ff])"
VARIABLE = re.compile(r"<(?:(?P<converter>[^<>:(]+)(?:\([^<>]*\))?:)?(?P<name>[^<>:]+)>")

_secret_prefixes = {}  # regex of the path before a secret -> the secret's variable name
_redactor = None  # one regex for all of them, rebuilt when a prefix is added


def secret_prefixes(url_map):
    """``{regex of the path up to a secret segment: the variable's name}`` for ``url_map``."""
    from conference.urls import Secret, holds_secret

    found = {}
    for rule in url_map.iter_rules():
        if not holds_secret(rule):
            continue
        converters = rule._converters  # the rule's variables and their types
        prefix, position = "", 0
        for match in VARIABLE.finditer(rule.rule):
            prefix += re.escape(rule.rule[position : match.start()]).replace("/", SLASH)
            position = match.end()
            converter = converters[match["name"]]
            if isinstance(converter, Secret):
                found[prefix] = match["name"]
                prefix += SEGMENT
            else:
                prefix += f"(?:{converter.regex})"
    return found


def redact_secret_paths(app):
    """Redact the secret segments of ``app``'s routes from every log line of the process.

    Call once the routes are added. Installs ``RedactingRecord`` as the record factory
    (all loggers, all handlers, including those configured later by gunicorn).
    """
    global _redactor
    _secret_prefixes.update(secret_prefixes(app.url_map))
    if _secret_prefixes:
        longest_first = sorted(_secret_prefixes, key=len, reverse=True)
        alternatives = "|".join(f"(?:{prefix})" for prefix in longest_first)
        _redactor = re.compile(f"(?P<prefix>{alternatives})(?P<secret>{SEGMENT})")
    logging.setLogRecordFactory(RedactingRecord)


def _name_of(match):
    prefix = match["prefix"]
    name = next((n for p, n in _secret_prefixes.items() if re.fullmatch(p, prefix)), "secret")
    return f"{prefix}<{name}>"


def redact(text):
    """``text`` with every secret path segment replaced: ``/registration/<token>``."""
    if _redactor is None or not text:
        return text
    return _redactor.sub(_name_of, text)


class RedactingRecord(logging.LogRecord):
    """A log record whose message, exception and stack text never hold a secret path."""

    def getMessage(self):
        return redact(super().getMessage())

    # Formatters keep the formatted traceback here; an exception's message can hold a
    # URL, so it is redacted as it is stored.
    @property
    def exc_text(self):
        return self._exc_text

    @exc_text.setter
    def exc_text(self, value):
        self._exc_text = redact(value)

    @property
    def stack_info(self):
        return self._stack_info

    @stack_info.setter
    def stack_info(self, value):
        self._stack_info = redact(value)


def _loggable_path():
    """The route's pattern (``/registration/<token>``) rather than the path itself."""
    rule = request.url_rule
    if rule is None:
        return redact(request.path)
    return rule.rule.replace("<secret:", "<")


class ServerRequestLines(logging.Filter):
    """Drop the development server's line for each request: ours (below) says it already.

    Werkzeug's ``127.0.0.1 - - [date] "GET / HTTP/1.1" 200 -`` comes from
    ``WSGIRequestHandler.log_request``; its other lines (the address it serves, errors)
    pass. ``flask dev run`` (``make run``) puts it on the ``werkzeug`` logger while it
    serves; served any other way, Werkzeug's lines stay (and are redacted).
    """

    def filter(self, record):
        return not (
            record.levelno == logging.INFO
            and isinstance(record.msg, str)
            and record.msg.endswith('"%s" %s %s')
        )


def init_app(app):
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
