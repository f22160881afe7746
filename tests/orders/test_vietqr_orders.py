"""Orders split into one part per household; each part paid by a VietQR transfer to that household's account."""

from sqlalchemy import func, select

from core.models import Product
from core.orders.models import OrderPayment
from payments.receipts.models import Receipt
from payments.reconcile.models import BankTransaction
from payments.vietqr import decode
from tests.orders.buying import place, sepay_transfer, token_of


def pay_by_qr(client, order, part):
    r = client.post(f"/api/v1/orders/{token_of(order)}/parts/{part['id']}/payments", json={"method": "vietqr"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_an_order_from_two_households_has_one_part_each_with_its_own_reference(client, market):
    order = place(client, (market.tea, 2), (market.honey, 1))
    parts = {p["household_id"]: p for p in order["parts"]}
    assert set(parts) == {market.tea_shop.id, market.honey_shop.id}
    assert parts[market.tea_shop.id]["subtotal_vnd"] == 240_000
    assert parts[market.honey_shop.id]["subtotal_vnd"] == 180_000
    assert order["total_vnd"] == 420_000
    refs = [p["reference"] for p in order["parts"]]
    assert len(set(refs)) == 2 and all(r.startswith("X") and len(r) == 12 for r in refs)
    assert all(p["state"] == "pending_payment" for p in order["parts"])


def test_the_qr_pays_the_household_account_the_exact_amount_with_the_reference(client, market):
    order = place(client, (market.tea, 2), (market.honey, 1))
    tea_part = next(p for p in order["parts"] if p["household_id"] == market.tea_shop.id)
    payment = pay_by_qr(client, order, tea_part)
    assert payment["state"] == "pending" and payment["next_step"]["kind"] == "show_qr"
    qr = decode(payment["next_step"]["qr_payload"])
    assert (qr.bank_bin, qr.account, qr.amount) == ("970436", "0011001234567", 240_000)
    assert qr.purpose.startswith(tea_part["reference"]) and not qr.static
    image = client.get(f"/orders/{token_of(order)}/parts/{tea_part['id']}/qr.png")
    assert image.status_code == 200 and image.mimetype == "image/png"


def test_a_transfer_naming_the_part_pays_it_once_and_issues_a_receipt(client, market, db):
    order = place(client, (market.tea, 2), (market.honey, 1))
    tea_part = next(p for p in order["parts"] if p["household_id"] == market.tea_shop.id)
    pay_by_qr(client, order, tea_part)
    content = f"MAI CHUYEN TIEN {tea_part['reference'].lower()} cam on"
    for _ in range(2):  # the source retries: the same notification twice is one payment
        assert sepay_transfer(client, 5001, 240_000, content).status_code == 200
    now = client.get(order["link"]).get_json()
    parts = {p["id"]: p for p in now["parts"]}
    assert parts[tea_part["id"]]["state"] == "paid" and parts[tea_part["id"]]["paid_vnd"] == 240_000
    other = next(p for p in now["parts"] if p["id"] != tea_part["id"])
    assert other["state"] == "pending_payment" and now["state"] == "pending_payment"
    receipts = db.scalars(select(Receipt).where(Receipt.order_part_id == tea_part["id"])).all()
    assert len(receipts) == 1 and receipts[0].amount_vnd == 240_000
    assert receipts[0].amount_words == "Hai trăm bốn mươi nghìn đồng"
    page = client.get(f"/b/{token_of(order)}/receipts/{receipts[0].id}")
    assert page.status_code == 200 and "Hai trăm bốn mươi nghìn đồng" in page.get_data(as_text=True)
    assert client.get(f"/b/{'x' * 43}/receipts/{receipts[0].id}").status_code == 404


def test_a_transfer_of_the_wrong_amount_waits_for_staff_and_pays_nothing(client, market, db):
    order = place(client, (market.honey, 1))
    part = order["parts"][0]
    pay_by_qr(client, order, part)
    assert sepay_transfer(client, 5002, 100_000, f"CK {part['reference']}").status_code == 200
    assert client.get(order["link"]).get_json()["parts"][0]["state"] == "pending_payment"
    txn = db.scalars(select(BankTransaction).where(BankTransaction.transaction_id == "5002")).one()
    assert txn.state == "unmatched"
    assert db.scalar(select(func.count()).select_from(Receipt).where(Receipt.order_part_id == part["id"])) == 0


def test_cash_at_the_office_is_recorded_by_staff_only_and_counts_as_cash(client, market, factory, db):
    order = place(client, (market.tea, 1), (market.honey, 1))
    tea_part = next(p for p in order["parts"] if p["household_id"] == market.tea_shop.id)
    buyer_try = client.post(f"/api/v1/orders/{token_of(order)}/parts/{tea_part['id']}/payments",
                            json={"method": "cash"})
    assert buyer_try.status_code == 422 and buyer_try.get_json()["error"]["fields"]["method"]
    household = factory.token(market.tea_shop.owner)
    assert client.post(f"/api/v1/order-parts/{tea_part['id']}/cash",
                       headers={"Authorization": f"Bearer {household}"}).status_code == 404
    staff = factory.token(market.staff)
    r = client.post(f"/api/v1/order-parts/{tea_part['id']}/cash", headers={"Authorization": f"Bearer {staff}"})
    assert r.status_code == 201 and r.get_json()["state"] == "succeeded"
    honey_part = next(p for p in order["parts"] if p["id"] != tea_part["id"])
    pay_by_qr(client, order, honey_part)
    sepay_transfer(client, 5003, 180_000, f"{honey_part['reference']}", account="10987654321")
    figures = client.get("/api/v1/communes/00583/orders/figures",
                         headers={"Authorization": f"Bearer {staff}"}).get_json()
    assert figures["sales_vnd"] == 300_000 and figures["cash_vnd"] == 120_000 and figures["cashless_vnd"] == 180_000
    assert figures["cashless_share"] == 0.6 and figures["households_selling"] == 2
    assert client.get("/api/v1/communes/00583/orders/figures",
                      headers={"Authorization": f"Bearer {household}"}).status_code == 403


def test_a_cancelled_part_gives_its_stock_back_and_its_qr_is_gone(client, market, db):
    order = place(client, (market.honey, 2))
    part = order["parts"][0]
    pay_by_qr(client, order, part)
    assert client.post(order["link"] + "/cancel").get_json()["parts"][0]["state"] == "cancelled"
    db.expire_all()
    assert db.get(Product, market.honey.id).stock == 6
    assert db.scalars(select(OrderPayment)).one().state == "cancelled"
    assert client.get(f"/orders/{token_of(order)}/parts/{part['id']}/qr.png").status_code == 404
