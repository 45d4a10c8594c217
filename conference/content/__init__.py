"""Conference content: the facts file, its loader and the ``flask content`` commands."""


def init_app(app):
    from conference.content import models  # noqa: F401 - registers the tables
    from conference.content.cli import content_cli

    app.cli.add_command(content_cli)
    app.extensions["i18n.display_timezone"] = _conference_timezone


def _conference_timezone():
    from conference.content.services import current_conference

    conference = current_conference()
    return conference.timezone if conference else None
