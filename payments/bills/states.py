"""Bill states and the moves allowed between them (payments move bills; only staff cancel)."""

from __future__ import annotations

OPEN = "open"
PARTIALLY_PAID = "partially_paid"
PAID = "paid"
OVERPAID = "overpaid"  # more arrived than was owed: flagged for staff to refund or keep as credit
CANCELLED = "cancelled"

STATES = (OPEN, PARTIALLY_PAID, PAID, OVERPAID, CANCELLED)
TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({PARTIALLY_PAID, PAID, OVERPAID, CANCELLED}),
    PARTIALLY_PAID: frozenset({PARTIALLY_PAID, PAID, OVERPAID}),
    PAID: frozenset({OVERPAID}),
    OVERPAID: frozenset({OVERPAID}),
    CANCELLED: frozenset(),
}
PAYABLE = frozenset({OPEN, PARTIALLY_PAID})


class InvalidTransition(ValueError):
    pass


def check(old: str, new: str) -> None:
    if new not in TRANSITIONS.get(old, frozenset()):
        raise InvalidTransition(f"a bill cannot go from {old} to {new}")


def after_payment(amount_vnd: int, paid_vnd: int) -> str:
    if paid_vnd <= 0:
        return OPEN
    if paid_vnd < amount_vnd:
        return PARTIALLY_PAID
    return PAID if paid_vnd == amount_vnd else OVERPAID
