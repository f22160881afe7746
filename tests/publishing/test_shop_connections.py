"""A household connects its own Shopee shop through choso's pages and the marketplace's authorisation page;
its listings go live through that shop; the worker refreshes the tokens, tells the household a week before
the authorisation lapses, pauses its listings when it has, and they resume when the household connects again."""

from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from core.db import utcnow
from core.publishing import connections
from core.publishing.models import Listing, ShopConnection
from core.services.users import set_password
from core.testing import bearer, csrf_from, login, run_jobs
from tests.publishing.own_shops import READY, connect


def test_a_household_connects_its_shop_and_sells_there(app, client, db, factory, shopee, farm_product):
    product, token = farm_product
    owner = product.household.owner
    set_password(db.merge(owner), "mat-khau-tot")
    db.commit()
    login(client, owner, "mat-khau-tot")
    client.patch(f"/api/v1/products/{product.id}", json=READY, headers=bearer(token))
    assert "Kết nối shop Shopee của tôi" in client.get(f"/dashboard/shops/{product.household_id}").get_data(
        as_text=True)
    # not connected yet: publishing there says what to do instead of failing later
    refused = client.post(f"/api/v1/products/{product.id}/listings", json={"marketplaces": ["shopee"]},
                          headers=bearer(token)).get_json()["problems"]["shopee"]
    assert [p["code"] for p in refused] == ["not_connected"]

    came_back = connect(client, product.household, shopee)
    assert came_back.status_code == 302 and came_back.headers["Location"].endswith("#connections")
    row = db.scalar(select(ShopConnection))
    assert row.state == "connected" and row.shop_name == "Mật ong Hưng Yên"
    assert row.authorization_expires_at > utcnow() + timedelta(days=360)
    held = next(iter(shopee.access))
    assert held not in row.sealed and "access_token" not in row.sealed  # the tokens are sealed at rest
    assert "Mật ong Hưng Yên" in client.get(f"/dashboard/shops/{product.household_id}").get_data(as_text=True)

    r = client.post(f"/api/v1/products/{product.id}/listings", json={"marketplaces": ["shopee"]},
                    headers=bearer(token))
    assert r.get_json()["problems"] == {}
    run_jobs(app)
    listing = db.scalar(select(Listing).where(Listing.marketplace == "shopee"))
    db.refresh(listing)
    assert listing.state == "live", listing.last_error
    item = shopee.products[listing.remote_id]
    assert item["shop_id"] == int(row.remote_shop_id) and item["category_id"] == 100782  # honey
    assert len(item["image_id_list"]) == 1 and len(shopee.images) == 1  # the photo went to Shopee's media space
    assert httpx.get(listing.remote_url).status_code == 200

    # a sale elsewhere lowers choso's stock; Shopee gets the new number in one call, not a whole update
    calls = shopee.requests
    client.patch(f"/api/v1/products/{product.id}", json={"stock": 7}, headers=bearer(token))
    run_jobs(app)
    assert shopee.products[listing.remote_id]["stock"] == 7 and shopee.requests - calls == 1
    db.refresh(listing)
    assert listing.state == "live" and listing.sent_stock == 7
    client.patch(f"/api/v1/products/{product.id}", json={"stock": 6, "price_vnd": 185000}, headers=bearer(token))
    run_jobs(app)  # more than stock changed: the whole update
    assert (shopee.products[listing.remote_id]["stock"], shopee.products[listing.remote_id]["price"]) == (6, 185000)


def test_the_worker_refreshes_warns_a_week_ahead_and_pauses_when_it_lapses(app, client, db, factory, shopee,
                                                                          farm_product, mailbox):
    product, token = farm_product
    owner = product.household.owner
    owner.email = "chu-ho@example.vn"
    set_password(db.merge(owner), "mat-khau-tot")
    db.commit()
    login(client, owner, "mat-khau-tot")
    connect(client, product.household, shopee)
    client.patch(f"/api/v1/products/{product.id}", json=READY, headers=bearer(token))
    client.post(f"/api/v1/products/{product.id}/listings", json={"marketplaces": ["shopee"]}, headers=bearer(token))
    run_jobs(app)
    row = db.scalar(select(ShopConnection))
    before = row.sealed

    # the access token expires within the half hour: refreshed, and Shopee's authorisation now ends in 3 days
    httpx.post(f"{shopee.url}/_sandbox/shopee/expire", json={"shop_id": row.remote_shop_id,
                                                             "authorization_in": 3 * 86400})
    row.access_expires_at = utcnow() + timedelta(minutes=10)
    db.commit()
    with app.app_context():
        done = connections.sweep(db)
    assert done == {"refreshed": 1, "warned": 1, "lapsed": 0, "failed": 0, "orders": 0}
    db.refresh(row)
    assert shopee.refreshes == 1 and row.sealed != before and row.warned_at is not None
    run_jobs(app)
    assert any("Shopee" in m["Subject"] and "chu-ho@example.vn" in m["To"] for m in mailbox)
    with app.app_context():
        assert connections.sweep(db)["warned"] == 0  # told once

    # the authorisation ends: the listing waits with the reason, and the household hears of it
    with app.app_context():
        done = connections.sweep(db, now=row.authorization_expires_at + timedelta(minutes=1))
    assert done["lapsed"] == 1
    client.patch(f"/api/v1/products/{product.id}", json={"price_vnd": 190000}, headers=bearer(token))
    run_jobs(app)
    listing = db.scalar(select(Listing).where(Listing.marketplace == "shopee"))
    db.refresh(listing)
    assert listing.state == "paused" and "Shopee" in listing.last_error
    page = client.get(f"/dashboard/products/{product.id}").get_data(as_text=True)
    assert "chờ kết nối shop" in page

    # connecting again resumes it: the price reaches Shopee
    connect(client, product.household, shopee, shop_id=row.remote_shop_id)
    run_jobs(app)
    db.refresh(listing)
    assert listing.state == "live" and shopee.products[listing.remote_id]["price"] == 190000


def test_nobody_else_can_finish_a_connection_or_take_a_connected_shop(app, client, db, factory, shopee):
    first, second = factory.shop(), factory.shop()
    for shop, password in ((first, "mat-khau-mot"), (second, "mat-khau-hai")):
        set_password(db.merge(shop.owner), password)
    db.commit()
    login(client, first.owner, "mat-khau-mot")
    connect(client, first, shopee, shop_id="7000123")
    # a stranger may not start one for the first household
    stranger = app.test_client()
    login(stranger, second.owner, "mat-khau-hai")
    page = stranger.get(f"/dashboard/shops/{second.id}").get_data(as_text=True)
    r = stranger.post(f"/dashboard/shops/{first.id}/connections/shopee", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 403
    # a way back started by the first household's owner is no good to anyone else
    page = client.get(f"/dashboard/shops/{first.id}").get_data(as_text=True)
    start = client.post(f"/dashboard/shops/{first.id}/connections/shopee", data={"csrf_token": csrf_from(page)})
    redirect = dict(httpx.URL(start.headers["Location"]).params)["redirect"]
    back = urlsplit(httpx.post(f"{shopee.url}/_authorize", data={"redirect": redirect}).headers["Location"])
    assert stranger.get(f"{back.path}?{back.query}").status_code == 403
    # the second household cannot connect the shop the first one holds
    answer = connect(stranger, second, shopee, shop_id="7000123")
    assert answer.status_code == 302
    assert "đã được kết nối với hộ khác" in stranger.get(answer.headers["Location"]).get_data(as_text=True)
    assert db.scalar(select(ShopConnection).where(ShopConnection.household_id == second.id)) is None


def test_a_household_sells_on_tiktok_shop_through_its_own_shop(app, client, db, factory, tiktok, farm_product):
    product, token = farm_product
    owner = product.household.owner
    set_password(db.merge(owner), "mat-khau-tot")
    db.commit()
    login(client, owner, "mat-khau-tot")
    client.patch(f"/api/v1/products/{product.id}", json=READY, headers=bearer(token))
    came_back = connect(client, product.household, tiktok, shop_name="Mật ong Hưng Yên TikTok", name="tiktok")
    assert came_back.status_code == 302 and came_back.headers["Location"].endswith("#connections")
    row = db.scalar(select(ShopConnection).where(ShopConnection.marketplace == "tiktok"))
    assert row.state == "connected" and row.shop_name == "Mật ong Hưng Yên TikTok"
    client.post(f"/api/v1/products/{product.id}/listings", json={"marketplaces": ["tiktok"]}, headers=bearer(token))
    run_jobs(app)
    listing = db.scalar(select(Listing).where(Listing.marketplace == "tiktok"))
    db.refresh(listing)
    assert listing.state == "live", listing.last_error
    held = tiktok.products[listing.remote_id]
    assert held["category_id"] == "600103" and len(tiktok.images) == 1
    client.patch(f"/api/v1/products/{product.id}", json={"stock": 3, "price_vnd": 175000}, headers=bearer(token))
    run_jobs(app)
    assert held["skus"][0]["inventory"][0]["quantity"] == 3 and held["skus"][0]["price"]["amount"] == "175000"


def test_the_household_sees_the_suggested_category_and_may_choose_another(app, client, db, factory, shopee,
                                                                          farm_product):
    product, token = farm_product
    set_password(db.merge(product.household.owner), "mat-khau-tot")
    db.commit()
    login(client, product.household.owner, "mat-khau-tot")
    client.patch(f"/api/v1/products/{product.id}", json=READY, headers=bearer(token))
    connect(client, product.household, shopee)
    client.post(f"/api/v1/products/{product.id}/listings", json={"marketplaces": ["shopee"]}, headers=bearer(token))
    run_jobs(app)
    listing = db.scalar(select(Listing).where(Listing.marketplace == "shopee"))
    db.refresh(listing)
    assert shopee.products[listing.remote_id]["category_id"] == 100782
    page = client.get(f"/dashboard/products/{product.id}").get_data(as_text=True)
    assert "Gợi ý: Thực phẩm và đồ uống › Mật ong" in page  # the suggestion, in words
    # a made-up category is refused; a real one is kept and sent
    bad = client.post(f"/dashboard/listings/{listing.id}/category",
                      data={"category": "999", "csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "Hãy chọn một danh mục của sàn" in bad.get_data(as_text=True)
    client.post(f"/dashboard/listings/{listing.id}/category",
                data={"category": "100783", "csrf_token": csrf_from(page)})
    run_jobs(app)
    assert shopee.products[listing.remote_id]["category_id"] == 100783
    db.refresh(listing)
    assert listing.category_override == "100783" and listing.state == "live"
    # the API keeps the same rule: only the marketplace's own categories
    refused = client.patch(f"/api/v1/listings/{listing.id}", json={"category_override": "999"}, headers=bearer(token))
    assert refused.status_code == 422 and "category" in refused.get_json()["error"]["fields"]


def test_a_helper_may_connect_for_its_household_and_the_owner_hears_of_it_staff_may_not(app, client, db, factory,
                                                                                       shopee, mailbox):
    shop = factory.shop()
    shop.owner.email = "chu-ho@example.vn"
    helper, staff = factory.user("helper"), factory.user("staff")
    for user in (helper, staff):
        set_password(db.merge(user), "mat-khau-tro-giup")
    db.commit()
    factory.assign_helper(helper, shop)
    # commune staff decide who may act for a household, but never connect a marketplace shop for it
    staff_client = app.test_client()
    login(staff_client, staff, "mat-khau-tro-giup")
    page = staff_client.get(f"/dashboard/shops/{shop.id}").get_data(as_text=True)
    assert staff_client.post(f"/dashboard/shops/{shop.id}/connections/shopee",
                             data={"csrf_token": csrf_from(page)}).status_code == 403
    login(client, helper, "mat-khau-tro-giup")
    assert connect(client, shop, shopee, shop_name="Shop của người giúp").status_code == 302
    run_jobs(app)
    told = [m for m in mailbox if "chu-ho@example.vn" in m["To"]]
    assert told and "Shop của người giúp" in told[0].get_content()  # whose shop now sells for the household


def test_another_household_cannot_change_a_listing_or_disconnect_a_shop(app, client, db, factory, shopee,
                                                                        farm_product):
    product, token = farm_product
    set_password(db.merge(product.household.owner), "mat-khau-tot")
    other = factory.shop()
    set_password(db.merge(other.owner), "mat-khau-khac")
    db.commit()
    login(client, product.household.owner, "mat-khau-tot")
    client.patch(f"/api/v1/products/{product.id}", json=READY, headers=bearer(token))
    connect(client, product.household, shopee)
    client.post(f"/api/v1/products/{product.id}/listings", json={"marketplaces": ["shopee"]}, headers=bearer(token))
    run_jobs(app)
    listing = db.scalar(select(Listing).where(Listing.marketplace == "shopee"))
    stranger = app.test_client()
    login(stranger, other.owner, "mat-khau-khac")
    page = stranger.get(f"/dashboard/shops/{other.id}").get_data(as_text=True)
    assert stranger.post(f"/dashboard/listings/{listing.id}/category",
                         data={"category": "100783", "csrf_token": csrf_from(page)}).status_code == 403
    assert stranger.post(f"/dashboard/shops/{product.household_id}/connections/shopee/disconnect",
                         data={"csrf_token": csrf_from(page)}).status_code == 403
    db.expire_all()
    assert db.get(Listing, listing.id).category_override is None
    assert db.scalar(select(ShopConnection)).state == "connected"
