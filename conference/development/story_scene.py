"""The scene's success stories (``scene.build_scene``): one sent through the form's
service by an adult, with its private link, and one about a young person whose guardian
has not answered yet, with the guardian's link."""

from conference.extensions import db
from conference.showcase import submission
from conference.showcase.models import TokenPurpose


def add_stories(scene, conference):
    """Send the scene's stories and keep their private links on ``scene``."""
    story = submission.submit(
        conference,
        title="جوقة في ديربورن",
        body="أسست رانيا جوقة للأطفال.\n\nتغني اليوم **بثلاث** لغات.",
        language="ar",
        other_title="A choir in Dearborn",
        other_body="Rania started a children's choir.\n\nIt now sings in three languages.",
        person_name="رانيا الخطيب",
        track_key="arts",
        submitter_name="عمر الحلبي",
        submitter_email="omar@example.org",
        email_language="ar",
        credit="full_name",
        consent_public=True,
        consent_sponsors=True,
        links=["https://example.org/choir"],
        shown_language="ar",
    )
    young = submission.submit(
        conference,
        title="A young painter",
        body="Yara paints murals with her school.",
        language="en",
        person_name="Yara Khoury",
        track_key="arts",
        submitter_name="Sam Haddad",
        submitter_email="sam.haddad@example.org",
        email_language="en",
        credit="initials",
        consent_public=True,
        consent_sponsors=False,
        subject_is_minor=True,
        guardian_name="Sami Khoury",
        guardian_email="sami.khoury@example.org",
        shown_language="en",
    )
    scene.story_token = submission.mint_token(story)
    scene.story_guardian_token = submission.mint_token(young, TokenPurpose.guardian)
    db.session.commit()
