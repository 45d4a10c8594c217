"""Sponsors: their accounts and the sponsor portal (the showcase, impact by track in
figures no one can be identified from, a printable summary), and the organizers' pages
to edit sponsors, tiers and logos.

``loader`` loads tiers and sponsors with the content files (a section of every load);
``svg`` makes SVG logos safe and ``logos`` keeps either kind; ``services`` holds the
organizers' changes; ``views`` is the public sponsors page and the SVG logos,
``staff_views`` the organizers' pages.
"""


def init_app(app):
    from conference.content.services import install_section
    from conference.sponsors import models  # noqa: F401 - tables
    from conference.sponsors.loader import load_section
    from conference.sponsors.portal_views import bp as portal_bp
    from conference.sponsors.staff_views import bp as staff_bp
    from conference.sponsors.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(portal_bp)
    # Tiers and sponsors load with the content files (content never imports us).
    install_section(app, load_section)
