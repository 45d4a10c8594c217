"""Small images and content for the sponsors' tests."""

import copy
import io

from PIL import Image

SVG_OK = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100">'
    b'<title>Acme</title><rect width="200" height="100" fill="#007a3d"/></svg>'
)


def png(size=(120, 60), colour=(200, 30, 30), exif=None):
    out = io.BytesIO()
    picture = Image.new("RGB", size, colour)
    if exif is not None:
        picture.save(out, "PNG", exif=exif)
    else:
        picture.save(out, "PNG")
    return out.getvalue()


def with_sponsors(content_data, sponsors, tiers=None):
    data = copy.deepcopy(content_data)
    data["sponsors"] = sponsors
    if tiers is not None:
        data["sponsor_tiers"] = tiers
    return data


def sponsor(key="acme", **values):
    return {
        "key": key,
        "tier": "partner",
        "name": {"en": f"{key.title()} Foundation", "ar": f"مؤسسة {key}"},
        "website": f"https://{key}.example",
        **values,
    }
