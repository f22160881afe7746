"""Server-rendered pages: catalog, sign-in, dashboards, in both languages, with CSRF and roles enforced."""

import io
import re

from PIL import Image
from sqlalchemy import select

from core.models import AuditLog, Product
from core.testing import OTHER_COMMUNE, csrf_from, login, post_form


def test_catalog_search_without_diacritics_finds_vietnamese_names(client, factory):
    shop = factory.shop()
    factory.product(shop, name="Nước mắm cá cơm")
    factory.product(shop, name="Gạo thơm")
    html = client.get("/c/00583?q=nuoc+mam").get_data(as_text=True)
    assert "Nước mắm cá cơm" in html and "Gạo thơm" not in html
    assert "1 sản phẩm" in html


def test_catalog_filters_and_pagination_links(client, factory):
    shop = factory.shop()
    for i in range(30):
        factory.product(shop, name=f"Gạo {i}")
    factory.product(shop, name="Trà sen", product_group="beverage", ocop_stars=5, ocop_certificate_no="9/QĐ")
    html = client.get("/c/00583").get_data(as_text=True)
    assert "Trang 1 / 2" in html and 'rel="next"' in html
    html = client.get("/c/00583?group=beverage&stars=5").get_data(as_text=True)
    assert "Trà sen" in html and "Gạo 1" not in html
    # a bad filter value does not break the page; it is ignored
    assert client.get("/c/00583?stars=9&page=x").status_code == 200


def test_both_languages_render_and_the_choice_sticks(client, factory):
    factory.product()
    vi = client.get("/c/00583").get_data(as_text=True)
    assert 'lang="vi"' in vi and "Chợ số Xã Bát Tràng" in vi and "150.000 ₫" in vi
    en = client.get("/c/00583?lang=en").get_data(as_text=True)
    assert 'lang="en"' in en and "Market of Xã Bát Tràng" in en and "150,000 ₫" in en
    assert "Market of" in client.get("/c/00583").get_data(as_text=True)  # remembered by cookie


def test_product_and_shop_pages(client, factory):
    product = factory.product(name="Mật ong hoa nhãn", origin="Hưng Yên", net_weight_g=500, ocop_stars=4,
                              ocop_certificate_no="12/QĐ-UBND")
    html = client.get(f"/p/{product.id}-{product.slug}").get_data(as_text=True)
    assert "Mật ong hoa nhãn" in html and "Hưng Yên" in html and "500 g" in html and "★★★★" in html
    shop_html = client.get(f"/s/{product.household_id}").get_data(as_text=True)
    assert "Mật ong hoa nhãn" in shop_html
    assert client.get("/p/999999").status_code == 404


def test_the_home_page_finds_a_commune(client):
    html = client.get("/?q=bat+trang").get_data(as_text=True)
    assert "/c/00583" in html


def test_catalog_page_is_light(client, factory):
    shop = factory.shop()
    for i in range(24):
        factory.product(shop, name=f"Sản phẩm {i}", description="Mô tả " * 40)
    html = client.get("/c/00583").data
    css = client.get("/static/choso.css").data
    assert len(html) + len(css) < 150_000
    assert b"<script" not in html


def test_sign_in_with_a_wrong_password_is_refused(client, factory):
    user = factory.user(password="dung-mat-khau")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"login": user.phone, "password": "sai", "csrf_token": token})
    assert r.status_code == 401 and "Sai số điện thoại hoặc mật khẩu." in r.get_data(as_text=True)
    login(client, user, "dung-mat-khau")
    assert client.get("/dashboard/").status_code == 200


def test_forms_without_a_csrf_token_are_refused(client, factory):
    user = factory.user(password="dung-mat-khau")
    r = client.post("/login", data={"login": user.phone, "password": "dung-mat-khau"})
    assert r.status_code == 400
    assert client.get("/dashboard/").status_code == 302


def test_sign_in_is_rate_limited(client, factory):
    user = factory.user(password="dung-mat-khau")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    codes = [client.post("/login", data={"login": user.phone, "password": "x", "csrf_token": token}).status_code
             for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429


def test_session_cookie_is_http_only_and_same_site(client, factory):
    user = factory.user(password="dung-mat-khau")
    login(client, user, "dung-mat-khau")
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_pages_send_security_headers(client):
    r = client.get("/login")
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]


def test_dashboard_needs_sign_in_and_hides_other_households_shops(client, factory):
    shop = factory.shop()
    assert client.get(f"/dashboard/shops/{shop.id}").status_code == 302
    other = factory.user(password="mat-khau-khac")
    login(client, other, "mat-khau-khac")
    assert client.get(f"/dashboard/shops/{shop.id}").status_code == 404
    product = factory.product(shop)
    assert client.get(f"/dashboard/products/{product.id}").status_code == 404


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (20, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def test_a_household_adds_a_product_with_a_photo(client, factory, db):
    owner = factory.user(password="mat-khau-tot")
    shop = factory.shop(owner)
    login(client, owner, "mat-khau-tot")
    url = f"/dashboard/shops/{shop.id}/products/new"
    r = post_form(client, url, url, {"name": "Nước mắm Cát Hải", "product_group": "food", "price_vnd": "95.000",
                                     "stock": "30", "status": "active", "photo": (io.BytesIO(_photo()), "a.jpg")},
                  content_type="multipart/form-data")
    assert r.status_code == 302
    product = db.scalars(select(Product).where(Product.household_id == shop.id)).one()
    assert product.price_vnd == 95000 and len(product.images) == 1
    assert "Nước mắm Cát Hải" in client.get("/c/00583?q=nuoc mam cat hai").get_data(as_text=True)


def test_form_errors_are_shown_next_to_the_fields_in_vietnamese(client, factory, db):
    owner = factory.user(password="mat-khau-tot")
    shop = factory.shop(owner)
    login(client, owner, "mat-khau-tot")
    url = f"/dashboard/shops/{shop.id}/products/new"
    r = post_form(client, url, url, {"name": "X", "product_group": "food", "price_vnd": "12,5", "stock": "1"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Nhập từ 2 đến 150 ký tự." in html
    assert "Hãy nhập số đồng nguyên, không có phần thập phân." in html
    assert 'value="X"' in html  # what was typed is kept
    assert db.scalars(select(Product)).first() is None


def test_a_helper_picks_a_household_and_acts_for_it(client, factory, db):
    shop = factory.shop(name="Hộ kinh doanh Gốm Sứ Hạnh")
    factory.shop(factory.user(commune=OTHER_COMMUNE), commune=OTHER_COMMUNE, name="Hộ xa")
    helper = factory.user("helper", password="mat-khau-tro-giup")
    login(client, helper, "mat-khau-tro-giup")
    # a helper of the commune acts for no household until staff assign it one
    assert "Hộ kinh doanh Gốm Sứ Hạnh" not in client.get("/dashboard/?q=gom su").get_data(as_text=True)
    assert client.get(f"/dashboard/shops/{shop.id}").status_code == 404
    assignment = factory.assign_helper(helper, shop)
    listing = client.get("/dashboard/?q=gom su").get_data(as_text=True)
    assert "Hộ kinh doanh Gốm Sứ Hạnh" in listing and "Hộ xa" not in listing
    page = client.get(f"/dashboard/shops/{shop.id}").get_data(as_text=True)
    assert "Bạn đang thao tác thay cho Hộ kinh doanh Gốm Sứ Hạnh" in page
    url = f"/dashboard/shops/{shop.id}/products/new"
    r = post_form(client, url, url, {"name": "Bình gốm men lam", "product_group": "handicraft",
                                     "price_vnd": "450000", "stock": "3", "status": "active"})
    assert r.status_code == 302
    entry = db.scalars(select(AuditLog).where(AuditLog.action == "product.create")).one()
    assert entry.actor_id == helper.id and entry.on_behalf_of_id == shop.id
    assert entry.assignment_id == assignment.id  # "helper X for household Y"


def test_csv_import_on_the_dashboard_reports_bad_lines(client, factory, db):
    owner = factory.user(password="mat-khau-tot")
    shop = factory.shop(owner)
    login(client, owner, "mat-khau-tot")
    data = "name,product_group,price_vnd\nGạo,food,1000\nChè,tea,2000\n".encode()
    r = post_form(client, f"/dashboard/shops/{shop.id}", f"/dashboard/shops/{shop.id}/import",
                  {"file": (io.BytesIO(data), "p.csv")}, content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and re.search(r"Dòng 3, product_group", html)
    assert db.scalars(select(Product)).first() is None


def test_a_household_opens_a_shop_from_the_dashboard(client, factory):
    owner = factory.user(password="mat-khau-tot")
    login(client, owner, "mat-khau-tot")
    r = post_form(client, "/dashboard/", "/dashboard/shops", {"commune_code": "00583", "name": "Hộ Bánh Đa",
                                                              "tax_code": "123"})
    assert r.status_code == 422 and "Mã số thuế gồm 10 chữ số" in r.get_data(as_text=True)
    r = post_form(client, "/dashboard/", "/dashboard/shops", {"commune_code": "00583", "name": "Hộ Bánh Đa"})
    assert r.status_code == 302
    assert "Hộ Bánh Đa" in client.get("/dashboard/").get_data(as_text=True)


def test_webp_thumbnails_are_made_for_photos_saved_before_them(client, factory, app, db):
    from core.services import images
    from core.storage import storage
    from tests.conftest import _with_photo

    product = _with_photo(app, db, factory.product())
    thumb = product.images[0].thumb_path
    with app.app_context():
        for width in images.WEBP_WIDTHS:
            storage().delete(images.webp_name(thumb, width))  # as a photo saved by an older choso
    r = client.get(f"/uploads/{images.webp_name(thumb, 200)}")
    assert r.status_code == 200 and r.mimetype == "image/webp" and r.data[:4] == b"RIFF"
    with app.app_context():
        assert storage().exists(images.webp_name(thumb, 400))  # made once, kept as files
    assert client.get("/uploads/../../etc/passwd-thumb-200.webp").status_code == 404
    assert client.get("/uploads/products/999/none-thumb-200.webp").status_code == 404


def test_catalog_cards_link_exactly_where_the_router_would(app):
    """Cards build product links without the router (core.web.cards); the same path for any slug, a mounted
    prefix included."""
    import re
    from types import SimpleNamespace

    from flask import url_for
    from markupsafe import escape

    from core.web.cards import catalog_cards

    slugs = ("mat-ong-rung", "item", "trà-xanh", "a b/c?d&e", "茶")
    for script_root in ("", "/cho"):
        with app.test_request_context("/", base_url=f"http://localhost{script_root}"):
            cards = [SimpleNamespace(id=4217 + n, slug=slug, name="Chè", price_vnd=1000, ocop_stars=None,
                                     shop_name="Hộ", cover_thumb=None) for n, slug in enumerate(slugs)]
            links = re.findall(r'<a href="([^"]*)">', str(catalog_cards(cards, "")))
            assert links == [str(escape(url_for("catalog.product", product_id=4217 + n, slug=slug)))
                             for n, slug in enumerate(slugs)]


def test_names_on_catalog_cards_are_text_never_markup(client, factory, db, product_with_photo):
    """Cards are written in Python (core.web.cards): a product or shop named like markup shows as text on the
    commune and shop pages, with the photo and link intact."""
    evil = '"><img src=x onerror=alert(1)>&<script>alert(2)</script>, 1,5'
    shop = factory.shop(name=f"Shop {evil}")
    factory.product(shop, name=f"Mật ong {evil}", ocop_stars=4, price_vnd=1_250_000)
    pictured, _token = product_with_photo
    pictured.name = f"Chè {evil}"
    db.commit()
    for page in ("/c/00583", f"/s/{shop.id}"):
        html = client.get(page).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and 'onerror=alert(1)>' not in html
        assert "Mật ong &#34;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&lt;script&gt;" in html
        assert 'title="OCOP 4 sao"' in html or 'title="OCOP 4 stars"' in html
        assert "&lt;/script&gt;, 1,5</strong>" in html and "1.250.000 ₫" in html  # the price's dots only
    commune_page = client.get("/c/00583").get_data(as_text=True)
    assert 'srcset="/uploads/' in commune_page and "-200.webp 200w" in commune_page
