"""A statement import leaves a trail, names its importer, and a large one needs a second staff member (13.9)."""

import hashlib
import io

from sqlalchemy import func, select

from core.models import AuditLog
from core.testing import bearer, login
from payments.receipts.models import Receipt
from payments.reconcile.models import Payment
from tests.payments.conftest import bill_for


def _send(client, token, text: str):
    return client.post("/api/v1/communes/00583/statements", headers=bearer(token),
                       data={"file": (io.BytesIO(text.encode()), "sao-ke.csv")}, content_type="multipart/form-data")


def _csv(bills) -> str:
    rows = [f"FT{n},2026-11-20 08:00:00,30000,{b['reference']} phi rac" for n, b in enumerate(bills)]
    return "transaction_id,date,amount,content\n" + "\n".join(rows) + "\n"


def test_an_import_is_audited_and_its_payments_name_the_importer(client, billing, db):
    bill = bill_for(client, billing, billing.households[0])
    text = _csv([bill])
    r = _send(client, billing.token, text)
    assert r.status_code == 201
    body = r.get_json()
    assert body["state"] == "applied" and body["file_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert body["imported_by"] == billing.staff.label and body["outcome"]["paid"] == [bill["reference"]]
    payment = db.scalar(select(Payment))
    assert payment.matched_by_id == billing.staff.id
    assert db.scalar(select(Receipt)).issued_by_id == billing.staff.id
    actions = set(db.scalars(select(AuditLog.action).where(AuditLog.entity == "statement_import")))
    assert actions == {"statement.import", "statement.apply"}
    listed = client.get("/api/v1/communes/00583/statements", headers=bearer(billing.token)).get_json()["items"]
    assert [i["id"] for i in listed] == [body["id"]]


def test_a_large_import_waits_for_a_second_staff_member(app, client, billing, factory, db):
    app.config["STATEMENT_CONFIRM_BILLS"] = 2
    bills = [bill_for(client, billing, h) for h in billing.households]
    r = _send(client, billing.token, _csv(bills))
    body = r.get_json()
    assert r.status_code == 201 and body["state"] == "waiting"
    assert db.scalar(select(func.count()).select_from(Payment)) == 0
    same = client.post(f"/api/v1/statements/{body['id']}/confirm", headers=bearer(billing.token))
    assert same.status_code == 403  # the importer cannot confirm their own import
    household = client.post(f"/api/v1/statements/{body['id']}/confirm",
                            headers=bearer(factory.token(billing.households[0].owner)))
    assert household.status_code == 403
    second = factory.user("staff", password="can-bo-thu-hai")
    r = client.post(f"/api/v1/statements/{body['id']}/confirm", headers=bearer(factory.token(second)))
    assert r.status_code == 200 and r.get_json()["state"] == "applied" and r.get_json()["confirmed_by"]
    assert db.scalar(select(func.count()).select_from(Payment)) == 3
    again = client.post(f"/api/v1/statements/{body['id']}/confirm", headers=bearer(factory.token(second)))
    assert again.status_code == 409
    login(client, second, "can-bo-thu-hai")
    page = client.get("/staff/00583/transactions").get_data(as_text=True)
    assert "Các sao kê đã nhập" in page and body["file_sha256"][:12] in page
