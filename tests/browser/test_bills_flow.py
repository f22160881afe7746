"""Staff bill every household; a household opens its bill, sees the QR, a signed notification pays it."""

import httpx
import pytest
import zxingcpp
from PIL import Image

from core.services.users import set_password
from core.testing_server import live_server
from payments.vietqr import decode
from tests.browser.conftest import sign_in
from tests.helpers import sepay_body

pytestmark = pytest.mark.browser


def test_bills_from_issue_to_receipt(app, browser, background_worker, factory, db, tmp_path):
    staff = factory.user("staff", password="mat-khau-can-bo")
    households = [factory.shop(name=f"Hộ kinh doanh {n}") for n in ("Lan", "Minh")]
    owner = households[0].owner
    with app.app_context():
        set_password(db.merge(owner), "mat-khau-ho")
        db.commit()
    factory.enable_payment_source("sepay", {"api_key": "demo-sepay-key-0001"})
    with live_server(app) as base:
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        sign_in(page, base, staff.phone, "mat-khau-can-bo")
        page.goto(f"{base}/staff/00583/bills")
        # a mistyped account number is refused next to its field, and what was typed stays
        page.select_option("select[name=bank_bin]", "970405")
        page.fill("input[name=account_number]", "abc")
        page.fill("input[name=account_name]", "UBND xa Bat Trang")
        page.locator("form:has(input[value=account]) button").click()
        account = page.locator("#account-form")
        assert "6 đến 19 chữ số" in account.locator(".has-error").inner_text()
        assert account.locator("input[name=account_name]").input_value() == "UBND xa Bat Trang"
        assert page.locator("#collection-account").count() == 0
        page.fill("input[name=account_number]", "1500 2010 00583")  # as printed on the account card
        page.locator("form:has(input[value=account]) button").click()
        assert "Agribank" in page.locator("#collection-account").inner_text()
        assert "1500201000583" in page.locator("#collection-account").inner_text()
        page.fill("input[name=code]", "phi-rac")
        page.fill("input[name=name]", "Phí thu gom rác")
        page.fill("input[name=default_amount_vnd]", "30.000đ")
        page.locator("form:has(input[value=fee]) button").click()
        # "month 13" is refused; a good period asks first, saying how many bills and the total
        page.fill("#batch-form input[name=period]", "13/2026")
        page.click("#batch-form button")
        assert "1 đến 12" in page.locator("#batch-form .has-error").inner_text()
        page.fill("#batch-form input[name=period]", "11/2026")
        page.click("#batch-form button")
        confirm = page.locator("#batch-confirm")
        assert "2 hộ × 30.000 ₫ = 60.000 ₫" in confirm.inner_text()
        assert page.locator("#batches").count() == 0  # nothing issued until staff say yes
        page.click("#batch-confirm-yes")
        for _ in range(50):
            if page.locator("#batches tr[data-state=done]").count():
                break
            page.wait_for_timeout(200)
            page.reload()
        assert "2 / 2" in page.locator("#batches").inner_text()

        home = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        sign_in(home, base, owner.phone, "mat-khau-ho")
        home.goto(f"{base}/dashboard/bills")
        home.locator("#my-bills a").first.click()
        assert home.locator("#bill").get_attribute("data-state") == "open"
        qr_path = tmp_path / "bill-qr.png"
        home.locator("#bill-qr").screenshot(path=str(qr_path))
        payloads = [r.text for r in zxingcpp.read_barcodes(Image.open(qr_path).convert("RGB"))]
        qr = decode(payloads[0])
        assert (qr.bank_bin, qr.account, qr.amount) == ("970405", "1500201000583", 30000)
        reference = qr.purpose.split()[0]

        # the SVG kind, drawn by the browser, scans too
        svg_page = browser.new_page()
        svg_page.goto(home.url + "/qr.svg")
        svg_page.screenshot(path=str(tmp_path / "svg.png"))
        assert [r.text for r in zxingcpp.read_barcodes(Image.open(tmp_path / "svg.png").convert("RGB"))] \
            == payloads

        r = httpx.post(f"{base}/api/v1/webhooks/payments/sepay/00583", headers={
            "Authorization": "Apikey demo-sepay-key-0001"},
            json=sepay_body(555001, 30000, f"{reference.lower()} chuyen tien", account="1500201000583"))
        assert r.json() == {"success": True}
        home.reload()
        assert home.locator("#bill").get_attribute("data-state") == "paid"
        home.locator("#receipts a").first.click()
        assert "Ba mươi nghìn đồng" in home.locator("#amount-words").inner_text()
        home.screenshot(path=str(tmp_path / "receipt.png"), full_page=True)
