"""Development tools: ``flask dev prepare`` and ``flask dev run`` (what ``make run`` calls).

The development mailbox itself belongs to the mailer (``mailer/mailbox.py``); this package
only prepares and serves a development site. Nothing in it runs in production.
"""


def init_app(app):
    from conference.development.cli import dev_cli

    app.cli.add_command(dev_cli)
