"""Announcements: bulk email that organizers send to a group of attendees, in each
recipient's language, and the public unsubscribe link those emails carry."""


def init_app(app):
    from conference.announcements import (
        emails,  # noqa: F401 - registers its renderers with the outbox
        models,  # noqa: F401 - registers the table
        staff_views,
        views,
    )
    from conference.announcements.cli import broadcast_cli

    app.register_blueprint(staff_views.bp)
    app.register_blueprint(views.bp)  # /unsubscribe/<token>, outside /manage
    app.cli.add_command(broadcast_cli)
