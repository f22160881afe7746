"""A household finds its own tools (issue 15.5): the stall QR poster from its dashboard, and links that preview
with name, price and photo when pasted into Zalo or Facebook groups (Open Graph)."""

import re

from core.models import BankAccount
from core.testing import login
from tests.conftest import _with_photo


def _meta(html: str, prop: str) -> str | None:
    found = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)"', html)
    return found.group(1) if found else None


def test_a_product_link_previews_with_name_price_and_photo(app, client, factory, db):
    app.config["PUBLIC_URL"] = "https://cho.batrang.example"
    product = _with_photo(app, db, factory.product(name="Mật ong hoa nhãn", price_vnd=180_000))
    html = client.get(f"/p/{product.id}").get_data(as_text=True)
    assert _meta(html, "og:title") == "Mật ong hoa nhãn"
    assert "180.000" in _meta(html, "og:description") and product.household.name in _meta(html, "og:description")
    image = _meta(html, "og:image")
    assert image.startswith(app.config["PUBLIC_URL"]) and "/uploads/products/" in image
    assert client.get(image.removeprefix(app.config["PUBLIC_URL"])).status_code == 200  # the photo is really there
    assert _meta(html, "og:url").startswith(app.config["PUBLIC_URL"] + f"/p/{product.id}")
    shop_html = client.get(f"/s/{product.household_id}").get_data(as_text=True)
    assert _meta(shop_html, "og:title") == product.household.name and _meta(shop_html, "og:image")


def test_the_household_dashboard_has_its_share_link_and_stall_posters(client, factory, db):
    owner = factory.user(password="mat-khau-chu-ho")
    shop = factory.shop(owner, name="Hộ Gốm Minh")
    db.add(BankAccount(household_id=shop.id, bank_bin="970436", account_number="0011004567890",
                       account_name="NGUYEN VAN MINH", verified=True))
    db.commit()
    login(client, owner, "mat-khau-chu-ho")
    html = client.get(f"/dashboard/shops/{shop.id}").get_data(as_text=True)
    assert re.search(rf'id="share-link".*?value="http[^"]*/s/{shop.id}-', html, re.S)
    posters = re.findall(r'href="(/qr/accounts/\d+/poster-a[56]\.pdf)"', html)
    assert len(posters) == 2
    for poster in posters:
        r = client.get(poster)
        assert r.status_code == 200 and r.data.startswith(b"%PDF")
