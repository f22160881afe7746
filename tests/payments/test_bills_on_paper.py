"""Bills on paper (issue 16.7): staff print every open bill of a fee and period as one A4 PDF; a job makes it
with its progress, and every QR in it, rasterised as a printer would, scans back to its bill."""

import io
import os
import shutil
import subprocess

import pytest
import zxingcpp
from PIL import Image

from core.testing import OTHER_COMMUNE, login, post_form, run_jobs
from payments.vietqr import decode
from tests.helpers import SEPAY_KEY, post_sepay, sepay_body
from tests.payments.conftest import bill_for

PASSWORD = "mat-khau-can-bo"


@pytest.fixture
def open_bills(client, billing, factory):
    """Eight bills of the waste fee for 11/2026: seven open (one partly paid), one paid in full."""
    households = billing.households + [factory.shop(name=f"Hộ kinh doanh số {n}") for n in range(5)]
    bills = [bill_for(client, billing, h) for h in households]
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    assert post_sepay(client, sepay_body(610001, 30000, f"{bills[0]['reference']} nop phi",
                                         account="0011009999999")).status_code == 200
    assert post_sepay(client, sepay_body(610002, 10000, f"{bills[1]['reference']} nop phi",
                                         account="0011009999999")).status_code == 200
    return bills


def test_staff_print_the_open_bills_and_every_qr_scans_back(client, app, billing, factory, open_bills, tmp_path):
    if not shutil.which("pdftoppm"):
        if os.environ.get("CI"):
            pytest.fail("pdftoppm is required in CI: scripts/test installs poppler-utils")
        pytest.skip("poppler-utils (pdftoppm) is not installed")
    staff = factory.user("staff", password=PASSWORD)
    login(client, staff, PASSWORD)
    page = "/staff/00583/bills"
    empty = post_form(client, page, page, {"action": "print", "fee_type_id": billing.fee_id, "period": "10/2026"})
    assert empty.status_code == 422 and "Không có hóa đơn chưa nộp" in empty.get_data(as_text=True)
    r = post_form(client, page, page, {"action": "print", "fee_type_id": billing.fee_id, "period": "11/2026"},
                  follow_redirects=True)
    assert "Đang in các hóa đơn chưa nộp" in r.get_data(as_text=True)
    run_jobs(app)
    listing = client.get(page).get_data(as_text=True)
    assert "7 / 7" in listing
    link = listing.split('href="/staff/00583/bills/prints/')[1].split('"')[0]
    pdf = client.get(f"/staff/00583/bills/prints/{link}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"

    (tmp_path / "bills.pdf").write_bytes(pdf.data)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "bills.pdf"), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 2  # six to a page
    found = {}
    for png in pages:
        for result in zxingcpp.read_barcodes(Image.open(png).convert("L")):
            qr = decode(result.text)
            found[qr.purpose.split()[0]] = qr
    owed = {b["reference"]: b["amount_vnd"] for b in open_bills[1:]}
    owed[open_bills[1]["reference"]] -= 10000
    assert {ref: qr.amount for ref, qr in found.items()} == owed  # each open bill once, for what is still owed
    assert all(qr.account == "0011009999999" for qr in found.values())
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "bills.pdf"), "-"], capture_output=True, text=True).stdout
        assert "Ba mươi nghìn đồng" in text and "Hai mươi nghìn đồng" in text and "Hộ kinh doanh Bình" in text
        ref = open_bills[2]["reference"]
        assert f"{ref[:4]} {ref[4:8]} {ref[8:]}" in text  # grouped, as typed into a banking app


def test_only_the_communes_staff_get_the_file(client, app, billing, factory, open_bills):
    staff = factory.user("staff", password=PASSWORD)
    login(client, staff, PASSWORD)
    post_form(client, "/staff/00583/bills", "/staff/00583/bills",
              {"action": "print", "fee_type_id": billing.fee_id, "period": "11/2026"})
    run_jobs(app)
    from payments.bills.models import BillPrint

    with app.app_context():
        from core.db import session

        run = session().query(BillPrint).one()
        url = f"/staff/00583/bills/prints/{run.id}.pdf"
    outsider = app.test_client()
    assert outsider.get(url).status_code in (302, 401)  # sign in first
    other = factory.user("staff", OTHER_COMMUNE, password=PASSWORD)
    login(outsider, other, PASSWORD)
    assert outsider.get(url).status_code in (403, 404)
    assert outsider.get(url.replace("00583", OTHER_COMMUNE)).status_code == 404
    household = app.test_client()
    login(household, factory.user("household", password=PASSWORD), PASSWORD)
    assert household.get(url).status_code in (403, 404)
    assert client.get(url).status_code == 200 and io.BytesIO(client.get(url).data).read(4) == b"%PDF"
