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


def test_a_repeated_anonymous_read_is_the_same_answer_with_its_security_headers(client, factory):
    factory.product(name="Chè Tân Cương")
    first = client.get("/c/00583")
    again = client.get("/c/00583")  # answered in front of Flask (catalog_cache.FastPath)
    assert again.headers["X-Cache"] == "hit" and again.data == first.data
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "ETag", "Vary",
                   "Content-Type", "Cache-Control"):
        assert again.headers[header] == first.headers[header], header
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert "Set-Cookie" not in again.headers


def test_a_signed_in_browser_never_gets_the_anonymous_page(client, factory, db):
    from core.services.users import set_password
    from core.testing import login

    shop = factory.shop()
    factory.product(shop, name="Mật ong rừng")
    set_password(db.merge(shop.owner), "mat-khau-tot")
    db.commit()
    client.get("/c/00583")
    assert client.get("/c/00583").headers["X-Cache"] == "hit"
    login(client, shop.owner, "mat-khau-tot")
    signed_in = client.get("/c/00583")
    assert "X-Cache" not in signed_in.headers
    assert "/logout" in signed_in.get_data(as_text=True)


def test_only_plain_anonymous_reads_are_answered_in_front_of_flask():
    from core.catalog_cache import fast_key

    def key(**environ):
        return fast_key({"REQUEST_METHOD": "GET", "PATH_INFO": "/c/00583", **environ}, "vi")

    assert key(QUERY_STRING="page=2&q=che") == ("/c/00583", (("page", "2"), ("q", "che")), "vi")
    assert key(HTTP_COOKIE="choso_lang=en")[2] == "en"
    assert key(HTTP_COOKIE="choso_lang=xx")[2] == "vi"
    assert key(HTTP_COOKIE='a="') is not None  # a cookie Flask cannot read either: anonymous to both
    for refused in ({"HTTP_COOKIE": "session=abc"}, {"HTTP_COOKIE": "remember_token=1|x"},
                    {"HTTP_COOKIE": "choso_lang=en; session=abc"}, {"HTTP_AUTHORIZATION": "Bearer t"},
                    {"QUERY_STRING": "lang=en"}, {"REQUEST_METHOD": "POST"},
                    {"HTTP_COOKIE": 'choso_lang=en; a="; session=x'}):
        assert key(**refused) is None, refused


def test_a_change_made_by_another_process_shows_within_the_set_seconds(app, client, factory, db):
    import time

    from sqlalchemy import create_engine, text

    product = factory.product(price_vnd=120000)
    app.extensions["choso.catalog_versions"].seconds = 0.3
    url = "/api/v1/products?commune=00583"
    assert client.get(url).get_json()["items"][0]["price_vnd"] == 120000
    # another process (a second gunicorn worker, the job worker): its own connection, none of this one's events
    other = create_engine(app.config["DATABASE_URL"])
    with other.begin() as conn:
        conn.execute(text("UPDATE products SET price_vnd = 99000 WHERE id = :id"), {"id": product.id})
        conn.execute(text("UPDATE catalog_versions SET version = version + 1 WHERE commune_code = '00583'"))
    other.dispose()
    time.sleep(0.35)
    later = client.get(url)
    assert later.headers["X-Cache"] == "miss" and later.get_json()["items"][0]["price_vnd"] == 99000


def _public_total(client, page: str = "/api/v1/products?commune=00583&per_page=1") -> int:
    return client.get(page).get_json()["meta"]["total"]


def test_the_public_count_follows_every_change_that_shows_or_hides_a_product(client, factory, db):
    """The count a catalog page shows is kept beside the version (catalog_versions.on_sale), not recounted
    per request: every way a product joins or leaves the public catalog moves it, and it always equals the
    number of products actually listed."""
    shop = factory.shop()
    other = factory.shop()
    factory.product(other)
    owner = bearer(factory.token(shop.owner))
    staff = bearer(factory.token(factory.user("staff")))

    def listed() -> int:
        return len(client.get("/api/v1/products?commune=00583&per_page=100").get_json()["items"])

    assert _public_total(client) == listed() == 1
    made = [client.post("/api/v1/products", headers=owner, json={
        "household_id": shop.id, "name": f"Mật ong {n}", "product_group": "food", "price_vnd": 100_000,
        "stock": 5, "unit": "chai", "status": "active"}) for n in range(3)]
    assert [r.status_code for r in made] == [201] * 3
    assert _public_total(client) == listed() == 4
    client.patch(f"/api/v1/products/{made[0].get_json()['id']}", json={"status": "draft"}, headers=owner)
    assert _public_total(client) == listed() == 3
    client.patch(f"/api/v1/households/{shop.id}", json={"status": "suspended"}, headers=staff)
    assert _public_total(client) == listed() == 1
    client.patch(f"/api/v1/households/{shop.id}", json={"status": "active"}, headers=staff)
    assert _public_total(client) == listed() == 3
    # the HTML page says the same number
    assert "3 sản phẩm" in client.get("/c/00583").get_data(as_text=True)


def test_products_added_at_once_over_http_are_all_counted(app, factory, db):
    """Ten households' products created in parallel (real HTTP, both databases): the kept count is exact,
    because each change counts again only after the commune's version row is its own."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from core.testing_server import live_server

    shops = [factory.shop() for _ in range(10)]
    tokens = [bearer(factory.token(shop.owner)) for shop in shops]
    with live_server(app) as base:
        def create(n: int) -> int:
            return httpx.post(f"{base}/api/v1/products", headers=tokens[n], timeout=60, json={
                "household_id": shops[n].id, "name": f"Chè {n}", "product_group": "food",
                "price_vnd": 50_000, "stock": 3, "unit": "gói", "status": "active"}).status_code

        with ThreadPoolExecutor(10) as pool:
            codes = list(pool.map(create, range(10)))
        assert codes == [201] * 10
        answer = httpx.get(f"{base}/api/v1/products?commune=00583&per_page=100", timeout=60).json()
    assert answer["meta"]["total"] == len(answer["items"]) == 10
