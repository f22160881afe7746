"""Shops and bank accounts through the API."""

from sqlalchemy import select

from core.models import AuditLog, HouseholdBusiness, User
from core.testing import OTHER_COMMUNE, bearer


def test_a_household_opens_its_own_shop(client, factory):
    owner = factory.user()
    r = client.post("/api/v1/households", headers=bearer(factory.token(owner)), json={
        "commune_code": "00583", "name": "Hộ kinh doanh Gốm Minh", "registration_number": "01a8012345",
        "tax_code": "0101234567", "phone": "0912 345 678"})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["owner"]["id"] == owner.id
    assert body["registration_number"] == "01A8012345"
    assert body["phone"] == "0912345678"
    assert client.get(f"/api/v1/households/{body['id']}").get_json()["name"] == "Hộ kinh doanh Gốm Minh"


def test_a_household_cannot_open_a_shop_in_another_commune(client, factory):
    r = client.post("/api/v1/households", headers=bearer(factory.token(factory.user())),
                    json={"commune_code": OTHER_COMMUNE, "name": "Cửa hàng lạ"})
    assert r.status_code == 403


def test_a_helper_opens_a_shop_for_a_household_with_the_household_as_owner(client, factory, db):
    helper = factory.user("helper")
    r = client.post("/api/v1/households", headers=bearer(factory.token(helper)), json={
        "commune_code": "00583", "name": "Hộ bà Lan", "owner_phone": "0987654321"})
    assert r.status_code == 201
    shop = db.get(HouseholdBusiness, r.get_json()["id"])
    owner = db.scalar(select(User).where(User.phone == "0987654321"))
    assert shop.owner_id == owner.id and owner.roles_in("00583") == {"household"}
    assert owner.password_hash is None  # nobody can sign in as the household until it sets a password
    entry = db.scalars(select(AuditLog).where(AuditLog.action == "shop.open")).one()
    assert (entry.actor_id, entry.on_behalf_of_id) == (helper.id, shop.id)
    # opening the shop assigned the helper to it, in the record and in the household's own view
    assert entry.assignment_id is not None
    helpers = client.get(f"/api/v1/households/{shop.id}/helpers", headers=bearer(factory.token(helper))).get_json()
    assert [h["helper_id"] for h in helpers["items"]] == [helper.id]


def test_registration_and_tax_numbers_are_checked(client, factory):
    token = factory.token(factory.user())
    r = client.post("/api/v1/households?lang=en", headers=bearer(token), json={
        "commune_code": "00583", "name": "Hộ A", "registration_number": "12", "tax_code": "12345",
        "phone": "12"})
    fields = r.get_json()["error"]["fields"]
    assert r.status_code == 422
    assert set(fields) == {"registration_number", "tax_code", "phone"}
    assert fields["phone"] == ["Enter a Vietnamese phone number, e.g. 0912345678."]
    for tax in ("0101234567", "0101234567-001", "001203004005"):
        r = client.post("/api/v1/households", headers=bearer(token),
                        json={"commune_code": "00583", "name": f"Hộ {tax}", "tax_code": tax})
        assert r.status_code == 201, tax


def test_a_registration_number_belongs_to_one_shop(client, factory):
    factory.shop(registration_number="01A8012345")
    r = client.post("/api/v1/households", headers=bearer(factory.token(factory.user())),
                    json={"commune_code": "00583", "name": "Hộ B", "registration_number": "01a8012345"})
    assert r.status_code == 409
    assert "registration_number" in r.get_json()["error"]["fields"]


def test_only_commune_staff_suspend_a_shop(client, factory):
    shop = factory.shop()
    owner_token = factory.token(shop.owner)
    r = client.patch(f"/api/v1/households/{shop.id}", json={"status": "suspended"}, headers=bearer(owner_token))
    assert r.status_code == 403
    far_staff = factory.token(factory.user("staff", OTHER_COMMUNE))
    r = client.patch(f"/api/v1/households/{shop.id}", json={"status": "suspended"}, headers=bearer(far_staff))
    assert r.status_code == 403
    staff = factory.token(factory.user("staff"))
    r = client.patch(f"/api/v1/households/{shop.id}", json={"status": "suspended"}, headers=bearer(staff))
    assert r.status_code == 200 and r.get_json()["status"] == "suspended"
    assert client.get(f"/api/v1/households/{shop.id}").status_code == 404


def test_bank_accounts_use_the_napas_directory_and_staff_verify_them(client, factory):
    shop = factory.shop()
    owner_token = factory.token(shop.owner)
    url = f"/api/v1/households/{shop.id}/bank-accounts"
    r = client.post(url + "?lang=en", headers=bearer(owner_token),
                    json={"bank_bin": "999999", "account_number": "12 34", "account_name": "Trần Văn Ba"})
    assert r.status_code == 422
    assert set(r.get_json()["error"]["fields"]) == {"bank_bin", "account_number"}
    r = client.post(url, headers=bearer(owner_token),
                    json={"bank_bin": "970436", "account_number": "0011004567890", "account_name": "Trần Văn Ba"})
    assert r.status_code == 201
    account = r.get_json()
    assert account["bank_name"] == "Vietcombank" and account["account_name"] == "TRAN VAN BA"
    assert account["verified"] is False
    again = client.post(url, headers=bearer(owner_token),
                        json={"bank_bin": "970436", "account_number": "0011004567890", "account_name": "TRAN VAN BA"})
    assert again.status_code == 409
    r = client.patch(f"/api/v1/bank-accounts/{account['id']}", json={"verified": True}, headers=bearer(owner_token))
    assert r.status_code == 403
    staff = factory.token(factory.user("staff"))
    r = client.patch(f"/api/v1/bank-accounts/{account['id']}", json={"verified": True}, headers=bearer(staff))
    assert r.get_json()["verified"] is True
    assert client.get(url).status_code == 401
    other = factory.token(factory.user())
    assert client.get(url, headers=bearer(other)).status_code == 403
    assert client.delete(f"/api/v1/bank-accounts/{account['id']}", headers=bearer(other)).status_code == 404
    assert client.delete(f"/api/v1/bank-accounts/{account['id']}", headers=bearer(owner_token)).status_code == 204


def test_communes_are_found_by_name_without_accents_or_by_code(client):
    body = client.get("/api/v1/communes?q=BAT trang").get_json()
    assert [c["code"] for c in body["items"]] == ["00583"]
    assert body["items"][0]["province_name"] == "Thành phố Hà Nội"
    assert client.get("/api/v1/communes/583").get_json()["name"] == "Xã Bát Tràng"
    assert client.get("/api/v1/communes/99999").status_code == 404
    assert client.get("/api/v1/communes?province=1&q=phuong").get_json()["meta"]["total"] > 20


def test_banks_are_listed_and_searchable(client):
    names = [b["short_name"] for b in client.get("/api/v1/banks?q=ngoai thuong").get_json()["items"]]
    assert names == ["Vietcombank"]
    assert len(client.get("/api/v1/banks").get_json()["items"]) > 40


def test_me_shows_the_roles(client, factory):
    user = factory.user("helper")
    body = client.get("/api/v1/me", headers=bearer(factory.token(user))).get_json()
    assert body["roles"] == [{"commune_code": "00583", "role": "helper"}]
