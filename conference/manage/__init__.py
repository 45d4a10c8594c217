"""The organizers' back office: pages that span features (dashboard, attendees, exports,
bulk email, check-in, outbox, audit log). Every page declares its roles (``access``)."""

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")


def init_app(app):
    # Each module adds its pages to ``bp`` when imported.
    from conference.manage import (  # noqa: F401
        attendees,
        auditlog,
        bulk,
        checkin,
        dashboard,
        exports,
        mailqueue,
    )

    app.register_blueprint(bp)
    app.register_blueprint(bulk.public_bp)  # /unsubscribe/<token>, outside /manage
