"""Attendee registration: the form, seats and waiting lists, the private manage link."""


def init_app(app):
    from conference.registration import emails, models  # noqa: F401 - tables, renderers
    from conference.registration.cli import check_command, registrations_cli
    from conference.registration.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(registrations_cli)
    app.cli.add_command(check_command)
