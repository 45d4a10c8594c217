"""Check-in at the entrance: the desk's pages, finding people, arrivals per track.

The check-in code each confirmation carries is registration's
(``registration.checkin_code``): this feature reads it, never mints it.
"""


def init_app(app):
    from conference.checkin.staff_views import bp

    app.register_blueprint(bp)
