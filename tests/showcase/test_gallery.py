"""The public showcase: the gallery by track, story pages with each text in its own
direction, sharing cards, hostile text made harmless, and only stories shown."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import sqlalchemy as sa

from conference.extensions import db
from conference.showcase import publication
from conference.showcase.models import Story, StoryStatus

from .conftest import AR, EN

HOSTILE_TITLE = 'Hi <script>alert(1)</script> "quoted" \u202egnp.exe\u200b</title>'
HOSTILE_BODY = (
    "<img src=x onerror=alert(1)> [click](javascript:alert(1)) "
    '<a href="javascript:alert(2)" onclick="alert(3)">x</a>\n\n'
    "\u202eevil\u202c hidden\u200bword \U000e0041 </script><script>alert(4)</script>"
)


class Tags(HTMLParser):
    """Every attribute of every tag, and the type of every script block, as parsed."""

    def __init__(self):
        super().__init__()
        self.attributes, self.scripts = [], []

    def handle_starttag(self, tag, attrs):
        self.attributes.extend(attrs)
        if tag == "script":
            self.scripts.append(dict(attrs).get("type"))


def test_the_gallery_shows_the_labelled_samples_and_filters_by_track(app, client, conference):
    everything = client.get("/stories", headers=EN)
    arts = client.get("/stories?track=arts", headers=AR)
    unknown = client.get("/stories?track=nonsense")
    too_far = client.get("/stories?page=0")

    html = everything.get_data(as_text=True)
    assert everything.status_code == 200
    assert html.count('<li class="story-card') == 6
    assert html.count("Sample story") == 6
    assert 'srcset="/media/' in html
    assert re.search(
        r'<img src="/media/[^"]+" srcset="[^"]+" sizes="[^"]+" width="\d+" height=', html
    )
    arabic = arts.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic
    assert arabic.count('<li class="story-card') == 2
    assert 'aria-current="page">الفنون' in arabic
    assert unknown.status_code == 404
    assert too_far.status_code == 404


def test_an_english_story_on_the_arabic_site_reads_left_to_right(app, client, story_in_state):
    story = story_in_state(
        status=StoryStatus.approved,
        other_title="من حلب إلى أوهايو",
        other_body="افتتحنا **مخبزًا**.",
    )

    html = client.get(f"/stories/{story.id}", headers=AR).get_data(as_text=True)
    only_english = story_in_state(status=StoryStatus.approved, title="Only English")
    single = client.get(f"/stories/{only_english.id}", headers=AR).get_data(as_text=True)

    assert '<html lang="ar" dir="rtl">' in html
    assert 'class="story__texts story__texts--both"' in html
    arabic_at = html.index('<section class="story__text" lang="ar" dir="rtl"')
    english_at = html.index('<section class="story__text" lang="en" dir="ltr"')
    assert arabic_at < english_at  # the reader's language first, side by side
    assert "<strong>مخبزًا</strong>" in html
    assert '<section class="story__text" lang="en" dir="ltr"' in single
    assert "story__texts--both" not in single
    assert 'alt="A bakery&#39;s counter"' in html


def test_hostile_story_text_is_harmless_on_every_page(app, client, story_in_state, login_as):
    story = story_in_state(
        status=StoryStatus.approved,
        title=HOSTILE_TITLE,
        body=HOSTILE_BODY,
        links=["javascript:alert(5)", "https://example.org/bakery"],
    )
    story.featured = True
    publication.refresh(story)
    db.session.commit()

    pages = {
        "gallery": client.get("/stories").get_data(as_text=True),
        "story": client.get(f"/stories/{story.id}").get_data(as_text=True),
        "home": client.get("/").get_data(as_text=True),
    }

    for name, html in pages.items():
        assert "<script>alert" not in html, name
        tags = Tags()
        tags.feed(html)
        assert not [a for a in tags.attributes if a[0].startswith("on")], name
        links = [value for key, value in tags.attributes if key in ("href", "src", "action")]
        assert not [link for link in links if "javascript:" in link.lower()], name
        assert tags.scripts == ["application/ld+json"] * (name == "story"), name
        for hidden in ("\u202e", "\u200b", "\U000e0041"):
            assert hidden not in html, name
        assert '</title>" ' not in html, name
    story_page = pages["story"]
    assert '<a href="https://example.org/bakery" rel="nofollow noopener ugc">' in story_page
    assert "javascript:alert(5)" not in story_page
    data = re.search(r'<script type="application/ld\+json">(.*?)</script>', story_page, re.S)[1]
    assert "<" not in data  # </script> cannot end the block early
    parsed = json.loads(data)
    assert parsed["@type"] == "Article"
    assert "<script>" in parsed["headline"]  # text, escaped: shown, never run
    og = re.search(r'<meta property="og:title" content="([^"]*)">', story_page)[1]
    assert "<" not in og
    assert '"' not in og


def test_a_story_page_has_its_sharing_card(app, client, story_in_state):
    story = story_in_state(status=StoryStatus.approved)

    html = client.get(f"/stories/{story.id}", headers=EN).get_data(as_text=True)

    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:title" content="From Aleppo to Ohio">' in html
    assert f'content="http://conference.test/stories/{story.id}"' in html
    assert re.search(r'<meta property="og:image" content="http://conference.test/media/', html)
    assert '<meta property="og:image:alt" content="A bakery&#39;s counter">' in html
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1]
    )
    assert data["headline"] == "From Aleppo to Ohio"
    assert data["inLanguage"] == "en"
    assert data["about"] == {"@type": "Person", "name": "Rania Al-Khatib"}


def test_only_approved_consented_stories_are_public(app, client, story_in_state):
    hidden = [
        story_in_state(),
        story_in_state(status=StoryStatus.rejected),
        story_in_state(status=StoryStatus.approved, public=False, sponsors=True),
        story_in_state(status=StoryStatus.withdrawn),
    ]
    gallery = client.get("/stories").get_data(as_text=True)

    for story in hidden:
        response = client.get(f"/stories/{story.id}", headers=EN)
        assert response.status_code == 404
        assert "This story is not available" in response.get_data(as_text=True)
        assert f'/stories/{story.id}"' not in gallery
    assert client.get("/stories/99999999").status_code == 404


def test_a_consent_end_date_takes_the_story_off_by_itself(app, client, story_in_state, monkeypatch):
    from conference.showcase import cli

    story = story_in_state(status=StoryStatus.approved)
    today = publication.conference_today(story.conference)
    story.consent_until = today
    db.session.commit()
    key = story.photos[0].image_key
    before = client.get(f"/stories/{story.id}")
    version = story.conference.content_version

    tomorrow = publication.utcnow() + timedelta(days=1)
    monkeypatch.setattr("conference.site.pages.utcnow", lambda: tomorrow)
    after = client.get(f"/stories/{story.id}")
    gallery = client.get("/stories").get_data(as_text=True)
    changed = cli.refresh_all(story.conference, today=today + timedelta(days=1))
    db.session.commit()

    assert before.status_code == 200
    assert after.status_code == 404
    assert "From Aleppo to Ohio" not in gallery
    assert changed == 1
    assert client.get(f"/media/{key}-400.webp").status_code == 404
    assert db.session.scalar(sa.select(Story.consent_until).filter_by(id=story.id)) == today
    assert version  # nothing had to move it: pages are keyed by the date
