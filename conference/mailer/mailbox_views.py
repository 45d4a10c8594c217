"""``/dev/mailbox``: the development mailbox's pages, and the banner that links to them.

Registered only with ``DEV_MAILBOX`` on, which production refuses: there these pages do
not exist (404). The list shows every message newest first; a message's page shows it as
its recipient would: the headers, the HTML body in a sandboxed frame (its links open in
the whole window, so a private link opens the registration), the text body, and its
attachments to download.

Every HTML page of the site gets a small banner saying this is a development site, with
a link to the mailbox and its count. The banner is added to the page as it leaves the
app, so the page caches (``pagecache``, ``site.views``) keep working as in production;
only their answers to browsers are never reused (no 304, no shared copy), so that the
count is always current.
"""

import base64
import re
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request

from conference.access import public
from conference.mailer import mailbox

bp = Blueprint("mailbox", __name__, url_prefix="/dev/mailbox")
# A message's name is ``<secret:...>``: whoever has it reads the private links inside, so
# the logs show ``/dev/mailbox/<name>`` (``applog``).

# The HTML body's own page: no script, no request to anywhere, styles and images inline;
# framed by the mailbox's page only; links leave the frame for the whole window.
HTML_BODY_POLICY = "; ".join(
    [
        "sandbox allow-popups allow-popups-to-escape-sandbox "
        "allow-top-navigation-by-user-activation",
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "frame-ancestors 'self'",
        "form-action 'none'",
        "base-uri 'none'",
    ]
)
HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)
CID_SOURCE = re.compile(r"""(["'])cid:([^"'\s]+)\1""")
# Where the banner goes: after the skip link, before the site's header.
BANNER_BEFORE = '<header class="site-header"'


def _stored_or_404(name):
    stored = mailbox.read(name)
    if stored is None:
        abort(404)
    return stored


@bp.route("")
@public
def index():
    """Every message delivered to the mailbox, newest first."""
    folder = mailbox.directory()
    project = Path(current_app.root_path).parent
    if folder.is_relative_to(project):
        folder = folder.relative_to(project)
    return render_template("mailer/mailbox.html", messages=mailbox.messages(), folder=folder)


@bp.route("/<secret:name>")
@public
def message(name):
    """One message as its recipient sees it."""
    stored = _stored_or_404(name)
    return render_template(
        "mailer/mailbox_message.html",
        stored=stored,
        text=stored.body("plain"),
        has_html=stored.body("html") is not None,
        attachments=stored.attachments(),
    )


@bp.route("/<secret:name>/html")
@public
def html_body(name):
    """The message's HTML body, alone, under a policy that lets it do nothing but show."""
    stored = _stored_or_404(name)
    html = stored.body("html")
    if html is None:
        abort(404)
    html = _show_inline_images(html, stored.inline_images())
    base = '<base target="_top">'  # a link leaves the frame: the page it opens refuses frames
    if HEAD.search(html):
        html = HEAD.sub(lambda match: match.group(0) + base, html, count=1)
    else:
        html = base + html
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_BODY_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _show_inline_images(html, images):
    """``cid:`` images (the check-in QR code) shown as a mail client does: from the message
    itself, here as ``data:`` (the frame's policy allows no other image source)."""

    def data_uri(match):
        image = images.get(match[2])
        if image is None:
            return match[0]
        content_type, data = image
        encoded = base64.b64encode(data).decode("ascii")
        return f"{match[1]}data:{content_type};base64,{encoded}{match[1]}"

    return CID_SOURCE.sub(data_uri, html)


@bp.route("/<secret:name>/attachments/<int:number>")
@public
def attachment(name, number):
    """The message's ``number``-th attachment (from 1), as a download."""
    attachments = _stored_or_404(name).attachments()
    if number > len(attachments):
        abort(404)
    filename, content_type, data = attachments[number - 1]
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/<secret:name>.eml")
@public
def raw(name):
    """The message exactly as it was delivered, for a mail client to open."""
    data = mailbox.raw(name)
    if data is None:
        abort(404)
    response = Response(data, mimetype="message/rfc822")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.eml"'
    return response


def add_banner(response):
    """Put the development banner at the top of an HTML page (``after_request``)."""
    if (
        response.mimetype != "text/html"
        or response.status_code == 304
        or response.is_streamed
        or request.endpoint == "mailbox.html_body"
    ):
        return response
    page = response.get_data(as_text=True)
    if BANNER_BEFORE not in page:
        return response
    banner = render_template("mailer/_banner.html", count=mailbox.count())
    response.set_data(page.replace(BANNER_BEFORE, banner + BANNER_BEFORE, 1))
    # The count changes with every message: no cache may answer with this page.
    response.cache_control.public = False
    response.cache_control.s_maxage = None
    response.cache_control.no_cache = True
    response.headers.pop("ETag", None)
    return response


def forget_validators():
    """Ignore ``If-None-Match`` (``before_request``): a page's ETag does not cover the banner."""
    if request.endpoint != "static":
        request.environ.pop("HTTP_IF_NONE_MATCH", None)


def init_app(app):
    app.register_blueprint(bp)
    app.before_request(forget_validators)
    app.after_request(add_banner)
