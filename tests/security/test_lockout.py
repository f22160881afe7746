"""Nobody can lock out the API or the banks (issue 13.8): refusals are counted only after a credential fails, per
what it tried to open; a valid token or a correctly signed notification is never refused for others' failures;
behind the operator's proxy each client keeps its own address, and nobody can choose one without a proxy."""

from sqlalchemy import func, select

from core.app import create_app
from core.testing import bearer, config_for_tests, csrf_from
from payments.bills.models import Bill
from payments.reconcile.models import Payment
from tests.helpers import post_sepay, sepay_body
from tests.payments.conftest import bill_for

KEY = "sepay-secret-key-0001"


def _me(client, token: str, address: str | None = None) -> int:
    headers = bearer(token) | ({"X-Forwarded-For": address} if address else {})
    return client.get("/api/v1/me", headers=headers).status_code


def test_a_valid_token_is_served_while_its_address_is_stopped_for_guessing(app, client, factory):
    app.config["REFUSED_LIMIT"] = "5 per minute"
    good = factory.token(factory.user("household"))
    guesses = [_me(client, f"guess-{i}") for i in range(8)]
    assert guesses == [401] * 5 + [429] * 3
    assert _me(client, good) == 200  # same address, same minute: a real credential is not anyone's hostage
    # and the 429 says when to come back
    r = client.get("/api/v1/me", headers=bearer("guess-9"))
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    # calling without any credential is not a refused credential: an anonymous read is never counted
    assert client.get("/api/v1/products?commune=00583").status_code == 200


def test_a_genuine_bank_notification_pays_during_a_flood_of_forged_ones(app, client, billing, factory, db):
    app.config["REFUSED_LIMIT"] = "5 per minute"
    factory.enable_payment_source("sepay", {"api_key": KEY})
    bill = bill_for(client, billing, billing.households[0])
    forged = [post_sepay(client, sepay_body(9000 + i, 30_000, bill["reference"]), key=f"guess-key-{i:08}").status_code
              for i in range(12)]
    assert forged == [401] * 5 + [429] * 7
    assert db.scalar(select(func.count()).select_from(Payment)) == 0
    r = post_sepay(client, sepay_body(9100, 30_000, f"{bill['reference']} nop phi"), key=KEY)
    assert r.status_code == 200, r.get_json()
    db.expire_all()
    assert db.get(Bill, bill["id"]).state == "paid"
    # the flood counted against this source and commune only: API tokens from the same address are untouched
    assert _me(client, "another-guess") == 401


def test_failed_signatures_count_per_source_and_commune(app, client, factory):
    app.config["REFUSED_LIMIT"] = "3 per minute"
    factory.enable_payment_source("sepay", {"api_key": KEY})
    factory.enable_payment_source("sepay", {"api_key": KEY}, commune="02392")

    def forged(commune: str) -> int:
        return client.post(f"/api/v1/webhooks/payments/sepay/{commune}", json={},
                           headers={"Authorization": "Apikey not-the-key-at-all"}).status_code

    assert [forged("00583") for _ in range(4)] == [401, 401, 401, 429]
    assert forged("02392") == 401  # another commune's source is counted on its own


def test_behind_the_configured_proxy_each_client_has_its_own_address(choso_database_url, tmp_path, factory):
    behind = create_app(config_for_tests(choso_database_url, tmp_path / "proxied", TRUSTED_PROXIES=1,
                                         REFUSED_LIMIT="3 per minute", LOGIN_RATE_LIMIT="3 per minute"))
    client = behind.test_client()  # every request comes from 127.0.0.1, the proxy, as in docs/operations.md
    assert [_me(client, f"g{i}", "203.0.113.5") for i in range(4)] == [401, 401, 401, 429]
    assert _me(client, "g-other", "203.0.113.9") == 401  # a neighbour behind the same proxy is not stopped
    # sign-in attempts likewise: one address guessing passwords does not lock its neighbours out
    user = factory.user(password="dung-mat-khau")
    browser = behind.test_client()

    def sign_in(address: str, password: str) -> int:
        token = csrf_from(browser.get("/login").get_data(as_text=True))
        return browser.post("/login", data={"login": user.phone, "password": password, "csrf_token": token},
                            headers={"X-Forwarded-For": address}).status_code

    assert [sign_in("203.0.113.66", "doan-mo") for _ in range(4)] == [401, 401, 401, 429]
    assert sign_in("203.0.113.67", "dung-mat-khau") == 302


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(choso_database_url, tmp_path):
    direct = create_app(config_for_tests(choso_database_url, tmp_path / "direct", REFUSED_LIMIT="3 per minute"))
    client = direct.test_client()
    # an attacker rotating X-Forwarded-For is still one address
    codes = [_me(client, f"g{i}", f"198.51.100.{i}") for i in range(4)]
    assert codes == [401, 401, 401, 429]
