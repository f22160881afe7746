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


def _new_product_form(client, factory):
    """A household signed in on its new-product form: (shop, form url, the form's hidden fields)."""
    owner = factory.user(password="mat-khau-chu-ho")
    shop = factory.shop(owner)
    login(client, owner, "mat-khau-chu-ho")
    url = f"/dashboard/shops/{shop.id}/products/new"
    return shop, url, _form(client, url)


def _count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Product))


def test_a_refused_photo_saves_nothing_and_keeps_what_was_typed(client, factory, db):
    _shop, url, hidden = _new_product_form(client, factory)
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


def test_a_photo_over_the_limit_comes_back_as_a_sentence_with_the_form_kept(client, factory, db, app):
    """A 10 MB camera photo sent without JavaScript: not a bare 413, but the form again with what to do."""
    shop, url, hidden = _new_product_form(client, factory)
    fields = {"name": "Mật ong hoa nhãn", "product_group": "food", "price_vnd": "180k", "stock": "5",
              "status": "active", "description": "Mật ong nguyên chất", **hidden}
    big = photo_bytes() + b"\0" * (10 * 2**20)  # over the 8 MB limit, as a phone's photo often is
    r = client.post(url, data={**fields, "photo": (io.BytesIO(big), "IMG_2041.jpg")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Ảnh này nặng 10 MB, choso nhận ảnh tối đa 8 MB" in html
    assert 'value="Mật ong hoa nhãn"' in html and "Mật ong nguyên chất" in html and 'value="180k"' in html
    assert _count(db) == 0
    # the same for a product being edited: its saved fields do not change
    product = factory.product(shop, name="Chè búp", price_vnd=90_000)
    edit = f"/dashboard/products/{product.id}"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(edit).get_data(as_text=True)).group(1)
    r = client.post(edit, data={"csrf_token": token, "name": "Chè búp đặc biệt", "product_group": "food",
                                "price_vnd": "95.000", "stock": "5", "status": "active",
                                "photo": (io.BytesIO(big), "IMG_2042.jpg")}, content_type="multipart/form-data")
    assert r.status_code == 422 and 'value="Chè búp đặc biệt"' in r.get_data(as_text=True)
    db.expire_all()
    assert db.get(Product, product.id).name == "Chè búp" and db.get(Product, product.id).price_vnd == 90_000


def test_a_request_beyond_any_photo_is_refused_in_words(client, factory, app):
    owner = factory.user(password="mat-khau-chu-ho")
    shop = factory.shop(owner)
    login(client, owner, "mat-khau-chu-ho")
    url = f"/dashboard/shops/{shop.id}/products/new"
    r = client.post(url, data={"name": "x", "photo": (io.BytesIO(b"\0" * (49 * 2**20)), "video.mp4")},
                    content_type="multipart/form-data")
    assert r.status_code == 413 and "Hãy quay lại" in r.get_data(as_text=True)


def test_nobody_signed_out_can_make_the_server_read_a_photo_sized_body(client, factory):
    shop = factory.shop()
    r = client.post(f"/dashboard/shops/{shop.id}/products/new", data={
        "name": "x", "photo": (io.BytesIO(b"\0" * (9 * 2**20)), "a.jpg")}, content_type="multipart/form-data")
    assert r.status_code == 413  # the app-wide limit, before anything else is read
