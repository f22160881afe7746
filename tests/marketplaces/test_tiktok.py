"""TikTok Shop: the contract kit, signatures and tokens checked against an independent client
(tiktok-shop-api), and what is particular to TikTok Shop (shop cipher, registered redirect, categories)."""

import time

import httpx
import pytest

from marketplace_adapters.tiktok import signing
from marketplace_adapters.tiktok.adapter import TikTokAdapter
from marketplace_adapters.tiktok.mapping import suggest_category
from marketplace_adapters.tiktok.sandbox import CATEGORIES, TikTokSandbox
from plugins import RejectedError
from plugins.sandbox import SandboxControl
from plugins.testing import MarketplaceContract, connect_seller, sample_photo, sample_product

APP = {"app_key": "6abcsandbox01", "app_secret": "tiktok-sandbox-app-secret-0001", "service_id": "7310000000000000001"}


@pytest.fixture
def sandbox():
    with TikTokSandbox(**APP).running() as running:
        yield running


def adapter_for(sandbox) -> TikTokAdapter:
    settings = TikTokAdapter.settings_schema().load({"base_url": sandbox.url, "auth_url": sandbox.url,
                                                     "authorize_url": sandbox.url, "shop_url": sandbox.url, **APP})
    adapter = TikTokAdapter(settings)
    adapter.image_reader = lambda _image: sample_photo()
    return adapter


class TestTikTokContract(MarketplaceContract):
    @pytest.fixture
    def sandbox_url(self, sandbox):
        return sandbox.url

    @pytest.fixture
    def adapter(self, sandbox):
        return adapter_for(sandbox)


def test_an_independent_client_signs_as_choso_does_and_the_sandbox_accepts_it(sandbox):
    from tiktok_shop_api import Signer, TikTokShop, TikTokShopAuth, Webhooks

    query = [("shop_cipher", "ROW_abc"), ("app_key", APP["app_key"]), ("timestamp", "1700000000"),
             ("page_size", "20")]
    body = b'{"seller_skus":["choso-listing-1-g1"]}'
    path = "/product/202309/products/search"
    assert signing.sign(APP["app_secret"], path, query, body) == Signer.sign(
        path=path, query=query, content_type="application/json", body=body, app_secret=APP["app_secret"])
    assert signing.sign(APP["app_secret"], path, query, body, multipart=True) == Signer.sign(
        path=path, query=query, content_type="multipart/form-data; boundary=x", body=body,
        app_secret=APP["app_secret"])
    # the library's own token exchange and signed client, against the sandbox
    adapter = adapter_for(sandbox)
    control = SandboxControl(sandbox.url)
    back = control.authorize(adapter.authorization_url("http://127.0.0.1:9/back?state=s1"), shop_name="Chè Thái")
    code = dict(httpx.URL(back).params)["code"]
    assert dict(httpx.URL(back).params)["state"] == "s1"  # TikTok Shop gives the app's state back unchanged
    tokens = TikTokShopAuth(APP["app_key"], APP["app_secret"], base_url=sandbox.url).exchange_code(code)
    assert tokens.seller_name == "Chè Thái" and tokens.access_token_expire_in > time.time()
    client = TikTokShop(APP["app_key"], APP["app_secret"], tokens.access_token, base_url=sandbox.url)
    shops = client._client.get_httpx_client().get("/authorization/202309/shops").json()
    assert shops["code"] == 0 and shops["data"]["shops"][0]["name"] == "Chè Thái"
    # and a webhook the sandbox signs, the library verifies
    payload, headers = sandbox.order_webhook({"id": "5762a", "shop_id": "1", "status": "AWAITING_SHIPMENT"})
    assert Webhooks.verify(app_key=APP["app_key"], app_secret=APP["app_secret"], raw_body=payload,
                           signature=headers["Authorization"])


def test_shop_calls_carry_the_shop_cipher_and_a_fresh_timestamp(sandbox):
    adapter = adapter_for(sandbox)
    seller = connect_seller(adapter, SandboxControl(sandbox.url))
    assert seller.extra["shop_cipher"].startswith("ROW_")
    stale = [("app_key", APP["app_key"]), ("timestamp", str(int(time.time()) - 301)),
             ("shop_cipher", seller.extra["shop_cipher"])]
    path = "/product/202309/categories"
    answer = httpx.get(sandbox.url + path, params=stale + [("sign", signing.sign(APP["app_secret"], path, stale))],
                       headers={"x-tts-access-token": seller.access_token}).json()
    assert answer["code"] == 106002
    fresh = [("app_key", APP["app_key"]), ("timestamp", str(int(time.time()))), ("shop_cipher", "ROW_other")]
    answer = httpx.get(sandbox.url + path, params=fresh + [("sign", signing.sign(APP["app_secret"], path, fresh))],
                       headers={"x-tts-access-token": seller.access_token}).json()
    assert answer["code"] != 0 and "shop_cipher" in answer["message"]


@pytest.mark.parametrize(("name", "group", "expected"), [
    ("Nước mắm cá cơm Phan Thiết", "food", "Gia vị & Nước chấm"),
    ("Chè Tân Cương Thái Nguyên", "beverage", "Trà"),
    ("Mật ong rừng U Minh", "food", "Mật ong"),
    ("Bình gốm men lam Bát Tràng", "handicraft", "Thủ công & Gốm sứ"),
    ("cao sam ngoc linh", "herbal", "Thảo dược"),
])
def test_the_category_is_suggested_from_the_group_and_the_name(name, group, expected):
    assert suggest_category(CATEGORIES, sample_product(name=name, product_group=group, description=""))[
        "local_name"] == expected


def test_food_needs_its_required_attributes_and_stock_lives_in_the_warehouse(sandbox):
    adapter = adapter_for(sandbox)
    connect_seller(adapter, SandboxControl(sandbox.url))
    honey = sample_product(name="Mật ong rừng U Minh", product_group="food", origin="Cà Mau", shelf_life_days=None)
    with pytest.raises(RejectedError) as caught:
        adapter.publish(honey, "honey-1")
    assert [p.field for p in caught.value.problems] == ["shelf_life_days"] and sandbox.images == {}
    listing = adapter.publish(sample_product(name="Mật ong rừng U Minh", product_group="food", origin="Cà Mau",
                                             shelf_life_days=730, stock=9), "honey-2")
    held = sandbox.products[listing.remote_id]
    assert held["category_id"] == "600103" and held["skus"][0]["inventory"][0]["quantity"] == 9
    adapter.set_stock(listing.remote_id, 4)
    assert adapter.fetch_listing(listing.remote_id).stock == 4
