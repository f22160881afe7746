"""Shopee: the contract kit, signatures checked against an independent client (pyshopee), and what is
particular to Shopee (timestamps, single-use codes and refresh tokens, categories, mandatory attributes)."""

import sys
import time
import types
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from marketplace_adapters.shopee import signing
from marketplace_adapters.shopee.adapter import ShopeeAdapter
from marketplace_adapters.shopee.mapping import suggest_category
from marketplace_adapters.shopee.sandbox import CATEGORIES, ShopeeSandbox
from plugins import ConnectionLapsed, RejectedError
from plugins.sandbox import SandboxControl
from plugins.testing import MarketplaceContract, connect_seller, sample_photo, sample_product

PARTNER = {"partner_id": 2001887, "partner_key": "shopee-sandbox-partner-key-0001"}


@pytest.fixture
def sandbox():
    with ShopeeSandbox(**PARTNER).running() as running:
        yield running


def adapter_for(sandbox, **changes) -> ShopeeAdapter:
    settings = ShopeeAdapter.settings_schema().load({"base_url": sandbox.url, "shop_url": sandbox.url, **PARTNER,
                                                     **changes})
    adapter = ShopeeAdapter(settings)
    adapter.image_reader = lambda _image: sample_photo()
    return adapter


class TestShopeeContract(MarketplaceContract):
    @pytest.fixture
    def sandbox_url(self, sandbox):
        return sandbox.url

    @pytest.fixture
    def adapter(self, sandbox):
        return adapter_for(sandbox)


def pyshopee_client(sandbox, shop_id, access_token):
    # pyshopee imports selenium for a browser helper choso never calls; the rest is plain requests + hmac
    sys.modules.setdefault("selenium", types.SimpleNamespace(webdriver=None))
    from pyshopee2.client import Client

    client = Client(shop_id, PARTNER["partner_id"], PARTNER["partner_key"], "http://127.0.0.1:9/back")
    client.host = sandbox.url
    client.access_token = access_token
    return client


def test_an_independent_client_signs_as_choso_does_and_the_sandbox_accepts_it(sandbox):
    adapter = adapter_for(sandbox)
    seller = connect_seller(adapter, SandboxControl(sandbox.url), shop_name="Chè Tân Cương")
    client = pyshopee_client(sandbox, seller.shop_id, seller.access_token)
    path, when = "/api/v2/shop/get_shop_info", int(time.time())
    # the same inputs give the same signature, public and shop-level
    assert client._api_short_sign(path, when) == signing.sign(PARTNER["partner_key"], PARTNER["partner_id"], path, when)
    assert client._api_sign(path, when) == signing.sign(PARTNER["partner_key"], PARTNER["partner_id"], path, when,
                                                        seller.access_token, seller.shop_id)
    # and what pyshopee sends, the sandbox accepts: a shop call, and the public authorisation link
    request = client._build_request("shop/get_shop_info", "GET", None).prepare()
    answer = httpx.get(request.url, timeout=10).json()
    assert answer["error"] == "" and answer["shop_name"] == "Chè Tân Cương"
    page = httpx.get(client.shop_authorization("http://127.0.0.1:9/back"), timeout=10)
    assert page.status_code == 200 and "Xác nhận ủy quyền" in page.text


def test_a_stale_timestamp_or_a_tampered_signature_is_refused(sandbox):
    path = "/api/v2/public/get_shops_by_partner"
    old = int(time.time()) - 301
    stale = {"partner_id": PARTNER["partner_id"], "timestamp": old,
             "sign": signing.sign(PARTNER["partner_key"], PARTNER["partner_id"], path, old)}
    assert httpx.get(sandbox.url + path, params=stale).json()["error"] == "error_param"
    now = int(time.time())
    tampered = {"partner_id": PARTNER["partner_id"], "timestamp": now,
                "sign": signing.sign(PARTNER["partner_key"], PARTNER["partner_id"], path, now + 1)}
    assert httpx.get(sandbox.url + path, params=tampered).json()["error"] == "error_sign"


def test_a_code_is_good_once_and_a_refresh_token_too(sandbox):
    adapter = adapter_for(sandbox)
    control = SandboxControl(sandbox.url)
    redirect = "http://127.0.0.1:9/back?state=s"
    back = control.authorize(adapter.authorization_url(redirect))
    query = {k: v for k, v in parse_qsl(urlsplit(back).query) if k != "state"}
    first = adapter.complete_authorization(query, redirect)
    with pytest.raises(RejectedError):
        adapter.complete_authorization(query, redirect)  # the same code again
    second = adapter.refresh_connection(first)
    assert second.access_token != first.access_token
    with pytest.raises(ConnectionLapsed):
        adapter.refresh_connection(first)  # its refresh token was used up
    assert first.authorization_expires_at and first.authorization_expires_at.year >= 2026


def test_an_expired_authorisation_lapses_the_connection(sandbox):
    adapter = adapter_for(sandbox)
    seller = connect_seller(adapter, SandboxControl(sandbox.url))
    httpx.post(f"{sandbox.url}/_sandbox/shopee/expire", json={"shop_id": seller.shop_id, "authorization_in": -1})
    with pytest.raises(ConnectionLapsed):
        adapter.refresh_connection(seller)


@pytest.mark.parametrize(("name", "group", "expected"), [
    ("Nước mắm cá cơm Phan Thiết", "food", "Sauces & Condiments"),
    ("NUOC MAM nhi 40 do dam", "food", "Sauces & Condiments"),
    ("Trà shan tuyết cổ thụ", "beverage", "Tea"),
    ("Mật ong rừng U Minh", "food", "Honey & Syrups"),
    ("Bình gốm men lam Bát Tràng", "handicraft", "Handicrafts & Pottery"),
    ("Cao sâm Ngọc Linh", "herbal", "Herbal Supplements"),
    ("Bonsai sanh lá nhỏ", "ornamental", "Plants & Gardening"),
])
def test_the_category_is_suggested_from_the_group_and_the_name(name, group, expected):
    product = sample_product(name=name, product_group=group, description="")
    assert suggest_category(CATEGORIES, product)["original_category_name"] == expected


def test_food_needs_its_mandatory_attributes(sandbox):
    adapter = adapter_for(sandbox)
    connect_seller(adapter, SandboxControl(sandbox.url))
    sauce = sample_product(name="Nước mắm cá cơm Phan Thiết", product_group="food", origin="Phan Thiết",
                           shelf_life_days=None)
    assert [p.field for p in adapter.validate(sauce)] == ["shelf_life_days"]
    with pytest.raises(RejectedError) as caught:  # even past validate, the category's attributes are checked
        adapter.publish(sauce, "food-1")
    assert [p.field for p in caught.value.problems] == ["shelf_life_days"]
    listing = adapter.publish(sample_product(name="Nước mắm cá cơm Phan Thiết", product_group="food",
                                             origin="Phan Thiết", shelf_life_days=540), "food-2")
    item = sandbox.products[listing.remote_id]
    assert item["category_id"] == 100780 and {a["attribute_id"] for a in item["attribute_list"]} == {100010, 100095}
    assert len(sandbox.images) == 1  # the photo was uploaded to Shopee's media space first


def test_an_item_without_an_uploaded_image_is_refused(sandbox):
    adapter = adapter_for(sandbox)
    connect_seller(adapter, SandboxControl(sandbox.url))
    item = {"item_name": "Bình gốm men lam Bát Tràng", "description": "Bình gốm vẽ tay, men lam truyền thống.",
            "original_price": 450000, "weight": 1.2, "category_id": 100800, "seller_stock": [{"stock": 3}],
            "logistic_info": [{"logistic_id": 50011, "enabled": True}], "image": {"image_id_list": ["not-uploaded"]}}
    with pytest.raises(RejectedError) as caught:
        adapter._call("POST", "/api/v2/product/add_item", body=item)
    assert "image" in caught.value.problems[0].message
