"""Bank notifications: stored once, matched by reference and amount, receipts without gaps."""

import io
import json
import threading
import time

import httpx
import pytest
from sqlalchemy import func, select

from core.testing import bearer
from core.testing_server import live_server
from payments.receipts.models import Receipt
from payments.reconcile.models import BankTransaction, Payment
from payments.sources import casso, payos
from tests.helpers import SEPAY_KEY, post_sepay, sepay_body
from tests.payments.conftest import bill_for


@pytest.fixture
def sepay(factory):
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})


def bill_state(client, billing, bill):
    rows = client.get("/api/v1/communes/00583/bills", headers=bearer(billing.token)).get_json()["items"]
    return next(b for b in rows if b["id"] == bill["id"])


def test_a_transfer_with_the_reference_pays_the_bill_once(client, billing, sepay, db):
    bill = bill_for(client, billing, billing.households[0])
    body = sepay_body(92704, 30000, f"NGUYEN VAN AN chuyen tien {bill['reference']} phi rac")
    r = post_sepay(client, body)
    assert r.status_code == 200 and r.get_json() == {"success": True}
    assert bill_state(client, billing, bill)["state"] == "paid"
    assert post_sepay(client, body).get_json() == {"success": True}  # SePay retries: still one payment
    assert db.scalar(select(func.count()).select_from(Payment)) == 1
    receipt = db.scalars(select(Receipt)).one()
    assert (receipt.number, receipt.amount_words) == (1, "Ba mươi nghìn đồng")


def test_the_api_key_is_checked(client, billing, sepay, db):
    bill = bill_for(client, billing, billing.households[0])
    r = post_sepay(client, sepay_body(1, 30000, bill["reference"]), key="wrong")
    assert r.status_code == 401
    assert db.scalar(select(func.count()).select_from(BankTransaction)) == 0


@pytest.mark.parametrize("mangle", [
    lambda ref: ref.lower(),
    lambda ref: f"{ref[:4]} {ref[4:7]} {ref[7:]}",
    lambda ref: f"IBFT CT DEN:123456789 {ref}-phi rac thang 11 Ma GD ACSP/ ab12",
    lambda ref: ref.replace("0", "O") if "0" in ref else ref.replace("1", "I"),
    lambda ref: f"thanh toan phi {ref[:9]}",  # the bank cut the text inside the reference
])
def test_mangled_references_still_match(client, billing, sepay, mangle):
    bill = bill_for(client, billing, billing.households[0])
    post_sepay(client, sepay_body(500, 30000, mangle(bill["reference"])))
    assert bill_state(client, billing, bill)["state"] == "paid"


def test_partial_then_rest_arriving_out_of_order_and_overpayment(client, billing, sepay, db):
    first = bill_for(client, billing, billing.households[0])
    post_sepay(client, sepay_body(11, 20000, first["reference"], when="2026-11-25 12:00:00"))
    assert bill_state(client, billing, first)["state"] == "partially_paid"
    post_sepay(client, sepay_body(10, 10000, first["reference"], when="2026-11-25 09:00:00"))
    assert bill_state(client, billing, first) | {} == bill_state(client, billing, first)
    assert bill_state(client, billing, first)["state"] == "paid"
    second = bill_for(client, billing, billing.households[1])
    post_sepay(client, sepay_body(12, 50000, second["reference"]))
    over = bill_state(client, billing, second)
    assert (over["state"], over["paid_vnd"]) == ("overpaid", 50000)
    numbers = [r.number for r in db.scalars(select(Receipt).order_by(Receipt.number))]
    assert numbers == [1, 2, 3]


def test_money_without_a_reference_waits_for_staff_who_match_it_by_hand(client, billing, sepay, db, factory):
    bill = bill_for(client, billing, billing.households[2])
    post_sepay(client, sepay_body(77, 30000, "chuyen tien phi rac nha ba Cuc"))
    queue = client.get("/api/v1/communes/00583/transactions?state=unmatched",
                       headers=bearer(billing.token)).get_json()["items"]
    assert len(queue) == 1 and queue[0]["amount_vnd"] == 30000
    household = factory.token(billing.households[2].owner)
    assert client.post(f"/api/v1/transactions/{queue[0]['id']}/match", headers=bearer(household),
                       json={"bill_reference": bill["reference"]}).status_code == 403
    r = client.post(f"/api/v1/transactions/{queue[0]['id']}/match", headers=bearer(billing.token),
                    json={"bill_reference": bill["reference"].lower()})
    assert r.status_code == 200 and r.get_json()["bill"]["state"] == "paid"
    from core.models import AuditLog

    entry = db.scalars(select(AuditLog).where(AuditLog.action == "transaction.match")).one()
    assert entry.actor_id == billing.staff.id
    again = client.post(f"/api/v1/transactions/{queue[0]['id']}/match", headers=bearer(billing.token),
                        json={"bill_reference": bill["reference"]})
    assert again.status_code == 409


def test_a_statement_imported_twice_changes_nothing_the_second_time(client, billing, db):
    bill = bill_for(client, billing, billing.households[0])
    csv_text = ("transaction_id,date,amount,content\n"
                f"FT001,2026-11-20 08:00:00,30000,{bill['reference']} phi rac\n"
                "FT002,2026-11-20 09:00:00,45000,tien nuoc\n")

    def send():
        return client.post("/api/v1/communes/00583/statements", headers=bearer(billing.token),
                           data={"file": (io.BytesIO(csv_text.encode()), "sao-ke.csv")},
                           content_type="multipart/form-data").get_json()["outcome"]

    assert send() == {"rows": 2, "duplicates": 0, "matched": 1, "unmatched": 1, "paid": [bill["reference"]]}
    assert send() == {"rows": 2, "duplicates": 2, "matched": 0, "unmatched": 1, "paid": []}
    assert db.scalar(select(func.count()).select_from(Payment)) == 1


def test_casso_signatures_are_checked(client, billing, factory, db):
    factory.enable_payment_source("casso", {"checksum_key": "casso-checksum-key"})
    bill = bill_for(client, billing, billing.households[0])
    data = {"error": 0, "data": {"id": 8812, "reference": "FT2633", "description": f"{bill['reference']} phi rac",
                                 "amount": 30000, "runningBalance": 1_000_000,
                                 "transactionDateTime": "2026-11-25 10:00:00", "accountNumber": "0011009999999",
                                 "bankName": "Vietcombank", "bankAbbreviation": "VCB"}}
    now = str(int(time.time() * 1000))
    good = f"t={now},v1={casso.signature('casso-checksum-key', now, data)}"
    body = json.dumps(data, ensure_ascii=False)
    url = "/api/v1/webhooks/payments/casso/00583"
    bad = f"t={now},v1={casso.signature('other-key', now, data)}"
    assert client.post(url, data=body, headers={"X-Casso-Signature": bad},
                       content_type="application/json").status_code == 401
    old = str(int(time.time() * 1000) - 3_600_000)
    stale = f"t={old},v1={casso.signature('casso-checksum-key', old, data)}"
    assert client.post(url, data=body, headers={"X-Casso-Signature": stale},
                       content_type="application/json").status_code == 401
    r = client.post(url, data=body, headers={"X-Casso-Signature": good}, content_type="application/json")
    assert r.status_code == 200
    assert bill_state(client, billing, bill)["state"] == "paid"


def test_payos_signatures_are_checked(client, billing, factory):
    factory.enable_payment_source("payos", {"checksum_key": "payos-checksum-key"})
    bill = bill_for(client, billing, billing.households[0])
    data = {"orderCode": 123, "amount": 30000, "description": bill["reference"], "accountNumber": "0011009999999",
            "reference": "TF230204212323", "transactionDateTime": "2026-11-25 18:25:00", "currency": "VND",
            "paymentLinkId": "abc", "code": "00", "desc": "Thành công", "counterAccountBankId": None}
    body = {"code": "00", "desc": "success", "success": True, "data": data,
            "signature": payos.signature("payos-checksum-key", data)}
    url = "/api/v1/webhooks/payments/payos/00583"
    assert client.post(url, json={**body, "signature": "0" * 64}).status_code == 401
    r = client.post(url, json=body)
    assert r.get_json() == {"error": 0, "message": "ok"}
    assert bill_state(client, billing, bill)["state"] == "paid"


def test_payos_signature_agrees_with_the_official_sdk():
    from payos._crypto.provider import CryptoProvider

    data = {"orderCode": 7, "amount": 1000, "description": "Phí X0J7", "reference": None, "paid": True,
            "items": [{"name": "Rác", "price": 1000}, {"price": 2, "name": "b"}]}
    assert payos.signature("k", data) == CryptoProvider().create_signature_from_object(data, "k")


def test_two_deliveries_at_once_are_one_payment(app, client, billing, sepay, db):
    bill = bill_for(client, billing, billing.households[0])
    body = sepay_body(4242, 30000, bill["reference"])
    results = []
    with live_server(app) as base:
        barrier = threading.Barrier(4)

        def deliver():
            barrier.wait()
            results.append(httpx.post(f"{base}/api/v1/webhooks/payments/sepay/00583", json=body,
                                      headers={"Authorization": f"Apikey {SEPAY_KEY}"}).status_code)

        threads = [threading.Thread(target=deliver) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [200] * 4
    assert db.scalar(select(func.count()).select_from(Payment)) == 1
    assert db.scalar(select(func.count()).select_from(Receipt)) == 1


def test_hooks_hear_of_payments_and_paid_bills(client, billing, sepay, app, monkeypatch):
    """What reconciliation announces (delivered to plugins by the job queue: tests/plugins)."""
    from core import events

    heard = []
    monkeypatch.setattr(events, "fire", lambda hook, **kwargs: heard.append((hook, kwargs)))
    bill = bill_for(client, billing, billing.households[0])
    post_sepay(client, sepay_body(1, 10000, bill["reference"]))
    post_sepay(client, sepay_body(2, 20000, bill["reference"]))
    kinds = [h for h, _ in heard]
    assert kinds == ["payment_received", "payment_received", "bill_paid"]
    assert heard[2][1]["bill"].number == bill["reference"] and heard[2][1]["bill"].paid_vnd == 30000
