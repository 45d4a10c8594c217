"""Sponsors: their accounts and the sponsor portal (the showcase, impact by track in
figures no one can be identified from, a printable summary), and the organizers' pages
to edit sponsors, tiers and logos.
"""


def init_app(app):
    from conference.sponsors import models  # noqa: F401 - tables
    from conference.sponsors.portal_views import bp as portal_bp

    app.register_blueprint(portal_bp)
