"""Every indicator on hand-made data whose right answer is known; isolation between communes and provinces."""

from datetime import timedelta

from sqlalchemy import func, select

from core.metrics import services
from core.metrics.models import MetricSnapshot
from core.models import Commune
from core.testing import OTHER_COMMUNE, bearer
from tests.metrics.conftest import BEFORE, MONTH


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
    assert body["choque_product_share"]["denominator"] == 5  # a plugin's indicator, in the API unchanged
    other = bearer(factory.token(factory.user("staff", OTHER_COMMUNE)))
    assert client.get(f"/api/v1/metrics?commune=00583&month={MONTH}", headers=other).status_code == 403
    assert client.get("/api/v1/metrics?province=01", headers=staff).status_code == 403
    assert client.get("/api/v1/metrics?commune=00583&month=2026-13", headers=staff).status_code == 422
    assert client.get("/api/v1/metrics?commune=00583&month=0000-01", headers=staff).status_code == 422  # was 500
    mine = client.get(f"/api/v1/metrics?month={MONTH}", headers=staff)  # naming none: the caller's communes
    assert list(mine.get_json()["communes"]) == ["00583"]
    household = bearer(factory.token(factory.user("household")))
    assert client.get("/api/v1/metrics", headers=household).status_code == 403


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
