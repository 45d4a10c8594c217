"""Calendars: the programme as .ics files, 'add to calendar' links, emailed invitations.

``ics`` and ``links`` are pure (plain values in, bytes or URLs out); ``services`` builds
their input from the content tables; ``views`` serves the public files. Templates call
``calendar_links(conference)`` or ``calendar_links(conference, session)``.
"""


def init_app(app):
    from conference.calendar.views import bp, page_links

    app.register_blueprint(bp)
    app.jinja_env.globals["calendar_links"] = page_links
