"""A buyer orders from two households in Chromium, pays one part by VietQR and one by card, and one item is
refunded; both households see their orders paid.

The card part runs against localstripe as a real process: its Stripe.js stand-in draws the card fields,
sends the card to localstripe (never to choso) and hands choso a token.
"""

import httpx
import pytest
import zxingcpp
from PIL import Image

from core.services.users import set_password
from core.testing_server import live_server
from payments.vietqr import decode
from tests.browser.conftest import sign_in
from tests.helpers import STRIPE_SETTINGS, localstripe, sepay_body
from tests.orders.buying import SEPAY_KEY

pytestmark = pytest.mark.browser
MOBILE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def add_to_cart(page, base, product, quantity):
    page.goto(f"{base}/p/{product.id}-{product.slug}")
    page.fill(".add-to-cart input[name=quantity]", str(quantity))
    page.click("#add-to-cart")


def test_order_from_two_households_pay_by_vietqr_and_card_then_refund(app, browser, market, factory, db, tmp_path):
    with app.app_context():
        for shop, password in ((market.tea_shop, "mat-khau-che"), (market.honey_shop, "mat-khau-mat-ong")):
            set_password(db.merge(shop.owner), password)
        db.commit()
    with localstripe() as stripe_url, live_server(app) as base:
        app.config["STRIPE_JS_URL"] = f"{stripe_url}/js.stripe.com/v3/"  # localstripe's stand-in for Stripe.js
        factory.enable_payment_provider("stripe", {**STRIPE_SETTINGS, "api_base": stripe_url})
        buyer = browser.new_page(**MOBILE)
        add_to_cart(buyer, base, market.tea, 2)
        add_to_cart(buyer, base, market.honey, 2)
        assert "(4)" in buyer.locator("#cart-link").inner_text()
        buyer.click("#to-checkout")
        buyer.fill("input[name=name]", "Chị Mai")
        buyer.fill("input[name=phone]", "0912 345 678")
        buyer.select_option("select[name=province_code]", "01")
        buyer.fill("input[name=commune_name]", "Bát Tràng")
        buyer.fill("input[name=address]", "Thôn 2")
        buyer.click("#place-order")
        assert "/orders/" in buyer.url
        tea = buyer.locator(".part", has_text="Hộ chè Thái")
        honey = buyer.locator(".part", has_text="Hộ mật ong")

        # the tea part: a bank transfer by VietQR to the tea household's own account
        tea.get_by_role("button", name="Chuyển khoản (VietQR)").click()
        tea.locator("img.qr").screenshot(path=str(tmp_path / "qr.png"))
        qr = decode(zxingcpp.read_barcodes(Image.open(tmp_path / "qr.png").convert("RGB"))[0].text)
        assert (qr.bank_bin, qr.account, qr.amount) == ("970436", "0011001234567", 240_000)
        reference = qr.purpose.split()[0]
        notice = httpx.post(f"{base}/api/v1/webhooks/payments/sepay/00583", headers={
            "Authorization": f"Apikey {SEPAY_KEY}"},
            json=sepay_body(880001, 240_000, f"MAI CK {reference}", account="0011001234567"))
        assert notice.status_code == 200
        buyer.reload()
        assert tea.get_attribute("data-state") == "paid"

        # the honey part: by card, through the Stripe.js stand-in of localstripe
        card = honey.locator(".card-form")
        card.locator("input[placeholder=number]").fill("4242424242424242")
        card.locator("input[placeholder=exp_month]").fill("12")
        card.locator("input[placeholder=exp_year]").fill("30")
        card.locator("input[placeholder=cvc]").fill("123")
        card.locator("input[placeholder=postal_code]").fill("10000")
        with buyer.expect_navigation():  # the token comes back, the form submits, choso charges the card
            card.get_by_role("button").click()
        assert honey.get_attribute("data-state") == "paid"
        assert buyer.locator(".part a", has_text="Biên lai").count() == 2

        # each household sees its part paid; the honey household refunds one jar
        for shop, password in ((market.tea_shop, "mat-khau-che"), (market.honey_shop, "mat-khau-mat-ong")):
            seller = browser.new_page(**MOBILE)
            sign_in(seller, base, shop.owner.phone, password)
            seller.goto(f"{base}/dashboard/orders")
            row = seller.locator("#orders tbody tr").first
            assert row.get_attribute("data-state") == "paid" and shop.name in row.inner_text()
        row.locator("a").click()
        seller.fill("#refund input[type=number]", "1")
        seller.fill("#refund input[name=reason]", "Lọ bị nứt")
        seller.click("#refund button")
        assert "Đã hoàn tiền" in seller.locator(".flash").inner_text()
        assert "đã hoàn 180.000" in seller.content()
        charge = httpx.get(f"{stripe_url}/v1/payment_intents", auth=(STRIPE_SETTINGS["secret_key"], "")).json()
        assert [pi["latest_charge"]["amount_refunded"] for pi in charge["data"]] == [180_000]
        buyer.reload()
        assert "đã hoàn 1" in honey.inner_text()


def test_a_card_needing_3d_secure_is_confirmed_in_the_page(app, browser, market, factory):
    with localstripe() as stripe_url, live_server(app) as base:
        app.config["STRIPE_JS_URL"] = f"{stripe_url}/js.stripe.com/v3/"  # localstripe's stand-in for Stripe.js
        factory.enable_payment_provider("stripe", {**STRIPE_SETTINGS, "api_base": stripe_url})
        buyer = browser.new_page(**MOBILE)
        add_to_cart(buyer, base, market.honey, 1)
        buyer.goto(f"{base}/checkout")
        buyer.fill("input[name=name]", "Anh Tùng")
        buyer.fill("input[name=phone]", "0987654321")
        buyer.fill("input[name=commune_name]", "Bát Tràng")
        buyer.fill("input[name=address]", "Xóm Chợ")
        buyer.click("#place-order")
        card = buyer.locator(".card-form")
        for field, value in (("number", "4000002760003184"), ("exp_month", "12"), ("exp_year", "30"),
                             ("cvc", "123"), ("postal_code", "10000")):
            card.locator(f"input[placeholder={field}]").fill(value)
        with buyer.expect_navigation():
            card.get_by_role("button").click()
        assert buyer.locator(".part").get_attribute("data-state") == "pending_payment"
        # the bank's check (localstripe draws it as a dialog); passing it brings the buyer back, paid
        with buyer.expect_navigation():
            buyer.get_by_role("button", name="Complete authentication").click()
        assert buyer.locator(".part").get_attribute("data-state") == "paid"
