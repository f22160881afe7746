"""Each role lands on its own page, the admin finds the plugins page, and the site has an icon (issue 15.6)."""

from core.testing import csrf_from

PASSWORD = "mat-khau-kiem-tra"


def _sign_in(client, user) -> str:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"login": user.phone, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    return r.headers["Location"]


def test_each_role_lands_on_its_own_page(app, factory):
    household = factory.user("household", password=PASSWORD)
    staff = factory.user("staff", password=PASSWORD)
    admin = factory.user("admin", password=PASSWORD)
    assert _sign_in(app.test_client(), household).endswith("/dashboard/")
    assert _sign_in(app.test_client(), staff).endswith("/staff/00583/bills")
    client = app.test_client()
    assert _sign_in(client, admin).endswith("/admin/plugins")
    menu = client.get("/admin/plugins").get_data(as_text=True)
    assert 'href="/admin/plugins"' in menu
    # a "next" page asked for still wins, and only on this site
    fresh = app.test_client()
    token = csrf_from(fresh.get("/login").get_data(as_text=True))
    r = fresh.post("/login?next=/dashboard/orders", data={"login": staff.phone, "password": PASSWORD,
                                                         "csrf_token": token})
    assert r.headers["Location"].endswith("/dashboard/orders")


def test_households_do_not_see_staff_or_admin_links_and_every_page_has_an_icon(client, factory):
    household = factory.user("household", password=PASSWORD)
    _sign_in(client, household)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "/admin/plugins" not in page and "/staff/" not in page
    assert '<link rel="icon" href="/static/favicon.svg"' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
