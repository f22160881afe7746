"""How well matching works, as a figure (issue 16.5): the share of incoming transfers that paid their bill by
themselves, by count and by value, and why the others waited for staff."""

from core.metrics import services
from core.testing import bearer
from payments.bills.references import new_reference
from tests.helpers import SEPAY_KEY, post_sepay, sepay_body
from tests.payments.conftest import bill_for


def test_transfers_matched_by_themselves_and_why_the_others_waited(app, client, db, billing, factory):
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    bills = [bill_for(client, billing, h) for h in billing.households]
    when = "2026-11-20 09:00:00"
    sent = [
        sepay_body(820001, 30000, f"{bills[0]['reference']} nop phi", when=when),  # matches by itself
        sepay_body(820002, 30000, f"NOP PHI {bills[1]['reference']}", when=when),  # matches by itself
        sepay_body(820003, 50000, "chuyen tien", when=when),  # no reference
        sepay_body(820004, 30000, f"{new_reference('00583')} nop phi", when=when),  # a reference of no bill
        sepay_body(820005, 30000, f"{bills[2]['reference']}", when=when, account="1234567890"),  # wrong account
    ]
    outgoing = {**sepay_body(820006, 99000, "rut tien", when=when), "transferType": "out"}
    for body in [*sent, outgoing]:
        assert post_sepay(client, body).status_code == 200
    # staff match the no-reference one by hand: it still counts as waited, for its reason
    queue = client.get("/api/v1/communes/00583/transactions?state=unmatched", headers=bearer(billing.token))
    waiting = {t["transaction_id"]: t for t in queue.get_json()["items"]}
    assert len(waiting) == 3

    with app.app_context():
        figures = services.live(db, ["00583"], "2026-11")["00583"]
    count, value = figures["transfers_auto_share_count"], figures["transfers_auto_share_value"]
    assert (count.numerator, count.denominator) == (2, 5)  # the outgoing transfer is not counted
    assert (value.numerator, value.denominator) == (60000, 170000)
    assert count.breakdown == {"no_reference": 1, "unknown_reference": 1, "wrong_account": 1}

    # in words on the staff figures page, with the other figures
    staff_page = _staff_page(client, factory, "/staff/00583/metrics?month=2026-11")
    card = staff_page.split('id="m-transfers_auto_share_count"')[1].split("</li>")[0]
    assert "Giao dịch khớp tự động (số lượng)" in card and "40%" in card
    assert "không có mã hóa đơn hay mã đơn hàng" in card and "no_reference" not in card


def _staff_page(client, factory, url):
    from core.testing import login

    staff = factory.user("staff", password="mat-khau-can-bo")
    login(client, staff, "mat-khau-can-bo")
    return client.get(url).get_data(as_text=True)
