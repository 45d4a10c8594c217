"""Flask-Mail with the two things it lacks: an SMTP timeout and verified TLS.

Flask-Mail 0.10 opens ``smtplib.SMTP(server, port)`` with no timeout (an unreachable
server hangs the caller for minutes) and calls ``starttls()`` without a context, which on
Python 3.11 means an unverified certificate. This mirrors ``Connection.configure_host``
of 0.10 with both added; the MIME-shape tests pin the behaviour we rely on.
"""

import functools
import smtplib
import ssl

from flask import current_app
from flask_mail import Connection, Mail


@functools.cache
def tls_context():
    """One verifying TLS context per process: building it loads the CA store (~30 ms)."""
    return ssl.create_default_context()


class SafeConnection(Connection):
    """An SMTP connection with a timeout and a certificate-verifying TLS context."""

    def configure_host(self):
        config = current_app.config
        timeout = float(config["MAIL_TIMEOUT"])
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(
                self.mail.server,
                self.mail.port,
                timeout=timeout,
                context=tls_context(),
                local_hostname=config["MAIL_EHLO_NAME"],
            )
        else:
            host = smtplib.SMTP(
                self.mail.server,
                self.mail.port,
                timeout=timeout,
                local_hostname=config["MAIL_EHLO_NAME"],
            )
        try:
            host.set_debuglevel(int(self.mail.debug))
            if self.mail.use_tls:
                host.starttls(context=tls_context())
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def __exit__(self, exc_type, exc_value, traceback):
        # A server that already dropped the connection cannot be told QUIT.
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()


class SafeMail(Mail):
    def connect(self):
        app = getattr(self, "app", None) or current_app
        if app.config["DEV_MAILBOX"]:  # development: .eml files instead of SMTP
            from conference.mailer.mailbox import MailboxConnection

            return MailboxConnection(app.extensions["mail"])
        return SafeConnection(app.extensions["mail"])


# Bound to the app by ``conference.mailer.init_app``.
mail = SafeMail()
