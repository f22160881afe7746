"""The allowed moves of listings and orders, as a table of cases."""

import pytest

from core.orders import states as order_states
from core.publishing import states as listing_states

LISTING_CASES = [
    ("queued", "publishing", True), ("queued", "live", False), ("queued", "unpublished", True),
    ("publishing", "live", True), ("publishing", "rejected", True), ("publishing", "failed", True),
    ("publishing", "queued", True), ("live", "out_of_sync", True), ("live", "queued", False),
    ("live", "rejected", False), ("out_of_sync", "publishing", True), ("out_of_sync", "live", False),
    ("rejected", "queued", True), ("rejected", "live", False), ("failed", "queued", True),
    ("failed", "publishing", False), ("unpublished", "queued", True), ("unpublished", "live", False),
]


@pytest.mark.parametrize(("old", "new", "allowed"), LISTING_CASES)
def test_listing_moves(old, new, allowed):
    if allowed:
        listing_states.check(old, new)
    else:
        with pytest.raises(listing_states.InvalidTransition):
            listing_states.check(old, new)


ORDER_CASES = [
    ("pending_payment", "paid", True), ("pending_payment", "shipped", False), ("paid", "confirmed", True),
    ("confirmed", "shipped", True), ("shipped", "delivered", True), ("delivered", "refunded", True),
    ("cancelled", "paid", False), ("refunded", "delivered", False), ("shipped", "cancelled", False),
    ("cancelled", "refunded", True), ("cancelled", "pending_payment", False),
]


@pytest.mark.parametrize(("old", "new", "allowed"), ORDER_CASES)
def test_order_moves(old, new, allowed):
    if allowed:
        order_states.check(old, new)
    else:
        with pytest.raises(order_states.InvalidTransition):
            order_states.check(old, new)


def test_every_state_has_its_row():
    assert set(listing_states.TRANSITIONS) == set(listing_states.STATES)
    assert set(order_states.TRANSITIONS) == set(order_states.STATES)


PAYMENT_CASES = [
    ("created", "pending", True), ("pending", "succeeded", True), ("requires_action", "succeeded", True),
    ("pending", "requires_action", True), ("requires_action", "failed", True), ("succeeded", "refunded", True),
    ("succeeded", "partially_refunded", True), ("partially_refunded", "refunded", True),
    ("succeeded", "failed", False), ("failed", "succeeded", False), ("refunded", "succeeded", False),
    ("cancelled", "pending", False), ("succeeded", "pending", False),
]


@pytest.mark.parametrize(("old", "new", "allowed"), PAYMENT_CASES)
def test_payment_moves(old, new, allowed):
    if allowed:
        order_states.check_payment(old, new)
    else:
        with pytest.raises(order_states.InvalidTransition):
            order_states.check_payment(old, new)


def test_every_payment_state_has_its_moves():
    from plugins.payment import PAYMENT_STATES

    assert set(order_states.PAYMENT_TRANSITIONS) == set(PAYMENT_STATES)


@pytest.mark.parametrize(("parts", "summary"), [
    (["pending_payment", "paid"], "pending_payment"), (["paid", "shipped"], "paid"),
    (["shipped", "cancelled"], "shipped"), (["cancelled", "cancelled"], "cancelled"),
    (["refunded", "cancelled"], "refunded"), (["delivered", "refunded"], "delivered"),
])
def test_an_order_shows_its_least_advanced_live_part(parts, summary):
    assert order_states.summary(parts) == summary
