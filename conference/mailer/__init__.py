"""Outgoing email: the outbox, its deliverers and the ``flask outbox``/``flask mail`` commands.

Features render a message with ``rendering.render_email`` and queue it with
``outbox.enqueue`` in the transaction of the change it reports. See ``outbox`` for
delivery and ``smtp`` for the hardened SMTP connection.
"""

import logging

from flask import g

log = logging.getLogger("conference.mailer")


def init_app(app):
    from conference.mailer import models  # noqa: F401 - registers the table
    from conference.mailer.cli import mail_cli, outbox_cli

    app.cli.add_command(outbox_cli)
    app.cli.add_command(mail_cli)

    if app.config["OUTBOX_DELIVER_AFTER_REQUEST"]:

        @app.after_request
        def deliver_after_response(response):
            # The embedded default has no deliverer process: send what this request
            # queued once the response has gone out, so the visitor never waits for SMTP.
            if g.get("outbox_enqueued"):
                response.call_on_close(lambda: _deliver_quietly(app))
            return response


def _deliver_quietly(app):
    from conference.mailer import outbox

    with app.app_context():
        try:
            outbox.deliver_pending()
        except Exception:  # never let mail trouble escape into the server
            log.exception("delivery after request failed")
