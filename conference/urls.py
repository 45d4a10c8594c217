"""Absolute links to this site, built without a request (emails, CLI, deliverers)."""

from urllib.parse import urlsplit

from flask import current_app, url_for


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
