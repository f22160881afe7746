"""Order part states, payment states, and the moves allowed between them."""

from __future__ import annotations

from collections.abc import Iterable

from plugins.payment import (
    CANCELLED as PAYMENT_CANCELLED,
)
from plugins.payment import (
    CREATED,
    FAILED,
    PARTIALLY_REFUNDED,
    PENDING,
    REQUIRES_ACTION,
    SUCCEEDED,
)
from plugins.payment import (
    REFUNDED as PAYMENT_REFUNDED,
)

PENDING_PAYMENT = "pending_payment"
PAID = "paid"
CONFIRMED = "confirmed"
SHIPPED = "shipped"
DELIVERED = "delivered"
CANCELLED = "cancelled"
REFUNDED = "refunded"

STATES = (PENDING_PAYMENT, PAID, CONFIRMED, SHIPPED, DELIVERED, CANCELLED, REFUNDED)

TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING_PAYMENT: frozenset({PAID, CANCELLED}),
    PAID: frozenset({CONFIRMED, CANCELLED, REFUNDED}),
    CONFIRMED: frozenset({SHIPPED, CANCELLED, REFUNDED}),
    SHIPPED: frozenset({DELIVERED, REFUNDED}),
    DELIVERED: frozenset({REFUNDED}),
    CANCELLED: frozenset({REFUNDED}),  # only when money came after the cancellation and went back
    REFUNDED: frozenset(),
}

# What a household moves by hand on its dashboard; payment and refunds move the rest.
HOUSEHOLD_MOVES = {PAID: CONFIRMED, CONFIRMED: SHIPPED, SHIPPED: DELIVERED}
# Paid parts whose money can still go back.
REFUNDABLE = frozenset({PAID, CONFIRMED, SHIPPED, DELIVERED})

PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    CREATED: frozenset({PENDING, REQUIRES_ACTION, SUCCEEDED, FAILED, PAYMENT_CANCELLED}),
    PENDING: frozenset({REQUIRES_ACTION, SUCCEEDED, FAILED, PAYMENT_CANCELLED}),
    REQUIRES_ACTION: frozenset({PENDING, SUCCEEDED, FAILED, PAYMENT_CANCELLED}),
    SUCCEEDED: frozenset({PARTIALLY_REFUNDED, PAYMENT_REFUNDED}),
    PARTIALLY_REFUNDED: frozenset({PARTIALLY_REFUNDED, PAYMENT_REFUNDED}),
    FAILED: frozenset(),
    PAYMENT_CANCELLED: frozenset(),
    PAYMENT_REFUNDED: frozenset(),
}
OPEN_PAYMENT = frozenset({CREATED, PENDING, REQUIRES_ACTION})
MONEY_IN = frozenset({SUCCEEDED, PARTIALLY_REFUNDED, PAYMENT_REFUNDED})


class InvalidTransition(ValueError):
    pass


def check(old: str, new: str) -> None:
    if new not in TRANSITIONS.get(old, frozenset()):
        raise InvalidTransition(f"an order cannot go from {old} to {new}")


def check_payment(old: str, new: str) -> None:
    if new not in PAYMENT_TRANSITIONS.get(old, frozenset()):
        raise InvalidTransition(f"a payment cannot go from {old} to {new}")


def summary(part_states: Iterable[str]) -> str:
    """The order's state as the buyer sees it: the least advanced of its live parts."""
    states = list(part_states)
    live = [s for s in states if s not in (CANCELLED, REFUNDED)]
    if not live:
        return REFUNDED if REFUNDED in states else CANCELLED
    return min(live, key=STATES.index)
