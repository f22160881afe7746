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


def _lock(db: Session, stmt):
    return stmt.with_for_update(of=Bill) if db.get_bind().dialect.name == "postgresql" else stmt


def _bill_by_fragment(db: Session, txn: BankTransaction, fragments: list[str]) -> Bill | None:
    """The bank cut the text inside the reference: accept it only for the single open bill of that amount."""
    for fragment in fragments:
        candidates = db.scalars(select(Bill).where(
            Bill.reference.startswith(fragment), Bill.commune_code == txn.commune_code,
            Bill.state.in_(states.PAYABLE))).all()
        exact = [b for b in candidates if b.outstanding_vnd == txn.amount_vnd]
        if len(exact) == 1:
            return db.scalar(_lock(db, select(Bill).where(Bill.id == exact[0].id)))
    return None


def _apply(db: Session, matches: list[tuple[BankTransaction, Bill]], *, matched_by: int | None = None,
           method: str = "vietqr") -> tuple[list[Payment], list]:
    """Record payments, move their bills on, and number their receipts: a few statements for many payments."""
    payments, announce = [], []
    for txn, bill in matches:
        payments.append(Payment(bill_id=bill.id, transaction_id=txn.id, amount_vnd=txn.amount_vnd, method=method,
                                matched_by_id=matched_by))
        bill.paid_vnd += txn.amount_vnd
        new_state = states.after_payment(bill.amount_vnd, bill.paid_vnd)
        states.check(bill.state, new_state)
        became_paid = bill.state in states.PAYABLE and new_state in (states.PAID, states.OVERPAID)
        bill.state = new_state
        txn.state = MATCHED
        if became_paid:
            announce.append(("bill_paid", {"bill": BillSnapshot(bill.id, bill.reference, bill.fee_type.name,
                                                                bill.amount_vnd, bill.paid_vnd, bill.payer_name,
                                                                bill.state)}))
    db.add_all(payments)
    db.flush()
    receipts.issue_many(db, [(bill, payment) for (_txn, bill), payment in zip(matches, payments, strict=True)],
                        issued_by_id=matched_by)
    received = [("payment_received", {"payment": PaymentSnapshot(p.id, p.amount_vnd, method, bill.id, bill.reference,
                                                                  bill.commune_code)})
                for (_txn, bill), p in zip(matches, payments, strict=True)]
    return payments, received + announce


def _row(commune_code: str, source: str, note: BankNotification) -> BankTransaction:
    return BankTransaction(source=source, transaction_id=note.transaction_id, commune_code=commune_code,
                           amount_vnd=note.amount_vnd, content=note.content[:2000], account_number=note.account_number,
                           bank=note.bank, bank_reference=note.bank_reference, occurred_at=note.occurred_at,
                           state=UNMATCHED if note.incoming else IGNORED,
                           note=None if note.incoming else "outgoing transfer", raw=dict(note.raw))


def _ingest_chunk(db: Session, commune_code: str, source: str,
                  notes: list[BankNotification]) -> tuple[list[Outcome], list]:
    ids = [n.transaction_id for n in notes]
    known = {t.transaction_id: t for t in db.scalars(select(BankTransaction).where(
        BankTransaction.source == source, BankTransaction.transaction_id.in_(ids)))}
    fresh: dict[str, BankTransaction] = {}
    for note in notes:
        if note.transaction_id not in known and note.transaction_id not in fresh:
            fresh[note.transaction_id] = _row(commune_code, source, note)
    db.add_all(fresh.values())
    db.flush()  # stored before anything is matched; a concurrent twin fails here or at commit
    found = {tid: references.find(t.content, commune_code) for tid, t in fresh.items() if t.state == UNMATCHED}
    wanted = {ref for whole, _ in found.values() for ref in whole}
    bills = {b.reference: b for b in db.scalars(_lock(db, select(Bill).where(
        Bill.commune_code == commune_code, Bill.reference.in_(wanted))))} if wanted else {}
    matches: list[tuple[BankTransaction, Bill]] = []
    paid_so_far: dict[int, int] = {}  # later transfers in a chunk see each bill as one-by-one matching would

    def payable(bill: Bill) -> bool:
        if bill.id not in paid_so_far:
            return bill.state in states.PAYABLE
        return states.after_payment(bill.amount_vnd, paid_so_far[bill.id]) in states.PAYABLE

    for tid, (whole, fragments) in found.items():
        txn = fresh[tid]
        bill = next((bills[r] for r in whole if r in bills and payable(bills[r])), None)
        if bill is None and fragments and not whole:
            bill = _bill_by_fragment(db, txn, fragments)
            bill = bill if bill is not None and payable(bill) else None
        if bill is not None:
            matches.append((txn, bill))
            paid_so_far[bill.id] = paid_so_far.get(bill.id, bill.paid_vnd) + txn.amount_vnd
    _payments, announce = _apply(db, matches) if matches else ([], [])
    paid_bill = {txn.transaction_id: bill.reference for txn, bill in matches}
    earlier: dict[str, str] = {}
    if known:
        rows = db.execute(select(BankTransaction.transaction_id, Bill.reference)
                          .join(Payment, Payment.transaction_id == BankTransaction.id)
                          .join(Bill, Bill.id == Payment.bill_id)
                          .where(BankTransaction.id.in_([t.id for t in known.values()]))).all()
        earlier = {tid: reference for tid, reference in rows}
    outcomes, counted = [], set()
    for note in notes:
        tid = note.transaction_id
        txn = fresh.get(tid) if tid not in counted else None
        counted.add(tid)
        if txn is not None:
            outcomes.append(Outcome(txn.id, False, txn.state, paid_bill.get(tid)))
        else:
            twin = known.get(tid) or fresh[tid]
            outcomes.append(Outcome(twin.id, True, twin.state, earlier.get(tid) or paid_bill.get(tid)))
    return outcomes, announce


def ingest(db: Session, commune_code: str, source: str, notes: list[BankNotification],
           chunk: int = 500) -> list[Outcome]:
    """Store and match notifications; one transaction per chunk (a webhook brings a chunk of one)."""
    outcomes: list[Outcome] = []
    for start in range(0, len(notes), chunk):
        part = notes[start:start + chunk]
        try:
            result, announce = _ingest_chunk(db, commune_code, source, part)
            db.commit()
        except IntegrityError:
            # Another delivery of the same notification committed first: that one holds its payment.
            db.rollback()
            if len(part) > 1:
                outcomes += ingest(db, commune_code, source, part, chunk=1)
                continue
            result, announce = _ingest_chunk(db, commune_code, source, part)
            db.commit()
        for hook, kwargs in announce:
            events.fire(hook, **kwargs)
        outcomes += result
    return outcomes


def match_by_hand(db: Session, actor: User, txn: BankTransaction, bill: Bill) -> Payment:
    require_staff(actor, txn.commune_code)
    if txn.state != UNMATCHED:
        raise Conflict(_("This transfer is already resolved."))
    if bill.commune_code != txn.commune_code or bill.state not in states.PAYABLE:
        msg = _("This bill cannot take a payment.")
        raise Invalid(msg, {"bill_reference": [msg]})
    txn.resolved_by_id = actor.id
    (payment,), announce = _apply(db, [(txn, bill)], matched_by=actor.id)
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
