"""CSV export and all-or-nothing import of a shop's products."""

import csv
import io

from sqlalchemy import func, select

from core.models import AuditLog, Product
from core.testing import bearer

HEADER = "sku,name,product_group,price_vnd,stock,ocop_stars,ocop_certificate_no\n"


def post_csv(client, shop, token, text: str, lang: str = "vi"):
    return client.post(f"/api/v1/households/{shop.id}/products/import?lang={lang}", headers=bearer(token),
                       data={"file": (io.BytesIO(text.encode("utf-8-sig")), "products.csv")},
                       content_type="multipart/form-data")


def snapshot(db):
    db.expire_all()
    return sorted((p.id, p.name, p.price_vnd, p.stock) for p in db.scalars(select(Product)))


def test_import_creates_and_updates_then_export_gives_it_back(client, factory, db):
    shop = factory.shop()
    factory.product(shop, name="Gạo cũ", sku="GAO-1", price_vnd=20000)
    token = factory.token(shop.owner)
    r = post_csv(client, shop, token, HEADER
                 + "GAO-1,Gạo thơm ST25,food,\"25.000\",40,,\n"
                 + "CHE-1,Chè búp Thái Nguyên,beverage,180000,12,4,15/QĐ-UBND\n")
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"created": 1, "updated": 1}
    exported = client.get(f"/api/v1/households/{shop.id}/products.csv", headers=bearer(token))
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    by_sku = {r["sku"]: r for r in rows}
    assert by_sku["GAO-1"]["name"] == "Gạo thơm ST25" and by_sku["GAO-1"]["price_vnd"] == "25000"
    assert by_sku["CHE-1"]["ocop_stars"] == "4"
    # what was exported imports again as pure updates
    again = post_csv(client, shop, token, exported.get_data(as_text=True).lstrip("\ufeff"))
    assert again.get_json() == {"created": 0, "updated": 2}
    assert db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "products.import")) == 2


def test_one_bad_row_changes_nothing_and_every_bad_row_is_reported(client, factory, db):
    shop = factory.shop()
    factory.product(shop, name="Gạo cũ", sku="GAO-1", price_vnd=20000)
    token = factory.token(shop.owner)
    before = snapshot(db)
    r = post_csv(client, shop, token, HEADER
                 + "GAO-1,Gạo mới,food,30000,5,,\n"        # line 2: fine, would update
                 + "X-1,Bánh,cars,1000,1,,\n"               # line 3: unknown group
                 + "X-2,Mật ong,food,12.5,1,,\n"            # line 4: fractional money
                 + "X-3,Chè,beverage,50000,1,4,\n", lang="en")  # line 5: stars without certificate
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["message"] == "3 rows have problems; nothing was imported."
    problems = {(p["line"], p["field"]) for p in error["fields"]["rows"]}
    assert problems == {(3, "product_group"), (4, "price_vnd"), (5, "ocop_certificate_no")}
    assert snapshot(db) == before


def test_a_wrong_header_or_encoding_is_explained(client, factory):
    shop = factory.shop()
    token = factory.token(shop.owner)
    r = post_csv(client, shop, token, "ten,gia\nGạo,1000\n", lang="en")
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["missing_columns"] == ["name", "product_group", "price_vnd"]
    r = client.post(f"/api/v1/households/{shop.id}/products/import", headers=bearer(token),
                    data={"file": (io.BytesIO("name,product_group,price_vnd\nCà phê,food,1\n".encode("cp1258")),
                                   "x.csv")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "UTF-8" in r.get_json()["error"]["message"]


def test_another_household_cannot_import_or_export(client, factory):
    shop = factory.shop()
    token = factory.token(factory.user())
    assert post_csv(client, shop, token, HEADER + "A,Gạo,food,1,1,,\n").status_code == 403
    assert client.get(f"/api/v1/households/{shop.id}/products.csv", headers=bearer(token)).status_code == 403
