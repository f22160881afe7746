"""Fetching what webhooks missed, and knowing when a bank service has gone quiet.

A webhook can be lost for good (SePay gives up after 8 tries in about 33 minutes). Every enabled source that
can list transactions (`PaymentSource.list_transactions`) is asked for its recent ones every
`CHOSO_BANK_POLL_MINUTES`, once when a worker starts, and when staff ask. What comes back goes through
`services.ingest`, the webhooks' own store-then-match path, so a transfer seen both ways is one row and one
payment. Each window reaches back `OVERLAP` before the last poll's end, because banks date a transfer when it
happened, which can be a while before the service shows it.

Staff are warned, on their pages, by e-mail and through the `payment_source_warning` hook, when polling is
refused for its key, or when a source brought nothing for `CHOSO_SOURCE_QUIET_HOURS` while bills are open.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import contained_plugins, containment
from core.db import utcnow
from core.errors import Conflict, Invalid
from core.events import fire, plugins
from core.jobs.queue import enqueue, handler
from core.mail import smtp_send
from core.models import Membership, User
from core.models.integrations import IntegrationSetting
from core.services import audit, integrations
from core.snapshots import public_url
from payments.bills import states
from payments.bills.models import Bill
from payments.bills.services import require_staff
from payments.reconcile import services as reconcile
from payments.reconcile.models import DUPLICATE, POLL, REFUSED, WEBHOOK, Delivery, SourceStatus
from plugins.sdk import SourceAuthError

log = logging.getLogger("choso.payments.polling")

SWEEP_JOB, POLL_JOB = "bank-poll-sweep", "bank-poll"
OVERLAP = timedelta(hours=2)
FIRST_LOOKBACK = timedelta(days=3)  # a source's first poll reads its last three days
AUTH, QUIET = "auth", "quiet"


@dataclass(frozen=True)
class PollResult:
    fetched: int
    new: int  # transfers no webhook had brought
    matched: int  # of those, paid a bill or an order by themselves


@dataclass(frozen=True)
class SourceWarning:
    """What the `payment_source_warning` hook receives: which source of which commune, what is wrong
    (`kind`: "auth", its key was refused; "quiet", nothing arrived for `hours` while bills are open), and
    the sentence staff read (in Vietnamese) with the page that shows the details."""

    commune_code: str
    source: str
    display_name: str
    kind: str
    hours: float | None
    text: str
    url: str


def _owner(name: str) -> str:
    return plugins().owners.get(("payment source", name), name)


def _handler(commune_code: str, name: str, settings: dict[str, Any]):
    cls = plugins().payment_sources[name]
    return contained_plugins.source(cls, settings, _owner(name), commune_code)


def enabled_sources(db: Session, commune_code: str) -> list[str]:
    return sorted(n for n in integrations.enabled_names(db, commune_code, "payment_source")
                  if n in plugins().payment_sources)


def _lister(db: Session, commune_code: str, name: str):
    """The source, contained, when it is switched on and can list transactions; else Invalid saying why."""
    settings = integrations.settings_for(db, commune_code, "payment_source", name)
    if settings is None or name not in plugins().payment_sources:
        raise Conflict(_("This bank service is not switched on for the commune."))
    source = _handler(commune_code, name, settings)
    if not source.can_list():
        raise Invalid(_("%(name)s cannot fetch transactions with these settings: enter its API key on the "
                        "integrations page.", name=integrations.display_of("payment_source", name)))
    return source


def can_poll(db: Session, commune_code: str, name: str) -> bool:
    try:
        _lister(db, commune_code, name)
    except (Invalid, Conflict, containment.PluginFailed):
        return False
    return True


def _status(db: Session, commune_code: str, name: str) -> SourceStatus | None:
    return db.scalar(select(SourceStatus).where(SourceStatus.commune_code == commune_code,
                                                SourceStatus.source == name))


def status_of(db: Session, commune_code: str, name: str) -> SourceStatus:
    row = _status(db, commune_code, name)
    if row is None:
        row = SourceStatus(commune_code=commune_code, source=name, found_last=0, auth_failed=False)
        db.add(row)
        try:
            db.commit()
        except IntegrityError:  # another poll made it first
            db.rollback()
            return status_of(db, commune_code, name)
    return row


def poll(db: Session, commune_code: str, name: str, *, until: datetime | None = None) -> PollResult:
    """Ask one source for its recent transactions and store them as if their webhooks had come. A refused
    key or a failed call is recorded on the source's status (staff see it) and raised."""
    source = _lister(db, commune_code, name)
    status = status_of(db, commune_code, name)
    now = utcnow()
    until = until or now
    since = status.polled_until - OVERLAP if status.polled_until else until - FIRST_LOOKBACK
    status.last_poll_at = now
    db.commit()
    try:
        notes = source.list_transactions(since, until)
    except (SourceAuthError, containment.PluginFailed) as failure:
        status.auth_failed = isinstance(failure, SourceAuthError)
        status.last_error = str(failure)[:300]
        status.last_error_at = now
        db.commit()
        raise
    outcomes = reconcile.ingest(db, commune_code, name, notes, channel=POLL)
    fresh = [o for o in outcomes if not o.duplicate]
    # a slower poll finishing after a later one must not move the next window back (the row is read afresh)
    status.polled_until = max(until, status.polled_until) if status.polled_until else until
    status.last_ok_at, status.found_last = now, len(fresh)
    status.auth_failed, status.last_error, status.last_error_at = False, None, None
    db.commit()
    if fresh:
        log.warning("poll of %s for %s found %d transfers no webhook brought", name, commune_code, len(fresh))
    return PollResult(len(outcomes), len(fresh), sum(o.state == "matched" for o in fresh))


def request_poll(db: Session, actor: User, commune_code: str, name: str) -> None:
    """Staff ask for a poll now: it runs as a job (a slow service must not hold a page), audited."""
    require_staff(actor, commune_code)
    try:
        _lister(db, commune_code, name)
    except containment.PluginFailed as failure:
        raise Invalid(failure.for_people) from failure
    enqueue(db, POLL_JOB, {"commune": commune_code, "source": name}, key=f"{POLL_JOB}:{commune_code}:{name}")
    audit.record(db, actor, "source.poll", "payment_source", name, commune_code=commune_code)
    db.commit()


# --- the schedule ------------------------------------------------------------------------------------------

def schedule_next(db: Session, *, now: bool = False) -> None:
    """Queue the next sweep (`now`: when a worker starts); its key keeps it to one however many workers run."""
    minutes = current_app.config.get("BANK_POLL_MINUTES", 15)
    enqueue(db, SWEEP_JOB, {}, key=SWEEP_JOB, run_at=utcnow() + (timedelta() if now else timedelta(minutes=minutes)))
    db.commit()


def schedule_at_start(db: Session) -> None:
    schedule_next(db, now=True)


@handler(SWEEP_JOB)
def _sweep(db: Session, payload: dict[str, Any]) -> None:
    communes = sorted(set(db.scalars(select(IntegrationSetting.commune_code).where(
        IntegrationSetting.kind == "payment_source", IntegrationSetting.enabled.is_(True)))))
    for code in communes:
        for name in enabled_sources(db, code):
            if can_poll(db, code, name):
                enqueue(db, POLL_JOB, {"commune": code, "source": name}, key=f"{POLL_JOB}:{code}:{name}")
        db.commit()
        tell_staff(db, code)
    schedule_next(db)


@handler(POLL_JOB)
def _poll_job(db: Session, payload: dict[str, Any]) -> None:
    try:
        poll(db, payload["commune"], payload["source"])
    except (SourceAuthError, containment.PluginFailed, Invalid, Conflict):
        # Recorded on the source's status for staff; the next sweep tries again. Retrying at once would only
        # knock on a refused key again.
        db.rollback()
    tell_staff(db, payload["commune"])


# --- health ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AccountSeen:
    source: str
    account_number: str | None
    last_webhook_at: datetime | None
    last_found_at: datetime | None  # the last transfer a poll found that no webhook had brought


def accounts_seen(db: Session, commune_code: str) -> list[AccountSeen]:
    """Per source and account: when a webhook last arrived, and when polling last found one it had missed."""
    rows = db.execute(select(Delivery.source, Delivery.account_number, Delivery.channel, func.max(Delivery.at))
                      .where(Delivery.commune_code == commune_code, Delivery.channel.in_((WEBHOOK, POLL)),
                             Delivery.outcome.not_in((REFUSED, DUPLICATE)))
                      .group_by(Delivery.source, Delivery.account_number, Delivery.channel)).all()
    seen: dict[tuple[str, str | None], dict[str, datetime]] = {}
    for source, account, channel, at in rows:
        seen.setdefault((source, account), {})[channel] = at
    return [AccountSeen(source, account, times.get(WEBHOOK), times.get(POLL))
            for (source, account), times in sorted(seen.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))]


def _last_arrival(db: Session, commune_code: str, name: str) -> datetime | None:
    """The last time anything genuine came from this source: a webhook, or a poll's answer (even a repeat)."""
    return db.scalar(select(func.max(Delivery.at)).where(
        Delivery.commune_code == commune_code, Delivery.source == name, Delivery.outcome != REFUSED,
        Delivery.channel.in_((WEBHOOK, POLL))))


def warnings(db: Session, commune_code: str) -> list[SourceWarning]:
    """What is wrong with the commune's bank services now, in words staff act on."""
    found: list[SourceWarning] = []
    quiet_hours = float(current_app.config.get("SOURCE_QUIET_HOURS", 24))
    open_bills = None
    for name in enabled_sources(db, commune_code):
        shown = integrations.display_of("payment_source", name)
        url = public_url(f"/staff/{commune_code}/transactions")
        status = _status(db, commune_code, name)
        if status is not None and status.auth_failed:
            found.append(SourceWarning(commune_code, name, shown, AUTH, None, _(
                "%(name)s refused choso's API key when fetching transfers: the key has expired or was deleted. "
                "Create a new key at %(name)s and enter it on the integrations page.", name=shown), url))
            continue
        if open_bills is None:
            open_bills = bool(db.scalar(select(func.count()).select_from(Bill).where(
                Bill.commune_code == commune_code, Bill.state.in_(states.PAYABLE))))
        if not open_bills:
            continue
        setting = integrations.get(db, commune_code, "payment_source", name)
        since = _last_arrival(db, commune_code, name) or (setting.updated_at if setting else None)
        if since is not None and utcnow() - since > timedelta(hours=quiet_hours):
            hours = (utcnow() - since).total_seconds() / 3600
            found.append(SourceWarning(commune_code, name, shown, QUIET, round(hours, 1), _(
                "Nothing has arrived from %(name)s for %(hours)d hours while bills are open. Check that its "
                "webhook is still set up and that money is reaching the account.", name=shown, hours=int(hours)),
                url))
    return found


def _staff_addresses(db: Session, commune_code: str) -> list[tuple[str, str]]:
    users = db.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.commune_code == commune_code, Membership.role == "staff", User.email.is_not(None))).unique()
    return [(u.email, u.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")) for u in users if u.email]


def tell_staff(db: Session, commune_code: str) -> list[SourceWarning]:
    """E-mail the commune's staff and fire the hook for each warning not yet told; clear what has healed."""
    now_warnings = warnings(db, commune_code)
    by_source = {w.source: w for w in now_warnings}
    told: list[SourceWarning] = []
    for name in enabled_sources(db, commune_code):
        status = status_of(db, commune_code, name)
        warning = by_source.get(name)
        if warning is None:
            status.warned = status.warned_at = None
            continue
        if status.warned == warning.kind:
            continue
        status.warned, status.warned_at = warning.kind, utcnow()
        told.append(warning)
    db.commit()
    for warning in told:
        _mail(db, warning)
        fire("payment_source_warning", warning=warning)
    return told


def _mail(db: Session, warning: SourceWarning) -> None:
    url = current_app.config.get("SMTP_URL")
    if not url:
        return
    by_locale: dict[str, list[str]] = {}
    for address, locale in _staff_addresses(db, warning.commune_code):
        by_locale.setdefault(locale, []).append(address)
    for locale, addresses in by_locale.items():
        with force_locale(locale):  # the warning's sentence in each reader's language, worked out once
            worded = next((w for w in warnings(db, warning.commune_code) if w.source == warning.source), warning)
            subject = _("choso: check %(name)s, bank transfers may be missed", name=warning.display_name)
        for address in addresses:
            message = EmailMessage()
            message["From"] = current_app.config.get("MAIL_FROM", "choso@localhost")
            message["To"] = address
            message["Subject"] = subject
            message.set_content("\n".join([worded.text, "", worded.url]))
            try:
                smtp_send(url, message)
            except OSError:
                log.warning("could not e-mail %s about %s", address, warning.source, exc_info=True)


@dataclass(frozen=True)
class SourceOverview:
    source: str
    display_name: str
    can_poll: bool
    last_poll_at: datetime | None
    last_ok_at: datetime | None
    found_last: int
    last_error: str | None
    auth_failed: bool
    warning: str | None
    accounts: list[AccountSeen]


def overview(db: Session, commune_code: str, now_wrong: list[SourceWarning] | None = None) -> list[SourceOverview]:
    """Each enabled source as staff see it on the transfers page and through the API (`now_wrong`: the
    commune's `warnings`, when the caller has them already)."""
    seen = accounts_seen(db, commune_code)
    told = {w.source: w.text for w in (warnings(db, commune_code) if now_wrong is None else now_wrong)}
    found = []
    for name in enabled_sources(db, commune_code):
        status = _status(db, commune_code, name)
        found.append(SourceOverview(
            name, integrations.display_of("payment_source", name), can_poll(db, commune_code, name),
            status.last_poll_at if status else None, status.last_ok_at if status else None,
            status.found_last if status else 0, status.last_error if status else None,
            bool(status and status.auth_failed), told.get(name), [a for a in seen if a.source == name]))
    return found
