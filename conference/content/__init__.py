"""Conference content: the facts file, its loader and the ``flask content`` commands."""


def init_app(app):
    from conference.content import models  # noqa: F401 - registers the tables
    from conference.content.cli import content_cli

    app.cli.add_command(content_cli)
