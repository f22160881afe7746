"""Refunds: money back through the provider, items back in stock, a cancelling receipt, honest figures.

A refund names the items (and how many of each) that go back; the amount is what the buyer paid for them.
Nothing is stored unless the provider gave the money back (or, for cash and bank transfers, the household
or staff confirm they returned it by hand).
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.auth import policy
from core.errors import Conflict, Forbidden, Invalid, Unavailable
from core.i18n import money
from core.models import HouseholdBusiness, Product, User
from core.orders import history, states
from core.orders.locks import lock_part
from core.orders.models import OrderPart, OrderPayment, OrderRefund
from core.orders.payments import provider
from plugins.payment import PARTIALLY_REFUNDED, REFUNDED, PaymentDeclined, RefundNotSupported

log = logging.getLogger("choso.orders.refunds")


def _paid_payment(part: OrderPart) -> OrderPayment | None:
    live = [p for p in part.payments if p.state in (states.SUCCEEDED, PARTIALLY_REFUNDED)]
    return live[-1] if live else None


def refund(db: Session, actor: User, part: OrderPart, quantities: dict[int, int], reason: str,
           idempotency_key: str | None = None) -> OrderRefund:
    """Give back the price of `quantities` ({order item id: how many}) of a paid part.

    A part cancelled before its money arrived (a late bank transfer) gives the whole payment back instead, and
    `quantities` is not looked at: its items went back to stock when it was cancelled.

    The part is locked first and everything is checked again under the lock, so refunds racing each other are
    served one after the other, each seeing what the one before gave back. The lock is held through the
    provider's call (bounded by its timeout): a refund must never be asked of the provider twice. The same
    `idempotency_key` again returns the refund it made."""
    shop = db.get(HouseholdBusiness, part.household_id)
    if not policy.can_fulfil_orders(actor, shop):
        raise Forbidden(_("You are not allowed to do this."))
    part = lock_part(db, part.id)
    if idempotency_key:
        done = db.scalar(select(OrderRefund).join(OrderPayment).where(
            OrderPayment.part_id == part.id, OrderRefund.idempotency_key == idempotency_key))
        if done is not None:
            db.rollback()
            return done
    payment = _paid_payment(part)
    if part.state == states.CANCELLED and payment is not None:
        return _return_late_payment(db, actor, part, payment, reason, idempotency_key)
    if part.state not in states.REFUNDABLE or payment is None:
        db.rollback()
        raise Conflict(_("Only a paid order can be refunded."))
    items = {item.id: item for item in part.items}
    amount, problems = 0, {}
    for item_id, quantity in quantities.items():
        item = items.get(item_id)
        if item is None:
            problems[str(item_id)] = [_("This item is not in the order.")]
        elif quantity < 0 or quantity > item.quantity - item.refunded_quantity:
            problems[str(item_id)] = [_("At most %(n)d can be refunded.", n=item.quantity - item.refunded_quantity)]
        else:
            amount += quantity * item.unit_price_vnd
    if problems:
        db.rollback()
        raise Invalid(_("Some quantities cannot be refunded."), problems)
    if amount <= 0:
        db.rollback()
        msg = _("Choose at least one item to refund.")
        raise Invalid(msg, {"items": [msg]})
    left = payment.amount_vnd - payment.refunded_vnd
    if amount > left:
        db.rollback()
        msg = _("A refund cannot be larger than what was paid (%(left)s left).", left=money(left))
        raise Invalid(msg, {"amount_vnd": [msg]})
    given = _give_back(db, payment, amount)
    for item_id, quantity in quantities.items():
        if quantity:
            items[item_id].refunded_quantity += quantity
            db.execute(update(Product).where(Product.id == items[item_id].product_id).values(
                stock=Product.stock + quantity).execution_options(synchronize_session=False))
    record = _book(db, actor, part, payment, amount, given, reason, {str(k): v for k, v in quantities.items() if v},
                   key=idempotency_key)
    from core.orders.reservations import products_changed

    products_changed(db, [items[i].product_id for i, q in quantities.items() if q])
    return record


def _return_late_payment(db: Session, actor: User, part: OrderPart, payment: OrderPayment,
                         reason: str, key: str | None) -> OrderRefund:
    """Money that arrived after the part was cancelled goes back whole; its items are already back in stock."""
    amount = payment.amount_vnd - payment.refunded_vnd
    return _book(db, actor, part, payment, amount, _give_back(db, payment, amount), reason, {}, late=True, key=key)


def _book(db: Session, actor: User, part: OrderPart, payment: OrderPayment, amount: int,
          given: tuple[str | None, bool], reason: str, items: dict[str, int], *, late: bool = False,
          key: str | None = None) -> OrderRefund:
    """Record money given back (`given`: the provider's refund id, whether a person returns it by hand): refund
    row, amounts, history, receipt, commit. The caller has moved any stock in the same transaction."""
    remote_id, by_hand = given
    record = OrderRefund(payment_id=payment.id, amount_vnd=amount, remote_id=remote_id, reason=reason[:300],
                         items=items, actor_id=actor.id, idempotency_key=key)
    db.add(record)
    payment.refunded_vnd += amount
    payment.state = REFUNDED if payment.refunded_vnd == payment.amount_vnd else PARTIALLY_REFUNDED
    part.refunded_vnd += amount
    details = {"amount_vnd": amount, "reason": reason[:300], "by_hand": by_hand} | ({"late": True} if late else {})
    history.record(db, part.order, part, "refund", actor_id=actor.id, actor_label="staff" if by_hand else "",
                   details=details)
    if part.refunded_vnd == part.paid_vnd:
        history.move(db, part, states.REFUNDED, actor_id=actor.id)
    db.flush()
    from payments.receipts import services as receipts

    receipts.refund_for_order_payment(db, part, payment, issued_by_id=actor.id, reason=reason)
    db.commit()
    return record


def _give_back(db: Session, payment: OrderPayment, amount: int) -> tuple[str | None, bool]:
    """Ask the provider for the money back; (its refund id, whether a person returns it by hand)."""
    instance = provider(db, payment.commune_code, payment.provider)
    if instance is None:
        return None, True
    try:
        result = instance.refund(payment.remote_id, amount)
    except RefundNotSupported:
        return None, True  # cash, or a transfer to the household's account: the person returns it
    except PaymentDeclined as refused:
        db.rollback()
        raise Invalid(str(refused), {"amount_vnd": [str(refused)]}) from refused
    except Exception as exc:
        db.rollback()
        log.exception("payment provider %s could not refund", payment.provider)
        raise Unavailable(_("The payment service did not answer. Nothing was refunded; please try again.")) from exc
    if result.amount_vnd != amount:
        log.error("provider %s refunded %s instead of %s", payment.provider, result.amount_vnd, amount)
    return result.remote_id, False
