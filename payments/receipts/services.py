"""Issuing receipts: the next number of the commune's year, taken in the payment's own transaction."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import VIETNAM, upsert, utcnow
from core.errors import Conflict
from payments.bills.models import Bill
from payments.receipts.models import Receipt, ReceiptCounter
from payments.words import amount_in_words


def _take_numbers(db: Session, commune_code: str, year: int, count: int = 1) -> range:
    """The next `count` numbers. Atomic on SQLite and PostgreSQL: the counter row is written, and so
    locked, until the commit; a rolled-back transaction gives its numbers back, so there are no gaps."""
    stmt = upsert(db, ReceiptCounter).values(commune_code=commune_code, year=year, last_number=count)
    stmt = stmt.on_conflict_do_update(index_elements=["commune_code", "year"],
                                      set_={"last_number": ReceiptCounter.last_number + count})
    last = db.execute(stmt.returning(ReceiptCounter.last_number)).scalar_one()
    return range(last - count + 1, last + 1)


def issue_many(db: Session, items: list[tuple[Bill, int, int, str]], *, issued_by_id: int | None = None) -> None:
    """Receipts for many payments at once — (bill, payment id, amount, method) — numbered in the order given."""
    now = utcnow()
    year = now.astimezone(VIETNAM).year
    by_commune: dict[str, list[tuple[Bill, int, int, str]]] = {}
    for item in items:
        by_commune.setdefault(item[0].commune_code, []).append(item)
    rows = []
    for commune_code, group in by_commune.items():
        numbers = _take_numbers(db, commune_code, year, len(group))
        for number, (bill, payment_id, amount, method) in zip(numbers, group, strict=True):
            rows.append({"commune_code": commune_code, "year": year, "number": number, "bill_id": bill.id,
                         "payment_id": payment_id, "payer_name": bill.payer_name, "fee_name": bill.fee_type.name,
                         "period": bill.period, "amount_vnd": amount, "amount_words": amount_in_words(amount),
                         "reference": bill.reference, "method": method, "issued_at": now,
                         "issued_by_id": issued_by_id})
    if rows:
        db.execute(insert(Receipt), rows)


def _issue(db: Session, commune_code: str, **fields) -> Receipt:
    """One receipt with the next number of its commune's year; the amount is also written in words."""
    now = utcnow()
    year = now.astimezone(VIETNAM).year
    receipt = Receipt(commune_code=commune_code, year=year, number=_take_numbers(db, commune_code, year)[0],
                      amount_words=amount_in_words(fields["amount_vnd"]), issued_at=now, **fields)
    db.add(receipt)
    db.flush()
    return receipt


def correct(db: Session, old: Receipt, *, issued_by_id: int, reason: str, payer_name: str | None = None,
            amount_vnd: int | None = None) -> Receipt:
    """A new receipt, with its own number, that cancels `old`; the old one stays exactly as it was. A receipt
    is corrected once (receipts.cancels_id is unique): a second correction at the same moment is refused."""
    try:
        return _correct(db, old, issued_by_id=issued_by_id, reason=reason, payer_name=payer_name,
                        amount_vnd=amount_vnd)
    except IntegrityError as exc:
        db.rollback()
        raise Conflict(_("This receipt was already corrected.")) from exc


def _correct(db: Session, old: Receipt, *, issued_by_id: int, reason: str, payer_name: str | None,
             amount_vnd: int | None) -> Receipt:
    return _issue(db, old.commune_code, bill_id=old.bill_id, order_part_id=old.order_part_id, payment_id=None,
                  payer_name=payer_name or old.payer_name, fee_name=old.fee_name, period=old.period,
                  amount_vnd=old.amount_vnd if amount_vnd is None else amount_vnd, reference=old.reference,
                  method=old.method, issued_by_id=issued_by_id, cancels_id=old.id, reason=reason[:300])


def issue_for_order_payment(db: Session, part, payment, *, issued_by_id: int | None = None) -> Receipt:
    """The receipt for an order part's payment, numbered in the commune's series like every other."""
    names = ", ".join(f"{item.name} × {item.quantity}" for item in part.items)
    return _issue(db, payment.commune_code, bill_id=None, order_part_id=part.id,
                  payer_name=part.order.buyer_name[:120] or "-", fee_name=names[:150], period="",
                  reference=part.reference or f"DH{part.order_id}", amount_vnd=payment.amount_vnd,
                  method=payment.provider, issued_by_id=issued_by_id)


def refund_for_order_payment(db: Session, part, payment, *, issued_by_id: int, reason: str) -> Receipt | None:
    """A refund cancels the part's standing receipt with a new one for what the buyer has now paid (maybe 0)."""
    standing = db.scalar(select(Receipt).where(Receipt.order_part_id == part.id, ~Receipt.id.in_(
        select(Receipt.cancels_id).where(Receipt.cancels_id.is_not(None)))).order_by(Receipt.id.desc()))
    if standing is None:
        return None
    return correct(db, standing, issued_by_id=issued_by_id, reason=reason,
                   amount_vnd=payment.amount_vnd - payment.refunded_vnd)
