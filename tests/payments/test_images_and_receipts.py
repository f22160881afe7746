"""Every image kind decodes back to its exact payload; receipts are numbered without gaps and never changed."""

import io
import os
import shutil
import subprocess

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from core.models import BankAccount
from core.testing import bearer, login, post_form
from payments.bills.models import Bill
from payments.receipts.models import Receipt
from payments.vietqr import encode, render
from tests.helpers import SEPAY_KEY, post_sepay, sepay_body
from tests.payments.conftest import bill_for

PAYLOAD = encode("970436", "0011004567890", amount=150000, purpose="Phi rac thang 11", reference="X0J7ABCDEF1")


def read_qr(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image.convert("RGB"))]


def pdf_pages(data: bytes, tmp_path) -> list[Image.Image]:
    if not shutil.which("pdftoppm"):
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (Debian poppler-utils) is missing; scripts/test installs it")
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    (tmp_path / "doc.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "doc.pdf"), str(tmp_path / "page")], check=True)
    return [Image.open(p) for p in sorted(tmp_path.glob("page*.png"))]


def test_png_with_and_without_caption_decodes_to_the_exact_payload():
    for caption in (None, render.Caption(("Vietcombank", "TRAN VAN BA", "150.000 ₫", "Phí rác tháng 11"))):
        assert read_qr(Image.open(io.BytesIO(render.png(PAYLOAD, caption=caption)))) == [PAYLOAD]


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_every_error_correction_level_scans(level):
    assert read_qr(Image.open(io.BytesIO(render.png(PAYLOAD, level=level)))) == [PAYLOAD]


def test_codes_carry_a_four_module_quiet_zone_and_scan_without_zxings_writer(monkeypatch):
    modules = render.matrix(PAYLOAD)
    assert not any(modules[0]) and not any(row[3] for row in modules) and any(modules[4])
    fast = render.png(PAYLOAD)

    def missing(*_args, **_kwargs):
        raise AttributeError("zxing-cpp before 2.3 has no writer")

    monkeypatch.setattr(zxingcpp, "create_barcode", missing)  # an older zxing-cpp: the qrcode fallback draws
    slow = render.png(PAYLOAD)
    assert read_qr(Image.open(io.BytesIO(slow))) == [PAYLOAD] and slow != fast


@pytest.mark.parametrize(("paper", "fmt"), [("A6", "png"), ("A5", "png"), ("A6", "pdf"), ("A5", "pdf")])
def test_posters_scan_at_print_resolution(paper, fmt, tmp_path):
    data = render.poster(PAYLOAD, shop_name="Hộ kinh doanh Gốm Sứ Hạnh", lines=["Vietcombank", "TRAN VAN BA"],
                         footer="Quét mã bằng ứng dụng ngân hàng", paper=paper, fmt=fmt)
    pages = pdf_pages(data, tmp_path) if fmt == "pdf" else [Image.open(io.BytesIO(data))]
    assert len(pages) == 1 and read_qr(pages[0]) == [PAYLOAD]
    if fmt == "png":
        assert pages[0].info["dpi"][0] == pytest.approx(300, abs=1)


def test_svg_is_a_clean_vector_code():
    svg = render.svg(PAYLOAD, caption=render.Caption(("Vietcombank", "<TRAN & BA>")))
    assert svg.startswith(b"<svg") and b"&lt;TRAN &amp; BA&gt;" in svg and b"<script" not in svg


@pytest.fixture
def verified_account(factory, db):
    shop = factory.shop(name="Hộ kinh doanh Gốm Sứ Hạnh")
    account = BankAccount(household_id=shop.id, bank_bin="970436", account_number="0011004567890",
                          account_name="TRAN VAN BA", verified=True)
    db.add(account)
    db.commit()
    return account


def test_a_shop_shows_its_verified_qr_and_prints_posters(client, verified_account, tmp_path):
    page = client.get(f"/s/{verified_account.household_id}").get_data(as_text=True)
    assert f"/qr/accounts/{verified_account.id}.png" in page
    r = client.get(f"/qr/accounts/{verified_account.id}.png?v=1")
    assert r.status_code == 200 and "max-age=31536000" in r.headers["Cache-Control"] and r.headers["ETag"]
    assert read_qr(Image.open(io.BytesIO(r.data))) == [encode("970436", "0011004567890")]
    assert client.get(f"/qr/accounts/{verified_account.id}.png",
                      headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    poster = client.get(f"/qr/accounts/{verified_account.id}/poster-a5.pdf")
    assert poster.headers["Content-Type"] == "application/pdf"
    assert read_qr(pdf_pages(poster.data, tmp_path)[0]) == [encode("970436", "0011004567890")]


def test_an_unverified_account_has_no_public_qr(client, verified_account, db):
    verified_account.verified = False
    db.commit()
    assert client.get(f"/qr/accounts/{verified_account.id}.png").status_code == 404


def test_the_qr_check_tells_real_from_fake(client, verified_account):
    real = client.post("/api/v1/qr/check", json={"payload": encode("970436", "0011004567890", amount=20000)})
    assert real.get_json()["registered"] is True and real.get_json()["shop_name"] == "Hộ kinh doanh Gốm Sứ Hạnh"
    fake = client.post("/api/v1/qr/check?lang=en", json={"payload": encode("970422", "9999999999")})
    body = fake.get_json()
    assert body["valid"] is True and body["registered"] is False and body["message"].startswith("Warning")
    junk = client.post("/api/v1/qr/check", json={"payload": "not a qr"}).get_json()
    assert junk["valid"] is False
    photo = io.BytesIO(render.png(encode("970436", "0011004567890")))
    by_photo = client.post("/api/v1/qr/check", data={"photo": (photo, "qr.png")}, content_type="multipart/form-data")
    assert by_photo.get_json()["registered"] is True
    page = client.post("/qr/check", data={"payload": encode("970422", "9999999999"),
                                          "csrf_token": _csrf(client, "/qr/check")}).get_data(as_text=True)
    assert 'data-registered="no"' in page


def test_a_real_sticker_from_another_encoder_is_registered_with_a_warning(client, verified_account, tmp_path):
    """A sticker made by a widely used encoder, with the purpose in Vietnamese and an amount of 0, photographed:
    the check says it pays the verified shop, and warns in words what a banking app may do (issue 16.6)."""
    from vietnam_qr_pay import QRPay

    payload = QRPay.init_viet_qr(bank_bin="970436", bank_number="0011004567890", amount="0",
                                 purpose="Mua gốm Bát Tràng").build()
    photo = io.BytesIO(render.png(payload))
    answer = client.post("/api/v1/qr/check", data={"photo": (photo, "sticker.png")},
                         content_type="multipart/form-data").get_json()
    assert answer["valid"] is True and answer["registered"] is True and answer["amount_vnd"] is None
    assert any("dấu" in w for w in answer["warnings"]) and any("số tiền 0" in w for w in answer["warnings"])
    page = client.post("/qr/check?lang=en", data={"payload": payload, "csrf_token": _csrf(client, "/qr/check")})
    assert 'data-registered="yes"' in page.get_data(as_text=True)
    assert "you type the amount in your banking app" in page.get_data(as_text=True)


def _csrf(client, url):
    from core.testing import csrf_from

    return csrf_from(client.get(url).get_data(as_text=True))


def test_receipts_are_numbered_without_gaps_and_corrected_not_changed(client, billing, tmp_path, db, factory):
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    bills = [bill_for(client, billing, h) for h in billing.households]
    for i, bill in enumerate(bills):
        post_sepay(client, sepay_body(900 + i, 30000, bill["reference"]))
    receipts = client.get("/api/v1/communes/00583/receipts", headers=bearer(billing.token)).get_json()["items"]
    assert sorted(r["code"] for r in receipts) == ["2026/000001", "2026/000002", "2026/000003"]
    first = next(r for r in receipts if r["code"] == "2026/000001")
    r = client.post(f"/api/v1/receipts/{first['id']}/correct", headers=bearer(billing.token),
                    json={"reason": "Sai tên người nộp", "payer_name": "Nguyễn Thị Cúc"})
    assert r.status_code == 201 and r.get_json()["code"] == "2026/000004" and r.get_json()["cancels_id"] == first["id"]
    assert client.post(f"/api/v1/receipts/{first['id']}/correct", headers=bearer(billing.token),
                       json={"reason": "lần nữa"}).status_code == 409
    old = db.get(Receipt, first["id"])
    old.payer_name = "đổi lén"
    with pytest.raises(RuntimeError, match="never changed"):
        db.commit()
    db.rollback()
    bill = next(b for b in bills if b["reference"] == first["reference"])
    token = bill["link"].rsplit("/", 1)[1]
    html = client.get(f"/b/{token}/receipts/{first['id']}").get_data(as_text=True)
    assert "Ba mươi nghìn đồng" in html and "2026/000004" in html  # shown as cancelled by the correction
    assert "Chuyển khoản (VietQR)" in html
    pdf = client.get(f"/b/{token}/receipts/{first['id']}.pdf")
    assert pdf.headers["Content-Type"] == "application/pdf"
    if shutil.which("pdftotext"):
        (tmp_path / "r.pdf").write_bytes(pdf.data)
        text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True).stdout
        assert "Ba mươi nghìn đồng" in text and "2026/000001" in text


def test_staff_pages_issue_bills_and_match_by_hand(client, app, billing, factory, db):
    staff = factory.user("staff", password="mat-khau-can-bo")
    login(client, staff, "mat-khau-can-bo")
    batch = {"action": "batch", "fee_type_id": billing.fee_id, "period": "12/2026"}
    r = post_form(client, "/staff/00583/bills", "/staff/00583/bills", batch)
    asked = r.get_data(as_text=True)
    assert r.status_code == 200 and "Phát hành 3 hóa đơn?" in asked and "90.000 ₫" in asked
    assert db.scalar(select(func.count()).select_from(Bill)) == 0  # nothing yet: staff confirm first
    # a confirmation for another count (a household opened meanwhile) asks again instead of billing
    r = post_form(client, "/staff/00583/bills", "/staff/00583/bills", {**batch, "confirmed": "2:60000"})
    assert "Phát hành 3 hóa đơn?" in r.get_data(as_text=True)
    r = post_form(client, "/staff/00583/bills", "/staff/00583/bills", {**batch, "confirmed": "3:90000"},
                  follow_redirects=True)
    assert "Đang phát hành 3 hóa đơn" in r.get_data(as_text=True)
    from core.testing import run_jobs

    run_jobs(app)
    page = client.get("/staff/00583/bills").get_data(as_text=True)
    assert "3 / 3" in page
    assert len(db.scalars(select(Receipt)).all()) == 0
