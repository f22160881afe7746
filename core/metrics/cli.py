"""`choso metrics`: monthly snapshots (idempotent, for backfills too) and province staff."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from core.db import session
from core.errors import ChosoError


@click.group("metrics")
def metrics_group() -> None:
    """Digital-economy figures."""


@metrics_group.command("snapshot")
@click.option("--month", default=None, help="YYYY-MM (default: last month)")
@click.option("--commune", "communes", multiple=True, help="only this commune (repeatable)")
@click.option("--replace", is_flag=True, help="recount months already stored (figures are kept as reported)")
@with_appcontext
def snapshot_command(month: str | None, communes: tuple[str, ...], replace: bool) -> None:
    """Store a month's figures for every commune with households. Running it twice stores nothing new."""
    from core.metrics import services

    db = session()
    try:
        with force_locale("en"):
            month = services.parse_month(month or services.previous_months(services.current_month(), 2)[0])
    except ChosoError as exc:
        click.secho(f"error: {exc.message}", fg="red", err=True)
        sys.exit(1)
    codes = [c.zfill(5) for c in communes] or None
    written = services.snapshot(db, month, codes, replace=replace,
                                progress=lambda done, total: click.echo(f"  {done}/{total} communes", err=True))
    click.echo(f"{month}: stored {written} figures" + ("" if written else " (already stored: nothing changed)"))


@metrics_group.command("province-staff")
@click.option("--phone", required=True)
@click.option("--province", required=True, help="province code, e.g. 01 for Hà Nội")
@with_appcontext
def province_staff_command(phone: str, province: str) -> None:
    """Let a user see the figures of every commune of a province."""
    from core.services import users

    db = session()
    user = users.find_by_login(db, phone)
    if user is None:
        click.secho(f"error: no user signs in as {phone}", fg="red", err=True)
        sys.exit(1)
    try:
        with force_locale("en"):
            users.grant_province(db, user, province.zfill(2))
        db.commit()
    except ChosoError as exc:
        click.secho(f"error: {exc.message}", fg="red", err=True)
        sys.exit(1)
    click.echo(f"{user.phone} now sees the figures of province {province.zfill(2)}")
