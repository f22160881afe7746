"""The delivery log: every bank notification and fetched transaction as it arrived, searchable by staff."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.db import vietnam_day
from payments.reconcile.models import REFUSED, BankTransaction, Delivery

MOST_SHOWN = 200


def search(db: Session, commune_code: str, *, q: str = "", amount: int | None = None, day: date | None = None,
           outcome: str | None = None, limit: int = MOST_SHOWN) -> list[Delivery]:
    """Newest first. `q` finds the transfer text, the source's id or the bank's reference."""
    stmt = (select(Delivery).outerjoin(BankTransaction, BankTransaction.id == Delivery.bank_transaction_id)
            .where(Delivery.commune_code == commune_code))
    if q.strip():
        pattern = f"%{_escaped(q.strip())}%"
        stmt = stmt.where(or_(Delivery.content.ilike(pattern, escape="\\"),
                              Delivery.transaction_id.ilike(pattern, escape="\\"),
                              BankTransaction.bank_reference.ilike(pattern, escape="\\")))
    if amount is not None:
        stmt = stmt.where(Delivery.amount_vnd == amount)
    if day is not None:
        start, end = vietnam_day(day)
        stmt = stmt.where(Delivery.at >= start, Delivery.at < end)
    if outcome:
        stmt = stmt.where(Delivery.outcome == outcome)
    return list(db.scalars(stmt.order_by(Delivery.at.desc(), Delivery.id.desc()).limit(limit)))


def refused(db: Session, commune_code: str, source: str, channel: str, why: str) -> None:
    """A request that claimed to come from `source` and was not genuine or not readable: kept for the trail."""
    db.add(Delivery(commune_code=commune_code, source=source, channel=channel, outcome=REFUSED, reason=why,
                    content=""))
    db.commit()


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
