"""Response headers every page carries, and trust in the proxy in front of the app.

The headers are a fixed policy, so they are set here rather than through a library whose
HTTPS redirects and cookie handling would duplicate what the proxy and Flask already do.
Nothing loads from another host: the policy allows our own origin only, and no inline
script. Back-office responses are never stored by browsers or proxies: they show
attendees' personal data, or are the staff's own pages.
"""

from flask import abort, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from conference.access import PUBLIC, access_of

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def init_app(app):
    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
    production = app.config["SESSION_COOKIE_SECURE"]

    @app.before_request
    def refuse_oversized_body():
        # Werkzeug only enforces MAX_CONTENT_LENGTH when a view reads the body; refuse a
        # declared oversized body at once, whatever the route, with the 413 page.
        limit = request.max_content_length
        if limit is not None and (request.content_length or 0) > limit:
            abort(413)

    @app.after_request
    def set_security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if production:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if _is_staff_page():
            response.cache_control.no_store = True
        return response


def _is_staff_page():
    """Whether this request is for a page that only signed-in staff may use."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    access = access_of(view)
    return access is not None and access != PUBLIC
