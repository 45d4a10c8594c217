"""URL plumbing: ids and secrets in URLs, and absolute links built without a request.

A path variable that is a credential (a private link's token, a check-in code, an
unsubscribe token) is declared ``<secret:...>``: the logs redact every such value
(``applog``), whichever logger writes the path.

Every primary key is a 32-bit ``integer`` column. PostgreSQL refuses to compare one with
a number beyond that range (an error, so a 500) and SQLite's driver cannot bind one
beyond 64 bits, so ids outside 1..2**31-1 are refused before any query: in a path the
rule does not match (404), in a query string the value is ignored.
"""

from urllib.parse import urlsplit

from flask import current_app, url_for
from werkzeug.routing import IntegerConverter, UnicodeConverter

LARGEST_ID = 2**31 - 1  # PostgreSQL's integer, the type of every id column


class DatabaseId(IntegerConverter):
    """``<int:...>`` in every route: a number some row could have as its id."""

    def __init__(self, map, fixed_digits=0, min=1, max=LARGEST_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


class Secret(UnicodeConverter):
    """``<secret:token>``: a path segment that is a credential, matched like ``<token>``."""


def holds_secret(rule):
    """Whether the URL rule ``rule`` (``request.url_rule``, maybe ``None``) has a secret."""
    converters = rule._converters if rule is not None else {}  # its variables' types
    return any(isinstance(converter, Secret) for converter in converters.values())


def database_id(value):
    """``request.args.get(name, type=database_id)``: an id, else ``None`` (ValueError)."""
    number = int(value)
    if not 1 <= number <= LARGEST_ID:
        raise ValueError(value)
    return number


def init_app(app):
    """Make ``<int:...>`` mean a database id and offer ``<secret:...>``; before any route."""
    app.url_map.converters["int"] = DatabaseId
    app.url_map.converters["secret"] = Secret


def external_url(endpoint, **values):
    """Return ``BASE_URL`` joined with the path of ``endpoint``: a link for an email."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc or "localhost", script_name=base.path or "/")
    return f"{base.scheme}://{base.netloc}" + adapter.build(endpoint, values)


def safe_next(target, default="site.home"):
    """Return ``target`` if it is a path on this site, else the ``default`` page's URL."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(ch in target for ch in "\r\n\t\\")
        or len(target) > 512
    ):
        return url_for(default)
    return target
