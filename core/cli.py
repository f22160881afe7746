"""The `choso` command line."""

from __future__ import annotations

import os
import secrets
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_babel import force_locale

from core.db import database, session
from core.errors import ChosoError


def _create_app():
    from core.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False,
             help="choso — chợ số: the commune's digital market.")
def main() -> None:
    pass


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


def _upgrade() -> None:
    from core import schema

    engine = database().engine
    before = schema.current_revision(engine)
    schema.upgrade(engine)
    after = schema.current_revision(engine)
    click.echo(f"schema: {before or 'empty'} -> {after}" if before != after else f"schema: up to date ({after})")
    added = schema.seed_communes(engine)
    if added:
        click.echo(f"communes: {added} added")


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="load the demo commune first (idempotent)")
def run_command(host: str, port: int, demo: bool) -> None:
    """Upgrade the database and serve choso with the development server."""
    from core.app import create_app

    # The development server speaks plain HTTP, so a Secure cookie would never come back.
    os.environ.setdefault("CHOSO_SECURE_COOKIES", "0")
    os.environ.setdefault("CHOSO_PUBLIC_URL", f"http://{host}:{port}")
    app = create_app()
    with app.app_context():
        _upgrade()
        if demo:
            _demo()
            app.config["DEFAULT_COMMUNE"] = app.config["DEFAULT_COMMUNE"] or _demo_code()
            # The demo's marketplace sandboxes listen on 127.0.0.1, which integrations may not call otherwise.
            app.config["ALLOW_PRIVATE_ADDRESSES"] = True
            click.echo("  demo: integrations may call private addresses (the sandboxes on 127.0.0.1)")
            _demo_marketplaces()
    if app.extensions["choso.jobs"].name == "embedded":
        import threading

        from core.jobs.worker import work

        # One machine, one command: the embedded queue's worker runs beside the web server.
        threading.Thread(target=work, args=(app,), name="choso-worker", daemon=True).start()
        click.echo("background jobs: embedded worker started")
    click.echo(f"choso is running at http://{host}:{port}/  (Ctrl+C stops it)")
    from werkzeug.serving import run_simple

    run_simple(host, port, app, use_reloader=False, threaded=True)


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply migrations and seed the official commune list (safe to run again)."""
    _upgrade()


def _demo_code() -> str:
    from core.services.demo import DEMO_COMMUNE

    return DEMO_COMMUNE


def _demo() -> None:
    from core.services import demo
    from core.storage import storage

    with force_locale("vi"):
        summary = demo.seed(session(), storage(), progress=lambda m: click.echo(f"  demo: {m}", err=True))
    c = summary.commune
    click.echo(f"demo commune: {c.code} {c.name} ({c.province.name})")
    click.echo(f"  added {summary.households_created} households, {summary.products_created} products")
    click.echo(f"  sign in with password {demo.DEMO_PASSWORD!r} as:")
    click.echo(f"    household: {', '.join(summary.household_phones[:3])} … {summary.household_phones[-1]}")
    click.echo(f"    helper (Tổ công nghệ số, assigned to the first eight households): {demo.HELPER_PHONE}")
    click.echo(f"    commune staff (also sees the province's figures): {demo.STAFF_PHONE}")
    click.echo(f"    admin (plugins, every commune): {demo.ADMIN_PHONE}")


def _demo_marketplaces() -> None:
    """Start every installed marketplace's sandbox beside the demo and switch it on for the demo commune."""
    from core.events import plugins
    from core.services import demo, integrations, users

    db = session()
    staff = users.find_by_login(db, demo.STAFF_PHONE)
    for name, adapter in plugins().marketplaces.items():
        if adapter.sandbox_class is None:
            continue
        try:  # a plugin's sandbox is plugin code: one that cannot start leaves its marketplace off, not the demo
            sandbox = adapter.sandbox_class().start()
            if hasattr(sandbox, "redirect_url"):  # marketplaces that send sellers back to a registered address
                sandbox.redirect_url = current_app.config["PUBLIC_URL"].rstrip("/") + \
                    f"/dashboard/connections/{name}/back"
            fields = adapter.settings_schema().fields
            settings = {key: getattr(sandbox, key) for key in fields if hasattr(sandbox, key)}
            settings["base_url"] = sandbox.url
            integrations.configure(db, staff, demo.DEMO_COMMUNE, "marketplace", name, adapter.settings_schema,
                                   True, settings)
        except Exception as exc:
            db.rollback()
            click.echo(f"  sandbox {name}: not started ({type(exc).__name__}: {exc}); the marketplace stays off",
                       err=True)
            continue
        click.echo(f"  sandbox {adapter.display_name}: {sandbox.url} (switched on for the demo commune)")
    if "sepay" in plugins().payment_sources:
        from payments.sources.sandbox import SePaySandbox

        key, token = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        # The SePay sandbox holds the demo account's transfers: it sends each as a webhook to this demo, and
        # choso asks it for the ones whose webhook was held back, as it would ask SePay.
        bank = SePaySandbox(webhook_key=key, api_key=token, account_number="0011009999999").start()
        hook = f"/api/v1/webhooks/payments/sepay/{demo.DEMO_COMMUNE}"
        bank.webhook_url = current_app.config["PUBLIC_URL"].rstrip("/") + hook
        integrations.configure(db, staff, demo.DEMO_COMMUNE, "payment_source", "sepay",
                               plugins().payment_sources["sepay"].settings_schema, True,
                               {"api_key": key, "api_token": token, "api_url": bank.url})
        click.echo(f"  bank notifications (SePay style): POST {hook} with 'Authorization: Apikey {key}'; "
                   f"the SePay sandbox at {bank.url} makes a transfer with POST /_sandbox/transfers "
                   '{"amount": 30000, "content": "<bill reference>", "hold": true} (held: found by polling; '
                   "see docs/payments.md)")
    for identifier in ("vietqr", "cash"):  # Stripe needs the commune's own keys: see docs/payments.md
        provider = plugins().payment_providers.get(identifier)
        if provider is not None:
            integrations.configure(db, staff, demo.DEMO_COMMUNE, "payment_provider", identifier,
                                   provider.settings_schema, True, {})
    click.echo("  buyers pay orders by VietQR transfer to the household's account, or cash at the commune office")


@main.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load demo data for one commune: 20 households, 120 products (running it twice adds nothing)."""
    _upgrade()
    _demo()


@main.group("users")
def users_group() -> None:
    """People and their roles."""


@users_group.command("create")
@click.option("--phone", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", required=True, type=click.Choice(["household", "helper", "staff", "admin"]))
@click.option("--commune", "commune", required=True, help="official commune code, e.g. 00583")
@click.option("--name", default="")
@with_appcontext
def users_create(phone: str, password: str, role: str, commune: str, name: str) -> None:
    """Create a user (or add a role to an existing one)."""
    from core.services import users

    db = session()
    try:
        with force_locale("en"):
            user, created = users.ensure_user(db, phone=phone, name=name, password=password)
            users.grant(db, user, role, commune.zfill(5))
            if not created:  # the password was set again: whoever held the old one is signed out
                from core.auth.sessions import end_all

                end_all(db, user)
        db.commit()
    except ChosoError as exc:
        db.rollback()
        _fail(str(exc.message))
    click.echo(f"{'created' if created else 'updated'} user {user.id} ({user.phone}) as {role} in {commune}")


@main.group("tokens")
def tokens_group() -> None:
    """Personal API tokens."""


@tokens_group.command("create")
@click.option("--phone", required=True)
@click.option("--name", default="cli")
@click.option("--read-only", is_flag=True, help="the token may only read (GET), never change anything")
@click.option("--days", default=365, show_default=True, type=click.IntRange(1, 3 * 365),
              help="days until the token expires")
@with_appcontext
def tokens_create(phone: str, name: str, read_only: bool, days: int) -> None:
    """Print a new API token for the user; use it as `Authorization: Bearer TOKEN`."""
    from core.auth.tokens import create_token

    db = session()
    user = _user_by_phone(db, phone)
    row, token = create_token(db, user, name, read_only=read_only, days=days)
    _audit_cli(db, user, "token.create", row.id, {"read_only": read_only, "expires_at": row.expires_at.isoformat()})
    db.commit()
    click.echo(token)


@tokens_group.command("list")
@click.option("--phone", required=True)
@click.option("--all", "show_all", is_flag=True, help="also revoked and expired tokens")
@with_appcontext
def tokens_list(phone: str, show_all: bool) -> None:
    """A person's API tokens: id, name, rights, created, expires, last used, state."""
    from sqlalchemy import select

    from core.db import utcnow
    from core.models import ApiToken

    db = session()
    user = _user_by_phone(db, phone)
    now = utcnow()
    rows = db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all()
    shown = [r for r in rows if show_all or r.usable(now)]
    if not shown:
        click.echo("no usable token" if not show_all else "no token")
    for r in shown:
        state = "revoked" if r.revoked_at else ("expired" if not r.usable(now) else "usable")
        used = f"{r.last_used_at:%Y-%m-%d %H:%M}" if r.last_used_at else "never"
        rights = "read-only" if r.read_only else "read-write"
        expires = f"{r.expires_at:%Y-%m-%d}" if r.expires_at else "never"
        click.echo(f"{r.id}\t{r.name}\t{r.prefix}…\t{rights}\tcreated {r.created_at:%Y-%m-%d}\t"
                   f"expires {expires}\tlast used {used}\t{state}")


@tokens_group.command("revoke")
@click.argument("token_id", type=int, required=False)
@click.option("--phone", required=True, help="whose token (so an id typed wrong never revokes someone else's)")
@click.option("--all", "revoke_every", is_flag=True, help="revoke every token of the person")
@with_appcontext
def tokens_revoke(token_id: int | None, phone: str, revoke_every: bool) -> None:
    """Revoke one token by its id (from `choso tokens list`), or --all of a person's."""
    from core.auth.tokens import revoke, revoke_all
    from core.models import ApiToken

    db = session()
    user = _user_by_phone(db, phone)
    if revoke_every:
        n = revoke_all(db, user)
        _audit_cli(db, user, "token.revoke_all", user.id, {"revoked": n})
        db.commit()
        click.echo(f"revoked {n} token(s) of {user.phone}")
        return
    row = db.get(ApiToken, token_id) if token_id else None
    if row is None or row.user_id != user.id:
        _fail(f"{user.phone} has no token {token_id}; see `choso tokens list --phone {user.phone}`")
    revoke(db, row)
    _audit_cli(db, user, "token.revoke", row.id, {})
    db.commit()
    click.echo(f"revoked token {row.id} ({row.name})")


def _user_by_phone(db, phone: str):
    from core.services.users import find_by_login

    user = find_by_login(db, phone)
    if user is None:
        _fail(f"no user has the phone number {phone}")
    return user


def _audit_cli(db, user, action: str, entity_id, details: dict) -> None:
    from core.services import audit

    audit.record(db, None, action, "api_token", entity_id, details={**details, "user_id": user.id, "by": "cli"})


@main.group("communes")
def communes_group() -> None:
    """The official list of communes (after the 2025 reform)."""


@communes_group.command("find")
@click.argument("name", nargs=-1, required=True)
@click.option("--province", default=None, help="province code, e.g. 01")
@with_appcontext
def communes_find(name: tuple[str, ...], province: str | None) -> None:
    """Find communes by code or name; accents and case are ignored."""
    from core.services.communes import find

    found = find(session(), " ".join(name), province, limit=50)
    if not found:
        _fail(f"no commune matches {' '.join(name)!r}")
    for c in found:
        click.echo(f"{c.code}  {c.name}  —  {c.province.name}")


@main.command("routes")
@with_appcontext
def routes_command() -> None:
    """List the URL rules (for operators)."""
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = ",".join(sorted(rule.methods - {"HEAD", "OPTIONS"}))
        click.echo(f"{methods:20} {rule.rule}")


@main.group("plugins", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--check", is_flag=True,
              help="report every problem (refused, conflicting, SDK range, settings schema, recent failures); "
                   "exit 1 if there is any")
@click.pass_context
def plugins_command(ctx: click.Context, as_json: bool, check: bool) -> None:
    """List plugins: name, version, hooks, whether enabled, what they registered, and recent failures.
    `choso plugins new NAME --kind KIND` starts a new plugin package."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(_show_plugins, as_json=as_json, check=check)


@with_appcontext
def _show_plugins(as_json: bool, check: bool) -> None:
    import json

    from core.containment import recent_failures
    from core.events import plugins

    manager = plugins()
    rows = [info.as_dict() for info in manager.listing()]
    registered = {kind: sorted(name for (k, name) in manager.owners if k == kind)
                  for kind in sorted({k for k, _ in manager.owners})}
    try:
        failures = recent_failures(session())
    except Exception as exc:  # no database yet (`choso db upgrade` not run): say so, list the rest
        failures = []
        click.echo(f"note: recent failures not read ({type(exc).__name__}); run `choso db upgrade`", err=True)
    problems = _plugin_problems(manager, failures) if check else []
    if as_json:
        click.echo(json.dumps({"plugins": rows, "registered": registered, "problems": problems,
                               "failures": [{"plugin": f.plugin, "kind": f.kind, "count": f.count,
                                             "last_at": f.last_at.isoformat(), "last": f.last_message}
                                            for f in failures]}, ensure_ascii=False, indent=2))
    else:
        _print_plugins(rows, registered, failures)
        if check:
            for line in problems:
                click.echo(f"problem: {line}")
            click.echo(f"{len(problems)} problem(s)" if problems else "no problems")
    if check and problems:
        sys.exit(1)


@plugins_command.command("new")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(["marketplace", "source", "provider", "metric"]),
              help="what the plugin adds to choso")
@click.option("--dir", "where", default=".", show_default=True, type=click.Path(file_okay=False),
              help="folder to create the package in")
def plugins_new(name: str, kind: str, where: str) -> None:
    """Write a working plugin package choso-NAME: code, sandbox where it applies, tests using the contract kit,
    pyproject with the entry point and the SDK range. Its tests pass as generated."""
    from pathlib import Path

    from plugins.scaffold import generate

    try:
        root = generate(name, kind, Path(where))
    except ValueError as exc:
        _fail(str(exc))
    click.echo(f"created {root}")
    click.echo(f"  next: cd {root} && pip install -e . && pytest && choso plugins --check")


def _print_plugins(rows, registered, failures) -> None:
    if not rows:
        click.echo("no plugins installed")
    for row in rows:
        state = "enabled" if row["enabled"] else f"{row['status']} ({row['reason']})"
        origin = "built-in" if row["builtin"] else (row["distribution"] or "local")
        click.echo(f"{row['name']:24} {row['version'] or '-':10} {origin:28} {state}")
        if row["hooks"]:
            click.echo(f"{'':24} hooks: {', '.join(row['hooks'])}")
        for problem in row["problems"]:
            click.echo(f"{'':24} left out: {problem}")
        for f in (f for f in failures if f.plugin == row["name"]):
            click.echo(f"{'':24} failures (24 h): {f.kind} x {f.count}, last {f.last_at:%Y-%m-%d %H:%M} UTC "
                       f"in {f.last_what}: {f.last_message}")
        if row["errors"]:
            click.echo(f"{'':24} hook errors: {row['errors']} last: {row['last_error']}")
    for kind, names in registered.items():
        click.echo(f"{kind}s: {', '.join(names)}")


def _plugin_problems(manager, failures) -> list[str]:
    """Everything an operator should look at, one line each, without a traceback."""
    from plugins.testing import check_settings_schema

    problems = [f"{info.name}: {info.status}: {info.reason}" for info in manager.listing()
                if info.status == "refused"]
    problems += [f"{info.name}: {text}" for info in manager.listing() for text in info.problems]
    for kind, registry in (("marketplace", manager.marketplaces), ("payment source", manager.payment_sources),
                           ("payment provider", manager.payment_providers)):
        for name, cls in registry.items():
            try:
                check_settings_schema(cls.settings_schema)
            except Exception as exc:  # AssertionError from the check, or a schema that cannot even be built
                problems.append(f"{manager.owners.get((kind, name), name)}: {kind} {name}: settings schema: "
                                f"{exc or type(exc).__name__}")
    problems += [f"{f.plugin}: {f.count} failure(s) of kind {f.kind} in the last 24 h, last in {f.last_what}: "
                 f"{f.last_message}" for f in failures]
    return problems


@main.command("sandbox")
@click.argument("name")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--failure-rate", default=0.0, show_default=True, help="share of requests answered 503")
@click.option("--rate-limit", default=None, type=float, help="requests per second before 429")
@with_appcontext
def sandbox_command(name: str, host: str, port: int, failure_rate: float, rate_limit: float | None) -> None:
    """Run a marketplace's or a bank service's (sepay, casso) sandbox server, as tests and demos use them."""
    from core.events import plugins
    from payments.sources.sandbox import CassoSandbox, SePaySandbox

    banks = {"sepay": ("SePay", SePaySandbox), "casso": ("Casso", CassoSandbox)}
    adapter = plugins().marketplaces.get(name)
    if name in banks:
        shown, sandbox_class = banks[name]
    elif adapter is not None and adapter.sandbox_class is not None:
        shown, sandbox_class = adapter.display_name, adapter.sandbox_class
    else:
        known = ", ".join([n for n, a in plugins().marketplaces.items() if a.sandbox_class] + list(banks))
        _fail(f"no sandbox named {name!r}; available: {known}")
    sandbox = sandbox_class(host=host, port=port, failure_rate=failure_rate, rate_limit=rate_limit)
    details = {k: getattr(sandbox, k) for k in ("api_key", "partner_id", "partner_key", "client_id",
                                                 "client_secret", "webhook_key") if hasattr(sandbox, k)}
    click.echo(f"{shown} sandbox at http://{host}:{port}/  {details}")
    sandbox.serve_forever()


@main.command("worker")
@click.option("--burst", is_flag=True, help="run until no job is left, then exit")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run background jobs (publishing to marketplaces, ...): embedded queue or Redis, per configuration."""
    import faulthandler
    import signal

    from core.jobs.worker import work

    app = current_app._get_current_object()
    backend = app.extensions["choso.jobs"].name
    # An operator (or a test) that finds the worker stuck sends SIGUSR1 and reads where every thread is.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    click.echo(f"worker started ({backend} backend{', burst' if burst else ''}); "
               f"kill -USR1 {os.getpid()} prints where it is", err=True)
    ran = work(app, burst=burst)
    if burst:
        click.echo(f"worker finished: {ran} jobs" if backend == "embedded" else "worker finished", err=True)


@main.group("listings")
def listings_group() -> None:
    """Marketplace listings."""


@listings_group.command("status")
@click.option("--commune", default=None)
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def listings_status(commune: str | None, as_json: bool) -> None:
    """Count listings by marketplace and state, and show the jobs waiting."""
    import json

    from core.jobs.queue import pending
    from core.publishing.services import summary

    db = session()
    counts = summary(db, commune=commune)
    waiting = pending(db)
    if as_json:
        click.echo(json.dumps({"listings": counts, "jobs_pending": len(waiting)}))
        return
    if not counts:
        click.echo("no listings")
    for marketplace, states in counts.items():
        click.echo(f"{marketplace:16} " + "  ".join(f"{state}={n}" for state, n in sorted(states.items())))
    click.echo(f"jobs waiting or running: {len(waiting)}")


@listings_group.command("retry")
@click.option("--state", "which", default="failed", type=click.Choice(["failed", "rejected"]), show_default=True)
@click.option("--marketplace", default=None)
@with_appcontext
def listings_retry(which: str, marketplace: str | None) -> None:
    """Queue failed (or refused) listings again."""
    from sqlalchemy import select

    from core.publishing.models import Listing
    from core.publishing.services import retry

    db = session()
    stmt = select(Listing).where(Listing.state == which)
    if marketplace:
        stmt = stmt.where(Listing.marketplace == marketplace)
    rows = list(db.scalars(stmt))
    for listing in rows:
        retry(db, listing)
    click.echo(f"queued {len(rows)} {which} listings again")


@main.group("vietqr")
def vietqr_group() -> None:
    """VietQR payloads and the NAPAS bank directory."""


@vietqr_group.command("encode")
@click.argument("bank")
@click.argument("account")
@click.option("--amount", type=int, default=None, help="whole đồng; makes a dynamic QR")
@click.option("--purpose", default=None)
@click.option("--card", is_flag=True, help="pay to a card number instead of an account")
@click.option("--png", "png_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="also write the QR image to this file")
def vietqr_encode(bank: str, account: str, amount: int | None, purpose: str | None, card: bool,
                  png_path: str | None) -> None:
    """Print the payload paying ACCOUNT at BANK (a BIN like 970436, or a name like Vietcombank)."""
    from payments.vietqr import VietQRError, encode, render
    from payments.vietqr.banks import find_banks

    matches = [b for b in find_banks(bank) if b["bin"] == bank] or find_banks(bank)
    if len(matches) != 1:
        names = ", ".join(f"{b['short_name']} ({b['bin']})" for b in matches[:8]) or "none"
        _fail(f"{bank!r} names {len(matches)} banks: {names}")
    try:
        payload = encode(matches[0]["bin"], account, amount=amount, purpose=purpose,
                         service="card" if card else "account")
    except VietQRError as exc:
        _fail(str(exc))
    click.echo(payload)
    if png_path:
        with open(png_path, "wb") as fh:
            fh.write(render.png(payload))


@vietqr_group.command("decode")
@click.argument("payload")
def vietqr_decode(payload: str) -> None:
    """Explain a VietQR payload: bank, account, amount, purpose."""
    from payments.vietqr import VietQRError, decode
    from payments.vietqr.banks import bank_by_bin

    try:
        qr = decode(payload)
    except VietQRError as exc:
        _fail(str(exc))
    bank = bank_by_bin(qr.bank_bin)
    click.echo(f"bank:     {qr.bank_bin} {bank['short_name'] if bank else '(not in the NAPAS list)'}")
    click.echo(f"{qr.service + ':':9} {qr.account}")
    click.echo(f"amount:   {qr.amount if qr.amount is not None else '(payer types it)'}")
    for label, value in (("purpose", qr.purpose), ("bill", qr.bill_number), ("ref", qr.reference),
                         ("merchant", qr.merchant_name), ("city", qr.merchant_city)):
        if value:
            click.echo(f"{label + ':':9} {value}")
    click.echo(f"kind:     {'static' if qr.static else 'dynamic'}")


@vietqr_group.command("banks")
@click.argument("query", nargs=-1)
def vietqr_banks(query: tuple[str, ...]) -> None:
    """List NAPAS member banks (optionally those matching QUERY, accents ignored)."""
    from payments.vietqr.banks import find_banks

    query = " ".join(query)
    found = find_banks(query)
    if not found:
        _fail(f"no bank matches {query!r}")
    for bank in found:
        click.echo(f"{bank['bin']}  {bank['short_name']:18} {bank['swift_code'] or '':10} {bank['name']}")


def _add_domain_commands() -> None:
    from core.backup import backup_command, restore_command
    from core.metrics.cli import metrics_group
    from payments.cli import bills_group, close_command

    for command in (metrics_group, bills_group, close_command, backup_command, restore_command):
        main.add_command(command)


_add_domain_commands()
