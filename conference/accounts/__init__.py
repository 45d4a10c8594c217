"""Staff accounts: sign-in with password and authenticator, invitations, roles."""


def init_app(app):
    from conference.accounts import (
        emails,  # noqa: F401 - registers the invitation's renderer
        models,  # noqa: F401 - registers the tables
        sessions,
    )
    from conference.accounts.cli import users_cli
    from conference.accounts.views import bp
    from conference.extensions import login_manager

    login_manager.init_app(app)
    login_manager.user_loader(sessions.load)
    app.after_request(sessions.note_seen)
    login_manager.login_view = "accounts.login"
    # Session protection is the SESSION_PROTECTION setting (config.py): "basic".
    app.register_blueprint(bp)
    app.cli.add_command(users_cli)
