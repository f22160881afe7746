"""Card payments through the official stripe SDK, against localstripe running as a real process.

localstripe simulates success, declines (4000000000000002 refused when the card is saved, 4000000000000341
refused when charged) and 3-D Secure (4000002760003184 → requires_action, completed through its
`_authenticate` endpoint as its Stripe.js stand-in does), and sends signed webhooks. Nothing here is mocked.
"""

import hashlib
import hmac
import json
import threading
import time

import httpx
import pytest
from sqlalchemy import func, select

from core.orders.models import OrderPayment, ProcessedWebhook
from core.testing import bearer
from core.testing_server import live_server
from payments.receipts.models import Receipt
from tests.helpers import STRIPE_SETTINGS, card_token, free_port, localstripe
from tests.orders.buying import place, token_of

VISA, DECLINED, DECLINED_ON_CHARGE, THREE_D_SECURE = (
    "4242424242424242", "4000000000000002", "4000000000000341", "4000002760003184")


def pay_by_card(client, order, part, number, stripe_url, lang="vi"):
    return client.post(f"/api/v1/orders/{token_of(order)}/parts/{part['id']}/payments?lang={lang}",
                       json={"method": "stripe", "card_token": card_token(stripe_url, number)})


def intent(stripe_url, remote_id):
    return httpx.get(f"{stripe_url}/v1/payment_intents/{remote_id}",
                     auth=(STRIPE_SETTINGS["secret_key"], "")).json()


def test_a_card_payment_in_dong_pays_the_part_at_once(client, market, card, db):
    order = place(client, (market.honey, 2))
    r = pay_by_card(client, order, order["parts"][0], VISA, card)
    assert r.status_code == 201, r.get_json()
    payment = r.get_json()
    assert payment["state"] == "succeeded" and payment["next_step"]["kind"] == "done"
    remote = db.scalars(select(OrderPayment)).one().remote_id
    charged = intent(card, remote)
    # VND is zero-decimal: 360000 is 360,000 đồng, not 3,600.00
    assert (charged["amount"], charged["currency"], charged["status"]) == (360_000, "vnd", "succeeded")
    part = client.get(order["link"]).get_json()["parts"][0]
    assert part["state"] == "paid" and part["paid_vnd"] == 360_000
    assert db.scalar(select(func.count()).select_from(Receipt).where(Receipt.method == "stripe")) == 1


@pytest.mark.parametrize("number", [DECLINED, DECLINED_ON_CHARGE])
def test_a_declined_card_says_so_and_stores_no_money(client, market, card, db, number):
    order = place(client, (market.honey, 1))
    r = pay_by_card(client, order, order["parts"][0], number, card)
    assert r.status_code == 422
    assert "Thẻ bị từ chối" in r.get_json()["error"]["message"]
    part = client.get(order["link"]).get_json()["parts"][0]
    assert part["state"] == "pending_payment" and part["paid_vnd"] == 0
    assert db.scalars(select(OrderPayment)).one().state == "failed"
    assert db.scalar(select(func.count()).select_from(Receipt)) == 0
    english = pay_by_card(client, order, order["parts"][0], number, card, lang="en")
    assert "card was declined" in english.get_json()["error"]["message"]
    again = pay_by_card(client, order, order["parts"][0], VISA, card)  # another card works
    assert again.status_code == 201 and again.get_json()["state"] == "succeeded"


def test_a_payment_service_that_does_not_answer_charges_nothing_and_can_be_tried_again(
        client, market, card, factory, db):
    order = place(client, (market.honey, 1))
    token = card_token(card, VISA)  # the card reached Stripe from the buyer's browser; then Stripe stops answering
    factory.enable_payment_provider("stripe", {**STRIPE_SETTINGS, "api_base": f"http://127.0.0.1:{free_port()}"})
    r = client.post(f"/api/v1/orders/{token_of(order)}/parts/{order['parts'][0]['id']}/payments",
                    json={"method": "stripe", "card_token": token})
    assert r.status_code == 503 and "Chưa có khoản nào bị trừ" in r.get_json()["error"]["message"]
    assert db.scalar(select(func.count()).select_from(OrderPayment)) == 0
    assert client.get(order["link"]).get_json()["parts"][0]["state"] == "pending_payment"
    factory.enable_payment_provider("stripe", {**STRIPE_SETTINGS, "api_base": card})  # back again
    again = pay_by_card(client, order, order["parts"][0], VISA, card)
    assert again.status_code == 201 and again.get_json()["state"] == "succeeded"


def test_a_card_needing_3d_secure_waits_for_the_buyer_then_is_paid(client, market, card, db):
    order = place(client, (market.tea, 1))
    r = pay_by_card(client, order, order["parts"][0], THREE_D_SECURE, card)
    payment = r.get_json()
    assert r.status_code == 201 and payment["state"] == "requires_action"
    assert payment["next_step"]["kind"] == "confirm_card" and payment["next_step"]["client_secret"]
    assert client.get(order["link"]).get_json()["parts"][0]["state"] == "pending_payment"
    remote = db.scalars(select(OrderPayment)).one().remote_id
    # what the buyer's bank page does (localstripe's Stripe.js stand-in calls this endpoint)
    done = httpx.post(f"{card}/v1/payment_intents/{remote}/_authenticate", params={"success": "true"},
                      json={"key": STRIPE_SETTINGS["publishable_key"],
                            "client_secret": payment["next_step"]["client_secret"]})
    assert done.status_code == 200
    confirmed = client.post(f"/api/v1/orders/{token_of(order)}/payments/{payment['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.get_json()["state"] == "succeeded"
    assert client.get(order["link"]).get_json()["parts"][0]["state"] == "paid"


def test_a_failed_3d_secure_check_leaves_the_order_unpaid(client, market, card, db):
    order = place(client, (market.tea, 1))
    payment = pay_by_card(client, order, order["parts"][0], THREE_D_SECURE, card).get_json()
    remote = db.scalars(select(OrderPayment)).one().remote_id
    httpx.post(f"{card}/v1/payment_intents/{remote}/_authenticate", params={"success": "false"},
               json={"key": STRIPE_SETTINGS["publishable_key"], "client_secret": payment["next_step"]["client_secret"]})
    r = client.post(f"/api/v1/orders/{token_of(order)}/payments/{payment['id']}/confirm")
    assert r.status_code == 422 and "3-D Secure" in r.get_json()["error"]["message"]
    assert client.get(order["link"]).get_json()["parts"][0]["state"] == "pending_payment"


def signed(body: bytes, secret: str, when: int | None = None) -> dict:
    when = when or int(time.time())
    signature = hmac.new(secret.encode(), f"{when}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={when},v1={signature}", "Content-Type": "application/json"}


def test_stripe_webhooks_from_the_mock_server_are_verified_and_applied_once(app, client, market, factory, db):
    with localstripe() as stripe_url, live_server(app) as base:  # a server of its own: its webhooks are ours
        factory.enable_payment_provider("stripe", {**STRIPE_SETTINGS, "api_base": stripe_url})
        hook = httpx.post(f"{stripe_url}/_config/webhooks/choso", data={
            "url": f"{base}/api/v1/webhooks/providers/stripe/00583", "secret": STRIPE_SETTINGS["webhook_secret"]})
        assert hook.status_code == 200
        order = place(client, (market.honey, 1))
        payment = pay_by_card(client, order, order["parts"][0], THREE_D_SECURE, stripe_url).get_json()
        remote = db.scalars(select(OrderPayment)).one().remote_id
        # the buyer passes the check but never comes back to the page: only the webhook can tell choso
        httpx.post(f"{stripe_url}/v1/payment_intents/{remote}/_authenticate", params={"success": "true"},
                   json={"key": STRIPE_SETTINGS["publishable_key"],
                         "client_secret": payment["next_step"]["client_secret"]})
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and client.get(order["link"]).get_json()["parts"][0]["state"] != "paid":
            time.sleep(0.2)
    assert client.get(order["link"]).get_json()["parts"][0]["state"] == "paid"
    seen = db.scalars(select(ProcessedWebhook.event_id)).all()
    assert seen and all(event.startswith("evt_") for event in seen)
    assert db.scalar(select(func.count()).select_from(Receipt)) == 1


def test_a_webhook_with_a_bad_signature_or_replayed_changes_nothing(client, market, card, db):
    order = place(client, (market.honey, 1))
    payment = pay_by_card(client, order, order["parts"][0], THREE_D_SECURE, card).get_json()
    remote = db.scalars(select(OrderPayment)).one().remote_id
    event = {"id": "evt_test_1", "object": "event", "type": "payment_intent.succeeded", "created": int(time.time()),
             "data": {"object": {"id": remote, "object": "payment_intent", "amount": 180_000, "currency": "vnd",
                                 "status": "succeeded"}}}
    body = json.dumps(event).encode()
    url = "/api/v1/webhooks/providers/stripe/00583"
    forged = client.post(url, data=body, headers=signed(body, "whsec_not_the_secret"))
    assert forged.status_code == 401
    an_hour_ago = int(time.time()) - 3600
    stale = client.post(url, data=body, headers=signed(body, STRIPE_SETTINGS["webhook_secret"], an_hour_ago))
    assert stale.status_code == 401
    assert client.get(order["link"]).get_json()["parts"][0]["state"] == "pending_payment"
    for _ in range(2):
        ok = client.post(url, data=body, headers=signed(body, STRIPE_SETTINGS["webhook_secret"]))
        assert ok.status_code == 200
    assert client.get(order["link"]).get_json()["parts"][0]["state"] == "paid"
    assert db.scalar(select(func.count()).select_from(Receipt)) == 1
    assert payment["id"] == db.scalars(select(OrderPayment)).one().id


def test_a_webhook_reporting_another_amount_does_not_mark_the_order_paid(client, market, card, db):
    order = place(client, (market.honey, 1))
    pay_by_card(client, order, order["parts"][0], THREE_D_SECURE, card)
    remote = db.scalars(select(OrderPayment)).one().remote_id
    event = {"id": "evt_test_2", "object": "event", "type": "payment_intent.succeeded", "created": int(time.time()),
             "data": {"object": {"id": remote, "object": "payment_intent", "amount": 1_000, "currency": "vnd"}}}
    body = json.dumps(event).encode()
    r = client.post("/api/v1/webhooks/providers/stripe/00583", data=body,
                    headers=signed(body, STRIPE_SETTINGS["webhook_secret"]))
    assert r.status_code == 200
    assert client.get(order["link"]).get_json()["parts"][0]["state"] == "pending_payment"
    db.expire_all()
    assert "expected 180000" in db.scalars(select(OrderPayment)).one().last_error


def test_the_stripe_settings_are_secret_and_checked(client, factory):
    staff = factory.token(factory.user("staff"))
    bad = client.put("/api/v1/communes/00583/integrations/payment_provider/stripe", headers=bearer(staff),
                     json={"enabled": True, "settings": {"secret_key": "x"}})
    assert bad.status_code == 422 and {"secret_key", "publishable_key", "webhook_secret"} <= set(
        bad.get_json()["error"]["fields"])


def test_the_same_webhook_four_times_at_once_is_one_payment(app, client, market, card, db):
    order = place(client, (market.honey, 1))
    pay_by_card(client, order, order["parts"][0], THREE_D_SECURE, card)
    remote = db.scalars(select(OrderPayment)).one().remote_id
    event = {"id": "evt_concurrent", "object": "event", "type": "payment_intent.succeeded",
             "created": int(time.time()), "data": {"object": {"id": remote, "object": "payment_intent",
                                                             "amount": 180_000, "currency": "vnd"}}}
    body = json.dumps(event).encode()
    headers = signed(body, STRIPE_SETTINGS["webhook_secret"])
    with live_server(app) as base:
        start = threading.Barrier(4)

        def deliver(results):
            start.wait()
            results.append(httpx.post(f"{base}/api/v1/webhooks/providers/stripe/00583", content=body,
                                      headers=headers).status_code)

        results: list[int] = []
        threads = [threading.Thread(target=deliver, args=(results,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert results == [200] * 4
    assert db.scalar(select(func.count()).select_from(Receipt)) == 1
    assert db.scalar(select(func.count()).select_from(ProcessedWebhook)) == 1
    assert client.get(order["link"]).get_json()["parts"][0]["paid_vnd"] == 180_000


def test_an_abandoned_card_attempt_is_closed_at_stripe_so_it_cannot_take_money_later(client, market, card, db):
    order = place(client, (market.honey, 1))
    first = pay_by_card(client, order, order["parts"][0], THREE_D_SECURE, card).get_json()
    remote = db.scalars(select(OrderPayment)).one().remote_id
    # the buyer gives up on the card check and pays by bank transfer instead
    r = client.post(f"/api/v1/orders/{token_of(order)}/parts/{order['parts'][0]['id']}/payments",
                    json={"method": "vietqr"})
    assert r.status_code == 201 and r.get_json()["next_step"]["kind"] == "show_qr"
    assert intent(card, remote)["status"] == "canceled"
    late = httpx.post(f"{card}/v1/payment_intents/{remote}/_authenticate", params={"success": "true"},
                      json={"key": STRIPE_SETTINGS["publishable_key"],
                            "client_secret": first["next_step"]["client_secret"]})
    assert late.status_code >= 400  # Stripe refuses to finish a cancelled intent: no money taken behind choso's back
