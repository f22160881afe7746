"""Storing bank notifications before matching them, and matching: by reference, then by amount.

A notification is written first, keyed by its source's transaction id, in the same transaction as its
match: the same notification twice (retries, two deliveries at once) is one row and one payment.
Unmatched money stays visible in the staff queue until a person resolves it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import events
from core.errors import Conflict, Invalid
from core.models import User
from core.services import audit
from payments.bills import references, states
from payments.bills.models import Bill
from payments.bills.services import require_staff
from payments.receipts import services as receipts
from payments.reconcile.models import IGNORED, MATCHED, UNMATCHED, BankTransaction, Payment
from payments.sources.common import vietnam_time, whole_dong
from plugins.sdk import BankNotification


@dataclass(frozen=True)
class PaymentSnapshot:
    id: int
    amount_vnd: int
    method: str
    bill_id: int
    bill_reference: str
    commune_code: str


@dataclass(frozen=True)
class BillSnapshot:
    id: int
    number: str
    fee: str
    amount_vnd: int
    paid_vnd: int
    payer: str
    state: str


@dataclass(frozen=True)
class Outcome:
    transaction_id: int
    duplicate: bool
    state: str
    bill_reference: str | None = None


def _store(db: Session, commune_code: str, source: str, note: BankNotification) -> tuple[BankTransaction, bool]:
    existing = db.scalar(select(BankTransaction).where(BankTransaction.source == source,
                                                       BankTransaction.transaction_id == note.transaction_id))
    if existing is not None:
        return existing, False
    row = BankTransaction(source=source, transaction_id=note.transaction_id, commune_code=commune_code,
                          amount_vnd=note.amount_vnd, content=note.content[:2000], account_number=note.account_number,
                          bank=note.bank, bank_reference=note.bank_reference, occurred_at=note.occurred_at,
                          state=UNMATCHED if note.incoming else IGNORED,
                          note=None if note.incoming else "outgoing transfer", raw=dict(note.raw))
    db.add(row)
    db.flush()  # a concurrent twin fails here or at commit with IntegrityError; `ingest` handles both
    return row, True


def _lock(db: Session, stmt):
    return stmt.with_for_update(of=Bill) if db.get_bind().dialect.name == "postgresql" else stmt


def _find_bill(db: Session, txn: BankTransaction) -> Bill | None:
    whole, fragments = references.find(txn.content, txn.commune_code)
    for reference in whole:
        bill = db.scalar(_lock(db, select(Bill).where(Bill.reference == reference,
                                                      Bill.commune_code == txn.commune_code)))
        if bill is not None and bill.state in states.PAYABLE:
            return bill
    for fragment in fragments:  # the bank cut the text: accept only one open bill of exactly this amount
        candidates = db.scalars(select(Bill).where(
            Bill.reference.startswith(fragment), Bill.commune_code == txn.commune_code,
            Bill.state.in_(states.PAYABLE))).all()
        exact = [b for b in candidates if b.outstanding_vnd == txn.amount_vnd]
        if len(exact) == 1:
            return db.scalar(_lock(db, select(Bill).where(Bill.id == exact[0].id)))
    return None


def _apply(db: Session, txn: BankTransaction, bill: Bill, *, matched_by: int | None = None,
           method: str = "vietqr") -> tuple[Payment, list]:
    payment = Payment(bill_id=bill.id, transaction_id=txn.id if txn else None, amount_vnd=txn.amount_vnd,
                      method=method, matched_by_id=matched_by)
    db.add(payment)
    bill.paid_vnd += txn.amount_vnd
    new_state = states.after_payment(bill.amount_vnd, bill.paid_vnd)
    states.check(bill.state, new_state)
    became_paid = bill.state in states.PAYABLE and new_state in (states.PAID, states.OVERPAID)
    bill.state = new_state
    txn.state = MATCHED
    db.flush()
    receipts.issue(db, bill, payment, issued_by_id=matched_by)
    announce = [("payment_received", {"payment": PaymentSnapshot(payment.id, payment.amount_vnd, method, bill.id,
                                                                  bill.reference, bill.commune_code)})]
    if became_paid:
        announce.append(("bill_paid", {"bill": BillSnapshot(bill.id, bill.reference, bill.fee_type.name,
                                                            bill.amount_vnd, bill.paid_vnd, bill.payer_name,
                                                            bill.state)}))
    return payment, announce


def ingest(db: Session, commune_code: str, source: str, notes: list[BankNotification]) -> list[Outcome]:
    """Store each notification (once) and match it; one transaction per notification."""
    outcomes = []
    for note in notes:
        announce: list = []
        try:
            txn, created = _store(db, commune_code, source, note)
            if created and txn.state == UNMATCHED:
                bill = _find_bill(db, txn)
                if bill is not None:
                    _payment, announce = _apply(db, txn, bill)
            db.commit()
        except IntegrityError:
            # Another delivery of the same notification committed first: it is that one's payment.
            db.rollback()
            txn = db.scalar(select(BankTransaction).where(BankTransaction.source == source,
                                                          BankTransaction.transaction_id == note.transaction_id))
            created, announce = False, []
        for hook, kwargs in announce:
            events.fire(hook, **kwargs)
        bill_ref = None
        if txn.state == MATCHED:
            payment = db.scalar(select(Payment).where(Payment.transaction_id == txn.id))
            bill_ref = payment.bill.reference if payment else None
        outcomes.append(Outcome(txn.id, not created, txn.state, bill_ref))
    return outcomes


def match_by_hand(db: Session, actor: User, txn: BankTransaction, bill: Bill) -> Payment:
    require_staff(actor, txn.commune_code)
    if txn.state != UNMATCHED:
        raise Conflict(_("This transfer is already resolved."))
    if bill.commune_code != txn.commune_code or bill.state not in states.PAYABLE:
        msg = _("This bill cannot take a payment.")
        raise Invalid(msg, {"bill_reference": [msg]})
    txn.resolved_by_id = actor.id
    payment, announce = _apply(db, txn, bill, matched_by=actor.id)
    audit.record(db, actor, "transaction.match", "bank_transaction", txn.id, commune_code=txn.commune_code,
                 details={"bill": bill.reference, "amount_vnd": txn.amount_vnd})
    db.commit()
    for hook, kwargs in announce:
        events.fire(hook, **kwargs)
    return payment


def ignore(db: Session, actor: User, txn: BankTransaction, note: str) -> BankTransaction:
    require_staff(actor, txn.commune_code)
    if txn.state != UNMATCHED:
        raise Conflict(_("This transfer is already resolved."))
    txn.state, txn.note, txn.resolved_by_id = IGNORED, note[:300], actor.id
    audit.record(db, actor, "transaction.ignore", "bank_transaction", txn.id, commune_code=txn.commune_code,
                 details={"note": note})
    db.commit()
    return txn


STATEMENT_COLUMNS = ("transaction_id", "date", "amount", "content")


def read_statement(data: bytes) -> list[BankNotification]:
    """A bank statement exported as CSV: transaction_id, date (Vietnam time), amount (đồng), content."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(_("The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”.")) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in STATEMENT_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid(_("The header row must use these columns: %(cols)s.", cols=", ".join(STATEMENT_COLUMNS)),
                      {"missing_columns": missing})
    notes, problems = [], []
    for row in reader:
        try:
            amount = whole_dong(row["amount"].replace(".", "").replace(",", ""))
            occurred: datetime = vietnam_time(row["date"])
        except (ValueError, AttributeError):
            problems.append({"line": reader.line_num, "message": _("Line %(line)d: amount or date is not valid.",
                                                                    line=reader.line_num)})
            continue
        notes.append(BankNotification(transaction_id=row["transaction_id"].strip(), amount_vnd=abs(amount),
                                      content=row.get("content") or "", occurred_at=occurred, incoming=amount > 0,
                                      raw=dict(row)))
    if problems:
        raise Invalid(_("%(n)d rows have problems; nothing was imported.", n=len(problems)), {"rows": problems})
    return notes
