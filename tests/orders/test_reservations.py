"""Direct orders reserve stock: never oversold, given back on cancel or when payment time runs out."""

import threading
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from core.db import utcnow
from core.jobs.models import Job
from core.models import Product
from core.orders.models import Order
from core.testing import run_jobs
from core.testing_server import live_server

BUYER = {"name": "Chị Mai", "phone": "0912345678", "address": "Thôn 2, Xã Bát Tràng"}


def order(client, product, quantity=1, price=None):
    return client.post("/api/v1/orders", json={"commune_code": "00583", **BUYER, "lines": [
        {"product_id": product.id, "quantity": quantity, "price_vnd": price or product.price_vnd}]})


def stock(db, product):
    db.expire_all()
    return db.get(Product, product.id).stock


def test_an_order_reserves_stock_and_cancelling_gives_it_back(client, factory, db):
    product = factory.product(stock=10, price_vnd=90000)
    r = order(client, product, 3)
    assert r.status_code == 201 and r.get_json()["total_vnd"] == 270000 and r.get_json()["state"] == "pending_payment"
    assert stock(db, product) == 7
    link = r.get_json()["link"]
    assert client.post(link + "/cancel").get_json()["state"] == "cancelled"
    assert stock(db, product) == 10
    assert client.post(link + "/cancel").get_json()["state"] == "cancelled"  # twice changes nothing
    assert stock(db, product) == 10


def test_bad_orders_are_refused_and_change_nothing(client, factory, db):
    product = factory.product(stock=2, price_vnd=90000)
    empty = client.post("/api/v1/orders", json={"commune_code": "00583", **BUYER, "lines": []})
    assert empty.status_code == 422
    changed = order(client, product, 1, price=80000)
    assert changed.status_code == 409 and "90.000" in str(changed.get_json()["error"]["fields"])
    too_many = order(client, product, 3)
    assert too_many.status_code == 409 and "Chỉ còn 2" in too_many.get_json()["error"]["message"]
    assert stock(db, product) == 2
    assert db.scalar(select(func.count()).select_from(Order)) == 0


def test_a_product_named_in_two_lines_is_ordered_once_with_both_quantities(client, factory, db):
    """What the API document allows is accepted (issue 18.3): a product in several lines at its price is one
    line with the quantities added; lines at two prices are refused as a changed price, nothing reserved."""
    product = factory.product(stock=5, price_vnd=90000)
    line = {"product_id": product.id, "price_vnd": 90000}
    r = client.post("/api/v1/orders", json={"commune_code": "00583", **BUYER, "lines": [
        {**line, "quantity": 1}, {**line, "quantity": 2}]})
    assert r.status_code == 201 and r.get_json()["total_vnd"] == 270000
    assert [item["quantity"] for part in r.get_json()["parts"] for item in part["items"]] == [3]
    assert stock(db, product) == 2
    mixed = client.post("/api/v1/orders", json={"commune_code": "00583", **BUYER, "lines": [
        {**line, "quantity": 1}, {**line, "quantity": 1, "price_vnd": 80000}]})
    assert mixed.status_code == 409 and "90.000" in str(mixed.get_json()["error"]["fields"])
    assert stock(db, product) == 2


def test_unpaid_orders_give_their_stock_back_when_time_runs_out(client, app, factory, db):
    product = factory.product(stock=4)
    order(client, product, 4)
    assert stock(db, product) == 0
    job = db.scalars(select(Job).where(Job.kind == "orders.expire")).one()
    job.run_at = utcnow() - timedelta(seconds=1)  # as if the 30 minutes had passed
    db.commit()
    run_jobs(app)
    assert stock(db, product) == 4
    db.expire_all()
    assert db.scalars(select(Order)).one().state == "cancelled"


def test_twenty_buyers_at_once_for_the_last_five_units(app, factory, db):
    product = factory.product(stock=5, price_vnd=50000)
    codes = []
    with live_server(app) as base:
        barrier = threading.Barrier(20)

        def buy():
            barrier.wait()
            codes.append(httpx.post(f"{base}/api/v1/orders", timeout=60, json={
                "commune_code": "00583", **BUYER,
                "lines": [{"product_id": product.id, "quantity": 1, "price_vnd": 50000}]}).status_code)

        threads = [threading.Thread(target=buy) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(codes) == [201] * 5 + [409] * 15
    assert stock(db, product) == 0
    assert db.scalar(select(func.count()).select_from(Order)) == 5
