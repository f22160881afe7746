"""Anonymous catalog reads are cached, and a seller's change shows on the very next request."""

from core.testing import bearer


def test_a_price_change_shows_on_the_next_anonymous_read(client, factory):
    product = factory.product(price_vnd=120000)
    url = "/api/v1/products?commune=00583"
    first = client.get(url)
    assert first.headers["X-Cache"] == "miss" and first.get_json()["items"][0]["price_vnd"] == 120000
    second = client.get(url)
    assert second.headers["X-Cache"] == "hit" and second.data == first.data
    token = factory.token(product.household.owner)
    client.patch(f"/api/v1/products/{product.id}", json={"price_vnd": 99000}, headers=bearer(token))
    third = client.get(url)
    assert third.headers["X-Cache"] == "miss" and third.get_json()["items"][0]["price_vnd"] == 99000


def test_a_new_photo_or_a_suspended_shop_also_invalidates(client, factory, db):
    product = factory.product(name="Mật ong")
    page = "/c/00583"
    assert "Mật ong" in client.get(page).get_data(as_text=True)
    assert client.get(page).headers["X-Cache"] == "hit"
    staff = factory.token(factory.user("staff"))
    client.patch(f"/api/v1/households/{product.household_id}", json={"status": "suspended"}, headers=bearer(staff))
    assert "Mật ong" not in client.get(page).get_data(as_text=True)


def test_unchanged_pages_revalidate_with_an_etag(client, factory):
    factory.product()
    first = client.get("/c/00583")
    again = client.get("/c/00583", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_signed_in_readers_are_never_served_from_the_cache(client, factory):
    shop = factory.shop()
    factory.product(shop, name="Công khai")
    factory.product(shop, name="Nháp riêng", status="draft")
    url = "/api/v1/products?commune=00583"
    client.get(url)
    own = client.get(url, headers=bearer(factory.token(shop.owner)))
    assert "X-Cache" not in own.headers
    assert {p["name"] for p in own.get_json()["items"]} == {"Công khai", "Nháp riêng"}
    public = client.get(url)
    assert [p["name"] for p in public.get_json()["items"]] == ["Công khai"]


def test_languages_are_cached_apart(client, factory):
    factory.product()
    assert "Chợ số" in client.get("/c/00583").get_data(as_text=True)
    assert "Market of" in client.get("/c/00583?lang=en").get_data(as_text=True)
