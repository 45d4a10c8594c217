"""Outgoing email: the outbox, its deliverers and the ``flask outbox``/``flask mail`` commands.

Features queue what to send (``outbox.Intent``) with ``outbox.enqueue`` in the
transaction of the change it reports, and register a renderer for each kind of message
(``@outbox.renderer``) that turns it into an email with ``rendering.render_email`` when
the deliverer sends it. ``outbox`` gathers those names; the parts are ``intents``
(queueing), ``renderers``, ``delivery``, ``mime`` (the message on the wire), ``admin``
(counts and retries, for ``staff_views``, the outbox page, and ``cli``) and ``smtp`` (the
hardened SMTP connection).
"""

import logging
import threading

log = logging.getLogger("conference.mailer")


def init_app(app):
    from conference.mailer import (
        models,  # noqa: F401 - registers the table
        samples,  # noqa: F401 - registers its renderer
        staff_views,
    )
    from conference.mailer.cli import mail_cli, outbox_cli
    from conference.mailer.intents import delivery_requested
    from conference.mailer.smtp import mail

    mail.init_app(app)
    app.register_blueprint(staff_views.bp)  # the outbox page, under /manage
    app.cli.add_command(outbox_cli)
    app.cli.add_command(mail_cli)
    if app.config["DEV_MAILBOX"]:  # development only: config refuses it in production
        from conference.mailer import mailbox_views

        mailbox_views.init_app(app)

    if app.config["OUTBOX_DELIVER_AFTER_REQUEST"]:
        deliverer = BackgroundDeliverer(app)
        app.extensions["outbox_deliverer"] = deliverer

        @app.after_request
        def deliver_after_response(response):
            # The embedded default has no deliverer process: a thread of this process
            # sends what the request queued, after the commit and without making the
            # visitor wait for SMTP; it also retries what failed earlier.
            if delivery_requested():
                deliverer.wake()
            return response


class BackgroundDeliverer:
    """One daemon thread per process that delivers when woken, and every so often."""

    def __init__(self, app, interval=30.0):
        self.app = app
        self.interval = interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = None

    def wake(self):
        """Ask for a delivery pass soon (starts the thread on first use)."""
        with self._lock:
            if self._stopping.is_set():
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="outbox-deliverer", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _run(self):
        from conference.mailer.delivery import deliver_pending

        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stopping.is_set():
                return
            with self.app.app_context():
                try:
                    deliver_pending()
                except Exception:  # never let mail trouble end the thread
                    log.exception("background delivery failed")

    def stop(self, timeout=10.0):
        """End the thread after its current pass, and wait for it; no thread is started again.

        For whoever disposes of an app within a living process (the tests): a thread left
        behind would go on delivering from a database that is gone.
        """
        with self._lock:
            self._stopping.set()
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout)
