"""A year of the demo commune's past, so the figures page shows trends rather than single dots.

Households joined over the year, and marketplace orders (paid and delivered on Postmart and Voso) grew month
by month. The past months' figures are then computed from those records by the same code as every monthly
snapshot (metrics.services.snapshot), so each figure can still be traced to its records. Running it again
adds nothing: the orders carry DEMO-… marketplace ids and the snapshots are replaced, not added.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.metrics import services as metrics
from core.models import HouseholdBusiness, Product
from core.orders.models import Order, OrderItem, OrderPart

MONTHS = 12
CHANNELS = ("postmart", "voso")
_BUYERS = ("Chị Mai", "Anh Tuấn", "Cô Lan", "Chú Hải", "Chị Hoa", "Anh Dũng", "Bác Thành", "Chị Ngọc")


def add(db: Session, commune_code: str, progress: Callable[[str], None] = lambda _m: None) -> int:
    """Backdate the demo households' joining, add a year of orders, and store each past month's figures.
    Returns how many orders were added (0 when the history is already there)."""
    if db.scalar(select(Order.id).where(Order.commune_code == commune_code, Order.remote_id.like("DEMO-%"))
                 .limit(1)):
        return 0
    rng = random.Random(int(commune_code))  # the same history on every machine
    months = metrics.previous_months(metrics.current_month(), MONTHS + 1)[:-1]  # the twelve before this one
    shops = list(db.scalars(select(HouseholdBusiness).where(
        HouseholdBusiness.commune_code == commune_code,
        HouseholdBusiness.registration_number.like("DEMO%")).order_by(HouseholdBusiness.id)))
    # Eight households were there a year ago; the others joined one or two a month since.
    joined = {}
    for n, shop in enumerate(shops):
        month = months[0] if n < 8 else months[min(MONTHS - 1, 1 + (n - 8) * (MONTHS - 1) // max(1, len(shops) - 8))]
        shop.created_at = metrics.bounds(month)[0] + timedelta(days=rng.randint(0, 20))
        joined[shop.id] = month
    products = {}
    for product in db.scalars(select(Product).where(Product.commune_code == commune_code,
                                                    Product.status == "active")):
        products.setdefault(product.household_id, []).append(product)
    added = 0
    now = utcnow()
    for k, month in enumerate([*months, metrics.current_month()]):  # this month too, up to today
        start, end = metrics.bounds(month)
        share = min(1.0, (now - start) / (end - start))
        end = min(end, now)
        sellers = [s for s in shops if joined.get(s.id, month) <= month and products.get(s.id)]
        for j in range(round((4 + 3 * k + rng.randint(0, 3)) * share)):  # more orders as households sell online
            shop = rng.choice(sellers)
            product = rng.choice(products[shop.id])
            quantity = rng.randint(1, 3)
            placed = start + (end - start) * rng.random()
            order = Order(commune_code=commune_code, channel=rng.choice(CHANNELS), remote_id=f"DEMO-{month}-{j}",
                          state="delivered", buyer_name=rng.choice(_BUYERS), buyer_phone="",
                          address="Hà Nội", placed_at=placed, created_at=placed, updated_at=placed)
            item = OrderItem(product_id=product.id, household_id=shop.id, name=product.name, quantity=quantity,
                             unit_price_vnd=product.price_vnd)
            order.add_item(item, lambda at=placed: OrderPart(state="delivered", seen_by_household=True,
                                                             created_at=at, updated_at=at))
            order.parts[0].paid_vnd = order.total_vnd
            db.add(order)
            added += 1
        db.flush()
        progress(f"history {month}: {added} orders so far")
    db.commit()
    for month in months:
        metrics.snapshot(db, month, [commune_code], replace=True)
    return added
