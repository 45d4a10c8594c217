"""Uploaded images: re-encoded variants, stored in the database, served only while visible."""

import io

import pytest
from PIL import Image

from conference import images
from conference.extensions import db


def png(width, height, colour=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def test_variants_are_webp_at_the_widths_never_enlarged(app):
    variants = images.process(png(1000, 500))
    assert [(v.width, v.height) for v in variants] == [(400, 200), (800, 400), (1000, 500)]
    for variant in variants:
        decoded = Image.open(io.BytesIO(variant.data))
        assert decoded.format == "WEBP"
        assert decoded.size == (variant.width, variant.height)


def test_a_small_image_keeps_its_size(app):
    variants = images.process(png(120, 90))
    assert [(v.width, v.height) for v in variants] == [(120, 90)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The selected file is empty"),
        (b"#!/bin/sh\necho hi\n", "The selected file must be a JPG, PNG or WebP photo"),
        (b"GIF89a" + b"\x00" * 40, "The selected file must be a JPG, PNG or WebP photo"),
    ],
)
def test_what_is_not_a_photo_is_refused_with_a_reason(app, data, message):
    with pytest.raises(images.ImageRefused) as refused:
        images.process(data)
    assert str(refused.value) == message


def test_the_byte_and_pixel_limits_hold(app):
    with pytest.raises(images.ImageRefused, match="smaller than 1 MB"):
        images.process(png(10, 10) + b"\x00" * 2_000_000, max_bytes=1024 * 1024)
    with pytest.raises(images.ImageRefused, match="too many pixels"):
        images.process(png(2000, 1000), max_pixels=1_000_000)


def test_an_image_is_served_only_while_visible(app, client):
    key = images.store(images.process(png(500, 250)))
    db.session.commit()
    widths = images.sizes_of([key])[key]
    assert widths == [(400, 200), (500, 250)]
    path = images.media_url(key, 400)

    assert client.get(path).status_code == 404  # stored hidden
    images.set_visible([key], True)
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in response.headers["Cache-Control"]
    assert Image.open(io.BytesIO(response.data)).size == (400, 200)

    images.set_visible([key], False)
    db.session.commit()
    assert client.get(path).status_code == 404
    images.delete([key])
    db.session.commit()
    assert images.sizes_of([key]) == {}
    assert client.get(images.media_url(key, 500)).status_code == 404
    assert client.get(images.media_url("x" * 24, 400)).status_code == 404


def test_the_img_tag_has_srcset_and_dimensions():
    tag = str(
        images.img_tag("k" * 24, [(400, 200), (800, 400)], alt='A "quoted" <b>', sizes="50vw")
    )
    assert 'srcset="/media/kkkkkkkkkkkkkkkkkkkkkkkk-400.webp 400w, ' in tag
    assert 'width="800" height="400"' in tag
    assert 'alt="A &#34;quoted&#34; &lt;b&gt;"' in tag
    assert 'loading="lazy"' in tag
    assert images.img_tag("k", [], alt="x") == ""
