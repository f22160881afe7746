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


def test_ten_different_transfers_for_one_bill_at_once_all_count(app, client, billing, factory, db):
    """Ten partial transfers naming the same bill arrive together: each is a payment, and the bill's total
    is their sum (not whichever wrote last)."""
    from payments.bills.models import Bill
    from payments.reconcile.models import Payment
    from tests.helpers import SEPAY_KEY, sepay_body
    from tests.payments.conftest import bill_for

    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    bill = bill_for(client, billing, billing.households[0])  # 30,000 đ
    with live_server(app) as base:
        url = f"{base}/api/v1/webhooks/payments/sepay/00583"
        bodies = iter([sepay_body(6000 + i, 3_000, f"{bill['reference']} dot {i}") for i in range(10)])
        codes = _all_at_once(10, lambda: httpx.post(url, json=next(bodies), timeout=60,
                                                    headers={"Authorization": f"Apikey {SEPAY_KEY}"}).status_code)
    assert codes == [200] * 10, codes
    db.expire_all()
    row = db.get(Bill, bill["id"])
    payments = db.scalar(select(func.count()).select_from(Payment))
    assert (payments, row.paid_vnd, row.state) == (10, 30_000, "paid")
    assert db.scalar(select(func.count()).select_from(Receipt)) == 10


def _unmatched_transfer(client, factory, db, billing):
    from payments.reconcile.models import BankTransaction
    from tests.helpers import SEPAY_KEY, post_sepay, sepay_body
    from tests.payments.conftest import bill_for

    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    bill = bill_for(client, billing, billing.households[0])
    post_sepay(client, sepay_body(8100, 30_000, "chuyen tien phi rac thang 11"))  # names no bill
    txn = db.scalar(select(BankTransaction).where(BankTransaction.transaction_id == "8100"))
    assert txn.state == "unmatched"
    return bill, txn


def test_five_staff_matching_one_transfer_at_once_match_it_once(app, client, billing, factory, db):
    from payments.reconcile.models import Payment

    bill, txn = _unmatched_transfer(client, factory, db, billing)
    staff = bearer(billing.token)
    with live_server(app) as base:
        url = f"{base}/api/v1/transactions/{txn.id}/match"
        codes = _all_at_once(5, lambda: httpx.post(url, headers=staff, timeout=60,
                                                   json={"bill_reference": bill["reference"]}).status_code)
    assert sorted(codes) == [200] + [409] * 4, codes
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Payment)) == 1
    assert db.scalar(select(func.count()).select_from(Receipt)) == 1


def test_five_staff_correcting_one_receipt_at_once_correct_it_once(app, client, billing, factory, db):
    from tests.helpers import SEPAY_KEY, post_sepay, sepay_body
    from tests.payments.conftest import bill_for

    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    bill = bill_for(client, billing, billing.households[0])
    post_sepay(client, sepay_body(8200, 30_000, bill["reference"]))
    (receipt,) = db.scalars(select(Receipt)).all()
    staff = bearer(billing.token)
    with live_server(app) as base:
        url = f"{base}/api/v1/receipts/{receipt.id}/correct"
        codes = _all_at_once(5, lambda: httpx.post(url, headers=staff, timeout=60,
                                                   json={"reason": "Sai tên người nộp"}).status_code)
    assert sorted(codes) == [201] + [409] * 4, codes
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Receipt).where(Receipt.cancels_id == receipt.id)) == 1
