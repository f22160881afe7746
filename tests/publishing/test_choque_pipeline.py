"""End to end through a third-party plugin: the example Chợ Quê marketplace and its real sandbox server."""

import httpx
from sqlalchemy import select

from core.jobs.models import Job
from core.models.integrations import IntegrationSetting
from core.publishing.models import Listing
from core.testing import bearer, login, run_jobs


def publish(client, product, token, **body):
    return client.post(f"/api/v1/products/{product.id}/listings", json=body, headers=bearer(token))


def listing_of(client, product, token):
    return client.get(f"/api/v1/products/{product.id}/listings", headers=bearer(token)).get_json()["items"][0]


def test_publish_update_and_unpublish_through_the_example_plugin(client, app, choque, product_with_photo):
    product, token = product_with_photo
    r = publish(client, product, token)
    assert r.status_code == 202 and r.get_json()["problems"] == {}
    assert r.get_json()["items"][0]["state"] == "queued"
    assert run_jobs(app) == 1
    live = listing_of(client, product, token)
    assert live["state"] == "live" and live["url"].startswith(choque.url)
    assert httpx.get(live["url"]).status_code == 200
    assert [p["price"] for p in choque.control.products()] == [450000]

    client.patch(f"/api/v1/products/{product.id}", json={"price_vnd": 399000, "stock": 4}, headers=bearer(token))
    assert listing_of(client, product, token)["state"] == "out_of_sync"
    run_jobs(app)
    remote = choque.control.product(live["remote_id"])
    assert (remote["price"], remote["quantity"]) == (399000, 4)
    assert listing_of(client, product, token)["state"] == "live"
    assert len(choque.control.products()) == 1  # an update, never a second product

    client.delete(f"/api/v1/products/{product.id}", headers=bearer(token))  # archive
    run_jobs(app)
    assert listing_of(client, product, token)["state"] == "unpublished"
    assert choque.control.product(live["remote_id"])["active"] is False
    assert httpx.get(live["url"]).status_code == 404


def test_problems_are_found_before_anything_is_queued(client, app, choque, factory, db):
    product = factory.product(name="Gà")  # no photo, and a name too short for Chợ Quê
    token = factory.token(product.household.owner)
    r = publish(client, product, token, marketplaces=["choque"])
    problems = r.get_json()["problems"]["choque"]
    assert {p["field"] for p in problems} == {"name", "images"}
    assert any(p["text"].startswith("Ảnh: Chợ Quê cần ít nhất một ảnh") for p in problems)
    assert db.scalars(select(Job)).first() is None
    assert choque.requests == 0


def test_a_marketplace_the_commune_has_not_switched_on_is_refused(client, factory):
    product = factory.product()
    token = factory.token(product.household.owner)
    r = publish(client, product, token, marketplaces=["choque"])
    assert r.status_code == 422 and "Chợ Quê" in r.get_json()["error"]["message"]


def test_transient_errors_are_retried_until_live(client, app, choque, product_with_photo):
    app.config["PUBLISH_RETRY_BASE_SECONDS"] = 0.01
    product, token = product_with_photo
    choque.control.fail(503, times=2)
    publish(client, product, token)
    run_jobs(app)
    listing = listing_of(client, product, token)
    assert listing["state"] == "live" and listing["attempts"] == 0
    assert len(choque.control.products()) == 1


def test_a_429_storm_ends_failed_with_the_reason(client, app, choque, product_with_photo):
    app.config.update(PUBLISH_RETRY_BASE_SECONDS=0.01, PUBLISH_MAX_ATTEMPTS=3)
    product, token = product_with_photo
    choque.control.fail(429, times=10, retry_after=0)
    publish(client, product, token)
    run_jobs(app)
    listing = listing_of(client, product, token)
    assert listing["state"] == "failed" and "429" in listing["last_error"]
    assert choque.control.products() == []
    r = client.post(f"/api/v1/listings/{listing['id']}/retry", headers=bearer(token))
    assert r.get_json()["state"] == "queued"
    choque.control.reset()
    run_jobs(app)
    assert listing_of(client, product, token)["state"] == "live"


def test_another_household_cannot_publish_or_take_down(client, choque, product_with_photo, factory):
    product, token = product_with_photo
    stranger = factory.token(factory.user())
    assert publish(client, product, stranger).status_code in (403, 404)
    listing_id = publish(client, product, token).get_json()["items"][0]["id"]
    assert client.delete(f"/api/v1/listings/{listing_id}", headers=bearer(stranger)).status_code == 404


def test_marketplace_secrets_are_encrypted_at_rest_and_masked(client, choque, factory, db):
    row = db.scalars(select(IntegrationSetting)).one()
    assert "cq-secret-key-0001" not in (row.secrets or "") and "api_key" not in row.settings
    staff = factory.token(factory.user("staff"))
    items = client.get("/api/v1/communes/00583/integrations", headers=bearer(staff)).get_json()["items"]
    choque_row = next(i for i in items if i["name"] == "choque")
    assert choque_row["enabled"] and choque_row["settings"]["api_key"] == "••••••"
    household = factory.token(factory.user())
    assert client.get("/api/v1/communes/00583/integrations", headers=bearer(household)).status_code == 403
    r = client.put("/api/v1/communes/00583/integrations/marketplace/choque", headers=bearer(staff),
                   json={"enabled": True, "settings": {"base_url": "not a url", "api_key": "••••••"}})
    assert r.status_code == 422 and "base_url" in r.get_json()["error"]["fields"]


def test_the_seller_sees_state_and_problems_on_the_product_page(client, app, choque, factory, db):
    owner = factory.user(password="mat-khau-tot")
    product = factory.product(factory.shop(owner), name="Gà")
    login(client, owner, "mat-khau-tot")
    from core.testing import post_form

    page = f"/dashboard/products/{product.id}"
    r = post_form(client, page, f"/dashboard/products/{product.id}/publish", {"marketplace": "choque"},
                  follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "Chợ Quê — Ảnh: Chợ Quê cần ít nhất một ảnh sản phẩm." in html
    assert 'data-state="none"' in html
    assert db.scalars(select(Listing)).first() is None
