"""The organizers' back office: pages that span features (dashboard, attendees, exports,
check-in, audit log). Every page declares its roles (``access``). Features with pages of
their own here (announcements, the mailer's outbox) register their own blueprints."""

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")


def init_app(app):
    # Each module adds its pages to ``bp`` when imported.
    from conference.manage import (  # noqa: F401
        attendees,
        auditlog,
        checkin,
        dashboard,
        exports,
    )

    app.register_blueprint(bp)
