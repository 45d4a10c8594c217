"""Hostile SVG logos are refused with a translated message, or made safe; what is kept is
checked byte by byte. PNG logos are re-encoded with nothing of the original file."""

import io

import pytest
from PIL import Image

from conference.sponsors import logos, svg

from .helpers import SVG_OK, png

NS = 'xmlns="http://www.w3.org/2000/svg"'
XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink"'

REFUSED = {
    "script": f"<svg {NS}><script>alert(1)</script></svg>",
    "script in a group": f"<svg {NS}><g><g><script>alert(1)</script></g></g></svg>",
    "onload": f'<svg {NS} onload="alert(1)"><rect width="1" height="1"/></svg>',
    "onclick deep": f'<svg {NS}><g><rect onclick="alert(1)"/></g></svg>',
    "external href": f'<svg {NS}><use href="https://evil.example/x.svg#a"/></svg>',
    "xlink:href http": f'<svg {NS} {XLINK}><use xlink:href="http://evil.example/a#b"/></svg>',
    "javascript link": f'<svg {NS} {XLINK}><a xlink:href="javascript:alert(1)"><rect/></a></svg>',
    "foreignObject": (
        f"<svg {NS}><foreignObject><div xmlns='http://www.w3.org/1999/xhtml'>"
        "<script>alert(1)</script></div></foreignObject></svg>"
    ),
    "billion laughs": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        f"<svg {NS}><text>&lol3;</text></svg>"
    ),
    "external entity": (
        '<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f"<svg {NS}><text>&xxe;</text></svg>"
    ),
    "doctype": (
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
        f'<svg {NS}><rect width="1" height="1"/></svg>'
    ),
    "style url": f"<svg {NS}><style>rect {{ fill: url(https://evil.example/x) }}</style></svg>",
    "style import": f"<svg {NS}><style>@import 'https://evil.example/a.css';</style></svg>",
    "style escape": f"<svg {NS}><style>rect {{ fill: u\\72l(//evil.example) }}</style></svg>",
    "style attribute url": f'<svg {NS}><rect style="fill:url(//evil.example/a)"/></svg>',
    "fill url": f'<svg {NS}><rect fill="url(https://evil.example/#g)"/></svg>',
    "data image": f'<svg {NS}><image href="data:image/png;base64,iVBORw0KGgo="/></svg>',
    "data use": f'<svg {NS}><use href="data:image/svg+xml;base64,PHN2Zz4="/></svg>',
    "iframe": f"<svg {NS}><iframe src='https://evil.example'/></svg>",
    "not svg": "<html><body>hi</body></html>",
    "not xml": "<svg this is not xml",
    "empty": "   ",
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_hostile_svgs_are_refused_with_a_translated_message(app, name):
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        with pytest.raises(logos.LogoRefused) as refused:
            logos.prepare(REFUSED[name].encode())
        message = str(refused.value)
    assert message
    assert not message.isascii()


def test_what_is_not_drawing_is_dropped_and_the_rest_rebuilt(app):
    hostile = (
        '<?xml version="1.0"?><!-- a comment --><?pi x?>'
        f'<svg {NS} {XLINK} xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
        'width="120" height="60" inkscape:version="1.0">'
        "<metadata><rdf>x</rdf></metadata>"
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>'
        '<animate attributeName="fill" to="red"/>'
        '<a href="#top"><rect width="10" height="10" fill="url(#g)" data-x="1"/></a>'
        '<use xlink:href="#g"/><text x="1" y="2" font-size="9">Acme <tspan>Co</tspan> ok</text>'
        "</svg>"
    )
    with app.test_request_context():
        kind, text = logos.prepare(hostile.encode())

    assert kind == "svg"
    assert text == (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" viewBox="0 0 120 60">'
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff" /></linearGradient>'
        '</defs><rect width="10" height="10" fill="url(#g)" /><use href="#g" />'
        '<text x="1" y="2" font-size="9">Acme <tspan>Co</tspan> ok</text></svg>'
    )
    for gone in ("comment", "<?", "metadata", "inkscape", "animate", "data-x", "<a"):
        assert gone not in text


def test_a_plain_svg_keeps_its_drawing(app):
    with app.test_request_context():
        kind, text = logos.prepare(b"\xef\xbb\xbf\n" + SVG_OK)
    assert kind == "svg"
    assert '<rect width="200" height="100" fill="#007a3d" />' in text
    assert svg.size_of(text, 80) == (160, 80)


def test_a_png_logo_is_reencoded_without_its_metadata(app):
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x8825] = {1: "N"}  # GPS
    data = png(size=(600, 300), exif=exif)
    assert b"SecretCameraMaker" in data

    with app.test_request_context():
        kind, variants = logos.prepare(data)

    assert kind == "raster"
    assert [(v.width, v.height) for v in variants] == [(200, 100), (400, 200)]
    for variant in variants:
        assert b"SecretCameraMaker" not in variant.data
        picture = Image.open(io.BytesIO(variant.data))
        assert picture.format == "WEBP"
        assert not picture.getexif()


def test_a_file_that_is_no_image_is_refused(app):
    with app.test_request_context():
        with pytest.raises(logos.LogoRefused):
            logos.prepare(b"MZ\x90\x00 not an image at all")
