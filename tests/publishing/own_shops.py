"""Fixtures and steps shared by the tests of households' own marketplace shops (Shopee, TikTok Shop)."""

from urllib.parse import urlsplit

import httpx
import pytest

from core.testing import csrf_from
from marketplace_adapters.shopee.sandbox import ShopeeSandbox
from plugins.sandbox import SandboxControl

PARTNER = {"partner_id": 2001887, "partner_key": "shopee-sandbox-partner-key-0001"}


@pytest.fixture
def shopee(factory):
    with ShopeeSandbox(**PARTNER).running() as sandbox:
        factory.enable_marketplace("shopee", {"base_url": sandbox.url, "shop_url": sandbox.url, **PARTNER})
        yield sandbox


READY = {"origin": "Hưng Yên", "shelf_life_days": 365,
         "description": "Mật ong hoa nhãn nguyên chất, thu hoạch tháng ba tại Hưng Yên."}


@pytest.fixture
def tiktok(factory, app):
    from core.snapshots import public_url
    from marketplace_adapters.tiktok.sandbox import TikTokSandbox

    app_keys = {"app_key": "6abcsandbox01", "app_secret": "tiktok-sandbox-app-secret-0001",
                "service_id": "7310000000000000001"}
    with app.app_context(), TikTokSandbox(**app_keys).running() as sandbox:
        # the redirect URL the commune registers for its app in TikTok Shop's Partner Center
        sandbox.redirect_url = public_url("/dashboard/connections/tiktok/back")
        factory.enable_marketplace("tiktok", {"base_url": sandbox.url, "auth_url": sandbox.url,
                                              "authorize_url": sandbox.url, "shop_url": sandbox.url, **app_keys})
        yield sandbox


def connect(client, shop, sandbox, shop_name="Mật ong Hưng Yên", shop_id="", name="shopee"):
    """The household taps "connect", confirms on the marketplace's page, and comes back: choso's answer."""
    page = client.get(f"/dashboard/shops/{shop.id}")
    assert f'action="/dashboard/shops/{shop.id}/connections/{name}"' in page.get_data(as_text=True)
    start = client.post(f"/dashboard/shops/{shop.id}/connections/{name}",
                        data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert start.status_code == 302 and start.headers["Location"].startswith(sandbox.url)
    assert httpx.get(start.headers["Location"]).status_code == 200  # the marketplace's page, as choso built it
    back = urlsplit(SandboxControl(sandbox.url).authorize(start.headers["Location"], shop_name=shop_name,
                                                          shop_id=shop_id))
    return client.get(f"{back.path}?{back.query}")
