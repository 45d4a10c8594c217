"""The For Syria conference app.

``create_app`` is a table of contents: configuration, extensions, then each feature's
``init_app``. Nothing here opens a network connection or touches the database.
"""

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None):
    """Create and configure an instance of the conference app."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )

    from conference import config

    config.load(app, test_config)

    from conference import (
        access,
        accounts,
        announcements,
        applog,
        backup,
        calendar,
        checkin,
        content,
        database,
        development,
        errors,
        i18n,
        images,
        mailer,
        manage,
        pagecache,
        registration,
        security,
        showcase,
        site,
        sponsors,
        static,
        timing,
        urls,
        volunteers,
        web,
    )
    from conference.extensions import cache, csrf, db, limiter, migrate

    urls.init_app(app)  # before any route is added
    applog.init_app(app)
    timing.init_app(app)
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    cache.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    pagecache.init_app(app)  # inside the proxy fix: it sees the visitor's scheme and host
    security.init_app(app)
    access.init_app(app)
    static.init_app(app)
    web.init_app(app)
    errors.init_app(app)
    images.init_app(app)
    for feature in (
        content,
        mailer,
        site,
        calendar,
        registration,
        checkin,
        accounts,
        announcements,
        volunteers,
        showcase,
        sponsors,
        manage,
        backup,
    ):
        feature.init_app(app)
    development.init_app(app)  # flask dev prepare / run (make run)
    applog.redact_secret_paths(app)  # once every route is known

    return app
