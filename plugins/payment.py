"""Payment providers: how a buyer pays one household's part of an order.

In the manner of pretix's `BasePaymentProvider`: a provider needs an `identifier`, a `verbose_name` and
`start`; everything else has a documented default. choso keeps the payment row, its state and the money
figures; a provider only talks to its bank, gateway or wallet and says what happened, in frozen dataclasses.

A payment goes through the states in `PAYMENT_STATES` (see core/orders/states.py for the allowed moves):

    created → pending → succeeded → partially_refunded → refunded
                      ↘ requires_action ↗   ↘ failed / cancelled
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from marshmallow import Schema

CREATED, PENDING, REQUIRES_ACTION, SUCCEEDED = "created", "pending", "requires_action", "succeeded"
FAILED, CANCELLED, PARTIALLY_REFUNDED, REFUNDED = "failed", "cancelled", "partially_refunded", "refunded"
PAYMENT_STATES = (CREATED, PENDING, REQUIRES_ACTION, SUCCEEDED, FAILED, CANCELLED, PARTIALLY_REFUNDED, REFUNDED)

# What the buyer does next, as `NextStep.kind`.
SHOW_QR, REDIRECT, CONFIRM_CARD, PAY_AT_OFFICE, DONE = "show_qr", "redirect", "confirm_card", "pay_at_office", "done"
STEP_KINDS = (SHOW_QR, REDIRECT, CONFIRM_CARD, PAY_AT_OFFICE, DONE)


@dataclass(frozen=True)
class Payee:
    """Who receives the money: the household selling this part of the order."""

    name: str
    bank_bin: str | None = None  # its verified bank account, if it has one
    account_number: str | None = None
    account_name: str | None = None


@dataclass(frozen=True)
class PaymentRequest:
    payment_id: int
    commune_code: str
    amount_vnd: int  # integer đồng
    reference: str  # the order part's reference code: what a bank transfer must carry to be recognised
    description: str
    payee: Payee
    buyer_name: str = ""
    buyer_phone: str = ""


@dataclass(frozen=True)
class NextStep:
    """What `start` (or `confirm`) tells the buyer to do next, and the payment's state now."""

    kind: str  # SHOW_QR, REDIRECT, CONFIRM_CARD, PAY_AT_OFFICE or DONE
    state: str  # one of PAYMENT_STATES
    remote_id: str | None = None  # the provider's own id for this payment (a PaymentIntent id ...)
    qr_payload: str | None = None
    url: str | None = None
    client_secret: str | None = None
    message: str = ""


@dataclass(frozen=True)
class PaymentUpdate:
    """A provider's news about one payment, from a webhook or a confirmation. `event_id` de-duplicates."""

    remote_id: str
    state: str
    amount_vnd: int | None = None
    event_id: str | None = None
    message: str = ""


@dataclass(frozen=True)
class RefundResult:
    remote_id: str | None
    amount_vnd: int


class PaymentDeclined(Exception):
    """The buyer's payment was refused (a declined card ...). The message is shown to the buyer as it is."""


class RefundNotSupported(Exception):
    """Raised by the default `refund`: money goes back some other way (cash at the office, a transfer by hand)."""


class WebhookRejected(PermissionError):
    """A webhook that is not genuine (bad signature, stale timestamp)."""


class PaymentProvider:
    """Base of every payment provider. Required: `identifier`, `verbose_name`, `start`."""

    identifier: ClassVar[str]
    verbose_name: ClassVar[str]
    settings_schema: ClassVar[type[Schema] | None] = None
    # False for cash: figures count what is paid without cash, so a provider says which it is.
    cashless: ClassVar[bool] = True
    # True when a staff member records the payment (cash at the office), not the buyer's own action.
    recorded_by_staff: ClassVar[bool] = False

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = dict(settings)

    def is_available(self, request: PaymentRequest) -> bool:
        """Whether buyers may choose this provider for this commune, amount and payee. Default: yes."""
        return True

    def start(self, request: PaymentRequest, data: Mapping[str, str]) -> NextStep:
        """Begin paying: create the remote payment if there is one, and say what the buyer does next.

        `data` is what the buyer's page sent (a card token ...). Raise PaymentDeclined with a message for
        the buyer when the payment is refused.
        """
        raise NotImplementedError

    def confirm(self, remote_id: str, data: Mapping[str, str]) -> PaymentUpdate:
        """After the buyer's next step (a 3-D Secure check ...), ask the provider where the payment stands."""
        raise NotImplementedError

    def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> list[PaymentUpdate]:
        """Verify (in constant time; raise WebhookRejected) and read a webhook. Default: this provider has none."""
        raise WebhookRejected("this provider takes no webhooks")

    def cancel(self, remote_id: str) -> None:
        """Called when the buyer leaves an unfinished payment for another one: close it at the provider so it
        can no longer take money. Default: nothing to close."""

    def refund(self, remote_id: str | None, amount_vnd: int) -> RefundResult:
        """Give back `amount_vnd` of a succeeded payment. Default: not supported."""
        raise RefundNotSupported(self.identifier)

    def matching_id(self, request: PaymentRequest) -> str:
        """How this provider recognises its own payments in what arrives later. Default: the reference code."""
        return request.reference
