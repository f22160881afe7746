"""The shop without JavaScript: cart, checkout, order page; households hear of new orders by e-mail."""

import re

from sqlalchemy import func, select

from core.models import Product
from core.orders.models import Order
from core.testing import csrf_from, login, run_jobs


def add(client, product, quantity=1):
    page = client.get(f"/p/{product.id}-{product.slug}")
    assert page.status_code == 200 and "Thêm vào giỏ" in page.get_data(as_text=True)
    return client.post("/cart/add", data={"product_id": product.id, "quantity": quantity,
                                          "csrf_token": csrf_from(page.get_data(as_text=True))})


def checkout(client, **fields):
    page = client.get("/checkout")
    form = {"name": "Chị Mai", "phone": "0912345678", "email": "mai@example.test", "province_code": "01",
            "commune_name": "Bát Tràng", "address": "Thôn 2", **fields}
    return client.post("/checkout", data={**form, "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_a_buyer_fills_the_cart_checks_out_and_gets_the_order_page(client, market, db):
    assert add(client, market.tea, 2).status_code == 302
    add(client, market.honey, 1)
    cart = client.get("/cart").get_data(as_text=True)
    assert "Chè Tân Cương" in cart and "Mật ong hoa nhãn" in cart and "420.000" in cart
    r = checkout(client)
    assert r.status_code == 302 and r.location.startswith("/orders/")
    order = db.scalars(select(Order)).one()
    assert order.delivery_commune_code == "00583" and order.address.endswith("Xã Bát Tràng, Thành phố Hà Nội")
    page = client.get(r.location).get_data(as_text=True)
    assert "Hộ chè Thái" in page and "Hộ mật ong" in page and "Chuyển khoản (VietQR)" in page
    assert "Giỏ hàng</a>" in client.get("/cart").get_data(as_text=True)  # the cart is empty again
    csrf = csrf_from(page)
    tea_part = next(p for p in order.parts if p.household_id == market.tea_shop.id)
    paid = client.post(f"/orders/{order.token}/parts/{tea_part.id}/pay", data={"method": "vietqr", "csrf_token": csrf})
    assert paid.status_code == 302
    page = client.get(r.location).get_data(as_text=True)
    assert f"/orders/{order.token}/parts/{tea_part.id}/qr.png" in page and tea_part.reference in page


def test_checkout_refuses_an_empty_cart_an_unknown_commune_and_a_changed_price(client, market, db):
    empty = client.get("/checkout", follow_redirects=True).get_data(as_text=True)
    assert "Giỏ hàng đang trống." in empty
    add(client, market.tea, 1)
    wrong = checkout(client, commune_name="Không Có Xã Này")
    assert wrong.status_code == 200 and "Tỉnh này không có xã, phường nào" in wrong.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Order)) == 0
    db.get(Product, market.tea.id).price_vnd = 125_000  # the household changes the price meanwhile
    db.commit()
    changed = checkout(client)
    assert changed.status_code == 302 and changed.location == "/cart"
    cart = client.get("/cart").get_data(as_text=True)
    assert "125.000" in cart and db.scalar(select(func.count()).select_from(Order)) == 0
    assert db.get(Product, market.tea.id).stock == 10
    assert checkout(client).status_code == 302  # the buyer saw the new price; now it goes through
    assert db.scalars(select(Order)).one().total_vnd == 125_000


def test_the_english_pages_are_english(client, market):
    add(client, market.tea, 1)
    page = client.get("/cart?lang=en").get_data(as_text=True)
    assert "Update the cart" in page and "Cập nhật giỏ hàng" not in page


def test_each_household_is_told_of_its_new_order_by_mail_and_on_its_dashboard(app, client, market, mailbox, db):
    add(client, market.tea, 2)
    add(client, market.honey, 1)
    checkout(client)
    run_jobs(app)
    by_recipient = {m["To"]: m for m in mailbox}
    assert set(by_recipient) == {"0011001234567@example.test", "10987654321@example.test"}
    tea_mail = by_recipient["0011001234567@example.test"]
    body = tea_mail.get_body().get_content() if tea_mail.is_multipart() else tea_mail.get_payload(decode=True).decode()
    assert "Đơn hàng mới" in tea_mail["Subject"] and "Chè Tân Cương × 2" in body and "Mật ong" not in body
    assert re.search(r"/dashboard/orders/\d+", body)


def test_without_smtp_the_notice_waits_on_the_dashboard(app, client, market, factory, db):
    owner = market.tea_shop.owner
    from core.services import users

    owner = db.merge(owner)
    users.set_password(owner, "mật-khẩu-đủ-dài")
    db.commit()
    add(client, market.tea, 1)
    checkout(client)
    run_jobs(app)  # no CHOSO_SMTP_URL: the job finishes without mail
    login(client, owner, "mật-khẩu-đủ-dài")
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert "1 đơn hàng mới" in dashboard
    orders = client.get("/dashboard/orders").get_data(as_text=True)
    part_id = re.search(r"/dashboard/orders/(\d+)", orders).group(1)
    detail = client.get(f"/dashboard/orders/{part_id}").get_data(as_text=True)
    assert "Chị Mai" in detail and "Thôn 2" in detail
    assert "1 đơn hàng mới" not in client.get("/dashboard/").get_data(as_text=True)


def test_a_part_of_another_order_is_not_found_not_an_error(client, market, db):
    add(client, market.tea, 1)
    checkout(client)
    order = db.scalars(select(Order)).one()
    page = client.get(f"/orders/{order.token}").get_data(as_text=True)
    cancel = client.post(f"/orders/{order.token}/parts/999999/cancel", data={"csrf_token": csrf_from(page)})
    assert cancel.status_code == 404
    assert client.get(f"/orders/{order.token}/parts/999999/qr.png").status_code == 404
    assert client.get(f"/orders/{'x' * 43}").status_code == 404
