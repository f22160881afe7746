"""Orders placed in a household's own Shopee or TikTok Shop shop come home: read through that household's
connection, recorded once however often the notification comes and whether or not polling found it first,
stock lowered once, and the other channels told."""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from core.db import utcnow
from core.orders.models import Order
from core.publishing import connections
from core.publishing.models import Listing, ShopConnection
from core.services.users import set_password
from core.testing import bearer, login, run_jobs
from core.testing_server import live_server
from tests.publishing.own_shops import READY, connect


def listed(app, client, db, product, token, sandbox, name):
    owner = product.household.owner
    set_password(db.merge(owner), "mat-khau-tot")
    db.commit()
    login(client, owner, "mat-khau-tot")
    client.patch(f"/api/v1/products/{product.id}", json={**READY, "stock": 10}, headers=bearer(token))
    connect(client, product.household, sandbox, name=name)
    client.post(f"/api/v1/products/{product.id}/listings", json={"marketplaces": [name]}, headers=bearer(token))
    run_jobs(app)
    listing = db.scalar(select(Listing).where(Listing.marketplace == name))
    db.refresh(listing)
    assert listing.state == "live", listing.last_error
    return listing


def orders(db, name):
    return db.scalar(select(func.count(Order.id)).where(Order.channel == name))


@pytest.mark.parametrize("name", ["shopee", "tiktok"])
def test_an_order_comes_home_once_by_notification_and_by_polling(request, app, client, db, factory, farm_product,
                                                                 name):
    sandbox = request.getfixturevalue(name)
    product, token = farm_product
    listing = listed(app, client, db, product, token, sandbox, name)
    with live_server(app) as base:
        app.config["PUBLIC_URL"] = base  # the address the commune registered with the marketplace
        sandbox.webhook_url = f"{base}/api/v1/webhooks/marketplaces/{name}/00583"
        placed = httpx.post(f"{sandbox.url}/_sandbox/orders", json={"remote_id": listing.remote_id, "quantity": 3,
                                                                    "buyer": "Chị Lan"}).json()
        assert placed["webhook_status"] == 200
        db.expire_all()
        assert orders(db, name) == 1 and db.get(type(product), product.id).stock == 7
        order = db.scalar(select(Order).where(Order.channel == name))
        assert order.buyer_name == "Chị Lan" and order.items[0].quantity == 3
        # the household sees it with its own orders: the marketplace, its order number, the state
        listed_page = client.get("/dashboard/orders").get_data(as_text=True)
        shown = {"shopee": "Shopee", "tiktok": "TikTok Shop"}[name]
        assert shown in listed_page and order.remote_id in listed_page and "đã xác nhận" in listed_page
        # the same notification again changes nothing
        body, headers = sandbox.order_webhook(placed["order"] if name == "tiktok" else placed["order"])
        again = httpx.post(sandbox.webhook_url, content=body, headers=headers)
        assert again.status_code == 200 and again.text == ""
        db.expire_all()
        assert orders(db, name) == 1 and db.get(type(product), product.id).stock == 7

        # a notification held back: polling finds the order; the late notification then changes nothing
        sandbox.hold_pushes = True
        httpx.post(f"{sandbox.url}/_sandbox/orders", json={"remote_id": listing.remote_id, "quantity": 2})
        db.expire_all()
        assert orders(db, name) == 1
        row = db.scalar(select(ShopConnection).where(ShopConnection.marketplace == name))
        with app.app_context():
            done = connections.sweep(db, now=utcnow())
        assert done["orders"] == 2  # both orders seen by the poll (the first was already recorded)
        db.expire_all()
        assert orders(db, name) == 2 and db.get(type(product), product.id).stock == 5
        released = httpx.post(f"{sandbox.url}/_sandbox/pushes", json={"hold": False}).json()["delivered"]
        assert released == [200]
        db.expire_all()
        assert orders(db, name) == 2 and db.get(type(product), product.id).stock == 5
        assert row.orders_seen_at is not None

    # the commune's figures count them by channel: orders, sales and sellers
    from core.metrics.facts import count_facts

    with app.app_context():
        facts = count_facts(db, ["00583"], utcnow() - timedelta(days=1), utcnow() + timedelta(minutes=1))["00583"]
    assert facts[f"orders.channel.{name}"] == 2 and facts[f"gmv_vnd.channel.{name}"] == 5 * 180000
    assert facts[f"active_sellers_30d.channel.{name}"] == 1


def test_a_forged_or_foreign_notification_records_nothing(app, client, db, factory, farm_product, shopee):
    product, token = farm_product
    listing = listed(app, client, db, product, token, shopee, "shopee")
    with live_server(app) as base:
        app.config["PUBLIC_URL"] = base
        shopee.webhook_url = f"{base}/api/v1/webhooks/marketplaces/shopee/00583"
        shopee.hold_pushes = True
        placed = httpx.post(f"{shopee.url}/_sandbox/orders", json={"remote_id": listing.remote_id}).json()["order"]
        body, headers = shopee.order_webhook(placed)
        forged = httpx.post(shopee.webhook_url, content=body.replace(b'"code": 3', b'"code": 3 '),
                            headers=headers)
        assert forged.status_code == 401
        # signed for another address (a copy replayed elsewhere) is not genuine here
        elsewhere = httpx.post(f"{base}/api/v1/webhooks/marketplaces/shopee/00583?x=1", content=body, headers=headers)
        assert elsewhere.status_code == 401
        stranger = body.replace(str(placed["shop_id"]).encode(), b"9999999")
        from marketplace_adapters.shopee import signing

        signed = {**headers, "Authorization": signing.push_signature(shopee.partner_key, shopee.webhook_url, stranger)}
        assert httpx.post(shopee.webhook_url, content=stranger, headers=signed).status_code == 200
        db.expire_all()
        assert orders(db, "shopee") == 0  # no household connected shop 9999999


def test_two_channels_selling_the_last_unit_at_once_cancel_one_there(app, client, db, factory, farm_product,
                                                                     shopee, tiktok):
    from concurrent.futures import ThreadPoolExecutor

    product, token = farm_product
    shopee_listing = listed(app, client, db, product, token, shopee, "shopee")
    connect(client, product.household, tiktok, name="tiktok")
    client.post(f"/api/v1/products/{product.id}/listings", json={"marketplaces": ["tiktok"]}, headers=bearer(token))
    client.patch(f"/api/v1/products/{product.id}", json={"stock": 1}, headers=bearer(token))
    run_jobs(app)
    tiktok_listing = db.scalar(select(Listing).where(Listing.marketplace == "tiktok"))
    db.refresh(tiktok_listing)
    assert tiktok_listing.state == "live"
    with live_server(app) as base:
        app.config["PUBLIC_URL"] = base
        for sandbox, name in ((shopee, "shopee"), (tiktok, "tiktok")):
            sandbox.webhook_url = f"{base}/api/v1/webhooks/marketplaces/{name}/00583"
            sandbox.hold_pushes = True
        # a buyer on each marketplace takes the last jar before either hears of the other
        for sandbox, listing in ((shopee, shopee_listing), (tiktok, tiktok_listing)):
            httpx.post(f"{sandbox.url}/_sandbox/orders", json={"remote_id": listing.remote_id, "quantity": 1})
        with ThreadPoolExecutor(2) as pool:  # both notifications reach choso at the same moment
            answers = list(pool.map(lambda pair: httpx.post(f"{pair[0].url}/_sandbox/pushes",
                                                            json={"hold": False}, timeout=30).json(),
                                    ((shopee, "shopee"), (tiktok, "tiktok"))))
    assert [a["delivered"] for a in answers] == [[200], [200]]
    db.expire_all()
    recorded = db.scalars(select(Order).where(Order.channel.in_(["shopee", "tiktok"]))).all()
    assert sorted(o.state for o in recorded) == ["cancelled", "confirmed"]
    assert db.get(type(product), product.id).stock == 0
    lost = next(o for o in recorded if o.state == "cancelled")
    remote_orders = shopee.orders if lost.channel == "shopee" else tiktok.orders
    cancelled = remote_orders[lost.remote_id]
    assert (cancelled.get("order_status") or cancelled.get("status")) == "CANCELLED"  # its buyer is told there
    assert "OUT_OF_STOCK" in cancelled["cancel_reason"].upper()
