"""The success-story showcase: public submission with recorded, scoped, revocable
consent; the submitter's private link; moderation; the public gallery and story pages.
"""


def init_app(app):
    from conference import richtext
    from conference.content.services import install_section
    from conference.showcase import (
        cli,
        emails,  # noqa: F401 - its renderers
        gallery_views,
        home,
        models,  # noqa: F401 - tables
        moderation_emails,  # noqa: F401 - its renderer
        samples,
        staff_views,
    )
    from conference.showcase.views import bp
    from conference.site import pages

    app.register_blueprint(bp)
    # The labelled sample stories load with the sample programme (content never imports us).
    install_section(app, samples.load_section)
    # Whatever a story's one-line texts hold, pages show them without hidden characters.
    app.jinja_env.filters["story_text"] = richtext.plain
    app.register_blueprint(gallery_views.bp)
    app.register_blueprint(staff_views.bp)
    app.cli.add_command(cli.showcase)
    # The featured stories on the conference page (the site may not import us).
    pages.home_block(app, home.featured_block)
