"""The organizers' back-office frame: the dashboard and its figures, the audit-log page,
the display filters and the layout (templates/manage/base.html) every staff page extends.

Each feature keeps its own staff pages (``<feature>/staff_views.py``, under ``/manage``);
this package reads features' services, queries and models, never their views. Every page
declares its roles (``access``).
"""

from conference.manage.staff_views import bp  # noqa: F401 - still used by bulk and mailqueue


def init_app(app):
    # Each module adds its pages to ``bp`` when imported.
    from conference.manage import audit_views, bulk, display, mailqueue, stats  # noqa: F401
    from conference.registration.staff_services import attendees_changed

    app.register_blueprint(bp)
    app.register_blueprint(bulk.public_bp)  # /unsubscribe/<token>, outside /manage
    # Organizers' changes to seats and waiting lists show on the dashboard at once.
    attendees_changed.connect(stats.forget_numbers)
