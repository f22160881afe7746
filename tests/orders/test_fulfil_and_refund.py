"""Households fulfil their part of an order and refund items: money, stock, receipts and figures follow."""

import httpx
from sqlalchemy import select

from core.models import Product
from core.orders.models import OrderPayment
from core.testing import bearer
from payments.receipts.models import Receipt
from tests.helpers import STRIPE_SETTINGS, card_token
from tests.orders.buying import place, sepay_transfer, token_of


def paid_by_card(client, market, card, db, quantity=3):
    order = place(client, (market.tea, quantity))
    part = order["parts"][0]
    r = client.post(f"/api/v1/orders/{token_of(order)}/parts/{part['id']}/payments",
                    json={"method": "stripe", "card_token": card_token(card, "4242424242424242")})
    assert r.get_json()["state"] == "succeeded"
    return order, part


def stock(db, product):
    db.expire_all()
    return db.get(Product, product.id).stock


def test_the_household_moves_its_part_through_confirmed_shipped_delivered(client, market, card, factory, db):
    order, part = paid_by_card(client, market, card, db)
    owner = bearer(factory.token(market.tea_shop.owner))
    url = f"/api/v1/order-parts/{part['id']}/state"
    skip = client.post(url, headers=owner, json={"state": "delivered"})
    assert skip.status_code == 409 and skip.get_json()["error"]["fields"]["state"]
    for state in ("confirmed", "shipped", "delivered"):
        r = client.post(url, headers=owner, json={"state": state})
        assert r.status_code == 200 and r.get_json()["state"] == state
    assert client.get(order["link"]).get_json()["state"] == "delivered"
    stranger = bearer(factory.token(market.honey_shop.owner))
    assert client.post(url, headers=stranger, json={"state": "confirmed"}).status_code == 404
    assert client.get(f"/api/v1/shops/{market.tea_shop.id}/orders", headers=stranger).status_code == 404
    listed = client.get(f"/api/v1/shops/{market.tea_shop.id}/orders", headers=owner).get_json()
    assert [p["id"] for p in listed["items"]] == [part["id"]]


def test_a_partial_card_refund_goes_back_to_the_card_the_stock_and_the_receipts(client, market, card, factory, db):
    order, part = paid_by_card(client, market, card, db, quantity=3)
    assert stock(db, market.tea) == 7
    owner = bearer(factory.token(market.tea_shop.owner))
    staff = bearer(factory.token(market.staff))
    item = part["items"][0]
    r = client.post(f"/api/v1/order-parts/{part['id']}/refunds", headers=owner,
                    json={"items": {str(item["id"]): 1}, "reason": "Một gói bị ẩm"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["refunded_vnd"] == 120_000 and r.get_json()["state"] == "paid"
    assert stock(db, market.tea) == 8
    payment = db.scalars(select(OrderPayment)).one()
    remote = httpx.get(f"{card}/v1/payment_intents/{payment.remote_id}", auth=(STRIPE_SETTINGS["secret_key"], ""))
    assert remote.json()["latest_charge"]["amount_refunded"] == 120_000
    assert payment.state == "partially_refunded"
    receipts = db.scalars(select(Receipt).where(Receipt.order_part_id == part["id"]).order_by(Receipt.id)).all()
    assert [r.amount_vnd for r in receipts] == [360_000, 240_000]
    assert receipts[1].cancels_id == receipts[0].id and receipts[1].reason == "Một gói bị ẩm"
    assert receipts[1].amount_words == "Hai trăm bốn mươi nghìn đồng"
    figures = client.get("/api/v1/communes/00583/orders/figures", headers=staff).get_json()
    assert figures["sales_vnd"] == 240_000 and figures["cashless_vnd"] == 240_000 and figures["refunded_vnd"] == 120_000

    rest = client.post(f"/api/v1/order-parts/{part['id']}/refunds", headers=owner,
                       json={"items": {str(item["id"]): 2}, "reason": "Khách trả hết"})
    assert rest.status_code == 201 and rest.get_json()["state"] == "refunded"
    assert stock(db, market.tea) == 10
    figures = client.get("/api/v1/communes/00583/orders/figures", headers=staff).get_json()
    assert figures["sales_vnd"] == 0 and figures["refunded_vnd"] == 360_000
    last = db.scalars(select(Receipt).where(Receipt.order_part_id == part["id"]).order_by(Receipt.id)).all()[-1]
    assert last.amount_vnd == 0 and last.cancels_id == receipts[1].id


def test_a_refund_larger_than_paid_or_of_unknown_items_changes_nothing(client, market, card, factory, db):
    order, part = paid_by_card(client, market, card, db, quantity=2)
    owner = bearer(factory.token(market.tea_shop.owner))
    item = part["items"][0]
    url = f"/api/v1/order-parts/{part['id']}/refunds"
    too_many = client.post(url, headers=owner, json={"items": {str(item["id"]): 3}})
    assert too_many.status_code == 422 and "tối đa 2" in str(too_many.get_json()["error"]["fields"])
    unknown = client.post(url, headers=owner, json={"items": {"999999": 1}})
    assert unknown.status_code == 422
    nothing = client.post(url, headers=owner, json={"items": {str(item["id"]): 0}})
    assert nothing.status_code == 422
    assert stock(db, market.tea) == 8
    payment = db.scalars(select(OrderPayment)).one()
    assert payment.refunded_vnd == 0 and payment.state == "succeeded"
    remote = httpx.get(f"{card}/v1/payment_intents/{payment.remote_id}", auth=(STRIPE_SETTINGS["secret_key"], ""))
    assert remote.json()["latest_charge"]["amount_refunded"] == 0
    assert len(db.scalars(select(Receipt)).all()) == 1


def test_an_unpaid_part_cannot_be_refunded_and_a_bank_transfer_is_returned_by_hand(client, market, factory, db):
    order = place(client, (market.honey, 2))
    part = order["parts"][0]
    owner = bearer(factory.token(market.honey_shop.owner))
    unpaid = client.post(f"/api/v1/order-parts/{part['id']}/refunds", headers=owner,
                         json={"items": {str(part["items"][0]["id"]): 1}})
    assert unpaid.status_code == 409  # the request is fine; the part is not paid (yet)
    client.post(f"/api/v1/orders/{token_of(order)}/parts/{part['id']}/payments", json={"method": "vietqr"})
    sepay_transfer(client, 7001, 360_000, part["reference"], account="10987654321")
    r = client.post(f"/api/v1/order-parts/{part['id']}/refunds", headers=owner,
                    json={"items": {str(part["items"][0]["id"]): 1}, "reason": "hết hàng"})
    assert r.status_code == 201 and r.get_json()["refunded_vnd"] == 180_000
    assert stock(db, market.honey) == 5


def test_a_transfer_after_the_part_was_cancelled_is_returned_whole_without_touching_stock(
        client, market, factory, db):
    order = place(client, (market.honey, 2))
    part = order["parts"][0]
    client.post(f"/api/v1/orders/{token_of(order)}/parts/{part['id']}/payments", json={"method": "vietqr"})
    client.post(order["link"] + "/cancel")  # the buyer gave up, then paid from the QR they had saved anyway
    in_stock = stock(db, market.honey)
    sepay_transfer(client, 7101, 360_000, part["reference"], account="10987654321")
    late = client.get(order["link"]).get_json()["parts"][0]
    assert late["state"] == "cancelled" and late["paid_vnd"] == 360_000

    owner = bearer(factory.token(market.honey_shop.owner))
    r = client.post(f"/api/v1/order-parts/{part['id']}/refunds", headers=owner,
                    json={"items": {}, "reason": "đơn đã huỷ"})
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["state"], r.get_json()["refunded_vnd"]) == ("refunded", 360_000)
    assert stock(db, market.honey) == in_stock  # its items went back when it was cancelled, not twice
    receipts = db.scalars(select(Receipt).where(Receipt.order_part_id == part["id"]).order_by(Receipt.id)).all()
    assert [r.amount_vnd for r in receipts] == [360_000, 0] and receipts[1].cancels_id == receipts[0].id
    again = client.post(f"/api/v1/order-parts/{part['id']}/refunds", headers=owner, json={"items": {}})
    assert again.status_code == 409  # nothing left to give back: the part is refunded


def test_the_household_returns_a_late_transfer_from_its_order_page(client, market, factory, db):
    from core.services import users
    from core.testing import csrf_from, login

    order = place(client, (market.honey, 1))
    part = order["parts"][0]
    client.post(f"/api/v1/orders/{token_of(order)}/parts/{part['id']}/payments", json={"method": "vietqr"})
    client.post(order["link"] + "/cancel")
    sepay_transfer(client, 7102, 180_000, part["reference"], account="10987654321")
    owner = db.merge(market.honey_shop.owner)
    users.set_password(owner, "mật-khẩu-đủ-dài")
    db.commit()
    login(client, owner, "mật-khẩu-đủ-dài")
    page = client.get(f"/dashboard/orders/{part['id']}").get_data(as_text=True)
    assert "sau khi đơn đã huỷ" in page and 'id="return-late"' in page and 'name="refund-' not in page
    done = client.post(f"/dashboard/orders/{part['id']}", data={
        "action": "refund", "reason": "đơn đã huỷ", "csrf_token": csrf_from(page)}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Đã ghi nhận trả lại 180.000 ₫" in text and 'id="return-late"' not in text
