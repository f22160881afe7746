"""A household publishes a product to both marketplaces with one tap and watches both become live."""

import pytest

from core.testing_server import live_server
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_one_tap_publishes_to_postmart_and_voso(app, browser, background_worker, sandboxes, farm_product, db,
                                                 tmp_path):
    product, _token = farm_product
    owner = product.household.owner
    with app.app_context():
        from core.services.users import set_password

        set_password(db.merge(owner), "mat-khau-tot")
        db.commit()
    with live_server(app) as base:
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        sign_in(page, base, owner.phone, "mat-khau-tot")
        page.goto(f"{base}/dashboard/products/{product.id}")
        assert page.locator("#listings li").count() == 2
        page.click("#publish-all")
        page.get_by_text("Đã gửi lên các sàn").wait_for()
        for _ in range(50):
            states = page.locator("#listings li").evaluate_all("els => els.map(e => e.dataset.state)")
            if states == ["live", "live"]:
                break
            page.wait_for_timeout(200)
            page.reload()
        assert states == ["live", "live"]
        links = page.locator("#listings a")
        assert links.count() == 2
        assert {sandboxes["postmart"].url, sandboxes["voso"].url} == {
            href.rsplit("/p/", 1)[0] for href in links.evaluate_all("els => els.map(e => e.href)")}
        page.screenshot(path=str(tmp_path / "published.png"), full_page=True)
