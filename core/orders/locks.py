"""The order in which money moves on orders take their locks: the order, then the part, then the payment.

A part's state and its order's summary state change together (`history.move`), so a move locks both; taking
them always in this order means two moves never wait on each other (on PostgreSQL), and on SQLite the first
lock is the database's write lock (`core.db.lock`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import lock
from core.orders.models import Order, OrderPart


def lock_order(db: Session, order_id: int) -> Order | None:
    return lock(db, Order, order_id)


def lock_part(db: Session, part_id: int) -> OrderPart | None:
    """The part, read afresh, with its order locked first."""
    order_id = db.scalar(select(OrderPart.order_id).where(OrderPart.id == part_id))
    if order_id is None:
        return None
    lock(db, Order, order_id)
    return lock(db, OrderPart, part_id)
