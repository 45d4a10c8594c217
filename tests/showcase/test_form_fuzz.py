"""Answers no browser would send: every field of the story forms given something odd
gets a page in words (400 or a redirect), never a 500."""

import pytest

from .conftest import answers, make_story, manage_token

ODD = ["", "\x00", "x" * 20_000, "\u202e" * 10, "٣", "javascript:alert(1)", "<script>", "%00"]


@pytest.mark.parametrize("value", ODD)
def test_the_submission_form_answers_odd_values_in_words(client, conference, value):
    for field in (
        "title",
        "body",
        "language",
        "other_title",
        "person_name",
        "track",
        "link_1",
        "minor",
        "guardian_email",
        "credit",
        "places",
        "until",
        "email",
        "email_language",
        "submission_id",
        "alt_1",
    ):
        response = client.post("/stories/submit", data=answers(**{field: value}))
        assert response.status_code in (303, 400), (field, value, response.status_code)


def test_the_private_forms_answer_odd_values_in_words(client, conference):
    token = manage_token(make_story(conference))
    for value in ODD:
        for path, field in (
            ("edit", "title"),
            ("edit", "body"),
            ("edit", "alts-0"),
            ("edit", "link_2"),
            ("consent", "credit"),
            ("consent", "places"),
            ("consent", "until"),
        ):
            response = client.post(f"/stories/mine/{token}/{path}", data={field: value})
            assert response.status_code in (303, 400), (path, field, value)
    response = client.post("/stories/guardian/x", data={"decision": "confirm"})
    assert response.status_code == 404
