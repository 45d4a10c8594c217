"""Sponsors' SVG logos, made safe: parsed without entities or a DOCTYPE, then rebuilt from
an allowlist of plain drawing elements and attributes.

An SVG is a document that can run script, load other documents and style itself from
elsewhere, so nothing of the uploaded file is served as uploaded. ``defusedxml`` parses it
and refuses any DOCTYPE, entity or external reference (the "billion laughs" among them);
then every element and attribute is checked:

- refused, with a message saying why (the organizer can fix the file): script,
  ``foreignObject``, embedded images and frames, event handlers (``on…``), a link that
  is not a reference inside the file (``#id``: no ``http:``, ``javascript:`` or ``data:``),
  ``url(…)`` other than ``url(#id)``, ``@import`` and CSS escapes in styles;
- dropped, silently: anything else not on the allowlist (an editor's metadata, its own
  namespaces, animations), with everything inside it;
- kept: shapes, paths, text, groups, gradients, clip paths and masks, and their
  presentation attributes. ``xlink:href`` becomes ``href``.

What is left is serialised anew (comments and processing instructions are gone) and
served on its own URL with a policy that allows no script and no fetch at all
(``views.logo_svg``).
"""

import re
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from flask_babel import lazy_gettext as _l

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
MAX_BYTES = 256 * 1024
MAX_ELEMENTS = 5000

ET.register_namespace("", SVG)

ELEMENTS = {
    "svg", "g", "defs", "title", "desc", "symbol", "use", "path", "rect", "circle",
    "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern", "style",
}  # fmt: skip
# Elements that can run script, show another document or fetch something: refused.
REFUSED = {
    "script", "foreignObject", "image", "iframe", "embed", "object", "audio", "video",
    "handler", "listener", "feImage", "discard",
}  # fmt: skip
ATTRIBUTES = {
    "id", "class", "style", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
    "fx", "fy", "fr", "dx", "dy", "width", "height", "d", "points", "transform", "viewBox",
    "preserveAspectRatio", "version", "fill", "fill-opacity", "fill-rule", "stroke",
    "stroke-width", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
    "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity", "clip-path",
    "clip-rule", "mask", "color", "display", "visibility", "font-family", "font-size",
    "font-weight", "font-style", "font-variant", "text-anchor", "dominant-baseline",
    "alignment-baseline", "baseline-shift", "letter-spacing", "word-spacing",
    "text-decoration", "textLength", "lengthAdjust", "writing-mode", "direction",
    "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform",
    "spreadMethod", "clipPathUnits", "maskUnits", "maskContentUnits", "patternUnits",
    "patternContentUnits", "patternTransform", "startOffset", "paint-order",
    "vector-effect", "shape-rendering", "text-rendering", "isolation", "mix-blend-mode",
    "type", "media", "href", "lang",
}  # fmt: skip
# Elements whose text is part of the drawing (everything else keeps no text).
TEXT = {"title", "desc", "text", "tspan", "textPath", "style"}

_URL = re.compile(r"url\s*\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)


class SvgRefused(ValueError):
    """An SVG that cannot be made safe; ``str()`` is the organizer's message."""


def sanitise(data):
    """Return the safe SVG text of the uploaded ``data`` (bytes), or raise ``SvgRefused``."""
    if not data or not data.strip():
        raise SvgRefused(_l("The selected file is empty"))
    if len(data) > MAX_BYTES:
        raise SvgRefused(
            _l("The SVG logo must be smaller than %(limit)s", limit=f"{MAX_BYTES // 1024} KB")
        )
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise SvgRefused(
            _l("The SVG logo declares a DOCTYPE or entities, which are not accepted")
        ) from None
    except (ParseError, ValueError, SyntaxError):
        raise SvgRefused(_l("The selected file is not a valid SVG image")) from None
    if root.tag != f"{{{SVG}}}svg":
        raise SvgRefused(_l("The selected file is not a valid SVG image"))
    if sum(1 for _ in root.iter()) > MAX_ELEMENTS:
        raise SvgRefused(_l("The SVG logo is too complex: simplify it or upload a PNG"))
    _check_attributes(root)
    clean = _element(root)
    _size_box(clean)
    return ET.tostring(clean, encoding="unicode")


def size_of(svg_text, height=80):
    """``(width, height)`` to show the logo at ``height`` pixels, from its ``viewBox``."""
    match = re.search(r'viewBox="([^"]+)"', svg_text or "")
    try:
        _x, _y, width, box_height = (float(n) for n in match.group(1).replace(",", " ").split())
        return max(1, round(width * height / box_height)), height
    except (AttributeError, ValueError, ZeroDivisionError):
        return height * 2, height


def _local(name):
    """``(namespace, local name)`` of an ElementTree tag or attribute name."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return None, name


def _element(source):
    namespace, name = _local(source.tag)
    clean = ET.Element(f"{{{SVG}}}{name}")
    for attribute, value in source.attrib.items():
        kept = _attribute(name, attribute, value)
        if kept:
            clean.set(*kept)
    if name in TEXT and source.text:
        clean.text = _style(source.text) if name == "style" else source.text
    for child in source:
        _append(clean, child)
    return clean


def _append(parent, child):
    if not isinstance(child.tag, str):
        return  # a comment or processing instruction
    namespace, name = _local(child.tag)
    if name in REFUSED:
        raise SvgRefused(
            _l(
                "The SVG logo contains %(element)s, which is not accepted: export it "
                "again as plain shapes, or upload a PNG",
                element=f"<{name}>",
            )
        )
    _check_attributes(child)
    if namespace == SVG and name == "a":
        # A link inside a logo goes nowhere useful: keep its drawing, not the link.
        for grandchild in child:
            _append(parent, grandchild)
        return
    if namespace != SVG or name not in ELEMENTS:
        return  # an editor's metadata, an animation: dropped with its contents
    element = _element(child)
    if _local(parent.tag)[1] in TEXT:
        element.tail = child.tail  # the text after a <tspan> inside a <text>
    parent.append(element)


def _check_attributes(element):
    """Refuse what would run or fetch, on any element (also those dropped)."""
    for attribute, value in element.attrib.items():
        _namespace, name = _local(attribute)
        if name.lower().startswith("on"):
            raise SvgRefused(
                _l("The SVG logo contains script (an event handler), which is not accepted")
            )
        if name == "href" and not value.strip().startswith("#"):
            raise SvgRefused(
                _l(
                    "The SVG logo links to something outside itself (%(link)s), which is "
                    "not accepted",
                    link=value.strip()[:40],
                )
            )
        if name == "style":
            _style(value)
        elif "url(" in value.lower().replace(" ", ""):
            _urls(value)


def _attribute(element, attribute, value):
    namespace, name = _local(attribute)
    if namespace == XLINK and name == "href":
        return "href", value.strip()
    if namespace == XML and name in ("lang", "space"):
        return f"{{{XML}}}{name}", value
    if namespace is not None or name not in ATTRIBUTES:
        return None
    if name == "style":
        return name, _style(value)
    return name, value


def _urls(value):
    for _quote, target in _URL.findall(value):
        if not target.strip().startswith("#"):
            raise SvgRefused(
                _l(
                    "The SVG logo loads something from outside itself (%(link)s), which "
                    "is not accepted",
                    link=target.strip()[:40],
                )
            )
    return value


def _style(css):
    """CSS of a ``style`` attribute or element: no import, escape, script or outside url."""
    lowered = css.lower()
    if "@import" in lowered or "\\" in css or "expression(" in lowered or "javascript:" in lowered:
        raise SvgRefused(_l("The SVG logo's styles load or run something, which is not accepted"))
    if "url" in lowered:
        if lowered.count("url") != len(_URL.findall(css)):
            raise SvgRefused(
                _l("The SVG logo's styles load or run something, which is not accepted")
            )
        _urls(css)
    return css


def _size_box(root):
    """Give the logo a ``viewBox`` when it has only a width and height, so it scales."""
    if root.get("viewBox"):
        return
    try:
        width = float(re.sub(r"px$", "", root.get("width", "")))
        height = float(re.sub(r"px$", "", root.get("height", "")))
    except ValueError:
        return
    root.set("viewBox", f"0 0 {width:g} {height:g}")
