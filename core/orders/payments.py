"""Paying an order part through a payment provider, applying what providers report, and recording cash.

choso owns the payment row, its state (core/orders/states.py) and the money; the provider plugin only talks
to its gateway and answers in frozen dataclasses. Every change is idempotent: the same webhook or the same
confirmation twice leaves one payment, one receipt, one move of the part.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import contained_plugins, events
from core.auth import policy
from core.containment import PluginFailed
from core.db import lock, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from core.events import plugins
from core.models import BankAccount, HouseholdBusiness, User
from core.orders import history, states
from core.orders.locks import lock_part
from core.orders.models import Order, OrderPart, OrderPayment, ProcessedWebhook
from core.services import integrations
from core.text import same_account
from plugins.payment import (
    CREATED,
    PENDING,
    SUCCEEDED,
    NextStep,
    Payee,
    PaymentDeclined,
    PaymentProvider,
    PaymentRequest,
    PaymentUpdate,
)

log = logging.getLogger("choso.orders.payments")
KIND = "payment_provider"


@dataclass(frozen=True)
class OrderPaymentSnapshot:
    """What `payment_received` hands plugins for an order's payment."""

    id: int
    amount_vnd: int
    method: str
    order_id: int
    part_id: int
    reference: str
    commune_code: str
    cashless: bool


def provider(db: Session, commune_code: str, identifier: str) -> PaymentProvider | None:
    """The provider as the commune configured it, or None when it is not installed or not switched on."""
    cls = plugins().payment_providers.get(identifier)
    settings = integrations.settings_for(db, commune_code, KIND, identifier)
    if cls is None or settings is None:
        return None
    # Every call into it is contained, bounded in time and its answer checked (core/contained_plugins.py).
    return contained_plugins.provider(cls, settings, plugins().owners.get(("payment provider", identifier),
                                                                          identifier), commune_code)


def _payee(db: Session, household_id: int) -> Payee:
    shop = db.get(HouseholdBusiness, household_id)
    account = db.scalar(select(BankAccount).where(BankAccount.household_id == household_id,
                                                  BankAccount.verified.is_(True)).order_by(BankAccount.id))
    if account is None:
        return Payee(shop.name)
    return Payee(shop.name, account.bank_bin, account.account_number, account.account_name)


def request_for(db: Session, part: OrderPart, payment_id: int = 0) -> PaymentRequest:
    order = part.order
    return PaymentRequest(payment_id=payment_id, commune_code=order.commune_code,
                          amount_vnd=part.subtotal_vnd - part.paid_vnd, reference=part.reference or "",
                          description=_("Order %(number)s", number=order.id), payee=_payee(db, part.household_id),
                          buyer_name=order.buyer_name, buyer_phone=order.buyer_phone)


def choices(db: Session, part: OrderPart, *, for_staff: bool = False) -> list[PaymentProvider]:
    """Providers a buyer may choose for this part (staff also see those they record, such as cash)."""
    return _available(db, request_for(db, part), for_staff=for_staff)


def online_choices(db: Session, commune_code: str, household_id: int, amount_vnd: int) -> list[PaymentProvider]:
    """How a buyer could pay this household online for a cart of this amount, before any order exists (the
    cart tells the buyer when a household takes cash only, before they order)."""
    request = PaymentRequest(payment_id=0, commune_code=commune_code, amount_vnd=amount_vnd, reference="",
                             description="", payee=_payee(db, household_id), buyer_name="", buyer_phone="")
    return _available(db, request, for_staff=False)


def _available(db: Session, request: PaymentRequest, *, for_staff: bool) -> list[PaymentProvider]:
    found = []
    for identifier in sorted(integrations.enabled_names(db, request.commune_code, KIND)):
        try:
            instance = provider(db, request.commune_code, identifier)
            if instance is None or (instance.recorded_by_staff and not for_staff):
                continue
            if instance.is_available(request):
                found.append(instance)
        except PluginFailed:  # a plugin's mistake hides its own option, not the whole page (recorded)
            continue
    return found


def _payable(part: OrderPart) -> None:
    if part.state != states.PENDING_PAYMENT:
        raise Conflict(_("This part of the order is not waiting for payment."))


def start(db: Session, part: OrderPart, identifier: str, data: dict[str, str] | None = None,
          *, recorded_by: User | None = None) -> OrderPayment:
    """Begin paying a part: the provider says what the buyer does next (QR, card check, office ...).

    Three short steps, so that no lock is held while a payment service is called (Stripe calls choso's
    webhook back before it answers, and on SQLite a held write lock would make it wait on itself):
    1. under the part's lock: check it still waits for payment and record the new attempt; commit;
    2. close earlier open attempts at their providers, then ask the provider to start this one;
    3. under the part's lock again: check this attempt is still the live one (two tabs, two staff members),
       record what the provider said and, when that is money in, mark the part paid.
    """
    payment_id, earlier_ids, instance, request = _reserve(db, part.id, identifier, recorded_by)
    for earlier_id in earlier_ids:
        _retire(db, earlier_id, payment_id)
    try:
        step = instance.start(request, data or {})
    except PaymentDeclined as declined:
        _end_attempt(db, payment_id, "failed", str(declined))
        raise Invalid(str(declined), {"payment": [str(declined)]}) from declined
    except Exception as exc:
        log.exception("payment provider %s could not start a payment", identifier)
        _end_attempt(db, payment_id, None, "")
        raise Unavailable(_("The payment service did not answer. Nothing was charged; please try again.")) from exc
    part = lock_part(db, part.id)
    payment = lock(db, OrderPayment, payment_id)
    if payment is None or payment.state != CREATED:  # a newer attempt replaced this one while it started
        db.commit()
        _cancel_remote(instance, step.remote_id)
        raise Conflict(_("Another payment of this part was started meanwhile. Reload the page."))
    _record_step(payment, step)
    history.record(db, part.order, part, "payment", actor_id=recorded_by.id if recorded_by else None,
                   actor_label=identifier, details={"payment": payment.id, "state": payment.state})
    announce = _succeed(db, part, payment, actor_label=identifier) if payment.state == SUCCEEDED else []
    db.commit()
    _fire(announce)
    return payment


def _reserve(db: Session, part_id: int, identifier: str, recorded_by: User | None
             ) -> tuple[int, list[int], PaymentProvider, PaymentRequest]:
    """Step 1 of `start`: the new attempt, recorded under the part's lock with what it pays into."""
    part = lock_part(db, part_id)
    if part is None:
        raise NotFound(_("Nothing here."))
    _payable(part)
    instance = provider(db, part.order.commune_code, identifier)
    if instance is None or instance.recorded_by_staff and recorded_by is None:
        msg = _("This payment method is not offered here.")
        raise Invalid(msg, {"method": [msg]})
    earlier = [p.id for p in part.payments if p.state in states.OPEN_PAYMENT]
    payment = OrderPayment(part_id=part.id, commune_code=part.order.commune_code, provider=identifier,
                           cashless=instance.cashless, state=CREATED, amount_vnd=part.subtotal_vnd - part.paid_vnd,
                           recorded_by_id=recorded_by.id if recorded_by else None)
    db.add(payment)
    db.flush()
    request = request_for(db, part, payment.id)
    if not instance.is_available(request):
        db.rollback()
        msg = _("This payment method is not offered here.")
        raise Invalid(msg, {"method": [msg]})
    payment.matching_id = instance.matching_id(request)
    payment.payee_bank_bin, payment.payee_account_number = request.payee.bank_bin, request.payee.account_number
    db.commit()
    return payment.id, earlier, instance, request


def _retire(db: Session, earlier_id: int, new_id: int) -> None:
    """A new attempt replaces an unfinished one: closed at its provider first (outside any lock), then marked
    cancelled under the part's lock — unless its money arrived meanwhile, which ends the new attempt."""
    earlier = db.get(OrderPayment, earlier_id)
    closed = provider(db, earlier.commune_code, earlier.provider)
    if closed is not None and earlier.remote_id:
        try:
            closed.cancel(earlier.remote_id)
        except Exception as exc:  # it may have finished meanwhile: then refuse the new attempt, the money is coming
            log.warning("could not close payment %s at %s", earlier.id, earlier.provider, exc_info=True)
            _end_attempt(db, new_id, None, "")
            raise Conflict(_("An earlier payment of this part is still being processed. Reload the page.")) from exc
    lock_part(db, earlier.part_id)
    earlier = db.get(OrderPayment, earlier_id)
    if earlier.state in states.OPEN_PAYMENT:
        earlier.state = states.PAYMENT_CANCELLED
        db.commit()
        return
    db.commit()
    if earlier.state in states.MONEY_IN:
        _end_attempt(db, new_id, None, "")
        raise Conflict(_("This part of the order is not waiting for payment."))


def _end_attempt(db: Session, payment_id: int, state: str | None, message: str) -> None:
    """An attempt that never reached its provider's money: failed with the reason (a declined card), or, when
    the service did not answer, removed — it charged nothing and the buyer simply tries again."""
    db.rollback()
    part_id = db.scalar(select(OrderPayment.part_id).where(OrderPayment.id == payment_id))
    if part_id is None:
        return
    part = lock_part(db, part_id)
    payment = db.get(OrderPayment, payment_id)
    if payment is not None and payment.state == CREATED:
        if state is None:
            db.delete(payment)
        else:
            payment.state, payment.last_error = state, message[:300]
            history.record(db, part.order, part, "payment", actor_label=payment.provider,
                           details={"payment": payment.id, "state": state, "message": message[:300]})
    db.commit()


def _cancel_remote(instance: PaymentProvider, remote_id: str | None) -> None:
    if not remote_id:
        return
    try:
        instance.cancel(remote_id)
    except Exception:
        log.warning("could not cancel a replaced payment %s", remote_id, exc_info=True)


@contextmanager
def _provider_call(db: Session, part: OrderPart, payment: OrderPayment, doing: str) -> Iterator[None]:
    """Around a call that may charge the buyer: a decline fails the attempt and answers in the buyer's words
    (422); anything else — the gateway down, or answering nonsense — leaves nothing charged (503, try again)."""
    try:
        yield
    except PaymentDeclined as declined:
        _fail(db, part, payment, str(declined))
        raise Invalid(str(declined), {"payment": [str(declined)]}) from declined
    except Exception as exc:
        db.rollback()
        log.exception("payment provider %s could not %s", payment.provider, doing)
        raise Unavailable(_("The payment service did not answer. Nothing was charged; please try again.")) from exc


def _record_step(payment: OrderPayment, step: NextStep) -> None:
    if step.state != payment.state:
        states.check_payment(payment.state, step.state)
    payment.state = step.state
    payment.remote_id = step.remote_id or payment.remote_id
    payment.next_step = {"kind": step.kind, "qr_payload": step.qr_payload, "url": step.url,
                         "client_secret": step.client_secret, "message": step.message}


def _fail(db: Session, part: OrderPart, payment: OrderPayment, message: str) -> None:
    payment.state, payment.last_error = "failed", message[:300]
    history.record(db, part.order, part, "payment", actor_label=payment.provider,
                   details={"payment": payment.id, "state": "failed", "message": message[:300]})
    db.commit()


def _succeed(db: Session, part: OrderPart, payment: OrderPayment, *, actor_id: int | None = None,
             actor_label: str = "") -> list[tuple[str, dict[str, Any]]]:
    """The money is in: the part is paid and gets its receipt. Returns the events to fire after the commit."""
    from payments.receipts import services as receipts

    payment.state, payment.paid_at = SUCCEEDED, utcnow()
    part.paid_vnd += payment.amount_vnd
    if part.state == states.PENDING_PAYMENT:
        history.move(db, part, states.PAID, actor_id=actor_id, actor_label=actor_label)
    else:  # money after the order was cancelled (a late transfer): kept and shown, for the household to refund
        payment.last_error = "paid after the order part was cancelled"
        history.record(db, part.order, part, "late_payment", actor_label=actor_label,
                       details={"payment": payment.id, "amount_vnd": payment.amount_vnd})
    db.flush()
    receipts.issue_for_order_payment(db, part, payment, issued_by_id=actor_id)
    snapshot = OrderPaymentSnapshot(payment.id, payment.amount_vnd, payment.provider, part.order_id, part.id,
                                    part.reference or "", payment.commune_code, payment.cashless)
    return [("payment_received", {"payment": snapshot})]


def _fire(announce: list[tuple[str, dict[str, Any]]]) -> None:
    for hook, kwargs in announce:
        events.fire(hook, **kwargs)


def apply(db: Session, provider_id: str, update: PaymentUpdate) -> OrderPayment | None:
    """Apply a provider's news (webhook or confirmation). The same event twice changes nothing."""
    if update.event_id:
        db.add(ProcessedWebhook(provider=provider_id, event_id=update.event_id))
        try:
            db.flush()
        except IntegrityError:
            db.rollback()
            return None
    found = db.execute(select(OrderPayment.id, OrderPayment.part_id).where(
        OrderPayment.provider == provider_id, OrderPayment.remote_id == update.remote_id)).first()
    if found is None:
        # Not ours (another system on the same account), or ahead of the commit that records it: not marked
        # as seen, so a later delivery of the same event still counts.
        db.rollback()
        return None
    # The webhook and the buyer's confirmation may bring the same news at once: lock, then read again.
    part = lock_part(db, found.part_id)
    payment = lock(db, OrderPayment, found.id)
    announce: list = []
    if update.state != payment.state and payment.state in states.OPEN_PAYMENT:
        if update.state == SUCCEEDED:
            if update.amount_vnd is not None and update.amount_vnd != payment.amount_vnd:
                payment.last_error = f"provider reports {update.amount_vnd} đồng, expected {payment.amount_vnd}"
            else:
                announce = _succeed(db, part, payment, actor_label=provider_id)
        elif update.state in states.PAYMENT_TRANSITIONS[payment.state]:
            payment.state = update.state
            payment.last_error = update.message[:300] or payment.last_error
            history.record(db, part.order, part, "payment", actor_label=provider_id,
                           details={"payment": payment.id, "state": update.state})
    db.commit()
    _fire(announce)
    return payment


def confirm(db: Session, payment: OrderPayment, data: dict[str, str] | None = None) -> OrderPayment:
    """The buyer finished the provider's next step (a card check): ask the provider where things stand."""
    instance = provider(db, payment.commune_code, payment.provider)
    if instance is None or payment.remote_id is None:
        raise NotFound(_("Nothing here."))
    if payment.state not in states.OPEN_PAYMENT:
        return payment
    with _provider_call(db, payment.part, payment, "confirm"):
        update = instance.confirm(payment.remote_id, data or {})
    apply(db, payment.provider, update)
    db.refresh(payment)
    if payment.state == "failed" or update.state == "failed":
        msg = update.message or _("The payment was not completed.")
        raise Invalid(msg, {"payment": [msg]})
    return payment


def record_cash(db: Session, actor: User, part: OrderPart) -> OrderPayment:
    """Staff took the money at the commune office."""
    if not policy.can_record_cash(actor, part.order.commune_code):
        raise Forbidden(_("You are not allowed to do this."))
    payment = start(db, part, "cash", recorded_by=actor)
    if payment.state == SUCCEEDED:
        return payment
    # Two staff members at two desks: only the attempt still open after the lock records the money.
    part = lock_part(db, payment.part_id)
    payment = db.get(OrderPayment, payment.id)
    if payment.state not in states.OPEN_PAYMENT or part.state != states.PENDING_PAYMENT:
        db.commit()
        raise Conflict(_("This part of the order is not waiting for payment."))
    announce = _succeed(db, part, payment, actor_id=actor.id, actor_label="cash")
    db.commit()
    _fire(announce)
    return payment


def transfers_for_orders(db: Session, commune_code: str,
                         transfers: list[tuple[str, int, list[str], str | None]]
                         ) -> tuple[dict[str, OrderPayment], set[str]]:
    """Bank transfers whose text names an order part's reference, carry exactly its amount and reached the
    account that part's payment told the buyer to pay.

    `transfers` are (transaction key, amount, references found, receiving account). Returns the waiting VietQR
    payment each matched, locked, and the keys of transfers that named a part but reached another account
    (those wait for a person). The caller stores the transfers and then calls `transfers_paid`.
    """
    wanted = {ref for _key, _amount, refs, _acct in transfers for ref in refs}
    if not wanted:
        return {}, set()
    stmt = select(OrderPayment).where(OrderPayment.commune_code == commune_code, OrderPayment.provider == "vietqr",
                                      OrderPayment.matching_id.in_(wanted),
                                      OrderPayment.state.in_(states.OPEN_PAYMENT))
    # Orders before payments, as every money move on orders takes them (core/orders/locks.py): a buyer
    # cancelling the same order at this moment then waits for this transfer, or this transfer for the cancel.
    orders = select(OrderPart.order_id).where(OrderPart.id.in_(stmt.with_only_columns(OrderPayment.part_id)))
    db.execute(select(Order.id).where(Order.id.in_(orders)).order_by(Order.id).with_for_update())
    waiting = {p.matching_id: p for p in db.scalars(stmt.with_for_update().execution_options(populate_existing=True))}
    found: dict[str, OrderPayment] = {}
    elsewhere: set[str] = set()
    for key, amount, refs, account in transfers:
        payment = next((waiting[r] for r in refs if r in waiting), None)
        if payment is None:
            continue
        if not same_account(account, payment.payee_account_number):
            elsewhere.add(key)
        elif payment.amount_vnd == amount and payment not in found.values():
            found[key] = payment
    late, late_elsewhere = _late_transfers(db, commune_code, [t for t in transfers
                                                              if t[0] not in found and t[0] not in elsewhere])
    found.update(late)
    return found, elsewhere | late_elsewhere


def _late_transfers(db: Session, commune_code: str, transfers: list[tuple[str, int, list[str], str | None]]
                    ) -> tuple[dict[str, OrderPayment], set[str]]:
    """Transfers for parts cancelled before their money came (a buyer who paid from a saved QR code).

    The money is in the household's account whatever choso thinks, so it is recorded as a payment of the
    cancelled part, which its household then returns from the order page; left unmatched, it would sit in the
    staff's queue, where only bills can be matched. One late payment per part, and only into the account the
    part's QR named; any other stays there.
    """
    refs = {ref for _key, _amount, named, _acct in transfers for ref in named}
    if not refs:
        return {}, set()
    cancelled = {part.reference: part for part in db.scalars(
        select(OrderPart).join(Order).where(Order.commune_code == commune_code, OrderPart.reference.in_(refs),
                                            OrderPart.state == states.CANCELLED, OrderPart.paid_vnd == 0)
        .with_for_update(of=OrderPart))}
    late: dict[str, OrderPayment] = {}
    elsewhere: set[str] = set()
    for key, amount, named, account in transfers:
        part = next((cancelled[r] for r in named if r in cancelled and cancelled[r].subtotal_vnd == amount), None)
        if part is None:
            continue
        named_qr = next((p for p in reversed(part.payments) if p.provider == "vietqr" and p.payee_account_number),
                        None)
        if named_qr is None or not same_account(account, named_qr.payee_account_number):
            elsewhere.add(key)
            continue
        del cancelled[part.reference]
        late[key] = OrderPayment(part_id=part.id, commune_code=commune_code, provider="vietqr", cashless=True,
                                 state=PENDING, amount_vnd=amount, matching_id=part.reference,
                                 payee_bank_bin=named_qr.payee_bank_bin,
                                 payee_account_number=named_qr.payee_account_number)
        db.add(late[key])
    db.flush()
    return late, elsewhere


def transfers_paid(db: Session, matched: dict[str, OrderPayment]) -> list[tuple[str, dict[str, Any]]]:
    announce = []
    for key, payment in matched.items():
        payment.remote_id = key
        announce += _succeed(db, db.get(OrderPart, payment.part_id), payment, actor_label="vietqr")
    return announce


def order_by_token(db: Session, token: str) -> Order:
    order = db.scalar(select(Order).where(Order.token == token)) if len(token or "") > 20 else None
    if order is None:
        raise NotFound(_("Nothing here."))
    return order


def part_of(order: Order, part_id: int) -> OrderPart:
    part = next((p for p in order.parts if p.id == part_id), None)
    if part is None:
        raise NotFound(_("Nothing here."))
    return part
