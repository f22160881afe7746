"""Sessions and tokens can be taken back (issue 13.11): sign-out and a password change end sessions on the
server, copied cookies included; a password change offers to revoke tokens; tokens may be read-only, expire,
and are listed and revoked on the account page and with `choso tokens`."""

from datetime import timedelta

from sqlalchemy import select

from core.db import utcnow
from core.models import ApiToken
from core.services.users import set_password
from core.testing import bearer, csrf_from, login, post_form

PASSWORD = "mat-khau-cu-cua-ba"


def _person(factory, db):
    shop = factory.shop()
    owner = db.merge(shop.owner)
    set_password(owner, PASSWORD)
    db.commit()
    return owner


def _copy(app, client, names=("session", "remember_token")):
    """Another browser holding a copy of this one's cookies (a shared phone, a leaked proxy log)."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return thief


def _signed_in(client) -> bool:
    return client.get("/dashboard/").status_code == 200


def test_signing_out_ends_a_copied_session_cookie_too(app, client, factory, db):
    owner = _person(factory, db)
    login(client, owner, PASSWORD)
    thief = _copy(app, client)
    assert _signed_in(thief)  # the copy works while the session is open...
    post_form(client, "/dashboard/", "/logout", {})
    assert not _signed_in(client)
    assert not _signed_in(thief)  # ...and not after the person signed out


def test_signing_out_ends_the_remember_me_cookie_as_well(app, client, factory, db):
    owner = _person(factory, db)
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"login": owner.phone, "password": PASSWORD, "remember": "1", "csrf_token": token})
    thief = _copy(app, client, names=("remember_token",))  # only the long-lived cookie
    assert _signed_in(thief)
    post_form(client, "/dashboard/", "/logout", {})
    assert not _signed_in(_copy(app, thief, names=("remember_token",)))


def test_a_password_change_signs_out_every_other_browser_and_can_revoke_tokens(app, client, factory, db):
    owner = _person(factory, db)
    token = factory.token(owner)
    login(client, owner, PASSWORD)
    other_phone = app.test_client()
    login(other_phone, owner, PASSWORD)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "trình duyệt này" in page
    r = post_form(client, "/account/tokens", "/account/password", {
        "current_password": "doan-sai-mat-khau", "new_password": "mat-khau-moi-2026",
        "confirm_password": "mat-khau-moi-2026"})
    assert r.status_code == 422 and "không phải mật khẩu hiện tại" in r.get_data(as_text=True)
    assert _signed_in(other_phone)
    r = post_form(client, "/account/tokens", "/account/password", {
        "current_password": PASSWORD, "new_password": "mat-khau-moi-2026", "confirm_password": "mat-khau-moi-2026",
        "revoke_tokens": "1"}, follow_redirects=True)
    assert "Đã đổi mật khẩu" in r.get_data(as_text=True)
    assert _signed_in(client)  # the browser that changed it stays signed in
    assert not _signed_in(other_phone)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    fresh = app.test_client()
    login(fresh, owner, "mat-khau-moi-2026")
    assert _signed_in(fresh)


def test_a_read_only_token_reads_but_changes_nothing(client, factory, db):
    product = factory.product(price_vnd=120_000)
    owner = _person_for(product, db)
    from core.auth.tokens import create_token

    _row, token = create_token(db, owner, "bảng tính", read_only=True)
    db.commit()
    assert client.get(f"/api/v1/products/{product.id}", headers=bearer(token)).status_code == 200
    r = client.patch(f"/api/v1/products/{product.id}", json={"price_vnd": 1}, headers=bearer(token))
    assert r.status_code == 403 and "chỉ được đọc" in r.get_json()["error"]["message"]
    db.expire_all()
    assert product.price_vnd == 120_000


def _person_for(product, db):
    return db.merge(product.household.owner)


def test_tokens_expire_a_year_after_they_are_made_unless_told_otherwise(client, factory, db):
    owner = _person(factory, db)
    token = factory.token(owner)
    row = db.scalars(select(ApiToken).where(ApiToken.user_id == owner.id)).one()
    assert timedelta(days=364) < row.expires_at - row.created_at <= timedelta(days=366)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_the_account_page_makes_lists_and_revokes_tokens(client, factory, db):
    owner = _person(factory, db)
    login(client, owner, PASSWORD)
    r = post_form(client, "/account/tokens", "/account/tokens", {"name": "sổ sách", "days": "30",
                                                                "read_only": "1"})
    page = r.get_data(as_text=True)
    assert "chỉ đọc" in page
    row = db.scalars(select(ApiToken).where(ApiToken.user_id == owner.id)).one()
    assert row.read_only and timedelta(days=29) < row.expires_at - row.created_at <= timedelta(days=31)
    post_form(client, "/account/tokens", f"/account/tokens/{row.id}/revoke", {})
    db.expire_all()
    assert db.get(ApiToken, row.id).revoked_at is not None


def test_choso_tokens_lists_and_revokes_from_the_command_line(choso, factory, db):
    owner = _person(factory, db)
    made = choso("tokens", "create", "--phone", owner.phone, "--name", "ke-toan", "--read-only", "--days", "90")
    token = made.stdout.strip()
    assert token.startswith("choso_")
    listed = choso("tokens", "list", "--phone", owner.phone).stdout
    assert "ke-toan" in listed and "read-only" in listed and "usable" in listed
    token_id = listed.split("\t", 1)[0]
    other = _person(factory, db)
    refused = choso("tokens", "revoke", token_id, "--phone", other.phone, check=False)
    assert refused.returncode != 0 and "has no token" in refused.stderr
    choso("tokens", "revoke", token_id, "--phone", owner.phone)
    assert "no usable token" in choso("tokens", "list", "--phone", owner.phone).stdout
    assert "revoked" in choso("tokens", "list", "--phone", owner.phone, "--all").stdout
