"""Recording orders (marketplace orders arrive by signed webhook, idempotent by their remote id) and finding
a household's part of one for those who fulfil it."""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.auth import policy
from core.errors import NotFound
from core.models import HouseholdBusiness, Product, User
from core.orders.models import Order, OrderItem, OrderPart
from core.orders.states import CONFIRMED
from core.publishing.models import Listing
from plugins.sdk import RemoteOrder

log = logging.getLogger("choso.orders")


def _existing(db: Session, channel: str, remote_id: str) -> Order | None:
    return db.scalar(select(Order).where(Order.channel == channel, Order.remote_id == remote_id))


def record_marketplace_order(db: Session, commune_code: str, marketplace: str, remote: RemoteOrder,
                             household_id: int | None = None) -> Order | None:
    """Store the order, take its items out of stock, and let the other marketplaces' listings follow.

    Returns None when no line names a product of this commune (nothing to record). `household_id`: an order
    from one household's own marketplace shop (Shopee, TikTok Shop) names only that household's products.
    """
    if (found := _existing(db, marketplace, remote.remote_id)) is not None:
        return found
    order = Order(commune_code=commune_code, channel=marketplace, remote_id=remote.remote_id, state=CONFIRMED,
                  total_vnd=0,
                  buyer_name=remote.buyer_name[:120], buyer_phone=remote.buyer_phone[:15],
                  address=remote.address[:300], placed_at=remote.placed_at)
    touched: list[Product] = []
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
        if line.quantity > product.stock:
            # The marketplace already sold it; stock cannot go below zero, the household sees the order.
            log.warning("%s order %s oversells product %s", marketplace, remote.remote_id, product.id)
        product.stock = max(0, product.stock - line.quantity)
        # The marketplace took the money: each household's part arrives paid and confirmed.
        part = order.add_item(OrderItem(product_id=product.id, household_id=product.household_id,
                                        name=product.name, quantity=line.quantity,
                                        unit_price_vnd=line.unit_price_vnd),
                              lambda: OrderPart(state=CONFIRMED))
        part.paid_vnd = part.subtotal_vnd
        touched.append(product)
    if not order.items:
        db.rollback()
        return None
    db.add(order)
    try:
        db.commit()
    except IntegrityError:  # the same webhook, delivered twice at once; the other delivery won
        db.rollback()
        return _existing(db, marketplace, remote.remote_id)
    from core.publishing.services import product_changed

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
