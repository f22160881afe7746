"""Postmart and Voso orders whose webhook was lost come home by the worker's poll, once; when both sell the
last unit at once, the later one is cancelled on its marketplace."""

import httpx
from sqlalchemy import func, select

from core.orders.models import Order
from core.publishing import connections
from core.publishing.models import Listing
from core.testing import bearer, run_jobs
from core.testing_server import live_server


def test_lost_webhooks_are_found_by_polling_and_an_oversell_is_cancelled_there(app, client, db, sandboxes,
                                                                               farm_product):
    product, token = farm_product
    client.post(f"/api/v1/products/{product.id}/listings", json={}, headers=bearer(token))
    client.patch(f"/api/v1/products/{product.id}", json={"stock": 1}, headers=bearer(token))
    run_jobs(app)
    rows = {row.marketplace: row for row in db.scalars(select(Listing).where(Listing.product_id == product.id))}
    assert {name: row.state for name, row in rows.items()} == {"postmart": "live", "voso": "live"}
    # a buyer on each marketplace takes the last jar; neither webhook reaches choso
    for name in ("postmart", "voso"):
        sandboxes[name].control.order(rows[name].remote_id, quantity=1)
    with app.app_context():
        assert connections.poll_commune_orders(db) == 2
    db.expire_all()
    recorded = db.scalars(select(Order).where(Order.channel.in_(["postmart", "voso"]))).all()
    assert sorted(o.state for o in recorded) == ["cancelled", "confirmed"]
    assert db.get(type(product), product.id).stock == 0
    lost = next(o for o in recorded if o.state == "cancelled")
    assert sandboxes[lost.channel].orders[lost.remote_id]["state"] == "cancelled"  # the marketplace tells its buyer
    # polled again, and the late webhooks arriving after all: nothing more
    with app.app_context():
        connections.poll_commune_orders(db)
    with live_server(app) as base:
        for name in ("postmart", "voso"):
            sandbox = sandboxes[name]
            order = next(iter(sandbox.orders.values()))
            body, headers = sandbox.order_webhook(order)
            assert httpx.post(f"{base}/api/v1/webhooks/marketplaces/{name}/00583", content=body,
                              headers=headers).status_code == 200
    db.expire_all()
    assert db.scalar(select(func.count(Order.id)).where(Order.channel.in_(["postmart", "voso"]))) == 2
