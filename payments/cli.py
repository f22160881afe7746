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
