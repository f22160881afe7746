"""Direct orders reserve stock when placed and give it back when cancelled or left unpaid.

Reservation is one conditional UPDATE per product (`stock = stock - q WHERE stock >= q`), so two buyers
can never both take the last unit, on SQLite (one writer at a time) or PostgreSQL (the row is locked by
the first UPDATE until its commit). Products are reserved in id order, so concurrent orders of several
products cannot deadlock.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import Conflict, Invalid
from core.jobs.queue import enqueue, handler
from core.models import Product
from core.orders import history, notify, states
from core.orders.locks import lock_order
from core.orders.models import Order, OrderItem, OrderPart
from payments.bills import references
from payments.bills.models import Bill
from plugins.payment import CANCELLED as PAYMENT_CANCELLED

EXPIRE_JOB = "orders.expire"


@dataclass(frozen=True)
class Line:
    product_id: int
    quantity: int
    price_vnd: int  # the price the buyer saw; a different current price refuses the order


def place(db: Session, commune_code: str, lines: list[Line], buyer: dict[str, Any]) -> Order:
    """Reserve the stock and split the order into one part per household, each with its payment reference."""
    if not lines:
        raise Invalid(_("The cart is empty."), {"lines": [_("The cart is empty.")]})
    wanted: dict[int, Line] = {}
    prices_seen: dict[int, set[int]] = {}
    for line in lines:
        if line.quantity <= 0:
            msg = _("Quantities are whole numbers from 1.")
            raise Invalid(msg, {"lines": [msg]})
        # a product in several lines (a cart merged from two tabs, a client adding twice) is one line
        earlier = wanted.get(line.product_id)
        quantity = line.quantity + (earlier.quantity if earlier else 0)
        wanted[line.product_id] = Line(line.product_id, quantity, line.price_vnd)
        prices_seen.setdefault(line.product_id, set()).add(line.price_vnd)
    products = {p.id: p for p in db.scalars(select(Product).where(Product.id.in_(wanted)))}
    problems = {}
    for pid in wanted:
        product = products.get(pid)
        if product is None or product.status != "active" or product.commune_code != commune_code:
            problems[str(pid)] = [_("This product is not on sale.")]
        elif prices_seen[pid] != {product.price_vnd}:
            problems[str(pid)] = [_("The price changed to %(price)s đồng; check the cart again.",
                                    price=f"{product.price_vnd:,}".replace(",", "."))]
    if problems:  # the catalog changed under the buyer's cart: the request was fine when it was made
        raise Conflict(_("Some products cannot be ordered as they are."), problems)
    order = Order(commune_code=commune_code, channel="direct", state=states.PENDING_PAYMENT, total_vnd=0,
                  buyer_name=buyer.get("name", "")[:120], buyer_phone=buyer.get("phone", "")[:15],
                  buyer_email=(buyer.get("email") or "")[:254], address=buyer.get("address", "")[:300],
                  delivery_commune_code=buyer.get("delivery_commune_code"), token=secrets.token_urlsafe(32),
                  expires_at=utcnow() + timedelta(minutes=current_app.config.get("ORDER_PAYMENT_MINUTES", 30)))
    for pid in sorted(wanted):
        line, product = wanted[pid], products[pid]
        taken = db.execute(update(Product).where(
            Product.id == pid, Product.stock >= line.quantity, Product.status == "active").values(
            stock=Product.stock - line.quantity).execution_options(synchronize_session=False)).rowcount
        if taken != 1:
            db.rollback()
            left = db.scalar(select(Product.stock).where(Product.id == pid)) or 0
            msg = _("Only %(n)d left of %(name)s.", n=left, name=product.name)
            raise Conflict(msg, {str(pid): [msg]})
        order.add_item(OrderItem(product_id=pid, household_id=product.household_id, name=product.name,
                                 quantity=line.quantity, unit_price_vnd=line.price_vnd),
                       lambda: OrderPart(state=states.PENDING_PAYMENT, reference=_unused_reference(db, commune_code)))
    db.add(order)
    db.flush()
    history.record(db, order, None, "placed", to_state=states.PENDING_PAYMENT, actor_label="buyer")
    enqueue(db, EXPIRE_JOB, {"order_id": order.id}, key=f"order-expiry:{order.id}", run_at=order.expires_at)
    for part in order.parts:
        enqueue(db, notify.NEW_ORDER_JOB, {"part_id": part.id}, key=f"order-mail:{part.id}")
    db.commit()
    _stock_changed(db, order.items)
    return order


def _unused_reference(db: Session, commune_code: str) -> str:
    while True:  # 32**7 codes per commune: a collision is rare, but a reference must name one thing
        reference = references.new_reference(commune_code)
        if db.scalar(select(OrderPart.id).where(OrderPart.reference == reference)) is None and \
                db.scalar(select(Bill.id).where(Bill.reference == reference)) is None:
            return reference


def release(db: Session, order: Order, new_state: str = states.CANCELLED, *, actor_label: str = "buyer",
            only_part: int | None = None) -> Order:
    """Give the stock of unpaid parts back (cancelled by the buyer, or the payment time ran out).

    Paid parts are not touched: their money goes back by refund, which the household or staff decide.
    """
    # The order's lock comes before its parts' (core/orders/locks.py): a payment recorded at the same moment
    # either finished first, and its part is no longer pending here, or waits until the release committed.
    locked = lock_order(db, order.id)
    released: list[OrderItem] = []
    for part in locked.parts:
        if part.state != states.PENDING_PAYMENT or (only_part is not None and part.id != only_part):
            continue
        states.check(part.state, new_state)
        for item in part.items:
            db.execute(update(Product).where(Product.id == item.product_id).values(
                stock=Product.stock + item.quantity).execution_options(synchronize_session=False))
            released.append(item)
        history.move(db, part, new_state, actor_label=actor_label)
        for payment in part.payments:
            if payment.state in states.OPEN_PAYMENT:
                payment.state = PAYMENT_CANCELLED
    if not released:
        db.rollback()
        return locked
    db.commit()
    _stock_changed(db, released)
    return locked


@handler(EXPIRE_JOB)
def expire(db: Session, payload: dict[str, Any]) -> None:
    order = db.get(Order, payload["order_id"])
    if order is not None and order.state == states.PENDING_PAYMENT:
        release(db, order, actor_label="timer")


def _stock_changed(db: Session, items: list[OrderItem]) -> None:
    products_changed(db, [item.product_id for item in items])


def products_changed(db: Session, product_ids: list[int]) -> None:
    """Listings on marketplaces follow the new stock."""
    from core.publishing.moves import product_changed

    for product_id in dict.fromkeys(product_ids):
        product = db.get(Product, product_id)
        db.refresh(product)
        product_changed(db, product)
