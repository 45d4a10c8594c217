"""Story text: a small Markdown subset, nothing that runs, hides or reorders."""

from conference import richtext


def test_the_subset_renders():
    html = str(
        richtext.render(
            "Hello *you* and **all**\n\n- one\n- two\n\n> quoted\n\n[site](https://example.org)"
        )
    )
    assert "<em>you</em>" in html
    assert "<strong>all</strong>" in html
    assert "<li>one</li>" in html
    assert "<blockquote>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow ugc">site</a>' in html


def test_nothing_runs():
    hostile = (
        "<script>alert(1)</script> <img src=x onerror=alert(2)> "
        "[click](javascript:alert(3)) [data](data:text/html,<script>alert(4)</script>) "
        '<a href="javascript:alert(5)">x</a> <iframe src="https://evil.example"></iframe>'
    )
    html = str(richtext.render(hostile))
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "<a " not in html  # neither link survives as a link
    assert "&lt;script&gt;" in html  # shown as text


def test_hidden_and_reordering_characters_go_and_joiners_stay():
    value = "a\u202eb\u2066c\u200bd\U000e0041e\u200df\u200cg\x07h"
    assert richtext.plain(value) == "abcde\u200df\u200cgh"
    assert "\u202e" not in str(richtext.render(value))


def test_an_excerpt_is_plain_and_short():
    assert richtext.excerpt("# Title\n\nSome **bold** text") == "Title Some bold text"
    long = "word " * 100
    excerpt = richtext.excerpt(long, length=50)
    assert excerpt.endswith("…")
    assert len(excerpt) <= 51
