"""Secrets cannot be empty or short, and never follow a changed address (issue 13.3 and 13.4)."""

from sqlalchemy import func, select

from core.models.integrations import IntegrationSetting
from core.secret_box import seal
from core.testing import bearer
from payments.reconcile.models import BankTransaction
from tests.helpers import CREDENTIALS, STRIPE_SETTINGS, post_sepay, sepay_body

URL = "/api/v1/communes/00583/integrations"


def _put(client, token, kind, name, settings, enabled=True):
    # the .example hosts here answer nothing: the connection test (tests/plugins/test_connection_check.py) is off
    return client.put(f"{URL}/{kind}/{name}", headers=bearer(token),
                      json={"enabled": enabled, "settings": settings, "test_connection": False})


def test_switching_a_source_on_with_an_empty_or_short_secret_is_refused(client, factory, db):
    staff = factory.token(factory.user("staff"))
    for kind, name, field in (("payment_source", "sepay", "api_key"), ("payment_source", "casso", "checksum_key"),
                              ("payment_source", "payos", "checksum_key")):
        for weak in ("", "short-key"):
            r = _put(client, staff, kind, name, {field: weak})
            assert r.status_code == 422, (name, weak)
            assert field in r.get_json()["error"]["fields"]
    assert db.scalar(select(func.count()).select_from(IntegrationSetting)) == 0


def test_a_source_saved_with_an_empty_key_before_the_rule_accepts_no_notification(app, client, db):
    db.add(IntegrationSetting(commune_code="00583", kind="payment_source", name="sepay", enabled=True,
                              settings={}, secrets=_sealed(app, {"api_key": ""})))
    db.commit()
    r = post_sepay(client, sepay_body(9001, 30_000, "forged"), key="")
    assert r.status_code == 404
    assert db.scalar(select(func.count()).select_from(BankTransaction)) == 0


def _sealed(app, values):
    with app.app_context():
        return seal(values)


def test_stripe_keys_need_their_own_prefixes(client, factory):
    staff = factory.token(factory.user("staff"))
    r = _put(client, staff, "payment_provider", "stripe",
             {**STRIPE_SETTINGS, "secret_key": "pk_test_0123456789abcdef", "webhook_secret": "0123456789abcdef0"})
    assert r.status_code == 422 and {"secret_key", "webhook_secret"} <= set(r.get_json()["error"]["fields"])
    assert _put(client, staff, "payment_provider", "stripe", STRIPE_SETTINGS).status_code == 200


def test_stripe_js_comes_only_from_stripe(client, factory):
    staff = factory.token(factory.user("staff"))
    r = _put(client, staff, "payment_provider", "stripe", {**STRIPE_SETTINGS, "js_url": "https://evil.example/s.js"})
    assert r.status_code == 422 and "js_url" in r.get_json()["error"]["fields"]


def test_changing_an_address_needs_the_secrets_again(client, factory, db):
    staff = factory.token(factory.user("staff"))
    settings = {"base_url": "https://voso.example", **CREDENTIALS["voso"]}
    assert _put(client, staff, "marketplace", "voso", settings).status_code == 200
    masked = {"base_url": "https://attacker.example", "client_id": "xa-bat-trang",
              "client_secret": "••••••", "webhook_secret": ""}
    r = _put(client, staff, "marketplace", "voso", masked)
    assert r.status_code == 422
    assert {"client_secret", "webhook_secret"} <= set(r.get_json()["error"]["fields"])
    row = db.scalar(select(IntegrationSetting).where(IntegrationSetting.name == "voso"))
    db.refresh(row)
    assert row.settings["base_url"] == "https://voso.example"
    # the same address with masked secrets keeps them; a new address with the secrets typed again is fine
    same = {**masked, "base_url": "https://voso.example"}
    assert _put(client, staff, "marketplace", "voso", same).status_code == 200
    moved = {**settings, "base_url": "https://voso-2.example"}
    assert _put(client, staff, "marketplace", "voso", moved).status_code == 200


def test_private_addresses_are_refused_unless_the_operator_allows_them(app, client, factory, db):
    app.config["ALLOW_PRIVATE_ADDRESSES"] = False
    staff = factory.token(factory.user("staff"))
    for address in ("http://127.0.0.1:8080", "http://10.0.0.5/api", "http://169.254.169.254/latest",
                    "http://[::1]:9000", "http://localhost:5000"):
        r = _put(client, staff, "marketplace", "postmart", {"base_url": address, **CREDENTIALS["postmart"]})
        assert r.status_code == 422 and "base_url" in r.get_json()["error"]["fields"], address
        r = _put(client, staff, "payment_provider", "stripe", {**STRIPE_SETTINGS, "api_base": address})
        assert r.status_code == 422 and "api_base" in r.get_json()["error"]["fields"], address
    # one saved while it was allowed is not used once it is not
    app.config["ALLOW_PRIVATE_ADDRESSES"] = True
    assert _put(client, staff, "marketplace", "postmart",
                {"base_url": "http://127.0.0.1:9", **CREDENTIALS["postmart"]}).status_code == 200
    app.config["ALLOW_PRIVATE_ADDRESSES"] = False
    with app.app_context():
        from core.services import integrations

        app.extensions.pop("choso.integration_settings", None)
        assert integrations.settings_for(db, "00583", "marketplace", "postmart") is None
