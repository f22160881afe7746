"""A helper acts only for the households commune staff assigned to it; the household sees who may act for it
and can withdraw that; every action is recorded as "helper X for household Y" (issue 13.10)."""

from sqlalchemy import select

from core.models import AuditLog
from core.testing import OTHER_COMMUNE, bearer, login, post_form

ACCOUNT = {"bank_bin": "970436", "account_number": "0011004567890", "account_name": "TRAN VAN BA"}


def _assign(client, staff_token: str, helper, shop):
    return client.post("/api/v1/communes/00583/helper-assignments", headers=bearer(staff_token),
                       json={"household_id": shop.id, "helper_id": helper.id})


def test_an_unassigned_helper_cannot_touch_a_household_until_staff_assign_it(client, factory, db):
    shop = factory.shop()
    product = factory.product(shop, price_vnd=120_000)
    owner = factory.token(shop.owner)
    account = client.post(f"/api/v1/households/{shop.id}/bank-accounts", json=ACCOUNT,
                          headers=bearer(owner)).get_json()
    helper = factory.user("helper")
    as_helper = bearer(factory.token(helper))
    # the hole from review: any helper of the commune could change any household's bank account
    r = client.patch(f"/api/v1/bank-accounts/{account['id']}", headers=as_helper,
                     json={"account_number": "0011009999999"})
    assert r.status_code == 404
    assert client.patch(f"/api/v1/products/{product.id}", json={"price_vnd": 1}, headers=as_helper).status_code == 403
    # neither the helper nor the household may grant that right; staff of another commune neither
    for token in (factory.token(helper), owner, factory.token(factory.user("staff", OTHER_COMMUNE))):
        assert _assign(client, token, helper, shop).status_code == 403
    staff = factory.token(factory.user("staff"))
    r = _assign(client, staff, helper, shop)
    assert r.status_code == 201 and r.get_json()["helper_id"] == helper.id
    assert client.patch(f"/api/v1/products/{product.id}", json={"price_vnd": 99_000},
                        headers=as_helper).status_code == 200
    entry = db.scalars(select(AuditLog).where(AuditLog.action == "product.update")).one()
    assert (entry.actor_id, entry.on_behalf_of_id, entry.assignment_id) == (helper.id, shop.id, r.get_json()["id"])


def test_the_household_sees_its_helpers_and_withdraws_one(client, factory, db):
    shop = factory.shop()
    product = factory.product(shop)
    helper = factory.user("helper", password="mat-khau-tro-giup")
    assignment = factory.assign_helper(helper, shop)
    owner_token = factory.token(shop.owner)
    listed = client.get(f"/api/v1/households/{shop.id}/helpers", headers=bearer(owner_token)).get_json()
    assert [(h["helper_id"], h["helper_phone"]) for h in listed["items"]] == [(helper.id, helper.phone)]
    # another household cannot end it; the owner can
    stranger = factory.token(factory.shop().owner)
    assert client.delete(f"/api/v1/helper-assignments/{assignment.id}",
                         headers=bearer(stranger)).status_code == 404
    r = client.delete(f"/api/v1/helper-assignments/{assignment.id}", headers=bearer(owner_token))
    assert r.status_code == 200 and r.get_json()["end_reason"] == "withdrawn"
    r = client.patch(f"/api/v1/products/{product.id}", json={"stock": 1}, headers=bearer(factory.token(helper)))
    assert r.status_code == 403
    withdrawn = db.scalars(select(AuditLog).where(AuditLog.action == "helper.withdrawn")).one()
    assert withdrawn.actor_id == shop.owner.id and withdrawn.details["helper_id"] == helper.id


def test_pages_staff_assign_and_the_household_withdraws(client, app, factory, db):
    shop = factory.shop(name="Hộ kinh doanh Gốm Sứ Hạnh")
    helper = factory.user("helper", password="mat-khau-tro-giup")
    helper.name = "Chị Mai tổ công nghệ"
    db.merge(helper)
    db.commit()
    staff = factory.user("staff", password="mat-khau-can-bo")
    login(client, staff, "mat-khau-can-bo")
    r = post_form(client, "/staff/00583/helpers", "/staff/00583/helpers",
                  {"helper_id": str(helper.id), "household_id": str(shop.id)}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Chị Mai tổ công nghệ" in page and "Hộ kinh doanh Gốm Sứ Hạnh" in page
    owner = shop.owner
    from core.services.users import set_password

    set_password(db.merge(owner), "mat-khau-chu-ho")
    db.commit()
    household = app.test_client()
    login(household, owner, "mat-khau-chu-ho")
    page = household.get(f"/dashboard/shops/{shop.id}").get_data(as_text=True)
    assert "Chị Mai tổ công nghệ" in page and "Rút quyền" in page
    (row,) = db.scalars(select(AuditLog).where(AuditLog.action == "helper.assign")).all()
    r = post_form(household, f"/dashboard/shops/{shop.id}",
                  f"/dashboard/shops/{shop.id}/helpers/{row.entity_id}/withdraw", {}, follow_redirects=True)
    assert "không còn được thao tác thay" in r.get_data(as_text=True)
    helper_client = app.test_client()
    login(helper_client, helper, "mat-khau-tro-giup")
    assert helper_client.get(f"/dashboard/shops/{shop.id}").status_code == 404


def test_five_staff_assigning_the_same_helper_at_once_make_one_assignment(app, factory, db):
    """Over real HTTP: a twin assignment would survive the household withdrawing the other one."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from core.models import HelperAssignment
    from core.testing_server import live_server

    shop = factory.shop()
    helper = factory.user("helper")
    staff = bearer(factory.token(factory.user("staff")))
    with live_server(app) as base:
        def assign(_n):
            return httpx.post(f"{base}/api/v1/communes/00583/helper-assignments", headers=staff, timeout=60,
                              json={"household_id": shop.id, "helper_id": helper.id}).status_code

        with ThreadPoolExecutor(5) as pool:
            codes = list(pool.map(assign, range(5)))
    assert codes == [201] * 5
    db.expire_all()
    rows = db.scalars(select(HelperAssignment).where(HelperAssignment.ended_at.is_(None))).all()
    assert len(rows) == 1
