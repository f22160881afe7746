"""Starting a payment and recording cash, raced over real HTTP (issue 13.5, "every other money move"): one part
is paid once, with one receipt, however many desks or tabs act at the same moment.

Runs on SQLite and, in CI's second pass, on PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from core.orders.models import OrderPart, OrderPayment
from core.orders.states import OPEN_PAYMENT
from core.testing import bearer
from core.testing_server import live_server
from payments.receipts.models import Receipt
from tests.orders.buying import place, token_of


def _all_at_once(n: int, call) -> list[int]:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _i: call(), range(n)))


def test_ten_staff_recording_the_same_cash_payment_at_once_record_it_once(app, client, market, factory, db):
    order = place(client, (market.honey, 2))
    part = order["parts"][0]
    staff = bearer(factory.token(market.staff))
    with live_server(app) as base:
        url = f"{base}/api/v1/order-parts/{part['id']}/cash"
        codes = _all_at_once(10, lambda: httpx.post(url, headers=staff, timeout=60).status_code)
    assert sorted(codes) == [201] + [409] * 9, codes
    db.expire_all()
    row = db.get(OrderPart, part["id"])
    assert row.state == "paid" and row.paid_vnd == row.subtotal_vnd == 360_000
    paid = db.scalars(select(OrderPayment).where(OrderPayment.state == "succeeded")).all()
    assert len(paid) == 1
    assert db.scalar(select(func.count()).select_from(Receipt)) == 1


def test_ten_tabs_starting_a_vietqr_payment_leave_one_open_attempt(app, client, market, db):
    order = place(client, (market.tea, 1))
    part = order["parts"][0]
    with live_server(app) as base:
        url = f"{base}/api/v1/orders/{token_of(order)}/parts/{part['id']}/payments"
        codes = _all_at_once(10, lambda: httpx.post(url, json={"method": "vietqr"}, timeout=60).status_code)
    assert set(codes) <= {201, 409} and 201 in codes, codes
    db.expire_all()
    attempts = db.scalars(select(OrderPayment).where(OrderPayment.part_id == part["id"])).all()
    open_ones = [p for p in attempts if p.state in OPEN_PAYMENT]
    assert len(open_ones) == 1, [(p.id, p.state) for p in attempts]  # one QR the buyer can pay, not ten
    assert db.get(OrderPart, part["id"]).state == "pending_payment"
