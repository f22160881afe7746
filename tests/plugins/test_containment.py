"""A plugin cannot break the commune (issue 14.1–14.3, 14.6): every call into plugin code is contained, bounded
in time and its answer checked; the failing plugin's part says so in words, everything else goes on, and the
failure is recorded against the plugin for staff.

The app here loads LotusFarm (tests/plugins/misbehaving), a marketplace that misbehaves on demand, beside the
built-in marketplaces and their sandboxes (real HTTP servers on 127.0.0.1)."""

import socket
import threading
import time

import pytest
from sqlalchemy import func, select

from core import containment
from core.app import create_app
from core.db import database
from core.models import PluginFailure
from core.publishing.models import Listing
from core.testing import _empty_tables, bearer, config_for_tests, run_jobs
from tests.plugins import misbehaving

LOTUS = {"shop_code": "xa-bat-trang", "api_key": "lotus-secret-key-0001"}


@pytest.fixture
def app(choso_database_url, tmp_path):
    from core.extensions import limiter

    app = create_app(config_for_tests(choso_database_url, tmp_path / "instance", PLUGIN_TIMEOUT=2,
                                      PLUGIN_TIMEOUT_MAX=5, EXTRA_PLUGINS=[("lotusfarm", misbehaving)]))
    limiter.reset()
    containment.reset()
    misbehaving.reset()
    yield app
    misbehaving.reset()  # lets a hung call's thread finish
    containment.reset()
    _empty_tables(database(app).engine)
    database(app).engine.dispose()


@pytest.fixture
def lotus(factory):
    factory.enable_marketplace("lotusfarm", LOTUS)


def _publish(client, product, token, marketplaces=None):
    body = {"marketplaces": marketplaces} if marketplaces else {}
    return client.post(f"/api/v1/products/{product.id}/listings", json=body, headers=bearer(token))


def _listing(db, product, name) -> Listing:
    db.expire_all()
    return db.scalar(select(Listing).where(Listing.product_id == product.id, Listing.marketplace == name))


def _failures(db, kind=None) -> list[PluginFailure]:
    db.expire_all()
    stmt = select(PluginFailure).where(PluginFailure.plugin == "lotusfarm")
    return list(db.scalars(stmt.where(PluginFailure.kind == kind) if kind else stmt))


@pytest.mark.parametrize("how", ["raise", "dict", "none"])
def test_a_broken_validate_stops_only_its_own_marketplace(client, sandboxes, lotus, farm_product, db, how):
    product, token = farm_product
    misbehaving.BEHAVIOUR["validate"] = how
    r = _publish(client, product, token)
    assert r.status_code == 202, r.get_json()
    body = r.get_json()
    queued = {item["marketplace"] for item in body["items"]}
    assert {"postmart", "voso"} <= queued and "lotusfarm" not in queued
    (problem,) = body["problems"]["lotusfarm"]
    assert "LotusFarm" in problem["text"] and "cán bộ" in problem["text"]  # words, not ZeroDivisionError
    assert "Error" not in problem["text"] and "division" not in problem["text"]
    kind = "exception" if how == "raise" else "bad_answer"
    assert [f.what for f in _failures(db, kind)] == ["marketplace lotusfarm: validate"]


def test_a_plugin_that_cannot_start_stops_only_its_own_marketplace(client, sandboxes, lotus, farm_product, db):
    product, token = farm_product
    misbehaving.BEHAVIOUR["init"] = "raise"
    r = _publish(client, product, token)
    assert r.status_code == 202
    assert {i["marketplace"] for i in r.get_json()["items"]} >= {"postmart", "voso"}
    assert "lotusfarm" in r.get_json()["problems"]
    assert "RuntimeError: LotusFarm could not read its settings" in _failures(db, "exception")[0].message


@pytest.mark.parametrize(("how", "shown"), [
    ("dict", "trả lời một nội dung mà choso không dùng được"),
    ("none", "trả lời một nội dung mà choso không dùng được"),
    ("bad_url", "trả lời một nội dung mà choso không dùng được"),
])
def test_an_unusable_answer_fails_the_listing_in_words(client, app, lotus, farm_product, db, how, shown):
    product, token = farm_product
    misbehaving.BEHAVIOUR["publish"] = how
    assert _publish(client, product, token, ["lotusfarm"]).status_code == 202
    run_jobs(app)
    listing = _listing(db, product, "lotusfarm")
    assert listing.state == "failed" and listing.remote_url is None
    assert shown in listing.last_error and "LotusFarm" in listing.last_error
    (failure,) = _failures(db, "bad_answer")
    assert failure.what == "marketplace lotusfarm: publish" and "RemoteListing" in failure.message
    # the seller's page says the same sentence, never Python
    page = client.get(f"/api/v1/products/{product.id}/listings", headers=bearer(token)).get_json()
    assert shown in str(page) and "Traceback" not in str(page)


def test_a_publish_that_blocks_in_python_is_abandoned_at_the_deadline_and_retried(app, client, lotus,
                                                                                  farm_product, db):
    product, token = farm_product
    misbehaving.BEHAVIOUR["publish"] = "hang"
    _publish(client, product, token, ["lotusfarm"])
    started = time.monotonic()
    run_jobs_once(app)
    assert time.monotonic() - started < 30  # the worker is free again (the plugin's deadline is 1 s)
    listing = _listing(db, product, "lotusfarm")
    assert listing.state == "queued" and listing.next_retry_at is not None and listing.attempts == 1
    assert "tạm thời không dùng được" in listing.last_error
    (failure,) = _failures(db, "timeout")
    assert "did not answer within 1 s" in failure.message
    misbehaving.RELEASE.set()
    misbehaving.BEHAVIOUR["publish"] = "ok"
    with app.app_context():
        from core.publishing import services

        services.retry(db, _listing(db, product, "lotusfarm"))
    run_jobs(app)
    assert _listing(db, product, "lotusfarm").state == "live"


def run_jobs_once(app):
    from core.jobs.worker import run_one

    with app.app_context():
        while run_one(app):
            pass


def test_a_marketplace_that_accepts_and_never_answers_does_not_hold_the_others(app, client, factory, sandboxes,
                                                                               farm_product, db):
    """A real socket that accepts connections and never answers, standing in for Voso; Postmart must go live."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(silent.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        from tests.helpers import CREDENTIALS

        factory.enable_marketplace("voso", {"base_url": f"http://127.0.0.1:{silent.getsockname()[1]}",
                                            **CREDENTIALS["voso"]})
        product, token = farm_product
        assert _publish(client, product, token, ["voso", "postmart"]).status_code == 202
        run_jobs_once(app)
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        silent.close()
    assert _listing(db, product, "postmart").state == "live"
    voso = _listing(db, product, "voso")
    assert voso.state == "queued" and voso.next_retry_at is not None
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(PluginFailure).where(
        PluginFailure.plugin == "voso", PluginFailure.kind == "timeout")) == 1


def test_after_three_timeouts_in_a_row_a_plugin_is_paused_not_waited_for(app, lotus, factory, db):
    misbehaving.BEHAVIOUR["publish"] = "hang"
    products = [factory.product(name=f"Chè {n}", price_vnd=100_000) for n in range(5)]
    client = app.test_client()
    for product in products:
        _publish(client, product, factory.token(product.household.owner), ["lotusfarm"])
    started = time.monotonic()
    run_jobs_once(app)
    elapsed = time.monotonic() - started
    messages = [f.message for f in _failures(db, "timeout")]
    assert len(messages) == 5
    assert sum("did not answer within" in m for m in messages) == 3
    assert sum("calls paused" in m for m in messages) == 2
    assert elapsed < 30


def test_a_slow_event_hook_never_slows_the_seller(app, client, factory, db):
    """LotusFarm's product_saved sleeps 30 s: the seller's save returns at once; the worker gives the hook
    its deadline (the operator's, 2 s here), records it, and goes on."""
    misbehaving.BEHAVIOUR.update({"product_saved": "sleep", "sleep_seconds": "30"})
    owner = factory.user()
    shop = factory.shop(owner)
    started = time.monotonic()
    r = client.post("/api/v1/products", headers=bearer(factory.token(owner)), json={
        "household_id": shop.id, "name": "Mật ong", "product_group": "food", "price_vnd": 90000})
    assert r.status_code == 201
    assert "product_saved" not in misbehaving.CALLS  # not called inside the request at all
    assert time.monotonic() - started < 10
    run_jobs_once(app)
    assert misbehaving.CALLS.count("product_saved") == 1
    (failure,) = _failures(db, "hook_error")
    assert failure.what == "event product_saved" and "did not answer within 2 s" in failure.message


def test_staff_and_admins_see_what_failed_in_words(app, client, lotus, farm_product, factory, db):
    from core.testing import login

    product, token = farm_product
    misbehaving.BEHAVIOUR["publish"] = "dict"
    _publish(client, product, token, ["lotusfarm"])
    run_jobs(app)
    admin = factory.user("admin", password="mat-khau-quan-tri")
    login(client, admin, "mat-khau-quan-tri")
    page = client.get("/admin/plugins").get_data(as_text=True)
    assert "lotusfarm" in page and "trả lời nội dung choso không dùng được" in page
    assert "marketplace lotusfarm: publish" in page and "not a RemoteListing" in page
    staff_client = app.test_client()
    staff = factory.user("staff", password="mat-khau-can-bo")
    login(staff_client, staff, "mat-khau-can-bo")
    page = staff_client.get("/staff/00583/integrations").get_data(as_text=True)
    assert "Sự cố trong 24 giờ qua" in page and "marketplace lotusfarm: publish" in page
    other = app.test_client()
    login(other, factory.user("staff", "02392", password="mat-khau-can-bo"), "mat-khau-can-bo")
    elsewhere = other.get("/staff/02392/integrations").get_data(as_text=True)
    assert "marketplace lotusfarm: publish" not in elsewhere  # another commune's staff see their own only


PAY = {"api_key": "lotus-pay-key-00001"}


def _notify(client, body, key=PAY["api_key"]):
    import json as _json

    return client.post("/api/v1/webhooks/payments/lotuspay/00583", data=_json.dumps(body),
                       headers={"X-Lotus-Key": key, "Content-Type": "application/json"})


@pytest.mark.parametrize(("call", "how", "kind"), [
    ("verify", "raise", "exception"), ("parse", "raise", "exception"), ("parse", "dict", "bad_answer"),
    ("verify", "hang", "timeout"),
])
def test_a_broken_notification_source_answers_503_in_words_and_is_recorded(client, factory, db, call, how, kind):
    factory.enable_payment_source("lotuspay", PAY)
    misbehaving.BEHAVIOUR[call] = how
    r = _notify(client, {"id": 1, "amount": 30000, "text": "HD123"})
    assert r.status_code == 503  # the source retries later; nothing was stored
    message = r.get_json()["error"]["message"]
    assert "LotusPay" in message and "Error" not in message
    assert [f.what for f in _failures(db, kind)] == [f"payment source lotuspay: {call}"]
    misbehaving.BEHAVIOUR.clear()
    misbehaving.RELEASE.set()
    assert _notify(client, {"id": 1, "amount": 30000, "text": "HD123"}).status_code == 200
    assert _notify(client, {"id": 2, "amount": 1, "text": "x"}, key="wrong-key-000000000").status_code == 401


def test_a_broken_payment_provider_hides_only_its_own_choice_and_refuses_in_words(client, market, factory, db):
    from tests.orders.buying import place, token_of

    factory.enable_payment_provider("lotuswallet", PAY)
    order = place(client, (market.tea, 1))
    part = order["parts"][0]
    url = f"/api/v1/orders/{token_of(order)}/parts/{part['id']}/payments"
    misbehaving.BEHAVIOUR["start"] = "none"
    r = client.post(url, json={"method": "lotuswallet"})
    assert r.status_code == 503 and "Chưa có khoản nào bị trừ" in r.get_json()["error"]["message"]
    assert [f.what for f in _failures(db, "bad_answer")] == ["payment provider lotuswallet: start"]
    # VietQR, from another plugin, still works for the same part
    assert client.post(url, json={"method": "vietqr"}).status_code == 201


def test_a_broken_figure_reads_as_no_value_and_the_rest_of_the_dashboard_stands(client, factory, db):
    from core.testing import login

    staff = factory.user("staff", password="mat-khau-can-bo")
    token = factory.token(staff)
    fine = client.get("/api/v1/metrics?commune=00583&month=2026-11", headers=bearer(token)).get_json()
    assert fine["communes"]["00583"]["lotus_share"]["value"] == 0.5
    misbehaving.BEHAVIOUR["compute"] = "dict"
    r = client.get("/api/v1/metrics?commune=00583&month=2026-11", headers=bearer(token))
    assert r.status_code == 200
    figures = r.get_json()["communes"]["00583"]
    assert figures["lotus_share"]["value"] is None and "households_total" in figures
    assert _failures(db, "bad_answer")[0].what == "metric lotus_share: compute"
    login(client, staff, "mat-khau-can-bo")
    assert client.get("/staff/00583/metrics").status_code == 200


def test_a_settings_schema_that_raises_hides_only_its_own_form(client, factory, db):
    from core.testing import login

    staff = factory.user("staff", password="mat-khau-can-bo")
    login(client, staff, "mat-khau-can-bo")
    misbehaving.BEHAVIOUR["schema"] = "raise"
    page = client.get("/staff/00583/integrations")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Kết nối LotusFarm tạm thời không dùng được" in html and "Postmart" in html
    r = client.put("/api/v1/communes/00583/integrations/marketplace/lotusfarm",
                   headers=bearer(factory.token(staff)), json={"enabled": True, "settings": LOTUS})
    assert r.status_code == 503 and "LotusFarm" in r.get_json()["error"]["message"]
    assert _failures(db, "exception")[0].what.endswith("lotusfarm: settings schema")


@pytest.mark.parametrize(("how", "kind"), [("raise", "exception"), ("dict", "bad_answer"), ("hang", "timeout")])
def test_a_broken_order_notification_answers_503_in_words(client, lotus, db, how, kind):
    import json

    body = json.dumps({"id": "LF-1", "lines": [{"product": "lf-1", "qty": 1, "price": 90000}]})
    url = "/api/v1/webhooks/marketplaces/lotusfarm/00583"
    headers = {"X-Lotus-Key": LOTUS["api_key"], "Content-Type": "application/json"}
    misbehaving.BEHAVIOUR["parse_order_webhook"] = how
    r = client.post(url, data=body, headers=headers)
    assert r.status_code == 503 and "LotusFarm" in r.get_json()["error"]["message"]  # the marketplace retries
    assert [f.what for f in _failures(db, kind)] == ["marketplace lotusfarm: parse_order_webhook"]
    misbehaving.BEHAVIOUR.clear()
    misbehaving.RELEASE.set()
    assert client.post(url, data=body, headers={**headers, "X-Lotus-Key": "wrong-key-00000000"}).status_code == 401
    assert client.post(url, data=body, headers=headers).status_code == 200
