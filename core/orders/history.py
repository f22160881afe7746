"""Every change to an order part is a move through states.py, written down with who made it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.orders import states
from core.orders.models import Order, OrderEvent, OrderPart


def record(db: Session, order: Order, part: OrderPart | None, action: str, *, from_state: str | None = None,
           to_state: str | None = None, actor_id: int | None = None, actor_label: str = "",
           details: dict[str, Any] | None = None) -> None:
    db.add(OrderEvent(order_id=order.id, part_id=part.id if part else None, action=action, from_state=from_state,
                      to_state=to_state, actor_id=actor_id, actor_label=actor_label[:60], details=details or {}))


def move(db: Session, part: OrderPart, new_state: str, *, actor_id: int | None = None, actor_label: str = "",
         details: dict[str, Any] | None = None) -> None:
    """Move one part (refusing a move states.py does not allow) and keep the order's summary state true."""
    old = part.state
    states.check(old, new_state)
    part.state = new_state
    order = part.order
    order.state = states.summary(p.state for p in order.parts)
    record(db, order, part, "state", from_state=old, to_state=new_state, actor_id=actor_id,
           actor_label=actor_label, details=details)
