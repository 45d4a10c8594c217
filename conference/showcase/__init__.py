"""The success-story showcase: public submission with recorded, scoped, revocable
consent; the submitter's private link; moderation; the public gallery and story pages.
"""


def init_app(app):
    from conference.showcase import models  # noqa: F401 - tables
