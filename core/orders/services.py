"""Recording orders (marketplace orders arrive by signed webhook, idempotent by their remote id) and finding
a household's part of one for those who fulfil it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.auth import policy
from core.db import write_lock
from core.errors import NotFound
from core.models import HouseholdBusiness, Product, User
from core.orders import history
from core.orders.models import Order, OrderItem, OrderPart
from core.orders.states import CANCELLED, CONFIRMED
from core.publishing.models import Listing
from plugins.sdk import RemoteOrder, RemoteOrderLine

log = logging.getLogger("choso.orders")


def _existing(db: Session, channel: str, remote_id: str) -> Order | None:
    return db.scalar(select(Order).where(Order.channel == channel, Order.remote_id == remote_id))


def record_marketplace_order(db: Session, commune_code: str, marketplace: str, remote: RemoteOrder,
                             household_id: int | None = None,
                             cancel: Callable[[RemoteOrder], bool] | None = None) -> Order | None:
    """Store the order, take its items out of stock, and let the other marketplaces' listings follow.

    Returns None when no line names a product of this commune (nothing to record). `household_id`: an order
    from one household's own marketplace shop (Shopee, TikTok Shop) names only that household's products.
    `cancel`: when the order would sell more than choso's stock holds (another channel sold the last units
    at the same time), the order is recorded as cancelled, nothing leaves stock, and `cancel` asks its
    marketplace to cancel it there (the marketplace tells its buyer); without it, stock stops at zero and
    the household sees the order.
    """
    if (found := _existing(db, marketplace, remote.remote_id)) is not None:
        return found
    # Stock moves: take the write lock (SQLite; PostgreSQL locks each product row below), then check again:
    # two channels' notifications for the last unit are decided one after the other, on current stock.
    write_lock(db, Product)
    db.expire_all()
    if (found := _existing(db, marketplace, remote.remote_id)) is not None:
        return found
    order = Order(commune_code=commune_code, channel=marketplace, remote_id=remote.remote_id, state=CONFIRMED,
                  total_vnd=0,
                  buyer_name=remote.buyer_name[:120], buyer_phone=remote.buyer_phone[:15],
                  address=remote.address[:300], placed_at=remote.placed_at)
    touched: list[Product] = []
    lines: list[tuple[Product, RemoteOrderLine]] = []
    for line in remote.lines:
        stmt = select(Product).join(Listing, Listing.product_id == Product.id).where(
            Listing.marketplace == marketplace, Listing.remote_id == line.remote_product_id,
            Listing.commune_code == commune_code).with_for_update(of=Product)
        if household_id is not None:
            stmt = stmt.where(Product.household_id == household_id)
        product = db.scalar(stmt)
        if product is None:
            log.warning("%s order %s names unknown product %s", marketplace, remote.remote_id,
                        line.remote_product_id)
            continue
        lines.append((product, line))
    oversold = any(line.quantity > product.stock for product, line in lines)
    refused = oversold and cancel is not None
    for product, line in lines:
        if oversold and not refused:
            # The marketplace already sold it; stock cannot go below zero, the household sees the order.
            log.warning("%s order %s oversells product %s", marketplace, remote.remote_id, product.id)
        if not refused:
            product.stock = max(0, product.stock - line.quantity)
            touched.append(product)
        # The marketplace took the money: each household's part arrives paid and confirmed (or cancelled,
        # when choso had not the stock to sell, and the marketplace gives the buyer the money back).
        part = order.add_item(OrderItem(product_id=product.id, household_id=product.household_id,
                                        name=product.name, quantity=line.quantity,
                                        unit_price_vnd=line.unit_price_vnd),
                              lambda: OrderPart(state=CANCELLED if refused else CONFIRMED))
        part.paid_vnd = 0 if refused else part.subtotal_vnd
    if not order.items:
        db.rollback()
        return None
    if refused:
        order.state = CANCELLED
    db.add(order)
    try:
        db.flush()
        if refused:
            history.record(db, order, None, "state", to_state=CANCELLED, details={"reason": "out_of_stock"})
        db.commit()
    except IntegrityError:  # the same webhook, delivered twice at once; the other delivery won
        db.rollback()
        return _existing(db, marketplace, remote.remote_id)
    if refused and not cancel(remote):
        log.warning("%s order %s was oversold and could not be cancelled there", marketplace, remote.remote_id)
    from core.publishing.moves import product_changed

    for product in touched:
        product_changed(db, product)
    return order


def part_to_fulfil(db: Session, user: User | None, part_id: int) -> tuple[OrderPart, HouseholdBusiness]:
    """A household's part of an order, for those who may fulfil it; NotFound for everyone else."""
    part = db.get(OrderPart, part_id)
    shop = db.get(HouseholdBusiness, part.household_id) if part else None
    if part is None or not policy.can_fulfil_orders(user, shop):
        raise NotFound(_("Nothing here."))
    return part, shop
