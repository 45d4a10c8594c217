"""The success-story showcase: public submission with recorded, scoped, revocable
consent; the submitter's private link; moderation; the public gallery and story pages.
"""


def init_app(app):
    from conference.content.services import install_section
    from conference.showcase import emails, models, samples  # noqa: F401 - tables, renderers
    from conference.showcase.views import bp

    app.register_blueprint(bp)
    # The labelled sample stories load with the sample programme (content never imports us).
    install_section(app, samples.load_section)
