"""Fingerprinted static files: ``url_for('static', ...)`` adds ``?v=<content hash>``.

A request carrying the current hash is cached for a year (``immutable``); any other
request for a static file is revalidated. A changed file gets a new hash, so browsers
never keep a stale stylesheet. Hashes are computed once per file and process.
"""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import request

YEAR = 365 * 24 * 3600


@lru_cache(maxsize=256)
def file_hash(path):
    """Return a short content hash of the file at ``path``, or ``None`` if it is missing."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    except OSError:
        return None


def init_app(app):
    static_root = Path(app.static_folder)

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
                response.cache_control.public = True
                response.cache_control.max_age = YEAR
                response.cache_control.immutable = True
            else:
                response.cache_control.no_cache = True
        return response
