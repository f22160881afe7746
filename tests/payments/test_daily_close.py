"""The daily close for the treasurer (issue 16.4): a day's money per account and what it paid, receipts issued,
every difference with its reason; signed off once, and what changes later shows against the signed figures."""

import io
import subprocess
from datetime import datetime

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.db import VIETNAM
from core.models.audit import AuditLog
from core.testing import bearer, login
from payments.reconcile.models import BankTransaction
from tests.helpers import post_sepay, sepay_body
from tests.payments.conftest import bill_for

PASSWORD = "mat-khau-thu-quy-xa"
COLLECTION = "0011009999999"


def _a_day_of_transfers(client, billing, factory):
    """Today: one bill paid by transfer, one transfer without a reference, one overpayment, money going out."""
    factory.enable_payment_source("sepay", {"api_key": "sepay-secret-key"})
    now = datetime.now(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")
    paid, over = bill_for(client, billing, billing.households[0]), bill_for(client, billing, billing.households[1])
    post_sepay(client, sepay_body(1, 30000, f"phi rac {paid['reference']}", when=now))
    post_sepay(client, sepay_body(2, 45000, "chuyen tien nha ba Cuc", when=now))
    post_sepay(client, sepay_body(3, 50000, f"nop {over['reference']}", when=now))
    post_sepay(client, {**sepay_body(4, 200000, "rut tien", when=now), "transferType": "out"})
    return datetime.now(VIETNAM).date().isoformat()


def test_the_close_accounts_for_every_dong_and_names_each_difference(client, billing, factory):
    day = _a_day_of_transfers(client, billing, factory)
    r = client.get(f"/api/v1/communes/00583/closes/{day}", headers=bearer(billing.token))
    assert r.status_code == 200, r.get_json()
    figures = r.get_json()["figures"]
    account = figures["accounts"][COLLECTION]
    assert account["in"] == [3, 125000] and account["bills"] == [2, 80000] and account["unmatched"] == [1, 45000]
    assert account["out"] == [1, 200000] and account["orders"] == [0, 0]
    kinds = sorted((d["kind"], d["amount_vnd"], d["reason"]) for d in figures["differences"])
    assert kinds == [("overpaid", 50000, None), ("unmatched", 45000, "no_reference")]
    receipts = figures["receipts"]
    assert receipts["count"] == 2 and receipts["amount_vnd"] == 80000 and receipts["first"] != receipts["last"]
    assert r.get_json()["signed_by"] is None


def test_a_signed_day_shows_later_corrections_against_what_was_signed(client, billing, factory, db):
    day = _a_day_of_transfers(client, billing, factory)
    treasurer = factory.user("staff", password=PASSWORD, name="Thủ quỹ Lan")
    login(client, treasurer, PASSWORD)
    page = client.get(f"/staff/00583/close?day={day}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/staff/00583/close", data={"csrf_token": token, "day": day, "note": "đã đối chiếu"}
                       ).status_code == 302
    again = client.post(f"/api/v1/communes/00583/closes/{day}/sign", headers=bearer(billing.token), json={})
    assert again.status_code == 409  # once per day
    assert db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "close.sign")) == 1

    # The next morning staff find the bill the waiting transfer was for: the signed day changes, visibly.
    third = bill_for(client, billing, billing.households[2])
    waiting = db.scalar(select(BankTransaction).where(BankTransaction.transaction_id == "2"))
    r = client.post(f"/api/v1/transactions/{waiting.id}/match", headers=bearer(billing.token),
                    json={"bill_reference": third["reference"]})
    assert r.status_code == 200, r.get_json()
    answer = client.get(f"/api/v1/communes/00583/closes/{day}", headers=bearer(billing.token)).get_json()
    assert answer["signed_by"] == "Thủ quỹ Lan" and answer["note"] == "đã đối chiếu"
    moved = {c["key"]: (c["signed"], c["now"]) for c in answer["corrections"]}
    assert moved[f"accounts.{COLLECTION}.unmatched"] == ([1, 45000], [0, 0])
    assert moved[f"accounts.{COLLECTION}.bills"] == ([2, 80000], [3, 125000])
    page = client.get(f"/staff/00583/close?day={day}").get_data(as_text=True)
    assert 'id="corrections"' in page and 'id="sign-off"' not in page


def test_the_close_as_pdf_and_spreadsheet(client, billing, factory, tmp_path):
    day = _a_day_of_transfers(client, billing, factory)
    login(client, factory.user("staff", password=PASSWORD), PASSWORD)
    xlsx = client.get(f"/staff/00583/close/{day}.xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert (COLLECTION, 3, 125000) in {row[1:] for row in rows}
    pdf = client.get(f"/staff/00583/close/{day}.pdf")
    assert pdf.mimetype == "application/pdf"
    (tmp_path / "close.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", str(tmp_path / "close.pdf"), "-"], capture_output=True, text=True).stdout
    assert "125000" in text.replace(".", "").replace(",", "") and "Chưa ký" in text


def test_a_day_not_yet_begun_cannot_be_signed(client, billing):
    r = client.post("/api/v1/communes/00583/closes/2999-01-01/sign", headers=bearer(billing.token), json={})
    assert r.status_code == 422 and "day" in r.get_json()["error"]["fields"]


def test_choso_close_writes_a_missed_day_and_signs_it(client, billing, factory, choso, tmp_path):
    day = _a_day_of_transfers(client, billing, factory)
    done = choso("close", "--day", day, "--commune", "00583", "--out", str(tmp_path), "--sign-as",
                 billing.staff.phone)
    assert "125,000 đ in" in done.stdout and "signed off by" in done.stdout
    assert (tmp_path / f"doi-soat-00583-{day}.pdf").stat().st_size > 1000
    assert (tmp_path / f"doi-soat-00583-{day}.xlsx").exists()
    again = choso("close", "--day", day, "--commune", "00583", "--out", str(tmp_path), "--sign-as",
                  billing.staff.phone, check=False)
    assert again.returncode == 1 and "đã được ký chốt" in again.stderr  # in the commune's language
    bad = choso("close", "--day", "03/12/2026", "--commune", "00583", check=False)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
