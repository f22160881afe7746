"""Fee types, bills one at a time or for every household at once, and the QR that pays a bill."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.auth import policy
from core.db import flush_or_conflict, lock, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.jobs.queue import enqueue, handler
from core.models import HouseholdBusiness, User
from core.services import audit
from core.text import fold_ascii
from payments.bills import references, states
from payments.bills.models import Bill, BillBatch, CollectionAccount, FeeType
from payments.vietqr import encode

BATCH_JOB = "bills.issue_batch"
BATCH_CHUNK = 200


def may_bill(user: User | None, commune_code: str) -> bool:
    return policy.is_commune_staff(user, commune_code)


def require_staff(user: User | None, commune_code: str) -> None:
    if not may_bill(user, commune_code):
        raise Forbidden(_("Only the commune's staff may do this."))


def set_collection_account(db: Session, actor: User, commune_code: str, data: dict[str, Any]) -> CollectionAccount:
    require_staff(actor, commune_code)
    account = db.get(CollectionAccount, commune_code) or CollectionAccount(commune_code=commune_code)
    account.bank_bin, account.account_number = data["bank_bin"], data["account_number"]
    account.account_name = fold_ascii(data["account_name"]).upper()
    db.add(account)
    audit.record(db, actor, "collection_account.set", "commune", commune_code, commune_code=commune_code,
                 details={"bank_bin": account.bank_bin, "account_number": account.account_number})
    db.commit()
    return account


def create_fee_type(db: Session, actor: User, commune_code: str, data: dict[str, Any]) -> FeeType:
    require_staff(actor, commune_code)
    if data.get("fixed_amount", True) and not data.get("default_amount_vnd"):
        msg = _("A fixed fee needs its amount.")
        raise Invalid(msg, {"default_amount_vnd": [msg]})
    fee = FeeType(commune_code=commune_code, **data)
    db.add(fee)
    flush_or_conflict(db, "code", _("The commune already has a fee with this code."))
    audit.record(db, actor, "fee_type.create", "fee_type", fee.id, commune_code=commune_code,
                 details={"code": fee.code, "amount": fee.default_amount_vnd})
    db.commit()
    return fee


def _amount(fee: FeeType, amount_vnd: int | None) -> int:
    amount = fee.default_amount_vnd if fee.fixed_amount else amount_vnd or fee.default_amount_vnd
    if fee.fixed_amount and amount_vnd not in (None, fee.default_amount_vnd):
        msg = _("This fee has a fixed amount of %(amount)s đồng.", amount=f"{fee.default_amount_vnd:,}")
        raise Invalid(msg, {"amount_vnd": [msg]})
    if not amount:
        msg = _("Enter the amount of this bill.")
        raise Invalid(msg, {"amount_vnd": [msg]})
    return amount


def _unused_reference(db: Session, commune_code: str) -> str:
    """A fresh reference no bill has (random codes do collide, rarely, once a commune has many bills)."""
    while True:
        reference = references.new_reference(commune_code)
        if reference not in db.info.setdefault("choso_references", set()) and db.scalar(
                select(Bill.id).where(Bill.reference == reference)) is None:
            db.info["choso_references"].add(reference)
            return reference


def _new_bill(db: Session, fee: FeeType, *, payer_name: str, amount: int, period: str, due_on: date | None,
              household: HouseholdBusiness | None = None, payer_phone: str | None = None,
              batch: BillBatch | None = None, issued_by: int | None = None) -> Bill:
    bill = Bill(commune_code=fee.commune_code, fee_type=fee, fee_type_id=fee.id, household=household,
                household_id=household.id if household else None, payer_name=payer_name[:120],
                payer_phone=payer_phone, period=period, amount_vnd=amount, paid_vnd=0,
                reference=_unused_reference(db, fee.commune_code), token=secrets.token_urlsafe(32),
                due_on=due_on, state=states.OPEN, batch_id=batch.id if batch else None, issued_by_id=issued_by)
    db.add(bill)
    return bill


def fee_type(db: Session, commune_code: str, fee_type_id: int) -> FeeType:
    fee = db.get(FeeType, fee_type_id)
    if fee is None or fee.commune_code != commune_code or not fee.active:
        msg = _("No such fee in this commune.")
        raise Invalid(msg, {"fee_type_id": [msg]})
    return fee


def issue_bill(db: Session, actor: User, commune_code: str, data: dict[str, Any]) -> Bill:
    require_staff(actor, commune_code)
    fee = fee_type(db, commune_code, data["fee_type_id"])
    household = None
    if data.get("household_id"):
        household = db.get(HouseholdBusiness, data["household_id"])
        if household is None or household.commune_code != commune_code:
            msg = _("No such household in this commune.")
            raise Invalid(msg, {"household_id": [msg]})
    payer = data.get("payer_name") or (household.name if household else "")
    if not payer:
        msg = _("Name the payer or choose a household.")
        raise Invalid(msg, {"payer_name": [msg]})
    bill = _new_bill(db, fee, payer_name=payer, amount=_amount(fee, data.get("amount_vnd")),
                     period=data.get("period") or "", due_on=data.get("due_on"), household=household,
                     payer_phone=data.get("payer_phone") or (household.phone if household else None),
                     issued_by=actor.id)
    db.flush()
    audit.record(db, actor, "bill.issue", "bill", bill.id, commune_code=commune_code,
                 details={"reference": bill.reference, "amount_vnd": bill.amount_vnd})
    db.commit()
    return bill


@dataclass(frozen=True)
class BatchPlan:
    """What a batch would issue, shown to staff before they confirm it."""

    fee: FeeType
    period: str
    households: int
    amount_vnd: int

    @property
    def total_vnd(self) -> int:
        return self.households * self.amount_vnd


def batch_plan(db: Session, actor: User, commune_code: str, data: dict[str, Any]) -> BatchPlan:
    require_staff(actor, commune_code)
    fee = fee_type(db, commune_code, data["fee_type_id"])
    households = db.scalar(select(func.count()).select_from(HouseholdBusiness).where(
        HouseholdBusiness.commune_code == commune_code, HouseholdBusiness.status == "active")) or 0
    return BatchPlan(fee, data.get("period") or "", households, _amount(fee, data.get("amount_vnd")))


def start_batch(db: Session, actor: User, commune_code: str, data: dict[str, Any]) -> BillBatch:
    """Bill every active household of the commune; a job does the work and counts its progress."""
    plan = batch_plan(db, actor, commune_code, data)
    fee, total = plan.fee, plan.households
    batch = BillBatch(commune_code=commune_code, fee_type_id=fee.id, period=plan.period,
                      amount_vnd=plan.amount_vnd, due_on=data.get("due_on"), total=total,
                      created_by_id=actor.id)
    db.add(batch)
    db.flush()
    enqueue(db, BATCH_JOB, {"batch_id": batch.id}, key=f"batch:{batch.id}")
    audit.record(db, actor, "bill_batch.start", "bill_batch", batch.id, commune_code=commune_code,
                 details={"fee": fee.code, "period": batch.period, "households": total})
    db.commit()
    return batch


@handler(BATCH_JOB)
def run_batch(db: Session, payload: dict[str, Any]) -> None:
    """Issue the batch's bills a chunk at a time; a restart carries on where it stopped (one bill each)."""
    batch = db.get(BillBatch, payload["batch_id"])
    if batch is None or batch.state == "done":
        return
    billed = set(db.scalars(select(Bill.household_id).where(Bill.batch_id == batch.id)))
    todo = [h for h in db.scalars(select(HouseholdBusiness).where(
        HouseholdBusiness.commune_code == batch.commune_code, HouseholdBusiness.status == "active")
        .order_by(HouseholdBusiness.id)) if h.id not in billed]
    for start in range(0, len(todo), BATCH_CHUNK):
        for household in todo[start:start + BATCH_CHUNK]:
            _new_bill(db, batch.fee_type, payer_name=household.name, amount=batch.amount_vnd, period=batch.period,
                      due_on=batch.due_on, household=household, payer_phone=household.phone, batch=batch,
                      issued_by=batch.created_by_id)
        batch.issued = len(billed) + min(start + BATCH_CHUNK, len(todo))
        db.commit()  # progress is visible chunk by chunk
    batch.issued = db.scalar(select(func.count()).select_from(Bill).where(Bill.batch_id == batch.id))
    batch.skipped = max(0, batch.total - batch.issued)  # households closed or suspended meanwhile
    batch.state, batch.finished_at = "done", utcnow()
    db.commit()


def cancel_bill(db: Session, actor: User, bill: Bill, reason: str) -> Bill:
    require_staff(actor, bill.commune_code)
    bill = lock(db, Bill, bill.id)  # a transfer paying it at this moment either came first or waits
    if bill.paid_vnd > 0:
        raise Conflict(_("Money was already received for this bill; it cannot be cancelled."))
    if bill.state == states.CANCELLED:  # a second click, or a colleague a moment earlier
        raise Conflict(_("This bill is already cancelled."))
    states.check(bill.state, states.CANCELLED)
    bill.state, bill.cancelled_at, bill.cancel_reason = states.CANCELLED, utcnow(), reason[:300]
    audit.record(db, actor, "bill.cancel", "bill", bill.id, commune_code=bill.commune_code,
                 details={"reference": bill.reference, "reason": reason})
    db.commit()
    return bill


def by_token(db: Session, token: str) -> Bill:
    bill = db.scalar(select(Bill).where(Bill.token == token)) if len(token) > 20 else None
    if bill is None:
        raise NotFound(_("This bill does not exist."))
    return bill


@dataclass(frozen=True)
class BillQR:
    payload: str
    bank_bin: str
    account_number: str
    account_name: str


def bill_qr(db: Session, bill: Bill) -> BillQR | None:
    """The dynamic QR paying what is still owed, to the commune's collection account; None if nothing is owed."""
    account = db.get(CollectionAccount, bill.commune_code)
    if account is None or bill.state not in states.PAYABLE or not bill.outstanding_vnd:
        return None
    payload = encode(account.bank_bin, account.account_number, amount=bill.outstanding_vnd,
                     purpose=f"{bill.reference} {fold_ascii(bill.fee_type.code)}"[:95])
    return BillQR(payload, account.bank_bin, account.account_number, account.account_name)
