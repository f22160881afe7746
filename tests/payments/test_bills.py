"""Fee types and bills: one at a time or every household at once; references; cancelling; roles."""

from sqlalchemy import func, select

from core.testing import bearer, run_jobs
from payments.bills import references
from payments.bills.models import Bill
from payments.vietqr import decode
from tests.payments.conftest import bill_for


def test_a_bill_has_a_checked_reference_a_public_link_and_a_qr_that_pays_it(client, billing):
    bill = bill_for(client, billing, billing.households[0])
    assert references.is_valid(bill["reference"]) and bill["reference"].startswith(references.prefix("00583"))
    public = client.get(f"/api/v1/bills/by-token/{bill['link'].rsplit('/', 1)[1]}").get_json()
    qr = decode(public["qr_payload"])
    assert (qr.bank_bin, qr.account, qr.amount) == ("970436", "0011009999999", 30000)
    assert qr.purpose.startswith(bill["reference"])
    page = client.get(bill["link"]).get_data(as_text=True)
    assert "Phí thu gom rác" in page and "30.000 ₫" in page and bill["reference"] in page
    assert client.get("/b/not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaaa").status_code == 404


def test_one_mistyped_symbol_or_two_swapped_fail_the_check():
    ref = references.new_reference("00583")
    body = ref[4:-1]
    for i, ch in enumerate(body):
        wrong = references.ALPHABET[(references.ALPHABET.index(ch) + 1) % 32]
        assert not references.is_valid(ref[:4] + body[:i] + wrong + body[i + 1:] + ref[-1])
    for i in range(len(body) - 1):
        # Luhn mod 32, like Luhn mod 10 with 09/90, cannot see "0Z" swapped for "Z0"; every other pair it can.
        if body[i] != body[i + 1] and {body[i], body[i + 1]} != {"0", "Z"}:
            swapped = body[:i] + body[i + 1] + body[i] + body[i + 2:]
            assert not references.is_valid(ref[:4] + swapped + ref[-1])


def test_a_fixed_fee_refuses_another_amount(client, billing):
    r = client.post("/api/v1/communes/00583/bills", headers=bearer(billing.token), json={
        "fee_type_id": billing.fee_id, "household_id": billing.households[0].id, "amount_vnd": 25000})
    assert r.status_code == 422 and "amount_vnd" in r.get_json()["error"]["fields"]


def test_billing_every_household_runs_in_the_background_and_never_twice(client, app, billing, db):
    r = client.post("/api/v1/communes/00583/bill-batches", headers=bearer(billing.token),
                    json={"fee_type_id": billing.fee_id, "period": "11/2026"})
    assert r.status_code == 202 and r.get_json()["total"] == 3 and r.get_json()["state"] == "running"
    run_jobs(app)
    batch = client.get(f"/api/v1/bill-batches/{r.get_json()['id']}", headers=bearer(billing.token)).get_json()
    assert (batch["issued"], batch["state"]) == (3, "done")
    from payments.bills.services import run_batch

    with app.app_context():
        run_batch(db, {"batch_id": batch["id"]})  # a retried job
    assert db.scalar(select(func.count()).select_from(Bill)) == 3
    refs = {b.reference for b in db.scalars(select(Bill))}
    assert len(refs) == 3


def test_unpaid_bills_are_cancelled_not_deleted(client, billing, db):
    bill = bill_for(client, billing, billing.households[0])
    r = client.post(f"/api/v1/bills/{bill['id']}/cancel", headers=bearer(billing.token),
                    json={"reason": "Hộ đã chuyển đi"})
    assert r.get_json()["state"] == "cancelled"
    assert db.get(Bill, bill["id"]) is not None
    public = client.get(f"/api/v1/bills/by-token/{bill['link'].rsplit('/', 1)[1]}").get_json()
    assert public["qr_payload"] is None
    again = client.post(f"/api/v1/bills/{bill['id']}/cancel", headers=bearer(billing.token),
                        json={"reason": "bấm hai lần"})
    assert again.status_code == 409  # a second click is told so, not a server error


def test_only_the_communes_staff_bill(client, billing, factory):
    household_token = factory.token(billing.households[0].owner)
    body = {"fee_type_id": billing.fee_id, "household_id": billing.households[0].id}
    assert client.post("/api/v1/communes/00583/bills", headers=bearer(household_token), json=body).status_code == 403
    far = factory.token(factory.user("staff", "02392"))
    assert client.post("/api/v1/communes/00583/bills", headers=bearer(far), json=body).status_code == 403
    assert client.get("/api/v1/communes/00583/bills", headers=bearer(far)).status_code == 403


def test_a_household_sees_its_own_bills(client, billing, factory):
    bill_for(client, billing, billing.households[0])
    bill_for(client, billing, billing.households[1])
    mine = client.get("/api/v1/me/bills", headers=bearer(factory.token(billing.households[0].owner))).get_json()
    assert [b["payer_name"] for b in mine["items"]] == ["Hộ kinh doanh An"]
