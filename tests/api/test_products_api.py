"""The product API: catalog search, validation in the caller's language, roles and the audit log."""

from sqlalchemy import select

from core.models import AuditLog, Product
from core.testing import OTHER_COMMUNE, bearer


def test_catalog_search_ignores_accents_and_case(client, factory):
    shop = factory.shop()
    factory.product(shop, name="Nước mắm cá cơm")
    factory.product(shop, name="Mật ong hoa nhãn")
    body = client.get("/api/v1/products?q=NUOC mam").get_json()
    assert [p["name"] for p in body["items"]] == ["Nước mắm cá cơm"]
    assert body["meta"] == {"page": 1, "per_page": 20, "total": 1, "pages": 1}


def test_catalog_filters_by_group_stars_and_commune_and_pages(client, factory):
    shop = factory.shop()
    far = factory.shop(factory.user(commune=OTHER_COMMUNE), commune=OTHER_COMMUNE)
    for i in range(5):
        factory.product(shop, name=f"Gạo {i}")
    factory.product(shop, name="Chè búp", product_group="beverage", ocop_stars=4, ocop_certificate_no="12/QĐ")
    factory.product(far, name="Gạo xa")
    assert client.get("/api/v1/products?group=beverage").get_json()["meta"]["total"] == 1
    assert client.get("/api/v1/products?stars=4").get_json()["items"][0]["name"] == "Chè búp"
    assert client.get("/api/v1/products?commune=00583").get_json()["meta"]["total"] == 6
    page2 = client.get("/api/v1/products?commune=00583&per_page=4&page=2").get_json()
    assert len(page2["items"]) == 2 and page2["meta"]["pages"] == 2


def test_money_is_whole_dong(client, factory):
    owner = factory.user()
    shop = factory.shop(owner)
    token = factory.token(owner)
    base = {"household_id": shop.id, "name": "Mật ong", "product_group": "food"}
    for bad in (150000.5, "150000.5", "abc", True, -1):
        r = client.post("/api/v1/products", json={**base, "price_vnd": bad}, headers=bearer(token))
        assert r.status_code == 422, bad
        assert "price_vnd" in r.get_json()["error"]["fields"]
    ok = client.post("/api/v1/products", json={**base, "price_vnd": "150.000"}, headers=bearer(token))
    assert ok.status_code == 201
    assert ok.get_json()["price_vnd"] == 150000


def test_bad_input_gets_field_messages_in_the_users_language(client, factory):
    owner = factory.user()
    shop = factory.shop(owner)
    token = factory.token(owner)
    bad = {"household_id": shop.id, "name": "x", "product_group": "cars", "price_vnd": 1, "ocop_stars": 7}
    vi = client.post("/api/v1/products", json=bad, headers=bearer(token)).get_json()["error"]
    assert vi["fields"]["name"] == ["Nhập từ 2 đến 150 ký tự."]
    assert vi["fields"]["ocop_stars"] == ["Phải từ 3 đến 5."]
    assert vi["fields"]["product_group"][0].startswith("Hãy chọn một trong")
    missing = client.post("/api/v1/products", json={}, headers=bearer(token)).get_json()["error"]["fields"]
    assert missing["name"] == ["Trường này là bắt buộc."]
    en = client.post("/api/v1/products?lang=en", json=bad, headers=bearer(token)).get_json()["error"]
    assert en["fields"]["name"] == ["Enter between 2 and 150 characters."]


def test_ocop_rating_needs_a_certificate_and_consistent_dates(client, factory):
    owner = factory.user()
    shop = factory.shop(owner)
    token = factory.token(owner)
    base = {"household_id": shop.id, "name": "Chè", "product_group": "beverage", "price_vnd": 90000}
    r = client.post("/api/v1/products?lang=en", json={**base, "ocop_stars": 4}, headers=bearer(token))
    assert r.get_json()["error"]["fields"]["ocop_certificate_no"] == [
        "An OCOP rating needs its certificate or decision number."]
    r = client.post("/api/v1/products", json={**base, "ocop_stars": 4, "ocop_certificate_no": "1/QĐ",
                                              "ocop_issued_on": "2025-05-01", "ocop_expires_on": "2024-05-01"},
                    headers=bearer(token))
    assert r.status_code == 422 and "ocop_expires_on" in r.get_json()["error"]["fields"]


def test_writes_need_a_token(client, factory):
    product = factory.product()
    assert client.post("/api/v1/products", json={}).status_code == 401
    r = client.patch(f"/api/v1/products/{product.id}", json={"price_vnd": 1},
                     headers={"Authorization": "Bearer choso_not-a-real-token"})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_household_cannot_touch_another_households_products(client, factory, db):
    product = factory.product(price_vnd=120000)
    intruder = factory.user()
    token = factory.token(intruder)
    r = client.patch(f"/api/v1/products/{product.id}", json={"price_vnd": 1}, headers=bearer(token))
    assert r.status_code == 403
    r = client.post("/api/v1/products", json={"household_id": product.household_id, "name": "Giả",
                                              "product_group": "food", "price_vnd": 1}, headers=bearer(token))
    assert r.status_code == 403
    db.expire_all()
    assert db.get(Product, product.id).price_vnd == 120000


def test_helper_acts_for_a_household_and_the_audit_log_says_so(client, factory, db):
    product = factory.product(price_vnd=120000)
    helper = factory.user("helper")
    factory.assign_helper(helper, product.household)
    r = client.patch(f"/api/v1/products/{product.id}", json={"price_vnd": 99000},
                     headers=bearer(factory.token(helper)))
    assert r.status_code == 200 and r.get_json()["price_vnd"] == 99000
    entry = db.scalars(select(AuditLog).where(AuditLog.action == "product.update")).one()
    assert entry.actor_id == helper.id
    assert entry.on_behalf_of_id == product.household_id
    assert entry.details["price_vnd"] == [120000, 99000]
    far_helper = factory.user("helper", OTHER_COMMUNE)
    r = client.patch(f"/api/v1/products/{product.id}", json={"price_vnd": 1},
                     headers=bearer(factory.token(far_helper)))
    assert r.status_code == 403


def test_drafts_are_private_to_the_shop_its_helpers_and_its_commune_staff(client, factory):
    shop = factory.shop()
    draft = factory.product(shop, name="Sản phẩm nháp", status="draft")
    assert client.get(f"/api/v1/products/{draft.id}").status_code == 404
    assert client.get("/api/v1/products?q=nhap").get_json()["meta"]["total"] == 0
    assigned = factory.user("helper")
    factory.assign_helper(assigned, shop)
    for role, commune, visible in (("staff", "00583", True), ("assigned helper", "00583", True),
                                   ("helper", "00583", False), ("staff", OTHER_COMMUNE, False),
                                   ("household", "00583", False)):
        token = factory.token(assigned if role == "assigned helper" else factory.user(role, commune))
        r = client.get(f"/api/v1/products/{draft.id}", headers=bearer(token))
        assert (r.status_code == 200) is visible, (role, commune)
    owner_token = factory.token(shop.owner)
    assert client.get("/api/v1/products?q=nhap", headers=bearer(owner_token)).get_json()["meta"]["total"] == 1


def test_staff_can_see_but_not_edit_a_shops_products(client, factory):
    product = factory.product()
    token = factory.token(factory.user("staff"))
    assert client.patch(f"/api/v1/products/{product.id}", json={"stock": 1}, headers=bearer(token)).status_code == 403


def test_archiving_hides_a_product_from_the_catalog(client, factory):
    product = factory.product(name="Bánh đa vừng")
    token = factory.token(product.household.owner)
    r = client.delete(f"/api/v1/products/{product.id}", headers=bearer(token))
    assert r.status_code == 200 and r.get_json()["status"] == "archived"
    assert client.get("/api/v1/products?q=banh da").get_json()["meta"]["total"] == 0


def test_unknown_and_malformed_requests(client, factory):
    token = factory.token(factory.user())
    assert client.get("/api/v1/products/999999").status_code == 404
    r = client.post("/api/v1/products", data="not json", headers=bearer(token), content_type="application/json")
    assert r.status_code == 400
    assert client.get("/api/v1/products?colour=red").status_code == 400
    assert client.get("/api/v1/nothing").get_json()["error"]["status"] == 404


def test_prices_written_the_way_people_write_them_are_accepted_everywhere(client, factory, db):
    """Issue 15.1: "12.000đ" was refused as "must not have decimals"."""
    from core.testing import login, post_form

    owner = factory.user(password="mat-khau-chu-ho")
    shop = factory.shop(owner)
    token = factory.token(owner)
    for written, dong in (("12.000đ", 12_000), ("12k", 12_000), ("1,5tr", 1_500_000)):
        r = client.post("/api/v1/products", headers=bearer(token), json={
            "household_id": shop.id, "name": f"Chè {written}", "product_group": "beverage", "price_vnd": written})
        assert r.status_code == 201 and r.get_json()["price_vnd"] == dong, (written, r.get_json())
    r = client.post("/api/v1/products", headers=bearer(token), json={
        "household_id": shop.id, "name": "Chè lẻ", "product_group": "beverage", "price_vnd": "12.5"})
    assert r.status_code == 422 and "không có phần thập phân" in str(r.get_json()["error"]["fields"]["price_vnd"])
    login(client, owner, "mat-khau-chu-ho")
    url = f"/dashboard/shops/{shop.id}/products/new"
    r = post_form(client, url, url, {"name": "Mật ong hoa nhãn", "product_group": "food", "price_vnd": "180.000 đ",
                                     "stock": "5", "status": "active"})
    assert r.status_code == 302
    assert client.get(f"/api/v1/products?household={shop.id}&q=mat ong").get_json()["items"][0]["price_vnd"] \
        == 180_000


def test_the_public_catalog_total_leaves_out_products_of_shops_not_open(client, factory, db):
    """The unfiltered public catalog is counted from the catalog index (products.catalog_total); its total must
    be the number of products listed, with a suspended shop's products left out, on the page and in the API."""
    open_shop, suspended = factory.shop(name="Hộ đang bán"), factory.shop(name="Hộ tạm dừng")
    for n in range(3):
        factory.product(open_shop, name=f"Chè số {n}")
    for n in range(2):
        factory.product(suspended, name=f"Mắm số {n}")
    factory.product(open_shop, name="Chè cũ", status="archived")
    db.merge(suspended).status = "suspended"
    db.commit()
    body = client.get("/api/v1/products?commune=00583").get_json()
    assert body["meta"]["total"] == len(body["items"]) == 3
    filtered = client.get("/api/v1/products?commune=00583&q=che").get_json()  # the general count agrees
    assert filtered["meta"]["total"] == 3
