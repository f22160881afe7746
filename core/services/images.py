"""Product photos: decoded through core.imaging (size-limited, verified), re-encoded (EXIF and GPS dropped),
thumbnail made once."""

from __future__ import annotations

import io
import secrets

from flask_babel import gettext as _
from PIL import Image
from sqlalchemy.orm import Session

from core import imaging
from core.auth import policy
from core.errors import Invalid
from core.models import Product, ProductImage, User
from core.services import audit
from core.services.shops import require
from core.storage import LocalStorage

MAX_SIDE = 1600
THUMB_SIDE = 400
MAX_IMAGES = 8
# Catalog cards on phones: WebP thumbnails beside the JPEG one, chosen by width through srcset (the JPEG stays
# for the API, marketplaces and old browsers). Named from the JPEG thumbnail: "…-thumb.jpg" -> "…-thumb-200.webp".
WEBP_WIDTHS = (200, 400)


def webp_name(thumb_path: str, width: int) -> str:
    return f"{thumb_path.removesuffix('.jpg')}-{width}.webp"


def webp_variants(img: Image.Image) -> dict[int, bytes]:
    """The thumbnail as WebP at each card width: a 200 px card photo of a few kilobytes on a slow phone."""
    out = {}
    for width in WEBP_WIDTHS:
        small = img.copy()
        small.thumbnail((width, width))
        buffer = io.BytesIO()
        small.save(buffer, "WEBP", quality=75, method=4)
        out[width] = buffer.getvalue()
    return out


def save_variants(store: LocalStorage, thumb_path: str, img: Image.Image) -> None:
    for width, data in webp_variants(img).items():
        store.save(webp_name(thumb_path, width), data)


def variant_for(store: LocalStorage, name: str) -> bool:
    """Make a missing WebP thumbnail from its JPEG one (photos saved before WebP existed); False if it has none."""
    for width in WEBP_WIDTHS:
        suffix = f"-thumb-{width}.webp"
        if name.endswith(suffix):
            jpeg = name.removesuffix(suffix) + "-thumb.jpg"
            if not store.exists(jpeg):
                return False
            img = imaging.decode(store.local_path(jpeg).read_bytes(), max_side=THUMB_SIDE)
            save_variants(store, jpeg, img)
            return True
    return False


def _jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    # A fresh JPEG carries none of the original's metadata: EXIF, GPS and comments are gone.
    img.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


def store_photo(store: LocalStorage, stem: str, data: bytes, position: int = 0) -> ProductImage:
    """Decode the photo once and save every file made from it: the image, its JPEG thumbnail and the WebP
    thumbnails; the row is the caller's to attach. Raises Invalid (nothing saved) for what is not a photo."""
    img = imaging.decode(data, max_side=MAX_SIDE)
    thumb = img.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    main = _jpeg(img)
    store.save(f"{stem}.jpg", main)
    store.save(f"{stem}-thumb.jpg", _jpeg(thumb))
    save_variants(store, f"{stem}-thumb.jpg", thumb)
    return ProductImage(path=f"{stem}.jpg", thumb_path=f"{stem}-thumb.jpg", width=img.width, height=img.height,
                        bytes=len(main), position=position)


def add_image(db: Session, store: LocalStorage, actor: User, product: Product, data: bytes) -> ProductImage:
    require(policy.can_edit_shop(actor, product.household))
    if len(product.images) >= MAX_IMAGES:
        raise Invalid(_("A product has at most %(n)d photos.", n=MAX_IMAGES))
    position = max((i.position for i in product.images), default=-1) + 1
    image = store_photo(store, f"products/{product.id}/{secrets.token_hex(8)}", data, position)
    product.images.append(image)
    db.flush()
    audit.record(db, actor, "image.add", "product_image", image.id, shop=product.household,
                 details={"product_id": product.id})
    db.commit()
    return image


def remove_image(db: Session, store: LocalStorage, actor: User, image: ProductImage) -> None:
    product = image.product
    require(policy.can_edit_shop(actor, product.household))
    audit.record(db, actor, "image.remove", "product_image", image.id, shop=product.household,
                 details={"product_id": product.id})
    paths = (image.path, image.thumb_path, *(webp_name(image.thumb_path, w) for w in WEBP_WIDTHS))
    product.images.remove(image)
    db.commit()
    for path in paths:  # only after the row is gone, so no row ever points at a missing file
        store.delete(path)
