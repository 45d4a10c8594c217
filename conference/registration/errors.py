"""What the registration rules raise: errors users may read, and ``Busy`` (never shown)."""

from flask_babel import lazy_gettext as _l


class RegistrationError(Exception):
    """A registration rule was broken. The message is safe to show to users."""


class RegistrationEnded(RegistrationError):
    """The registration was cancelled or erased, perhaps a moment ago by a twin request.

    ``status`` says which, so that a page can answer as the cancellation did.
    """

    def __init__(self, registration):
        super().__init__(_l("This registration is cancelled."))
        self.status = registration.status


class Busy(Exception):
    """A promotion met a registration locked by its own change: the transaction must start
    again (``retrying``) once that change is done. Never reaches users."""
