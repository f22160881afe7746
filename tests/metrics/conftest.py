"""Hand-made data for the figures tests: every indicator's right answer is known."""

import secrets
from datetime import UTC, datetime

import pytest

from core.models import AuditLog, BankAccount
from core.orders.models import Order, OrderItem, OrderPart
from core.publishing.models import Listing
from core.services import helpers
from core.services.audit import record
from payments.bills.models import Bill, FeeType
from payments.reconcile.models import Payment
from tests.payments.conftest import billing  # noqa: F401  (the payments tests' fixture, for the matching figure)

MONTH = "2026-10"
IN_MONTH = datetime(2026, 10, 15, 3, 0, tzinfo=UTC)
BEFORE = datetime(2026, 9, 1, tzinfo=UTC)


@pytest.fixture
def village(factory, db):
    """Commune 00583: 4 active households (a fifth suspended), 2 with a verified account, 2 selling online;
    5 active products, 3 OCOP (3★, 3★, 4★), 2 of them live; bills paid 2× by VietQR and 1× in cash;
    one marketplace order and one direct order in October; a helper acted for 1 household."""
    shops = [factory.shop(name=f"Hộ {n}") for n in ("An", "Bình", "Cúc", "Dung", "Em")]
    for shop in shops:
        shop.created_at = BEFORE
    shops[4].status = "suspended"
    db.merge(shops[4])
    for shop in shops[:2]:
        db.add(BankAccount(household_id=shop.id, bank_bin="970436", account_number=f"00{shop.id}99",
                           account_name="HO", verified=True))
    db.add(BankAccount(household_id=shops[2].id, bank_bin="970436", account_number="0077", account_name="HO",
                       verified=False))
    for shop in shops:
        db.merge(shop)
    db.commit()
    tea = factory.product(shops[0], name="Chè", ocop_stars=3, ocop_certificate_no="OCOP-1")
    rice = factory.product(shops[1], name="Gạo", ocop_stars=3, ocop_certificate_no="OCOP-2")
    factory.product(shops[1], name="Mắm", ocop_stars=4, ocop_certificate_no="OCOP-3")
    factory.product(shops[2], name="Rau")
    factory.product(shops[3], name="Trứng")
    factory.product(shops[3], name="Nháp", status="draft")
    for product, state in ((tea, "live"), (rice, "out_of_sync"), (tea, "failed")):
        db.add(Listing(product_id=product.id, commune_code="00583", marketplace="postmart" if state != "failed"
                       else "voso", state=state, updated_at=IN_MONTH))
    fee = FeeType(commune_code="00583", code="rac", name="Phí rác", default_amount_vnd=30000)
    db.add(fee)
    db.flush()
    for method, amount in (("vietqr", 30000), ("vietqr", 30000), ("cash", 40000)):
        bill = Bill(commune_code="00583", fee_type_id=fee.id, payer_name="X", amount_vnd=amount, paid_vnd=amount,
                    reference=secrets.token_hex(6).upper(), token=secrets.token_urlsafe(32), state="paid")
        db.add(bill)
        db.flush()
        db.add(Payment(bill_id=bill.id, commune_code="00583", amount_vnd=amount, method=method, created_at=IN_MONTH))
    for channel, state, price in (("postmart", "confirmed", 100_000), ("direct", "paid", 50_000),
                                  ("direct", "cancelled", 70_000)):
        order = Order(commune_code="00583", channel=channel, state=state, total_vnd=price, placed_at=IN_MONTH,
                      remote_id=secrets.token_hex(4) if channel != "direct" else None)
        part = OrderPart(household_id=shops[0].id, state=state, subtotal_vnd=price)
        order.parts.append(part)
        item = OrderItem(product_id=tea.id, household_id=shops[0].id, name="Chè", quantity=1, unit_price_vnd=price)
        order.items.append(item)
        part.items.append(item)
        db.add(order)
    helper, staff = db.merge(factory.user("helper")), db.merge(factory.user("staff"))
    helpers.assign(db, staff, db.merge(shops[2]), helper)
    db.expire(helper, ["helper_assignments"])
    record(db, helper, "product.update", "product", tea.id, shop=db.merge(shops[2]))
    # staff acting on a shop is moderation, not the digital team's help: not counted
    record(db, staff, "shop.update", "household", shops[1].id, shop=db.merge(shops[1]))
    db.commit()
    db.query(AuditLog).update({"at": IN_MONTH})
    db.commit()
    return shops
