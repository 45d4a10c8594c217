"""Fingerprinted static files: ``url_for('static', ...)`` adds ``?v=<content hash>``.

A request carrying the current hash is cached for a year (``immutable``); any other
request for a static file is revalidated. A changed file gets a new hash, so browsers
never keep a stale stylesheet. Hashes are computed once per file and process.

Static files are the same for everyone, so their responses never carry the session:
no ``Set-Cookie`` (a signed-in person's permanent session would otherwise be sent again
with every stylesheet and icon, in a response any cache may keep for a year) and no
``Vary: Cookie`` (which would make a shared cache keep one copy per visitor).
"""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import request
from flask.sessions import SecureCookieSessionInterface

YEAR = 365 * 24 * 3600
# Endpoints that send a file from static/: the same bytes for every visitor.
STATIC_ENDPOINTS = frozenset({"static", "site.favicon"})


@lru_cache(maxsize=256)
def file_hash(path):
    """Return a short content hash of the file at ``path``, or ``None`` if it is missing."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    except OSError:
        return None


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, left out of the responses of static files."""

    def save_session(self, app, session, response):
        if request.endpoint in STATIC_ENDPOINTS:
            return
        super().save_session(app, session, response)


def init_app(app):
    static_root = Path(app.static_folder)
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = SessionInterface()

    @app.url_defaults
    def add_fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            fingerprint = file_hash(static_root / values["filename"])
            if fingerprint:
                values["v"] = fingerprint

    @app.after_request
    def cache_static(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            version = request.args.get("v")
            filename = (request.view_args or {}).get("filename", "")
            if version and version == file_hash(static_root / filename):
                # send_file marks every file no-cache; that would make browsers ask again
                # on every page despite the year below.
                response.cache_control.no_cache = None
                response.cache_control.public = True
                response.cache_control.max_age = YEAR
                response.cache_control.immutable = True
            else:
                response.cache_control.no_cache = True
        return response
