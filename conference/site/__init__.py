"""Public pages: the conference page, the pages that open later, language switch, health."""


def init_app(app):
    from conference.site.views import bp

    app.register_blueprint(bp)
