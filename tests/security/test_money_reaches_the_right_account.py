"""Money pays a bill only when it reached the commune's collection account, and an order part only when it
reached the account the part's QR named (issue 13.2); statements say which account they are of."""

import io

from sqlalchemy import func, select

from core.orders.models import OrderPart
from core.testing import bearer
from payments.receipts.models import Receipt
from payments.reconcile.models import BankTransaction, Payment
from tests.helpers import post_sepay, sepay_body
from tests.orders.buying import place, sepay_transfer, token_of
from tests.payments.conftest import bill_for

COLLECTION = "0011009999999"  # tests/payments/conftest.py
HOUSEHOLD = "0011001234567"


def test_a_transfer_into_a_household_account_naming_a_bill_does_not_pay_it(client, billing, factory, db):
    factory.enable_payment_source("sepay", {"api_key": "sepay-secret-key-0001"})
    bill = bill_for(client, billing, billing.households[0])
    r = post_sepay(client, sepay_body(7001, 30_000, f"{bill['reference']} phi rac", account=HOUSEHOLD),
                   key="sepay-secret-key-0001")
    assert r.status_code == 200
    assert db.scalar(select(func.count()).select_from(Payment)) == 0
    assert db.scalar(select(func.count()).select_from(Receipt)) == 0
    txn = db.scalar(select(BankTransaction).where(BankTransaction.transaction_id == "7001"))
    assert txn.state == "unmatched" and txn.reason == "wrong_account"
    # the staff queue says why, in words
    from core.testing import login

    staff = factory.user("staff", password="mat-khau-can-bo")
    login(client, staff, "mat-khau-can-bo")
    page = client.get("/staff/00583/transactions").get_data(as_text=True)
    assert "tiền vào một tài khoản khác" in page and HOUSEHOLD in page
    # nor can staff match it by hand: the money is not in the commune's account
    r = client.post(f"/api/v1/transactions/{txn.id}/match", headers=bearer(billing.token),
                    json={"bill_reference": bill["reference"]})
    assert r.status_code == 422 and HOUSEHOLD in r.get_json()["error"]["message"]
    # the same transfer into the collection account pays it
    post_sepay(client, sepay_body(7002, 30_000, f"{bill['reference']} phi rac", account=COLLECTION),
               key="sepay-secret-key-0001")
    assert db.scalar(select(func.count()).select_from(Payment)) == 1


def test_an_order_part_is_paid_only_by_money_into_the_account_its_qr_named(client, market, db):
    order = place(client, (market.tea, 2))
    part = order["parts"][0]
    r = client.post(f"/api/v1/orders/{token_of(order)}/parts/{part['id']}/payments", json={"method": "vietqr"})
    assert r.status_code == 201
    content = f"CHUYEN TIEN {part['reference']}"
    assert sepay_transfer(client, 7101, 240_000, content, account="0011009999999").status_code == 200
    assert db.get(OrderPart, part["id"]).state == "pending_payment"
    txn = db.scalar(select(BankTransaction).where(BankTransaction.transaction_id == "7101"))
    assert txn.state == "unmatched" and txn.reason == "wrong_account"
    assert sepay_transfer(client, 7102, 240_000, content, account=HOUSEHOLD).status_code == 200
    db.expire_all()
    assert db.get(OrderPart, part["id"]).state == "paid"


def _statement(client, token, text: str, **form):
    return client.post("/api/v1/communes/00583/statements", headers=bearer(token),
                       data={"file": (io.BytesIO(text.encode()), "sao-ke.csv"), **form},
                       content_type="multipart/form-data")


def test_a_statement_of_another_account_pays_no_bill(client, billing, db):
    bill = bill_for(client, billing, billing.households[0])
    text = f"transaction_id,date,amount,content\nFT9,2026-11-20 08:00:00,30000,{bill['reference']}\n"
    r = _statement(client, billing.token, text, account_number=HOUSEHOLD)
    assert r.status_code == 201 and r.get_json()["outcome"]["matched"] == 0
    assert db.scalar(select(func.count()).select_from(Payment)) == 0
