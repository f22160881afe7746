"""A household adds a product with a camera-sized photo on a 360×740 phone (issue 15.1).

With JavaScript the phone shrinks the photo to what choso keeps (1600 px) before sending it, and shows the
upload's progress on a slow link; without JavaScript a photo over the limit comes back as a sentence with
everything typed still in the form.
"""

import random

import pytest
from PIL import Image
from sqlalchemy import select

from core.models import Product
from core.testing_server import live_server
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def _camera_photo(path, megabytes: float = 9.0):
    """A 4000×3000 photo with fine grain, saved the way phones do (high quality): several megabytes."""
    rng = random.Random(7)
    img = Image.effect_noise((4000, 3000), 90).convert("RGB")
    img = Image.merge("RGB", [band.point(lambda v, k=k: (v + 40 * k + rng.randint(0, 3)) % 256)
                              for k, band in enumerate(img.split())])
    img.save(path, "JPEG", quality=98, subsampling=0)
    assert path.stat().st_size > megabytes * 2**20, path.stat().st_size
    return path


def _fill(page, name: str):
    page.fill("input[name=name]", name)
    page.select_option("select[name=product_group]", "handicraft")
    page.fill("input[name=price_vnd]", "450.000đ")
    page.fill("input[name=stock]", "3")
    page.fill("textarea[name=description]", "Men lam vẽ tay, cao 30 cm")


def test_the_phone_shrinks_a_camera_photo_and_shows_the_upload(app, factory, browser, db, tmp_path):
    owner = factory.user(password="mat-khau-tot")
    shop = factory.shop(owner, name="Hộ gốm Bát Tràng")
    photo = _camera_photo(tmp_path / "IMG_2041.jpg")
    with live_server(app) as base:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        sign_in(page, base, owner.phone, "mat-khau-tot")
        page.goto(f"{base}/dashboard/shops/{shop.id}/products/new")
        # a slow village link: the upload takes long enough to watch its progress
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 150,
                                                      "downloadThroughput": 400_000, "uploadThroughput": 250_000})
        _fill(page, "Bình gốm men lam")
        page.set_input_files("input[name=photo]", str(photo))
        sent = []
        page.on("request", lambda r: sent.append(len(r.post_data_buffer or b"")) if r.method == "POST" else None)
        page.click("#product-form button.primary")
        page.locator("#upload-progress").wait_for(state="visible", timeout=15_000)
        assert "Đang gửi ảnh" in page.locator("#upload-status").inner_text()
        page.get_by_text("Đã lưu sản phẩm.").wait_for(timeout=60_000)
        assert sent and max(sent) < 2 * 2**20, f"the phone sent {max(sent)} bytes, not a shrunk photo"
        assert page.url.endswith(f"/dashboard/shops/{shop.id}")
        context.close()
    db.expire_all()
    product = db.scalar(select(Product).where(Product.name == "Bình gốm men lam"))
    assert product.price_vnd == 450_000 and len(product.images) == 1
    assert max(product.images[0].width, product.images[0].height) == 1600


def test_without_javascript_an_oversized_photo_keeps_the_form(app, factory, browser, db, tmp_path):
    owner = factory.user(password="mat-khau-tot")
    shop = factory.shop(owner, name="Hộ gốm Bát Tràng")
    photo = _camera_photo(tmp_path / "IMG_2042.jpg")
    with live_server(app) as base:
        page = browser.new_context(**PHONE, java_script_enabled=False).new_page()
        sign_in(page, base, owner.phone, "mat-khau-tot")
        page.goto(f"{base}/dashboard/shops/{shop.id}/products/new")
        _fill(page, "Lọ hoa gốm")
        page.set_input_files("input[name=photo]", str(photo))
        page.click("#product-form button.primary")
        error = page.locator("label.has-error", has=page.locator("input[name=photo]"))
        assert "choso nhận ảnh tối đa 8 MB" in error.inner_text()
        assert page.locator("input[name=name]").input_value() == "Lọ hoa gốm"
        assert page.locator("input[name=price_vnd]").input_value() == "450.000đ"
        assert page.locator("textarea[name=description]").input_value() == "Men lam vẽ tay, cao 30 cm"
        # a smaller photo, and the same form saves once
        Image.new("RGB", (1200, 900), (30, 90, 160)).save(tmp_path / "small.jpg", "JPEG")
        page.set_input_files("input[name=photo]", str(tmp_path / "small.jpg"))
        page.click("#product-form button.primary")
        assert page.get_by_text("Đã lưu sản phẩm.").is_visible()
        page.context.close()
    db.expire_all()
    assert len(db.scalars(select(Product).where(Product.name == "Lọ hoa gốm")).all()) == 1
