"""`choso bills`: what the commune's staff or an operator runs by hand about bills."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import with_appcontext

from core.db import session


@click.group("bills")
def bills_group() -> None:
    """Fees and bills."""


@bills_group.command("remind")
@click.option("--on", "day", default=None, metavar="YYYY-MM-DD",
              help="the day to remind for (default: today in Vietnam)")
@with_appcontext
def remind_command(day: str | None) -> None:
    """Queue the reminders due on a day: bills falling due within CHOSO_REMINDER_DAYS, or overdue.

    Workers do this every morning by themselves; this is for a missed morning or a first run.
    Each bill gets one reminder of each kind, however often this runs.
    """
    from payments.bills import reminders

    try:
        on = date.fromisoformat(day) if day else None
    except ValueError:
        click.secho(f"error: --on takes a date written YYYY-MM-DD, not {day!r}", fg="red", err=True)
        sys.exit(2)
    queued = reminders.queue_due(session(), on)
    click.echo(f"queued {queued} reminder(s); a worker sends them (`choso worker`)"
               + ("" if queued else " — none new: each bill gets one of each kind, and waiting ones stay queued"))


@click.command("close")
@click.option("--day", "day", required=True, metavar="YYYY-MM-DD", help="the day to close (Vietnam time)")
@click.option("--commune", "commune", default=None, help="commune code (default: CHOSO_DEFAULT_COMMUNE)")
@click.option("--out", "out", default=".", show_default=True, type=click.Path(file_okay=False),
              help="folder the PDF and XLSX are written to")
@click.option("--sign-as", "sign_as", default=None, metavar="PHONE",
              help="sign the day off as this commune staff member (audited under their name)")
@with_appcontext
def close_command(day: str, commune: str | None, out: str, sign_as: str | None) -> None:
    """The daily close (đối soát cuối ngày) of a missed day: its figures, PDF and XLSX, and optionally the
    sign-off. The staff page /staff/<commune>/close does the same for any day."""
    from pathlib import Path

    from flask import current_app
    from flask_babel import force_locale

    from core.errors import ChosoError
    from core.models import Commune
    from core.services import users
    from payments.reconcile import closing

    try:
        when = date.fromisoformat(day)
    except ValueError:
        click.secho(f"error: --day takes a date written YYYY-MM-DD, not {day!r}", fg="red", err=True)
        sys.exit(2)
    code = commune or current_app.config.get("DEFAULT_COMMUNE") or ""
    db = session()
    place = db.get(Commune, code)
    if place is None:
        click.secho(f"error: no commune {code!r}; give --commune CODE", fg="red", err=True)
        sys.exit(2)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")):
        if sign_as:
            actor = users.find_by_login(db, sign_as)
            try:
                if actor is None:
                    raise ChosoError(f"nobody signs in as {sign_as!r}")
                closing.sign(db, actor, code, when)
            except ChosoError as exc:
                click.secho(f"error: {exc.message}", fg="red", err=True)
                sys.exit(1)
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / f"doi-soat-{code}-{when.isoformat()}"
        found = closing.day_as_it_stands(db, code, when)
        for fmt in ("pdf", "xlsx"):
            stem.with_suffix(f".{fmt}").write_bytes(closing.report(found, code, place.name, when, fmt))
    data, signed = found.figures, found.signed
    money_in = sum(parts["in"][1] for parts in data["accounts"].values())
    click.echo(f"{code} {when}: {money_in:,} đ in over {len(data['accounts'])} account(s), "
               f"{len(data['differences'])} difference(s), {data['receipts']['count']} receipt(s); "
               + (f"signed off by {signed.signed_by.label if signed.signed_by else '?'}" if signed
                  else "not signed off"))
    click.echo(f"  wrote {stem}.pdf and {stem}.xlsx")
