"""The conference page's block of featured stories (``site.pages.home_block``).

Rendered inside the conference page's cached render: the page is keyed by the content
version (featuring or unfeaturing a story moves it) and by the conference's date.
"""

from flask import render_template

from conference.showcase import gallery, publication


def featured_block(conference):
    """The featured stories shown today, or a link to the gallery; ``""`` when none is shown."""
    today = publication.conference_today(conference)
    stories = gallery.featured(conference, today)
    if not stories and not gallery.any_shown(conference, today):
        return ""
    sizes = gallery.photo_sizes(stories)
    return render_template(
        "showcase/_home_block.html", cards=[gallery.card(story, sizes) for story in stories]
    )
