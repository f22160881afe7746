"""A buyer on a 360×740 phone pays by transfer without scanning (issue 15.3).

The QR sits on the phone that holds the banking app, so the page gives the bank, account, holder, amount and
reference as text (copy buttons with JavaScript, selectable text without), and a "save QR image" file that
decodes to the same payment. The cart says, before ordering, when a household takes no payment online.
"""

import io

import pytest
import zxingcpp
from PIL import Image

from core.models import BankAccount
from core.testing_server import live_server
from payments.vietqr import decode
from tests.orders.buying import place, sepay_transfer, token_of

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def test_the_buyer_copies_the_transfer_details_and_saves_the_qr(app, browser, market, client, db):
    order = place(client, (market.tea, 2))
    part = order["parts"][0]
    with live_server(app) as base:
        context = browser.new_context(**PHONE, permissions=["clipboard-read", "clipboard-write"])
        page = context.new_page()
        page.goto(f"{base}/orders/{token_of(order)}")
        page.get_by_role("button", name="Chuyển khoản (VietQR)").click()
        details = page.locator(".transfer dl")
        text = details.inner_text()
        assert "0011001234567" in text and "HỘ CHÈ THÁI" in text.upper() and "240.000" in text
        grouped = " ".join(part["reference"][i:i + 4] for i in range(0, 12, 4))
        assert grouped in text  # X0J7 KM3P QR5T: read out and typed in groups of four

        # copy buttons work on the phone, and copy the reference without its spaces
        reference_row = details.locator("dd", has=page.locator("code.reference"))
        reference_row.get_by_role("button", name="Sao chép").click()
        assert page.evaluate("navigator.clipboard.readText()") == part["reference"]
        details.locator("dd", has_text="240.000").get_by_role("button", name="Sao chép").click()
        assert page.evaluate("navigator.clipboard.readText()") == "240000"

        # "save QR image" downloads a PNG that any banking app reads back as this very payment
        with page.expect_download() as download:
            page.get_by_role("link", name="Lưu ảnh mã QR").click()
        saved = download.value
        assert saved.suggested_filename == f"vietqr-{part['reference']}.png"
        image = Image.open(io.BytesIO(saved.path().read_bytes())).convert("RGB")
        qr = decode(zxingcpp.read_barcodes(image)[0].text)
        assert (qr.bank_bin, qr.account, qr.amount) == ("970436", "0011001234567", 240_000)
        assert part["reference"] in qr.purpose
        context.close()

        # without JavaScript the same details are plain text, and no dead button shows
        bare = browser.new_context(**PHONE, java_script_enabled=False).new_page()
        bare.goto(f"{base}/orders/{token_of(order)}")
        assert "0011001234567" in bare.locator(".transfer dl").inner_text()
        assert bare.locator("button.copy").first.is_hidden()
        bare.context.close()

    # the grouped reference, typed with its spaces as the page shows it, pays the part
    assert sepay_transfer(client, 770001, 240_000, f"MAI {grouped}").status_code == 200
    assert client.get(f"/api/v1/orders/{token_of(order)}").get_json()["parts"][0]["state"] == "paid"


def test_the_cart_says_before_ordering_when_a_household_takes_cash_only(app, browser, market, db):
    db.query(BankAccount).filter_by(household_id=market.honey_shop.id).delete()  # honey: no account, no QR
    db.commit()
    with live_server(app) as base:
        page = browser.new_page(**PHONE)
        for product in (market.tea, market.honey):
            page.goto(f"{base}/p/{product.id}-{product.slug}")
            page.click("#add-to-cart")
        page.goto(f"{base}/cart")
        honey = page.locator("section.part", has_text="Hộ mật ong")
        tea = page.locator("section.part", has_text="Hộ chè Thái")
        assert "trả tiền mặt tại trụ sở xã" in honey.locator(".cash-only").inner_text()
        assert tea.locator(".cash-only").count() == 0
