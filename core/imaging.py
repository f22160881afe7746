"""The one way choso decodes an image someone sent: size read from the header and refused before a single pixel
is decoded, then decoded no larger than its use needs.

A PNG of 32 KB can declare 12000×12000 pixels and take gigabytes once decoded; Pillow's own guard only warns
below 179 megapixels. So nothing in choso calls ``Image.open(...).load()`` on outside bytes except through
``decode`` here (product photos, the "is this QR genuine?" photo).
"""

from __future__ import annotations

import io

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import Invalid

ACCEPTED = frozenset({"JPEG", "PNG", "WEBP", "GIF", "MPO"})
# A 40-megapixel phone photo; the decoded size of anything accepted is then at most 40 M × 4 bytes, and a
# JPEG (what phones take) is decoded at a reduced scale well below that.
MAX_PIXELS = 40_000_000

_BROKEN = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


def not_a_photo() -> Invalid:
    return Invalid(_("This file is not a photo we can use (JPEG, PNG, WebP or GIF)."))


def decode(data: bytes, *, max_side: int, mode: str = "RGB", max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode ``data`` into an image of at most ``max_side`` pixels on its longer side, upright (EXIF
    orientation applied), in ``mode``; raise Invalid with a sentence a seller understands otherwise."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED:
                raise not_a_photo()
            width, height = probe.size
            if width * height > max_pixels:
                raise Invalid(_("This photo is too large: at most %(n)d megapixels.", n=max_pixels // 1_000_000))
            probe.verify()  # reads the whole file through the decoder's checks without keeping pixels
        with Image.open(io.BytesIO(data)) as img:
            # A JPEG decodes at 1/2, 1/4 or 1/8 scale directly, so a 12-megapixel photo never exists in memory
            # at full size; other formats are decoded whole, within the pixel limit checked above.
            longer = max(width, height)
            if longer > max_side:  # the size asked for keeps the aspect, so the longer side stays >= max_side
                img.draft(mode if mode in ("RGB", "L") else "RGB",
                          (-(-width * max_side // longer), -(-height * max_side // longer)))
            img.load()
            upright = ImageOps.exif_transpose(img)
            upright = upright.convert(mode)
    except Invalid:
        raise
    except _BROKEN as exc:
        raise not_a_photo() from exc
    upright.thumbnail((max_side, max_side))
    return upright
