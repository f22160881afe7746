"""The public catalog on a 360×740 phone with photos: small WebP thumbnails chosen by srcset, lazy below the
first screen, and the whole first screen under 150 KB (issue 15.10)."""

import pytest

from core.services import images
from core.services.demo import _COLOURS, _photo
from core.storage import storage
from core.testing_server import live_server

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
BUDGET = 150 * 1024


def test_the_first_screen_of_the_catalog_with_photos_stays_under_150_kb(app, factory, db, browser):
    shop = factory.shop(name="Hộ gốm Bát Tràng")
    names = ["Bình gốm men lam", "Bát gốm", "Ấm chén men rạn", "Lọ hoa gốm", "Đĩa gốm vẽ tay", "Chum gốm"]
    with app.app_context():
        for n in range(24):
            product = factory.product(shop, name=f"{names[n % 6]} số {n + 1}", price_vnd=90_000 + 5_000 * n)
            product = db.merge(product)
            images.add_image(db, storage(), shop.owner, product, _photo(names[n % 6], _COLOURS[n % 6]))
    with live_server(app) as base:
        page = browser.new_context(**PHONE).new_page()
        page.goto(f"{base}/c/00583", wait_until="load")
        page.wait_for_timeout(300)  # lazy images near the first screen settle
        weight = page.evaluate("""() => {
            const nav = performance.getEntriesByType('navigation')[0];
            return nav.transferSize + performance.getEntriesByType('resource')
                .reduce((sum, r) => sum + r.transferSize, 0);
        }""")
        loaded = page.evaluate("""() => Array.from(document.querySelectorAll('.card img'))
            .filter(img => img.complete && img.currentSrc).map(img => img.currentSrc)""")
        cards = page.locator(".card").count()
        assert cards == 24  # the first page of the catalog
        assert weight < BUDGET, f"the first screen weighs {weight / 1024:.0f} KB"
        assert loaded and all(src.endswith("-200.webp") for src in loaded), loaded
        assert len(loaded) < cards, "images below the first screen wait until scrolled to"
        print(f"first screen: {weight / 1024:.0f} KB, {len(loaded)} of {cards} thumbnails loaded")
