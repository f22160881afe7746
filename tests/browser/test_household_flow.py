"""Real headless Chromium (Debian's, never a downloaded one) at a phone-sized viewport."""

import io

import pytest
from PIL import Image

from core.testing_server import live_server
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_a_household_adds_a_product_with_a_photo_and_finds_it_without_diacritics(app, factory, browser,
                                                                                 tmp_path):
    owner = factory.user(password="mat-khau-tot", name="Chị Hạnh")
    shop = factory.shop(owner, name="Hộ kinh doanh Cát Hải")
    photo = tmp_path / "nuoc-mam.jpg"
    Image.new("RGB", (1200, 900), (160, 90, 20)).save(photo, "JPEG")

    with live_server(app) as base:
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        sign_in(page, base, owner.phone, "mat-khau-tot")
        page.get_by_role("link", name="Hộ kinh doanh Cát Hải").click()
        page.get_by_role("link", name="Thêm sản phẩm").click()
        page.fill("input[name=name]", "Nước mắm Cát Hải thượng hạng")
        page.select_option("select[name=product_group]", "food")
        page.fill("input[name=price_vnd]", "95000")
        page.fill("input[name=stock]", "40")
        page.set_input_files("input[name=photo]", str(photo))
        page.click("#product-form button.primary")
        page.get_by_text("Đã lưu sản phẩm.").wait_for()  # the photo goes up by script, then the shop page shows

        page.goto(f"{base}/c/00583")
        page.fill("input[name=q]", "nuoc mam cat hai")
        page.press("input[name=q]", "Enter")
        card = page.locator(".card", has_text="Nước mắm Cát Hải thượng hạng")
        card.wait_for()
        assert "95.000 ₫" in card.inner_text()
        image = card.locator("img")
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
        assert page.locator("#result-count").inner_text() == "1 sản phẩm"
        # the page fits the phone: nothing scrolls sideways
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(tmp_path / "catalog-phone.png"), full_page=True)
        thumb = image.get_attribute("src")
        assert Image.open(io.BytesIO(page.request.get(base + thumb).body())).format == "JPEG"
    assert shop.id
