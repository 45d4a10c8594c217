"""Attendee registration: the form, seats and waiting lists, the private manage link, and
the organizers' attendee pages, capacities and exports (``staff_views``)."""


def init_app(app):
    from conference.content.services import CapacityRules, install_capacity_rules
    from conference.registration import email_change, emails, models  # noqa: F401 - tables, renderers
    from conference.registration.cli import check_command, registrations_cli
    from conference.registration.demo import demo_cli
    from conference.registration.errors import RegistrationError
    from conference.registration.import_views import bp as import_bp
    from conference.registration.seats import apply_capacity, lock_tracks
    from conference.registration.staff_views import bp as staff_bp
    from conference.registration.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(import_bp)
    app.cli.add_command(registrations_cli)
    app.cli.add_command(check_command)
    app.cli.add_command(demo_cli)
    # Loading the content file changes capacities under these seat rules (content never
    # imports registration: see ``content.services``).
    install_capacity_rules(
        app,
        CapacityRules(
            lock_tracks=lock_tracks, apply_capacity=apply_capacity, refused=RegistrationError
        ),
    )
