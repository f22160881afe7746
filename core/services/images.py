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


def _jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    # A fresh JPEG carries none of the original's metadata: EXIF, GPS and comments are gone.
    img.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


def process(data: bytes) -> tuple[bytes, bytes, tuple[int, int]]:
    """Return (image, thumbnail, size) as clean JPEGs, or raise Invalid with a reason a seller understands."""
    img = imaging.decode(data, max_side=MAX_SIDE)
    thumb = img.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return _jpeg(img), _jpeg(thumb), img.size


def add_image(db: Session, store: LocalStorage, actor: User, product: Product, data: bytes) -> ProductImage:
    require(policy.can_edit_shop(actor, product.household))
    if len(product.images) >= MAX_IMAGES:
        raise Invalid(_("A product has at most %(n)d photos.", n=MAX_IMAGES))
    main, thumb, (w, h) = process(data)
    stem = f"products/{product.id}/{secrets.token_hex(8)}"
    store.save(f"{stem}.jpg", main)
    store.save(f"{stem}-thumb.jpg", thumb)
    position = max((i.position for i in product.images), default=-1) + 1
    image = ProductImage(path=f"{stem}.jpg", thumb_path=f"{stem}-thumb.jpg", width=w, height=h,
                         bytes=len(main), position=position)
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
    paths = (image.path, image.thumb_path)
    product.images.remove(image)
    db.commit()
    for path in paths:  # only after the row is gone, so no row ever points at a missing file
        store.delete(path)
