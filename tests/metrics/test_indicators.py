"""Every indicator on hand-made data whose right answer is known; isolation between communes and provinces."""

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.metrics import services
from core.metrics.models import MetricSnapshot
from core.models import AuditLog, BankAccount, Commune
from core.orders.models import Order, OrderItem, OrderPart
from core.publishing.models import Listing
from core.services.audit import record
from core.testing import OTHER_COMMUNE, bearer
from payments.bills.models import Bill, FeeType
from payments.reconcile.models import Payment

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
        db.add(Payment(bill_id=bill.id, amount_vnd=amount, method=method, created_at=IN_MONTH))
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
    helper = factory.user("helper")
    record(db, db.merge(helper), "product.update", "product", tea.id, shop=db.merge(shops[2]))
    db.commit()
    db.query(AuditLog).update({"at": IN_MONTH})
    db.commit()
    return shops


def figures(app, db, code="00583", month=MONTH):
    with app.app_context():
        return services.figures(db, [code], month)[code]


def test_every_built_in_indicator_on_known_data(app, db, village):
    f = figures(app, db)
    assert f["households_total"].value == 4
    assert (f["ecommerce_household_share"].numerator, f["ecommerce_household_share"].denominator) == (2, 4)
    assert f["ecommerce_household_share"].value == 0.5
    assert f["ocop_products_total"].value == 3 and f["ocop_products_total"].breakdown == {"3": 2, "4": 1}
    assert (f["ocop_online_share"].numerator, f["ocop_online_share"].denominator) == (2, 3)
    assert f["cashless_ready_household_share"].value == 0.5
    assert (f["bills_cashless_share_count"].numerator, f["bills_cashless_share_count"].denominator) == (2, 3)
    assert (f["bills_cashless_share_value"].numerator, f["bills_cashless_share_value"].denominator) == (60000, 100000)
    assert f["orders_total"].value == 2
    assert f["gmv_vnd"].value == 150_000
    assert f["gmv_vnd"].breakdown == {"channel.postmart": 100_000, "channel.direct": 50_000, "group.food": 150_000}
    assert f["active_sellers_30d"].value == 2  # tea (listings, orders) and rice (a listing) households
    assert f["assisted_households"].value == 1
    assert f["choque_product_share"].denominator == 5  # the example plugin's indicator, from the same facts


def test_an_empty_commune_has_no_division_by_zero(app, db, village):
    f = figures(app, db, code=OTHER_COMMUNE)
    assert f["households_total"].value == 0
    for share in ("ecommerce_household_share", "ocop_online_share", "cashless_ready_household_share",
                  "bills_cashless_share_count", "choque_product_share"):
        assert f[share].value is None and f[share].denominator == 0


def test_another_month_counts_only_its_own_flows(app, db, village):
    f = figures(app, db, month="2026-08")
    assert f["orders_total"].value == 0 and f["bills_cashless_share_count"].value is None
    assert f["households_total"].value == 0  # the households were registered in September


def test_levels_against_default_and_staff_targets(app, client, db, factory, village):
    f = figures(app, db)
    assert f["ecommerce_household_share"].target == 0.5 and f["ecommerce_household_share"].level == "met"
    assert f["cashless_ready_household_share"].level == "near"  # 0.5 against 0.8, near from 0.5
    staff = bearer(factory.token(factory.user("staff")))
    r = client.put("/api/v1/communes/00583/metric-targets/ecommerce_household_share", headers=staff,
                   json={"target": 0.9, "near": 0.6})
    assert r.status_code == 200
    assert figures(app, db)["ecommerce_household_share"].level == "below"
    bad = client.put("/api/v1/communes/00583/metric-targets/ecommerce_household_share", headers=staff,
                     json={"target": 90})
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"]["target"]


def test_the_api_answers_by_indicator_and_keeps_communes_apart(client, db, factory, village):
    staff = bearer(factory.token(factory.user("staff")))
    r = client.get(f"/api/v1/metrics?commune=00583&month={MONTH}", headers=staff)
    body = r.get_json()["communes"]["00583"]
    assert r.status_code == 200 and body["ecommerce_household_share"] == {
        "id": "ecommerce_household_share", "value": 0.5, "numerator": 2, "denominator": 4, "breakdown": {},
        "target": 0.5, "level": "met"}
    other = bearer(factory.token(factory.user("staff", OTHER_COMMUNE)))
    assert client.get(f"/api/v1/metrics?commune=00583&month={MONTH}", headers=other).status_code == 403
    assert client.get("/api/v1/metrics?province=01", headers=staff).status_code == 403
    assert client.get("/api/v1/metrics?commune=00583&month=2026-13", headers=staff).status_code == 422


def test_province_staff_see_their_province_only(client, db, factory, village):
    from core.services.users import grant_province

    with client.application.app_context():
        ha_noi = factory.user("household")
        grant_province(db, db.merge(ha_noi), "01")
        db.commit()
    token = bearer(factory.token(ha_noi))
    r = client.get(f"/api/v1/metrics?province=01&month={MONTH}", headers=token)
    assert r.status_code == 200 and list(r.get_json()["communes"]) == ["00583"]
    other_province = db.get(Commune, OTHER_COMMUNE).province_code
    assert other_province != "01"
    assert client.get(f"/api/v1/metrics?commune={OTHER_COMMUNE}", headers=token).status_code == 403
    assert client.get(f"/api/v1/metrics?province={other_province}", headers=token).status_code == 403


def test_snapshots_keep_figures_as_reported_and_are_idempotent(app, db, village, factory):
    with app.app_context():
        first = services.snapshot(db, MONTH)
        again = services.snapshot(db, MONTH)
    assert first > 0 and again == 0
    factory.shop(name="Hộ mới")  # data changes after the report …
    for shop in village:
        shop.created_at = BEFORE - timedelta(days=1)
    assert figures(app, db)["households_total"].value == 4  # … the reported month does not
    with app.app_context():
        replaced = services.snapshot(db, MONTH, replace=True)
    assert replaced == first


def test_the_cli_snapshot_reports_and_refuses_bad_months(choso, db, village):
    ok = choso("metrics", "snapshot", "--month", MONTH)
    assert "stored" in ok.stdout and "communes" in ok.stderr  # progress goes to stderr
    assert db.scalar(select(func.count()).select_from(MetricSnapshot)) > 0
    assert "nothing changed" in choso("metrics", "snapshot", "--month", MONTH).stdout
    bad = choso("metrics", "snapshot", "--month", "10/2026", check=False)
    assert bad.returncode == 1 and "YYYY-MM" in bad.stderr
