"""The buyer's cart, kept in the signed session cookie: product ids, quantities and the prices seen.

Keeping the price the buyer saw lets checkout refuse an order whose price changed since (see reservations).
A cart holds one commune's products: each commune runs its own market.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import session as cookie
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Invalid
from core.models import HouseholdBusiness, Product

MAX_LINES = 50
MAX_QUANTITY = 999


@dataclass
class CartLine:
    product: Product
    quantity: int
    price_vnd: int  # as seen when added

    @property
    def total_vnd(self) -> int:
        return self.quantity * self.price_vnd

    @property
    def price_changed(self) -> bool:
        return self.product.price_vnd != self.price_vnd


def _raw() -> dict:
    return cookie.get("cart") or {"commune": None, "lines": {}}


def _save(raw: dict) -> None:
    cookie["cart"] = raw
    cookie.modified = True


def add(product: Product, quantity: int) -> None:
    if product.status != "active" or product.household.status != "active":
        raise Invalid(_("This product is not on sale."))
    if not 1 <= quantity <= MAX_QUANTITY:
        msg = _("Quantities are whole numbers from 1.")
        raise Invalid(msg, {"quantity": [msg]})
    raw = _raw()
    if raw["lines"] and raw["commune"] != product.commune_code:
        raise Invalid(_("Your cart holds another commune's products. Order those first, or empty the cart."))
    lines = raw["lines"]
    if str(product.id) not in lines and len(lines) >= MAX_LINES:
        raise Invalid(_("The cart is full."))
    current = lines.get(str(product.id), {"q": 0})["q"]
    lines[str(product.id)] = {"q": min(MAX_QUANTITY, current + quantity), "p": product.price_vnd}
    raw["commune"] = product.commune_code
    _save(raw)


def set_quantity(product_id: int, quantity: int) -> None:
    raw = _raw()
    if quantity <= 0:
        raw["lines"].pop(str(product_id), None)
    elif str(product_id) in raw["lines"]:
        raw["lines"][str(product_id)]["q"] = min(MAX_QUANTITY, quantity)
    _save(raw)


def accept_prices(db: Session) -> None:
    """The buyer saw the new prices (checkout refused the old ones): take them."""
    raw = _raw()
    for product_id, line in raw["lines"].items():
        product = db.get(Product, int(product_id))
        if product is not None:
            line["p"] = product.price_vnd
    _save(raw)


def clear() -> None:
    cookie.pop("cart", None)


def commune_code() -> str | None:
    return _raw()["commune"]


def count() -> int:
    return sum(line["q"] for line in _raw()["lines"].values())


def lines(db: Session) -> list[CartLine]:
    raw = _raw()["lines"]
    if not raw:
        return []
    products = {p.id: p for p in db.scalars(select(Product).join(HouseholdBusiness).where(
        Product.id.in_([int(k) for k in raw])))}
    return [CartLine(products[int(k)], v["q"], v["p"]) for k, v in raw.items() if int(k) in products]


def by_household(items: list[CartLine]) -> list[tuple[HouseholdBusiness, list[CartLine]]]:
    groups: dict[int, tuple[HouseholdBusiness, list[CartLine]]] = {}
    for line in items:
        groups.setdefault(line.product.household_id, (line.product.household, []))[1].append(line)
    return list(groups.values())
