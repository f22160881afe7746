"""The plugin manager: loading, refusing, disabling, conflicts, contained event errors, and what plugins add."""

import json
import logging
import subprocess
import sys
import types
from pathlib import Path

import click
import pytest
from flask import Blueprint, render_template_string
from sqlalchemy import select

from core.app import create_app
from core.testing import bearer, config_for_tests, login, run_jobs
from plugins import SDK_VERSION, MarketplaceAdapter, hookimpl

CHOSO = str(Path(sys.executable).with_name("choso"))


def plugin(name: str, sdk: str | None = ">=1.0,<2", **hooks) -> tuple[str, types.ModuleType]:
    module = types.ModuleType(name)
    if sdk is not None:
        module.CHOSO_SDK = sdk
    for hook, fn in hooks.items():
        setattr(module, hook, hookimpl(fn))
    return name, module


def make_app(url, tmp_path, *extra, **config):
    return create_app(config_for_tests(url, tmp_path / "inst", EXTRA_PLUGINS=list(extra), **config))


def test_the_example_plugin_is_installed_and_listed():
    out = subprocess.run([CHOSO, "plugins"], capture_output=True, text=True, check=True).stdout
    assert "choque" in out and "choso-example-marketplace" in out and "register_marketplaces" in out
    data = json.loads(subprocess.run([CHOSO, "plugins", "--json"], capture_output=True, text=True,
                                     check=True).stdout)
    listed = {p["name"]: p for p in data["plugins"]}
    assert listed["choque"]["enabled"] and listed["choque"]["version"] == "0.1.0"
    assert "choque" in data["registered"]["marketplace"]


def test_a_plugin_can_be_disabled_by_configuration(tmp_path):
    out = subprocess.run([CHOSO, "plugins"], capture_output=True, text=True, check=True,
                         env={"CHOSO_DISABLED_PLUGINS": "choque", "CHOSO_INSTANCE_PATH": str(tmp_path),
                              "PATH": "/usr/bin:/bin"}).stdout
    assert "disabled (CHOSO_DISABLED_PLUGINS)" in out and "marketplaces: choque" not in out


def test_safe_mode_turns_third_party_plugins_off(choso_database_url, tmp_path):
    app = make_app(choso_database_url, tmp_path, SAFE_MODE=True)
    info = {p.name: p for p in app.extensions["choso.plugins"].listing()}
    assert info["choque"].status == "disabled" and info["choque"].reason == "safe mode"
    assert "choque" not in app.extensions["choso.plugins"].marketplaces


def test_a_plugin_claiming_a_taken_name_is_refused_and_choso_starts(choso_database_url, tmp_path):
    class Impostor(MarketplaceAdapter):
        name = "choque"
        display_name = "Giả mạo"

    class Thief(MarketplaceAdapter):
        name = "postmart"  # a built-in's name: the built-in keeps it whoever loads first
        display_name = "Postmart giả"

    app = make_app(choso_database_url, tmp_path, plugin("impostor", register_marketplaces=lambda: [Impostor]),
                   plugin("thief", register_marketplaces=lambda: [Thief]))
    manager = app.extensions["choso.plugins"]
    info = {p.name: p for p in manager.listing()}
    assert info["impostor"].status == "refused"
    assert info["impostor"].reason == "marketplace 'choque' is already registered by plugin 'choque'"
    assert info["thief"].status == "refused" and "'postmart'" in info["thief"].reason
    assert manager.marketplaces["choque"].display_name == "Chợ Quê"
    assert manager.marketplaces["postmart"] is not Thief
    assert app.test_client().get("/api/v1/marketplaces").status_code == 200  # and choso serves


@pytest.mark.parametrize(("registers", "reason"), [
    (lambda: [type("Loud", (MarketplaceAdapter,), {"name": "LotusFarm", "display_name": "x"})],
     "marketplace name 'LotusFarm' is not lower-case"),
    (lambda: [type("Spaced", (MarketplaceAdapter,), {"name": "lotus farm/x", "display_name": "x"})],
     "marketplace name 'lotus farm/x'"),
    (lambda: ["not a class"], "not a subclass of MarketplaceAdapter"),
    (lambda: 1 / 0, "register_marketplaces failed: ZeroDivisionError"),
])
def test_names_and_registrations_are_checked_at_load(choso_database_url, tmp_path, registers, reason):
    app = make_app(choso_database_url, tmp_path, plugin("odd", register_marketplaces=registers))
    info = {p.name: p for p in app.extensions["choso.plugins"].listing()}["odd"]
    assert info.status == "refused" and reason in info.reason
    assert "choque" in app.extensions["choso.plugins"].marketplaces


@pytest.mark.parametrize(("sdk", "reason"), [
    (">=2,<3", f"needs SDK >=2,<3 but this choso provides SDK {SDK_VERSION}"),
    (None, "declares no CHOSO_SDK"),
    ("one point oh", "is not a version range"),
])
def test_a_plugin_for_another_sdk_is_refused_with_a_clear_message(choso_database_url, tmp_path, sdk, reason):
    app = make_app(choso_database_url, tmp_path, plugin("old", sdk=sdk, register_blueprints=lambda: []))
    info = {p.name: p for p in app.extensions["choso.plugins"].listing()}["old"]
    assert info.status == "refused" and reason in info.reason


def test_an_exploding_event_hook_is_contained_counted_and_shown(choso_database_url, tmp_path, factory):
    def product_saved(product, created):
        raise RuntimeError(f"boom on {product.name}")

    app = make_app(choso_database_url, tmp_path, plugin("exploding", product_saved=product_saved))
    client = app.test_client()
    owner = factory.user()
    shop = factory.shop(owner)
    r = client.post("/api/v1/products", headers=bearer(factory.token(owner)), json={
        "household_id": shop.id, "name": "Mật ong", "product_group": "food", "price_vnd": 90000})
    assert r.status_code == 201
    run_jobs(app)  # events reach plugins through the job queue, never inside the seller's request
    info = {p.name: p for p in app.extensions["choso.plugins"].listing()}["exploding"]
    assert info.errors == {"product_saved": 1} and "boom on Mật ong" in info.last_error
    admin = factory.user("admin", password="mat-khau-quan-tri")
    login(client, admin, "mat-khau-quan-tri")
    page = client.get("/admin/plugins").get_data(as_text=True)
    assert "exploding" in page and "<code>product_saved</code> × 1" in page and "boom on Mật ong" in page


def test_event_hooks_receive_frozen_snapshots_not_orm_objects(choso_database_url, tmp_path, factory):
    seen = []
    app = make_app(choso_database_url, tmp_path, plugin(
        "watcher", product_saved=lambda product, created: seen.append((product, created)),
        product_archived=lambda product: seen.append((product, "archived"))))
    client = app.test_client()
    owner = factory.user()
    shop = factory.shop(owner)
    token = factory.token(owner)
    pid = client.post("/api/v1/products", headers=bearer(token), json={
        "household_id": shop.id, "name": "Chè", "product_group": "beverage", "price_vnd": 50000}).get_json()["id"]
    client.delete(f"/api/v1/products/{pid}", headers=bearer(token))
    assert seen == []  # nothing ran inside the requests
    run_jobs(app)
    assert [(s.name, flag) for s, flag in seen] == [("Chè", True), ("Chè", "archived")]
    with pytest.raises(AttributeError):
        seen[0][0].price_vnd = 1  # frozen
    assert type(seen[0][0]).__module__ == "plugins.sdk"


def test_the_admin_page_is_for_admins_only(client, factory):
    user = factory.user("staff", password="mat-khau-can-bo")
    login(client, user, "mat-khau-can-bo")
    assert client.get("/admin/plugins").status_code == 403


def test_plugins_add_pages_template_variables_and_commands(choso_database_url, tmp_path):
    bp = Blueprint("greeter", __name__)
    bp.add_url_rule("/hello", "hello", lambda: render_template_string("{{ greeting }}, {{ place }}"))

    @click.command("hello")
    def hello():
        click.echo("xin chào từ plugin")

    app = make_app(choso_database_url, tmp_path, plugin(
        "greeter", register_blueprints=lambda: [bp], register_commands=lambda: [hello],
        extra_template_vars=lambda template: {"greeting": "Xin chào", "place": "Bát Tràng"}))
    assert app.test_client().get("/hello").get_data(as_text=True) == "Xin chào, Bát Tràng"
    assert app.test_cli_runner().invoke(args=["hello"]).output.strip() == "xin chào từ plugin"


def test_a_plugin_command_may_not_take_a_builtin_name(choso_database_url, tmp_path):
    app = make_app(choso_database_url, tmp_path, plugin("bad", register_commands=lambda: [click.Command("demo")]))
    info = {p.name: p for p in app.extensions["choso.plugins"].listing()}["bad"]
    assert info.problems == ["the command `choso demo` is already taken; the plugin's was left out"]
    assert "demo" not in app.cli.commands  # `choso demo` stays choso's own


def test_tracing_logs_every_hook_call(choso_database_url, tmp_path, caplog, factory):
    app = make_app(choso_database_url, tmp_path, plugin("quiet", product_saved=lambda product, created: None),
                   TRACE_PLUGINS=True)
    with caplog.at_level(logging.INFO, logger="choso.plugins"):
        app.extensions["choso.plugins"].pm.hook.register_marketplaces()
    assert any("register_marketplaces" in r.getMessage() for r in caplog.records)


def test_staff_switch_a_marketplace_on_from_their_page(client, factory, db):
    from core.models.integrations import IntegrationSetting
    from core.testing import post_form

    household = factory.user(password="mat-khau-ho")
    login(client, household, "mat-khau-ho")
    assert client.get("/staff/00583/integrations").status_code == 403
    client.post("/logout", data={"csrf_token": ""})
    client.delete_cookie("session")
    staff = factory.user("staff", password="mat-khau-can-bo")
    login(client, staff, "mat-khau-can-bo")
    page = client.get("/staff/00583/integrations").get_data(as_text=True)
    assert "Chợ Quê" in page and "Postmart" in page and "SePay" in page
    bad = post_form(client, "/staff/00583/integrations", "/staff/00583/integrations",
                    {"kind": "marketplace", "name": "choque", "enabled": "1", "setting-base_url": "không phải url",
                     "setting-api_key": "k"})
    assert bad.status_code == 422
    ok = post_form(client, "/staff/00583/integrations", "/staff/00583/integrations",
                   {"kind": "marketplace", "name": "choque", "enabled": "1",
                    "setting-base_url": "http://127.0.0.1:9", "setting-api_key": "khoa-bi-mat-0001"},
                   follow_redirects=True)
    assert ok.status_code == 200 and "khoa-bi-mat-0001" not in ok.get_data(as_text=True)
    row = db.scalars(select(IntegrationSetting)).one()
    assert row.enabled and "khoa-bi-mat-0001" not in (row.secrets or "")


def test_every_built_in_integration_refuses_weak_secrets(app):
    from core.events import plugins
    from plugins.testing import check_settings_schema

    with app.app_context():
        registry = plugins()
        schemas = [c.settings_schema for group in (registry.marketplaces, registry.payment_sources,
                                                   registry.payment_providers) for c in group.values()]
    assert len(schemas) >= 8
    for schema in schemas:
        check_settings_schema(schema)


def test_plugins_check_reports_every_problem_and_exits_non_zero(choso_database_url, tmp_path, db):
    from flask.cli import ScriptInfo

    from core.cli import main
    from core.containment import flush, record

    class Thief(MarketplaceAdapter):
        name = "postmart"
        display_name = "Postmart giả"

    app = make_app(choso_database_url, tmp_path, plugin("old", sdk=">=2,<3", register_blueprints=lambda: []),
                   plugin("thief", register_marketplaces=lambda: [Thief]),
                   plugin("bad", register_commands=lambda: [click.Command("demo")]))
    with app.app_context():
        record("choque", "timeout", "marketplace choque: publish", "did not answer within 20 s", "00583")
        flush(app)
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["plugins", "--check"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "problem: old: refused: needs SDK >=2,<3" in result.output
    assert "problem: thief: refused: marketplace 'postmart' is already registered by plugin 'postmart'" \
        in result.output
    assert "problem: bad: the command `choso demo` is already taken" in result.output
    assert "problem: choque: 1 failure(s) of kind timeout" in result.output
    assert "4 problem(s)" in result.output
    listed = runner.invoke(main, ["plugins"], obj=ScriptInfo(create_app=lambda: app)).output
    assert "failures (24 h): timeout x 1" in listed


def test_plugins_check_passes_on_a_clean_install(choso_database_url, tmp_path):
    from flask.cli import ScriptInfo

    from core.cli import main

    app = make_app(choso_database_url, tmp_path)
    result = app.test_cli_runner().invoke(main, ["plugins", "--check"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output
