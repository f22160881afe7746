"""Digital-economy indicators: the base class of a built-in or plugin indicator, and what it computes from.

An indicator never queries the database: choso counts the facts of a commune and month with SQL aggregates
(see FACTS) and hands them over as a plain mapping; the indicator turns them into a number or a share.
So a plugin's indicator costs nothing per row, works on SQLite and PostgreSQL alike, and shows up in the
dashboard, exports, snapshots and API with no change to core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

# The facts choso counts per commune and month ("live" means on a marketplace: live or out of sync).
FACTS = {
    "households_active": "active household businesses (created before the month's end)",
    "households_online": "active household businesses with at least one live marketplace listing",
    "households_cashless_ready": "active household businesses with a verified bank account",
    "products_active": "active products",
    "products_active_with_photo": "active products with at least one photo",
    "ocop_products_active": "active OCOP-certified products (also ocop_products_active.<stars>)",
    "ocop_products_online": "active OCOP-certified products live on at least one marketplace",
    "products_live.<marketplace>": "active products live on that marketplace",
    "bill_payments / bill_payments_cashless": "payments on bills in the month, all / by VietQR or card",
    "bill_payments_vnd / bill_payments_cashless_vnd": "the same in đồng",
    "orders": "orders placed in the month, not cancelled",
    "gmv_vnd": "value of paid and marketplace orders placed in the month, refunds taken off "
               "(also gmv_vnd.channel.<channel> and gmv_vnd.group.<product group>)",
    "active_sellers_30d": "households with a listing change or an order in the month's last 30 days",
    "assisted_households": "households the community digital team acted for in the month",
}

COUNT, SHARE, VND = "count", "share", "vnd"


@dataclass(frozen=True)
class ProductRow:
    """One active product of a commune, as a plugin's `Fact` counts it: read-only, no database (SDK 1.4)."""

    id: int
    household_id: int
    product_group: str
    ocop_stars: int | None
    price_vnd: int
    stock: int
    photos: int
    live_on: tuple[str, ...]  # marketplaces where it is live (or live and being updated)


class Fact:
    """A count a plugin adds to the facts of a commune and month (SDK 1.4). Required: `name` (lower-case,
    like "products_priced_over_100k"), `description`, and `count(products)` returning a whole number >= 0.
    choso gathers the commune's active products once and calls `count` for each commune; the result appears
    in `facts[name]` for every indicator, the plugin's own and others'."""

    name: ClassVar[str]
    description: ClassVar[str]

    def count(self, products: Sequence[ProductRow]) -> int:
        raise NotImplementedError


@dataclass(frozen=True)
class Share:
    """A share in [0, 1] with what it is made of; with no denominator it is not applicable (None)."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


class Metric:
    """Required: `id`, `label` and `compute`. `unit` is "count", "share" or "vnd"; `target` (a share in [0, 1],
    a count or đồng) and `near` (the level below which a figure is "below target") are defaults staff can change.
    `breakdown` names a prefix of facts to show split (e.g. "gmv_vnd.channel.")."""

    id: ClassVar[str]
    label: ClassVar[str]
    definition: ClassVar[str] = ""
    formula: ClassVar[str] = ""
    unit: ClassVar[str] = COUNT
    target: ClassVar[float | None] = None
    near: ClassVar[float | None] = None
    target_basis: ClassVar[str] = ""
    breakdown: ClassVar[str | None] = None

    def compute(self, facts: Mapping[str, int]) -> int | float | Share | None:
        raise NotImplementedError
