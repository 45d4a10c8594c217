"""The organizers' back-office frame: the dashboard and its figures, the audit-log page and
the layout (templates/manage/base.html) every staff page extends.

Each feature keeps its own staff pages (``<feature>/staff_views.py``, under ``/manage``);
this package reads features' services, queries and models, never their views. Every page
declares its roles (``access``).
"""


def init_app(app):
    from conference.manage import audit_views, stats  # noqa: F401 - audit_views adds pages
    from conference.manage.staff_views import bp
    from conference.registration.staff_services import attendees_changed

    app.register_blueprint(bp)
    # Organizers' changes to seats and waiting lists show on the dashboard at once.
    attendees_changed.connect(stats.forget_numbers)
