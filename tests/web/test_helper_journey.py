"""A helper finds a household by name or phone, sees whom they act for on every page they change, and sees
what they did this month (issue 15.4)."""

from sqlalchemy import select

from core.models import AuditLog
from core.testing import login, post_form


def _helper_with_households(factory, db):
    helper = factory.user("helper", password="mat-khau-tro-giup")
    owners = [factory.user(name=n) for n in ("Nguyễn Thị Hạnh", "Trần Văn Ba")]
    shops = [factory.shop(owners[0], name="Hộ kinh doanh Gốm Sứ Hạnh", address="Thôn 2"),
             factory.shop(owners[1], name="Hộ Mật Ong Ba", address="Thôn 4")]
    for shop in shops:
        factory.assign_helper(helper, shop)
    return helper, owners, shops


def test_the_helpers_list_shows_each_household_once_and_finds_by_phone_or_name(client, factory, db):
    helper, owners, shops = _helper_with_households(factory, db)
    login(client, helper, "mat-khau-tro-giup")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert page.count("Hộ kinh doanh Gốm Sứ Hạnh") == 1 and "Thôn 2" in page and owners[0].phone in page
    by_phone = client.get(f"/dashboard/?q={owners[1].phone[-6:]}").get_data(as_text=True)
    assert "Hộ Mật Ong Ba" in by_phone and "Gốm Sứ Hạnh" not in by_phone
    by_name = client.get("/dashboard/?q=gom su hanh").get_data(as_text=True)  # no accents, any case
    assert "Hộ kinh doanh Gốm Sứ Hạnh" in by_name and "Mật Ong Ba" not in by_name
    by_owner = client.get("/dashboard/?q=tran van").get_data(as_text=True)
    assert "Hộ Mật Ong Ba" in by_owner


def test_the_acting_for_banner_is_on_the_product_pages_and_the_month_is_listed(client, factory, db):
    helper, _owners, shops = _helper_with_households(factory, db)
    product = factory.product(shops[0], name="Bình gốm men lam")
    login(client, helper, "mat-khau-tro-giup")
    for url in (f"/dashboard/products/{product.id}", f"/dashboard/shops/{shops[0].id}/products/new"):
        page = client.get(url).get_data(as_text=True)
        assert 'id="acting-for"' in page and "Hộ kinh doanh Gốm Sứ Hạnh" in page, url
    url = f"/dashboard/shops/{shops[1].id}/products/new"
    r = post_form(client, url, url, {"name": "Mật ong hoa nhãn", "product_group": "food", "price_vnd": "180000",
                                     "stock": "5", "status": "active"})
    assert r.status_code == 302
    done = client.get("/dashboard/helped").get_data(as_text=True)
    assert "Hộ Mật Ong Ba" in done and "thêm sản phẩm" in done and "Cho 1 hộ." in done
    entry = db.scalars(select(AuditLog).where(AuditLog.action == "product.create",
                                              AuditLog.actor_id == helper.id)).one()
    assert entry.on_behalf_of_id == shops[1].id and entry.assignment_id is not None
