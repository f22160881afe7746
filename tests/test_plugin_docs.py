"""docs/plugins.md stays true: every hook has a section, and every code block comes from a tested file."""

import re
from datetime import date
from pathlib import Path

import pytest

from core.app import create_app
from core.testing import bearer, config_for_tests, run_jobs
from plugins.hookspecs import EVENT_HOOKS, REGISTRATION_HOOKS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "plugins.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", DOC, flags=re.S)
SHELL = {"pip install ./examples/choso-example-marketplace", "pytest examples/choso-example-marketplace",
         "choso plugins", "choso plugins new lotusfarm --kind marketplace"}  # tests/plugins/test_scaffold.py


def test_every_hook_has_a_section():
    import plugins.hookspecs as specs

    declared = {name for name in dir(specs) if hasattr(getattr(specs, name), "choso_spec")}
    assert declared == set(REGISTRATION_HOOKS) | set(EVENT_HOOKS)
    missing = [name for name in declared if f"### {name}\n" not in DOC]
    assert missing == []


@pytest.mark.parametrize(("lang", "body"), [b for b in BLOCKS if b[0] in ("python", "toml")],
                         ids=lambda v: v.splitlines()[0][:60] if "\n" in v else v)
def test_code_blocks_are_excerpts_of_tested_files(lang, body):
    first, _, code = body.partition("\n")
    match = re.match(r"# from (\S+)", first)
    assert match, "each code block names the tested file it comes from"
    source = (ROOT / match.group(1)).read_text()
    assert code.strip() in source


def test_shell_blocks_are_commands_the_suite_runs():
    for lang, body in BLOCKS:
        if lang == "sh":
            assert {line for line in body.strip().splitlines()} <= SHELL


@pytest.fixture
def every_hook_app(choso_database_url, tmp_path, app):
    import importlib.util

    spec = importlib.util.spec_from_file_location("every_hook", ROOT / "docs" / "examples" / "every_hook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = config_for_tests(choso_database_url, tmp_path / "inst", EXTRA_PLUGINS=[("every_hook", module)],
                              SECRET_KEY=app.config["SECRET_KEY"])  # the same install: it reads the same secrets
    return create_app(config), module


def test_the_every_hook_example_works(every_hook_app, factory, sandboxes, farm_product):
    app, module = every_hook_app
    manager = app.extensions["choso.plugins"]
    assert "demobank" in manager.payment_sources and "demowallet" in manager.payment_providers
    assert manager.fee_types["market-stall"]["amount_vnd"] == 20_000
    share = manager.metrics["stalls_online"]().compute({"households_online": 3, "households_active": 4})
    assert share.value == 0.75
    from plugins import ProductRow

    rows = [ProductRow(1, 1, "food", None, 1000, stock, 0, ()) for stock in (0, 4, 0)]
    assert manager.facts["products_out_of_stock"]().count(rows) == 2
    client = app.test_client()
    assert "mùng 5" in client.get("/cho-phien").get_data(as_text=True)
    assert app.test_cli_runner().invoke(args=["xin-chao", "Lan"]).output == "Xin chào Lan!\n"

    product, token = farm_product
    client.patch(f"/api/v1/products/{product.id}", json={"stock": 5}, headers=bearer(token))
    client.post(f"/api/v1/products/{product.id}/listings", json={"marketplaces": ["voso"]}, headers=bearer(token))
    from core.jobs.worker import work

    work(app, burst=True, poll=0.05)
    client.delete(f"/api/v1/products/{product.id}", headers=bearer(token))
    work(app, burst=True, poll=0.05)  # events reach plugins through the job queue
    manager.fire("payment_received", payment={"amount_vnd": 50_000})
    manager.fire("bill_paid", bill={"number": "HD-1"})
    from payments.reconcile.polling import SourceWarning

    manager.fire("payment_source_warning", warning=SourceWarning("00583", "sepay", "SePay", "auth", None, "…", "/"))
    from datetime import UTC, datetime

    from core.publishing.connections import ShopConnectionChange

    manager.fire("shop_connection_changed", change=ShopConnectionChange(
        7, "Chè Tân Cương", "0912345678", "shopee", "Shop chè", "expiring", datetime(2027, 1, 2, tzinfo=UTC),
        "https://choso.example/dashboard/shops/7#connections", "choso"))
    kinds = [kind for kind, _ in module.seen]
    assert kinds[:1] == ["product_saved"] and "product_archived" in kinds
    assert ("listing_state_changed", ("voso", "queued", "publishing")) in module.seen
    assert ("listing_state_changed", ("voso", "publishing", "live")) in module.seen
    assert ("payment_received", {"amount_vnd": 50_000}) in module.seen
    assert ("bill_paid", {"number": "HD-1"}) in module.seen
    assert ("payment_source_warning", "auth") in module.seen
    assert ("shop_connection_changed", "expiring") in module.seen
    assert module.sms_outbox[-1][0] == "0912345678" and "02/01" in module.sms_outbox[-1][1]


def test_the_example_wallet_takes_a_payment_through_choso(every_hook_app, factory, db):
    app, _module = every_hook_app
    client = app.test_client()
    staff = bearer(factory.token(factory.user("staff")))
    r = client.put("/api/v1/communes/00583/integrations/payment_provider/demowallet", headers=staff, json={
        "enabled": True, "settings": {"checkout_url": "https://vi.example/pay", "api_key": "wallet-api-key-0001"}})
    assert r.status_code == 200, r.get_json()
    product = factory.product(price_vnd=95_000)
    order = client.post("/api/v1/orders", json={
        "commune_code": "00583", "name": "Chị Mai", "phone": "0912345678", "address": "Thôn 2, Bát Tràng",
        "lines": [{"product_id": product.id, "quantity": 2, "price_vnd": 95_000}]}).get_json()
    part = order["parts"][0]
    token = order["link"].rsplit("/", 1)[1]
    payment = client.post(f"/api/v1/orders/{token}/parts/{part['id']}/payments", json={"method": "demowallet"})
    step = payment.get_json()["next_step"]
    assert payment.status_code == 201 and step["kind"] == "redirect"
    assert step["url"] == f"https://vi.example/pay?ref={part['reference']}&amount=190000"
    body = {"payment": f"w-{payment.get_json()['id']}", "amount": 190_000, "event": "wallet-evt-1"}
    url = "/api/v1/webhooks/providers/demowallet/00583"
    assert client.post(url, json=body, headers={"X-Api-Key": "wrong"}).status_code == 401
    assert client.post(url, json=body, headers={"X-Api-Key": "wallet-api-key-0001"}).status_code == 200
    assert client.get(order["link"]).get_json()["parts"][0]["state"] == "paid"


def test_the_example_reminds_a_payer_without_email_by_sms(every_hook_app, factory, db):
    from payments.bills import reminders

    app, module = every_hook_app
    client = app.test_client()
    staff = bearer(factory.token(factory.user("staff")))
    fee = client.post("/api/v1/communes/00583/fee-types", headers=staff, json={
        "code": "phi-cho", "name": "Phí chợ", "default_amount_vnd": 20_000}).get_json()
    bill = client.post("/api/v1/communes/00583/bills", headers=staff, json={
        "fee_type_id": fee["id"], "payer_name": "Bà Tư", "payer_phone": "0912345678", "due_on": "2026-12-03"}
    ).get_json()
    with app.app_context():
        assert reminders.queue_due(db, date(2026, 12, 1)) == 1
    run_jobs(app)
    assert module.sms_outbox == [("0912345678", f"Phí chợ {bill['reference']}: con 20000 d, han 03/12. "
                                                f"http://127.0.0.1:5000{bill['link']}")]  # CHOSO_PUBLIC_URL's default
