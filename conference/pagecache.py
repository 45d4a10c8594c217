"""A shared cache for public pages inside each app process, as a caching proxy would keep.

When registration is announced, everyone opens the same conference page within minutes.
The page is already rendered once per language and content version (``site.views``), but
each request still pays for Flask's whole request cycle: session, language, rate limits,
a database round trip for the content version, headers. This cache answers repeat
requests before all that, from the stored response, for a few seconds.

It follows HTTP caching (RFC 9111) for a shared cache, so a page decides for itself:

- only a ``GET`` with no ``Authorization`` and no ``If-None-Match`` (the app answers
  revalidations itself, with its ETag) is answered from the cache;
- only a ``200`` whose ``Cache-Control`` is ``public`` with ``s-maxage`` or ``max-age``
  above zero, that sets no cookie and varies on named request headers (not ``*``), is
  stored;
- it is kept for that age, but never longer than ``PUBLIC_PAGE_MAX_AGE`` seconds, and
  only for requests whose headers named by ``Vary`` (the language's cookie and
  ``Accept-Language``) are the same.

So a page with a one-off message, a signed-in page, a form with a CSRF token (it sets
the session cookie) or anything ``no-store``/``private`` passes through untouched.

Each process has its own cache, but a content change (a withdrawn story above all) must
leave every process's cache on its next request. So each stored answer is stamped with
the content version (the generation) read before the app rendered it, and is answered
from only while the database still holds that version: one indexed single-row read per
cached answer, on a pooled connection, read at most once per request. The version moves
in the transaction of the change, so every process sees it the moment it is committed.

Why not a library: Flask-Caching's ``@cached`` runs
after the request cycle this skips, and the WSGI caching middlewares on PyPI are
unmaintained; this is the small subset we need.
"""

import secrets
import threading
import time
from collections import OrderedDict

import sqlalchemy as sa

from conference.extensions import db

MAX_ENTRIES = 256
MAX_BODY = 1024 * 1024
# Per request, not per response: a stored copy gets a fresh one.
DROPPED_HEADERS = {"x-request-id", "date"}


class PageCache:
    """WSGI middleware: answer repeat requests for cacheable public pages from memory."""

    def __init__(self, app, *, max_age, clock=time.monotonic, generation=None):
        self.app = app
        self.max_age = max_age
        self.clock = clock
        # () -> the content version now (shared by every process), or None if unknown.
        self.generation = generation or (lambda: "")
        self.entries = OrderedDict()  # (url, vary values) -> (expires, status, headers, body)
        self.vary = OrderedDict()  # url -> the request headers its response varies on
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not self._may_answer(environ):
            return self.app(environ, start_response)
        url = _url(environ)
        names = self.vary.get(url)
        if names is not None:
            key = (url, _values(environ, names))
            with self.lock:
                entry = self.entries.get(key)
            if entry is not None and entry[0] > self.clock():
                generation = self.generation()
                if generation is not None and entry[4] == generation:
                    _, status, headers, body, _generation = entry
                    start_response(status, [*headers, ("X-Request-ID", secrets.token_hex(8))])
                    return [body]
                return self._store_response(environ, start_response, url, generation)
        return self._store_response(environ, start_response, url)

    def _may_answer(self, environ):
        return (
            self.max_age > 0
            and environ["REQUEST_METHOD"] == "GET"
            and "HTTP_AUTHORIZATION" not in environ
            and "HTTP_IF_NONE_MATCH" not in environ
        )

    def _store_response(self, environ, start_response, url, generation=False):
        if generation is False:
            generation = self.generation()  # before rendering: what it renders is newer
        seen = {}

        def remember(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, remember)
        age, names = _storable(seen.get("status"), seen.get("headers") or [])
        if not age or generation is None:
            return body
        try:
            content = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        if len(content) <= MAX_BODY:
            headers = [(k, v) for k, v in seen["headers"] if k.lower() not in DROPPED_HEADERS]
            expires = self.clock() + min(age, self.max_age)
            entry = (expires, seen["status"], headers, content, generation)
            with self.lock:
                self.vary[url] = names
                self.vary.move_to_end(url)
                self.entries[(url, _values(environ, names))] = entry
                # Both bounded: a query string is the visitor's to choose.
                for kept in (self.entries, self.vary):
                    while len(kept) > MAX_ENTRIES:
                        kept.popitem(last=False)
        return [content]


def _url(environ):
    return (
        environ["wsgi.url_scheme"],
        environ.get("HTTP_HOST", ""),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )


def _values(environ, names):
    return tuple(environ.get("HTTP_" + name.upper().replace("-", "_"), "") for name in names)


def _storable(status, headers):
    """Return (seconds, vary names) if this response may be stored, else (0, ())."""
    if not status or not status.startswith("200"):
        return 0, ()
    fields = {}
    for name, value in headers:
        fields.setdefault(name.lower(), []).append(value)
    if "set-cookie" in fields or "content-length" not in fields:
        return 0, ()
    directives = {}
    for part in ",".join(fields.get("cache-control", [])).split(","):
        name, _, value = part.strip().lower().partition("=")
        directives[name] = value.strip('"')
    if "public" not in directives or {"private", "no-store", "no-cache"} & directives.keys():
        return 0, ()
    try:
        age = int(directives.get("s-maxage") or directives.get("max-age") or 0)
    except ValueError:
        return 0, ()
    names = tuple(
        sorted({n.strip().lower() for v in fields.get("vary", []) for n in v.split(",") if n})
    )
    if "*" in names:
        return 0, ()
    return max(age, 0), names


def content_generation(app):
    """A function returning the conference's content version, straight from the database
    (``None`` if it cannot be read: nothing is then answered from the cache).

    Each thread keeps a connection of its own, outside the pool and in autocommit, so a
    read is one round trip of one indexed row: no pool checkout, no rollback on return.
    """
    slug = app.config["CONFERENCE_SLUG"]
    local = threading.local()
    engines = []
    opened = []  # every thread's connection: closed with the engine (``dispose``)

    epoch = [0]

    def _close_all(_engine=None):
        epoch[0] += 1
        while opened:
            try:
                opened.pop().close()
            except Exception:  # noqa: BLE001, S110 - already gone
                pass

    def _engine():
        if not engines:
            with app.app_context():
                engines.append(db.engine)
            sa.event.listen(engines[0], "engine_disposed", _close_all)
        return engines[0]

    def _pooled(engine):
        # In-memory SQLite (tests) has one connection for everything: borrow it, and while
        # a test holds it in a transaction the read fails and the cache is not used.
        query = sa.text("SELECT content_version FROM conference WHERE slug = :slug")
        with engine.connect() as connection:
            return connection.execute(query, {"slug": slug}).scalar()

    def read():
        try:
            engine = _engine()
            if isinstance(engine.pool, sa.pool.StaticPool):
                return _pooled(engine)
            kept = getattr(local, "connection", None)
            if kept is None or kept[2] != epoch[0]:
                fairy = engine.raw_connection()
                connection = fairy.dbapi_connection
                fairy.detach()  # ours for good: the pool neither counts nor resets it
                connection.rollback()
                if engine.dialect.name == "sqlite":
                    connection.isolation_level = None  # sqlite3's autocommit
                else:
                    connection.autocommit = True
                local.connection = (fairy, connection, epoch[0])
                opened.append(connection)
            marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
            cursor = local.connection[1].cursor()
            try:
                cursor.execute(
                    f"SELECT content_version FROM conference WHERE slug = {marker}", (slug,)
                )
                row = cursor.fetchone()
            finally:
                cursor.close()
            return row[0] if row else None
        except Exception:  # noqa: BLE001 - any failure: answer from the app, not the cache
            broken = getattr(local, "connection", None)
            local.connection = None
            if broken is not None:
                try:
                    broken[1].close()
                except Exception:  # noqa: BLE001, S110 - already gone
                    pass
            return None

    return read


def init_app(app):
    app.wsgi_app = PageCache(
        app.wsgi_app,
        max_age=int(app.config["PUBLIC_PAGE_MAX_AGE"]),
        generation=content_generation(app),
    )
