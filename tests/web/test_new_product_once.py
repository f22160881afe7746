"""Never lose or half-save what a person typed (issue 15.1): a refused photo saves nothing and keeps the fields;
the same new-product form sent twice makes one product."""

import io
import re

from sqlalchemy import func, select

from core.models import Product
from core.testing import login
from tests.helpers import photo_bytes


def _form(client, url):
    html = client.get(url).get_data(as_text=True)
    return {name: re.search(rf'name="{name}" value="([^"]+)"', html).group(1)
            for name in ("csrf_token", "idempotency_key")}


def _count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Product))


def test_a_refused_photo_saves_nothing_and_keeps_what_was_typed(client, factory, db):
    owner = factory.user(password="mat-khau-chu-ho")
    shop = factory.shop(owner)
    login(client, owner, "mat-khau-chu-ho")
    url = f"/dashboard/shops/{shop.id}/products/new"
    hidden = _form(client, url)
    fields = {"name": "Bình gốm men lam", "product_group": "handicraft", "price_vnd": "450.000đ", "stock": "3",
              "status": "active", **hidden}
    r = client.post(url, data={**fields, "photo": (io.BytesIO(b"this is text, not a photo"), "anh.jpg")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Tệp này không phải ảnh dùng được" in html
    assert 'value="Bình gốm men lam"' in html and hidden["idempotency_key"] in html
    assert _count(db) == 0  # nothing on sale without its photo
    r = client.post(url, data={**fields, "photo": (io.BytesIO(photo_bytes()), "anh.jpg")},
                    content_type="multipart/form-data")
    assert r.status_code == 302 and _count(db) == 1
    product = db.scalar(select(Product))
    assert product.price_vnd == 450_000 and len(product.images) == 1
    # sent once more (a tap on "back" and "send"): still one product
    again = client.post(url, data={**fields, "photo": (io.BytesIO(photo_bytes()), "anh.jpg")},
                        content_type="multipart/form-data")
    assert again.status_code == 302 and _count(db) == 1
