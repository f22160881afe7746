"""The `choso` command line."""

from __future__ import annotations

import os
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
    app = create_app()
    with app.app_context():
        _upgrade()
        if demo:
            _demo()
            app.config["DEFAULT_COMMUNE"] = app.config["DEFAULT_COMMUNE"] or _demo_code()
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
    click.echo(f"    helper (Tổ công nghệ số): {demo.HELPER_PHONE}")
    click.echo(f"    commune staff: {demo.STAFF_PHONE}")


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
@with_appcontext
def tokens_create(phone: str, name: str) -> None:
    """Print a new API token for the user; use it as `Authorization: Bearer TOKEN`."""
    from core.auth.tokens import create_token
    from core.services.users import find_by_login

    db = session()
    user = find_by_login(db, phone)
    if user is None:
        _fail(f"no user has the phone number {phone}")
    _row, token = create_token(db, user, name)
    db.commit()
    click.echo(token)


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
