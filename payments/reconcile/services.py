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
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core import events
from core.db import lock, utcnow, write_lock
from core.errors import Conflict, Invalid
from core.models import User
from core.orders import payments as order_payments
from core.services import audit
from core.text import same_account
from payments.bills import references, states
from payments.bills.models import Bill, CollectionAccount
from payments.bills.services import require_staff
from payments.receipts import services as receipts
from payments.reconcile.models import (
    DUPLICATE,
    IGNORED,
    MATCHED,
    OUTGOING_NOTE,
    REMATCHED,
    STATEMENT,
    UNMATCHED,
    WEBHOOK,
    BankTransaction,
    Delivery,
    Payment,
)
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


# Why a transfer waits for a person; the staff queue shows these in words (payments.pages.REASON_WORDS).
NO_REFERENCE, UNKNOWN_REFERENCE, WRONG_ACCOUNT = "no_reference", "unknown_reference", "wrong_account"


def _why_waiting(*, elsewhere: bool, names_a_bill: bool, to_commune: bool, referenced: bool) -> str:
    """Why a transfer waits for a person, on arrival or when matching runs again."""
    if elsewhere or (names_a_bill and not to_commune):
        return WRONG_ACCOUNT
    return UNKNOWN_REFERENCE if referenced else NO_REFERENCE


def _bill_by_fragment(db: Session, commune_code: str, amount_vnd: int, fragments: list[str]) -> Bill | None:
    """The bank cut the text inside the reference: accept it only for the single open bill of that amount."""
    for fragment in fragments:
        candidates = db.scalars(select(Bill).where(
            Bill.reference.startswith(fragment), Bill.commune_code == commune_code,
            Bill.state.in_(states.PAYABLE))).all()
        exact = [b for b in candidates if b.outstanding_vnd == amount_vnd]
        if len(exact) == 1:
            return db.scalar(select(Bill).where(Bill.id == exact[0].id).with_for_update(of=Bill))
    return None


def _apply(db: Session, matches: list[tuple[int, int, Bill]], *, matched_by: int | None = None,
           method: str = "vietqr", mark_transactions: bool = False) -> tuple[list[int], list]:
    """Record payments (transaction id, amount, bill), move the bills on, number their receipts.

    Written with a handful of set-based statements however many payments there are: this is the hot path
    of reconciliation.
    """
    rows = db.execute(insert(Payment).returning(Payment.id, sort_by_parameter_order=True), [
        {"bill_id": bill.id, "commune_code": bill.commune_code, "transaction_id": txn_id, "amount_vnd": amount,
         "method": method, "matched_by_id": matched_by, "created_at": utcnow()}
        for txn_id, amount, bill in matches]).all()
    payment_ids = [row.id for row in rows]
    announce, received, final = [], [], {}
    for (_txn, amount, bill), payment_id in zip(matches, payment_ids, strict=True):
        paid = bill.paid_vnd + amount
        new_state = states.after_payment(bill.amount_vnd, paid)
        states.check(bill.state, new_state)
        if bill.state in states.PAYABLE and new_state in (states.PAID, states.OVERPAID):
            announce.append(("bill_paid", {"bill": BillSnapshot(bill.id, bill.reference, bill.fee_type.name,
                                                                bill.amount_vnd, paid, bill.payer_name, new_state)}))
        set_committed_value(bill, "paid_vnd", paid)
        set_committed_value(bill, "state", new_state)
        final[bill.id] = {"id": bill.id, "paid_vnd": paid, "state": new_state}
        received.append(("payment_received", {"payment": PaymentSnapshot(
            payment_id, amount, method, bill.id, bill.reference, bill.commune_code)}))
    db.execute(update(Bill), list(final.values()))  # ORM bulk UPDATE by primary key: one executemany
    if mark_transactions:  # stored earlier (a transfer matched by hand); new ones are inserted as matched
        db.execute(update(BankTransaction).where(BankTransaction.id.in_([m[0] for m in matches])).values(
            state=MATCHED).execution_options(synchronize_session=False))
    receipts.issue_many(db, [(bill, payment_id, amount, method) for (_t, amount, bill), payment_id
                             in zip(matches, payment_ids, strict=True)], issued_by_id=matched_by)
    return payment_ids, received + announce


def _row(commune_code: str, source: str, note: BankNotification, import_id: int | None) -> dict:
    return {"statement_import_id": import_id, "source": source, "transaction_id": note.transaction_id,
            "commune_code": commune_code,
            "amount_vnd": note.amount_vnd, "content": note.content[:2000], "account_number": note.account_number,
            "bank": note.bank, "bank_reference": note.bank_reference, "occurred_at": note.occurred_at,
            "received_at": utcnow(), "state": UNMATCHED if note.incoming else IGNORED, "reason": None,
            "note": None if note.incoming else OUTGOING_NOTE, "raw": dict(note.raw)}


def _ingest_chunk(db: Session, commune_code: str, source: str, notes: list[BankNotification],
                  matched_by: int | None, import_id: int | None, channel: str) -> tuple[list[Outcome], list]:
    # Two notifications for one bill at once: on SQLite the second must read the bill only after the first
    # committed, or it writes its total over the first's (PostgreSQL: the bills' FOR UPDATE below).
    write_lock(db, Bill)
    ids = [n.transaction_id for n in notes]
    known = {row.transaction_id: row for row in db.execute(
        select(BankTransaction.id, BankTransaction.transaction_id, BankTransaction.state).where(
            BankTransaction.source == source, BankTransaction.transaction_id.in_(ids)))}
    fresh: dict[str, dict] = {}
    for note in notes:
        if note.transaction_id not in known and note.transaction_id not in fresh:
            fresh[note.transaction_id] = _row(commune_code, source, note, import_id)
    found = {tid: references.find(v["content"], commune_code) for tid, v in fresh.items() if v["state"] == UNMATCHED}
    # A bill is paid only by money that reached the commune's collection account (the one its QR names); a
    # transfer into any other watched account (a household's) never pays a commune bill.
    collection = db.get(CollectionAccount, commune_code)
    to_commune = {tid: collection is not None and same_account(fresh[tid]["account_number"], collection.account_number)
                  for tid in found}
    wanted = {ref for whole, _ in found.values() for ref in whole}
    bills = {b.reference: b for b in db.scalars(select(Bill).where(
        Bill.commune_code == commune_code, Bill.reference.in_(wanted)).with_for_update(of=Bill).execution_options(
        populate_existing=True))} if wanted else {}
    chosen: list[tuple[str, Bill]] = []
    paid_so_far: dict[int, int] = {}  # later transfers in a chunk see each bill as one-by-one matching would

    def payable(bill: Bill) -> bool:
        if bill.id not in paid_so_far:
            return bill.state in states.PAYABLE
        return states.after_payment(bill.amount_vnd, paid_so_far[bill.id]) in states.PAYABLE

    matched_bill: dict[str, str] = {}
    for tid, (whole, fragments) in found.items():
        values = fresh[tid]
        if not to_commune[tid]:
            continue
        bill = next((bills[r] for r in whole if r in bills and payable(bills[r])), None)
        if bill is None and fragments and not whole:
            bill = _bill_by_fragment(db, commune_code, values["amount_vnd"], fragments)
            bill = bill if bill is not None and payable(bill) else None
        if bill is not None:
            chosen.append((tid, bill))
            paid_so_far[bill.id] = paid_so_far.get(bill.id, bill.paid_vnd) + values["amount_vnd"]
            matched_bill[tid] = bill.reference
            values["state"] = MATCHED
    # Transfers naming no open bill may pay a direct order's part (VietQR to the household's account).
    leftover = [(tid, fresh[tid]["amount_vnd"], whole, fresh[tid]["account_number"])
                for tid, (whole, _frag) in found.items() if fresh[tid]["state"] == UNMATCHED and whole]
    for_orders, elsewhere = (order_payments.transfers_for_orders(db, commune_code, leftover) if leftover
                             else ({}, set()))
    for tid in for_orders:
        fresh[tid]["state"] = MATCHED
    for tid, (whole, fragments) in found.items():
        if fresh[tid]["state"] == UNMATCHED:
            names_a_bill = any(r in bills for r in whole) or bool(fragments and not whole)
            fresh[tid]["reason"] = _why_waiting(elsewhere=tid in elsewhere, names_a_bill=names_a_bill,
                                                to_commune=to_commune[tid], referenced=bool(whole or fragments))
    if fresh:
        # Stored in the same statement whether matched or not (a concurrent twin fails here or at commit);
        # the payment rows below point at them, in the same transaction.
        inserted = db.execute(insert(BankTransaction).returning(
            BankTransaction.id, sort_by_parameter_order=True), list(fresh.values())).all()
        for row, values in zip(inserted, fresh.values(), strict=True):
            values["id"] = row.id
    matches = [(fresh[tid]["id"], fresh[tid]["amount_vnd"], bill) for tid, bill in chosen]
    _payment_ids, announce = _apply(db, matches, matched_by=matched_by) if matches else ([], [])
    if for_orders:
        announce += order_payments.transfers_paid(db, {f"{source}:{tid}": p for tid, p in for_orders.items()})
        matched_bill.update({tid: p.matching_id for tid, p in for_orders.items()})
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
        if tid in fresh and tid not in counted:
            outcomes.append(Outcome(fresh[tid]["id"], False, fresh[tid]["state"], matched_bill.get(tid)))
        else:
            twin = known.get(tid)
            state = twin.state if twin else fresh[tid]["state"]
            outcomes.append(Outcome(twin.id if twin else fresh[tid]["id"], True, state,
                                    earlier.get(tid) or matched_bill.get(tid)))
        counted.add(tid)
    # The trail, in the same transaction as what it records.
    db.execute(insert(Delivery), [
        {"commune_code": commune_code, "source": source, "channel": channel, "at": utcnow(),
         "transaction_id": note.transaction_id, "bank_transaction_id": outcome.transaction_id,
         "amount_vnd": note.amount_vnd, "account_number": (note.account_number or "")[:40] or None,
         "content": note.content[:300], "outcome": DUPLICATE if outcome.duplicate else outcome.state,
         "reason": None if outcome.duplicate else fresh[note.transaction_id]["reason"]}
        for note, outcome in zip(notes, outcomes, strict=True)])
    return outcomes, announce


def ingest(db: Session, commune_code: str, source: str, notes: list[BankNotification],
           chunk: int = 1000, *, matched_by: int | None = None,
           statement_import_id: int | None = None, channel: str = WEBHOOK) -> list[Outcome]:
    """Store and match notifications; one transaction per chunk (a webhook brings a chunk of one).

    `matched_by` names the person behind the notifications (a statement's importer): their payments and
    receipts carry that name. `channel` says how they came (webhook, poll, statement) for the delivery log."""
    channel = STATEMENT if statement_import_id is not None else channel
    outcomes: list[Outcome] = []
    for start in range(0, len(notes), chunk):
        part = notes[start:start + chunk]
        try:
            result, announce = _ingest_chunk(db, commune_code, source, part, matched_by, statement_import_id,
                                             channel)
            db.commit()
        except IntegrityError:
            # Another delivery of the same notification committed first: that one holds its payment.
            db.rollback()
            if len(part) > 1:
                outcomes += ingest(db, commune_code, source, part, chunk=1, matched_by=matched_by,
                                   statement_import_id=statement_import_id, channel=channel)
                continue
            result, announce = _ingest_chunk(db, commune_code, source, part, matched_by, statement_import_id,
                                             channel)
            db.commit()
        for hook, kwargs in announce:
            events.fire(hook, **kwargs)
        outcomes += result
    return outcomes


def match_by_hand(db: Session, actor: User, txn: BankTransaction, bill: Bill) -> Payment:
    require_staff(actor, txn.commune_code)
    # Two staff members matching the same transfer, or a webhook paying the same bill, at the same moment:
    # lock both, then check again.
    txn, bill = lock(db, BankTransaction, txn.id), lock(db, Bill, bill.id)
    if txn.state != UNMATCHED:
        raise Conflict(_("This transfer is already resolved."))
    if bill.commune_code != txn.commune_code or bill.state not in states.PAYABLE:
        msg = _("This bill cannot take a payment.")
        raise Invalid(msg, {"bill_reference": [msg]})
    collection = db.get(CollectionAccount, txn.commune_code)
    if collection is None or not same_account(txn.account_number, collection.account_number):
        msg = _("This money went to account %(account)s, not the commune's collection account, so it cannot pay "
                "a bill.", account=txn.account_number or "?")
        raise Invalid(msg, {"bill_reference": [msg]})
    txn.resolved_by_id = actor.id
    (payment_id,), announce = _apply(db, [(txn.id, txn.amount_vnd, bill)], matched_by=actor.id,
                                     mark_transactions=True)
    set_committed_value(txn, "state", MATCHED)
    audit.record(db, actor, "transaction.match", "bank_transaction", txn.id, commune_code=txn.commune_code,
                 details={"bill": bill.reference, "amount_vnd": txn.amount_vnd})
    db.commit()
    for hook, kwargs in announce:
        events.fire(hook, **kwargs)
    return db.get(Payment, payment_id)


def rematch(db: Session, actor: User, txn: BankTransaction) -> BankTransaction:
    """Run automatic matching again for a transfer that waits (after staff fixed the cause: the bill now
    exists, the collection account is now set). It pays what the transfer names, exactly as on arrival, or
    stays waiting with today's reason. Audited, and written to the delivery log."""
    require_staff(actor, txn.commune_code)
    write_lock(db, Bill)  # bills, then orders, then the transfer: the order every money move takes
    whole, fragments = references.find(txn.content, txn.commune_code)
    collection = db.get(CollectionAccount, txn.commune_code)
    to_commune = collection is not None and same_account(txn.account_number, collection.account_number)
    bills = db.scalars(select(Bill).where(Bill.commune_code == txn.commune_code, Bill.reference.in_(whole))
                       .with_for_update(of=Bill).execution_options(populate_existing=True)).all() if whole else []
    bill = next((b for b in bills if b.state in states.PAYABLE), None)
    if bill is None and fragments and not whole:
        bill = _bill_by_fragment(db, txn.commune_code, txn.amount_vnd, fragments)
    key = f"{txn.source}:{txn.transaction_id}"
    for_orders, elsewhere = ({}, set()) if (bill is not None and to_commune) or not whole else (
        order_payments.transfers_for_orders(db, txn.commune_code, [(key, txn.amount_vnd, whole, txn.account_number)]))
    txn = lock(db, BankTransaction, txn.id)
    if txn.state != UNMATCHED:
        raise Conflict(_("This transfer is already resolved."))
    announce: list = []
    if bill is not None and to_commune:
        _ids, announce = _apply(db, [(txn.id, txn.amount_vnd, bill)], matched_by=actor.id, mark_transactions=True)
        set_committed_value(txn, "state", MATCHED)
        txn.reason, found = None, bill.reference
    elif for_orders:
        announce = order_payments.transfers_paid(db, for_orders)
        txn.state, txn.reason, found = MATCHED, None, for_orders[key].matching_id
    else:
        names_a_bill = bool(bills) or bool(fragments and not whole)
        txn.reason = _why_waiting(elsewhere=key in elsewhere, names_a_bill=names_a_bill, to_commune=to_commune,
                                  referenced=bool(whole or fragments))
        found = None
    txn.resolved_by_id = actor.id if txn.state == MATCHED else txn.resolved_by_id
    db.add(Delivery(commune_code=txn.commune_code, source=txn.source, channel="staff",
                    transaction_id=txn.transaction_id, bank_transaction_id=txn.id, amount_vnd=txn.amount_vnd,
                    account_number=txn.account_number,
                    content=txn.content[:300], outcome=REMATCHED if txn.state == MATCHED else UNMATCHED,
                    reason=txn.reason))
    audit.record(db, actor, "transaction.rematch", "bank_transaction", txn.id, commune_code=txn.commune_code,
                 details={"matched": found, "reason": txn.reason})
    db.commit()
    for hook, kwargs in announce:
        events.fire(hook, **kwargs)
    return txn


def ignore(db: Session, actor: User, txn: BankTransaction, note: str) -> BankTransaction:
    require_staff(actor, txn.commune_code)
    txn = lock(db, BankTransaction, txn.id)
    if txn.state != UNMATCHED:
        raise Conflict(_("This transfer is already resolved."))
    txn.state, txn.note, txn.resolved_by_id = IGNORED, note[:300], actor.id
    audit.record(db, actor, "transaction.ignore", "bank_transaction", txn.id, commune_code=txn.commune_code,
                 details={"note": note})
    db.commit()
    return txn


STATEMENT_COLUMNS = ("transaction_id", "date", "amount", "content")


def read_statement(data: bytes, account_number: str | None = None) -> list[BankNotification]:
    """A bank statement exported as CSV: transaction_id, date (Vietnam time), amount (đồng), content; every row
    is money in or out of `account_number`, the account the statement is of."""
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
                                      account_number=account_number, raw=dict(row)))
    if problems:
        raise Invalid(_("%(n)d rows have problems; nothing was imported.", n=len(problems)), {"rows": problems})
    return notes
