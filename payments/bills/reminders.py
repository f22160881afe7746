"""Reminding payers of bills that fall due soon, and once more when they are overdue.

Every morning (CHOSO_REMINDER_HOUR, Vietnam time) a job looks for bills still owed that fall due within
CHOSO_REMINDER_DAYS days, or fell due in the last OVERDUE_WINDOW_DAYS days, and queues one reminder per bill
and kind. Each reminder is its own job, so a mail server that is down delays it (retried with backoff) and
never the others; a `bill_reminders` row makes it one of each kind per bill, whoever runs the sweep and however
often. The e-mail goes to the household's owner in their language; plugins hear `bill_reminder` and may send
it by SMS or Zalo as well, which is how payers without an e-mail address are reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from core.db import VIETNAM, utcnow, vietnam_today
from core.events import fire
from core.i18n import money
from core.jobs.models import Job
from core.jobs.queue import enqueue, handler
from core.mail import smtp_send
from core.snapshots import public_url
from payments.bills import states
from payments.bills.models import Bill, BillReminder

SWEEP_JOB = "bills.remind"
SEND_JOB = "bills.send_reminder"
DUE_SOON, OVERDUE = "due_soon", "overdue"
# Older debts are the staff's to chase; a first deployment must not mail every payer about last year's bills.
OVERDUE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class ReminderSnapshot:
    """What a `bill_reminder` hook receives: enough to write an SMS, nothing to change the bill with."""

    bill_id: int
    number: str
    fee: str
    payer: str
    payer_phone: str | None
    outstanding_vnd: int
    due_on: date
    kind: str
    link: str
    commune_code: str


def _already(kind: str):
    return exists().where(BillReminder.bill_id == Bill.id, BillReminder.kind == kind)


def due(db: Session, on: date, days_before: int) -> list[tuple[int, str]]:
    """(bill id, kind) of every reminder that falls due on day `on` and has not been given."""
    soon = and_(Bill.due_on >= on, Bill.due_on <= on + timedelta(days=days_before), ~_already(DUE_SOON))
    late = and_(Bill.due_on < on, Bill.due_on >= on - timedelta(days=OVERDUE_WINDOW_DAYS), ~_already(OVERDUE))
    rows = db.execute(select(Bill.id, Bill.due_on).where(Bill.state.in_(states.PAYABLE), or_(soon, late))
                      .order_by(Bill.id))
    return [(bill_id, DUE_SOON if due_on >= on else OVERDUE) for bill_id, due_on in rows]


def queue_due(db: Session, on: date | None = None) -> int:
    """Queue the reminders that fall due on day `on` (today in Vietnam by default); returns how many are new.

    A reminder still waiting for its mail server is not queued twice."""
    on = on or vietnam_today()
    queued = 0
    for bill_id, kind in due(db, on, int(current_app.config.get("REMINDER_DAYS", 3))):
        key = f"bill-reminder:{bill_id}:{kind}"
        if db.scalar(select(Job.id).where(Job.key == key, Job.state.in_(("queued", "running")))) is None:
            enqueue(db, SEND_JOB, {"bill_id": bill_id, "kind": kind}, key=key)
            queued += 1
    db.commit()
    return queued


def next_sweep_at(now: datetime | None = None) -> datetime:
    """The next CHOSO_REMINDER_HOUR o'clock in Vietnam, as a UTC instant."""
    now = (now or utcnow()).astimezone(VIETNAM)
    at = datetime.combine(now.date(), time(int(current_app.config.get("REMINDER_HOUR", 8))), VIETNAM)
    return at if at > now else at + timedelta(days=1)


def schedule_next(db: Session) -> None:
    """Queue the next morning's sweep; its key keeps it to one however many workers start."""
    at = next_sweep_at()
    enqueue(db, SWEEP_JOB, {}, key=f"bills-remind:{at.astimezone(VIETNAM).date().isoformat()}", run_at=at)
    db.commit()


@handler(SWEEP_JOB)
def _sweep_job(db: Session, payload: dict[str, Any]) -> None:
    queue_due(db)
    schedule_next(db)


@handler(SEND_JOB)
def send_reminder(db: Session, payload: dict[str, Any]) -> None:
    bill, kind = db.get(Bill, payload["bill_id"]), payload["kind"]
    if bill is None or bill.state not in states.PAYABLE or bill.due_on is None:
        return  # paid or cancelled since the sweep
    if db.scalar(select(BillReminder.id).where(BillReminder.bill_id == bill.id, BillReminder.kind == kind)):
        return
    recipient = _recipient(bill)
    if recipient is not None:
        address, locale = recipient
        with force_locale(locale):
            smtp_send(current_app.config["SMTP_URL"], reminder_message(bill, kind, address))
    db.add(BillReminder(bill_id=bill.id, kind=kind, due_on=bill.due_on, emailed_to=recipient[0] if recipient else None))
    db.commit()
    fire("bill_reminder", reminder=ReminderSnapshot(
        bill.id, bill.reference, bill.fee_type.name, bill.payer_name, bill.payer_phone, bill.outstanding_vnd,
        bill.due_on, kind, public_url(f"/b/{bill.token}"), bill.commune_code))


def _recipient(bill: Bill) -> tuple[str, str] | None:
    """The household owner's e-mail address and language, when there is a mail server to send through."""
    owner = bill.household.owner if bill.household else None
    if not current_app.config.get("SMTP_URL") or owner is None or not owner.email:
        return None
    return owner.email, owner.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")


def reminder_message(bill: Bill, kind: str, recipient: str) -> EmailMessage:
    due_on = bill.due_on.strftime("%d/%m/%Y")
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_FROM", "choso@localhost")
    message["To"] = recipient
    if kind == OVERDUE:
        message["Subject"] = _("Overdue: %(fee)s, bill %(number)s", fee=bill.fee_type.name, number=bill.reference)
        opening = _("The bill below was due on %(date)s and is not yet fully paid.", date=due_on)
    else:
        message["Subject"] = _("Due on %(date)s: %(fee)s, bill %(number)s", date=due_on, fee=bill.fee_type.name,
                               number=bill.reference)
        opening = _("A reminder: the bill below falls due on %(date)s.", date=due_on)
    lines = [_("Dear %(payer)s,", payer=bill.payer_name), "", opening, "",
             _("Fee: %(fee)s %(period)s", fee=bill.fee_type.name, period=bill.period).rstrip(),
             _("Bill number: %(number)s", number=bill.reference),
             _("Still to pay: %(amount)s", amount=money(bill.outstanding_vnd)), "",
             _("Pay by scanning the QR code on this page with any banking app: %(url)s",
               url=public_url(f"/b/{bill.token}")),
             _("If you have paid already, please ignore this message.")]
    message.set_content("\n".join(lines))
    return message
