"""Issuing receipts: the next number of the commune's year, taken in the payment's own transaction."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.db import upsert, utcnow
from payments.bills.models import Bill
from payments.receipts.models import Receipt, ReceiptCounter
from payments.receipts.words import amount_in_words

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


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


def correct(db: Session, old: Receipt, *, issued_by_id: int, reason: str, payer_name: str | None = None) -> Receipt:
    """A new receipt, with its own number, that cancels `old`; the old one stays exactly as it was."""
    now = utcnow()
    year = now.astimezone(VIETNAM).year
    new = Receipt(
        commune_code=old.commune_code, year=year, number=_take_numbers(db, old.commune_code, year)[0],
        bill_id=old.bill_id, payment_id=None, payer_name=payer_name or old.payer_name, fee_name=old.fee_name,
        period=old.period, amount_vnd=old.amount_vnd, amount_words=old.amount_words, reference=old.reference,
        method=old.method, issued_at=now, issued_by_id=issued_by_id, cancels_id=old.id, reason=reason[:300])
    db.add(new)
    db.flush()
    return new


def _order_fields(part) -> dict:
    names = ", ".join(f"{item.name} × {item.quantity}" for item in part.items)
    return {"payer_name": part.order.buyer_name[:120] or "-", "fee_name": names[:150], "period": "",
            "reference": part.reference or f"DH{part.order_id}"}


def issue_for_order_payment(db: Session, part, payment, *, issued_by_id: int | None = None) -> Receipt:
    """The receipt for an order part's payment, numbered in the commune's series like every other."""
    now = utcnow()
    year = now.astimezone(VIETNAM).year
    receipt = Receipt(commune_code=payment.commune_code, year=year,
                      number=_take_numbers(db, payment.commune_code, year)[0], bill_id=None,
                      order_part_id=part.id, amount_vnd=payment.amount_vnd,
                      amount_words=amount_in_words(payment.amount_vnd), method=payment.provider, issued_at=now,
                      issued_by_id=issued_by_id, **_order_fields(part))
    db.add(receipt)
    db.flush()
    return receipt


def refund_for_order_payment(db: Session, part, payment, *, issued_by_id: int, reason: str) -> Receipt | None:
    """A refund cancels the part's standing receipt with a new one for what the buyer has now paid (maybe 0)."""
    standing = db.scalar(select(Receipt).where(Receipt.order_part_id == part.id, ~Receipt.id.in_(
        select(Receipt.cancels_id).where(Receipt.cancels_id.is_not(None)))).order_by(Receipt.id.desc()))
    if standing is None:
        return None
    kept = payment.amount_vnd - payment.refunded_vnd
    now = utcnow()
    year = now.astimezone(VIETNAM).year
    receipt = Receipt(commune_code=standing.commune_code, year=year,
                      number=_take_numbers(db, standing.commune_code, year)[0], bill_id=None, order_part_id=part.id,
                      payer_name=standing.payer_name, fee_name=standing.fee_name, period="", amount_vnd=kept,
                      amount_words=amount_in_words(kept), reference=standing.reference, method=standing.method,
                      issued_at=now, issued_by_id=issued_by_id, cancels_id=standing.id, reason=reason[:300])
    db.add(receipt)
    db.flush()
    return receipt
