"""Volunteers: roles and shifts by track, the public sign-up with its rules, the
volunteer's private link, and the coordinators' pages.

``rules`` says why a shift is refused (pure); ``services`` applies it under locks;
``seed`` loads roles and shifts from the content files; ``emails`` queues and renders
the messages; ``views`` (public sign-up), ``private_views`` (the volunteer's link, the
guardian's confirmation, the calendar feed, the certificate) and ``staff_views`` (the
coordinators' board, teams, attendance, exports) are the pages.
"""


def init_app(app):
    from conference.content.services import install_section
    from conference.registration.invariants import install_check
    from conference.volunteers import emails, models  # noqa: F401 - tables, renderers
    from conference.volunteers.certificate import bp as certificate_bp
    from conference.volunteers.cli import volunteers_cli
    from conference.volunteers.feed import bp as feed_bp
    from conference.volunteers.invariants import check as check_invariants
    from conference.volunteers.private_views import bp as private_bp
    from conference.volunteers.seed import load_section
    from conference.volunteers.setup_views import bp as setup_bp
    from conference.volunteers.staff_views import bp as staff_bp
    from conference.volunteers.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(private_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(feed_bp)
    app.register_blueprint(certificate_bp)
    app.register_blueprint(setup_bp)
    app.cli.add_command(volunteers_cli)
    # Roles and shifts load with the content files (content never imports us).
    install_section(app, load_section)
    # ``flask check`` checks the shifts too (registration never imports us).
    install_check(app, check_invariants)
