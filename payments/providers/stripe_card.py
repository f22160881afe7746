"""Card payments through Stripe, with the official SDK only: PaymentIntents in VND, 3-D Secure, webhooks, refunds.

VND is a zero-decimal currency: `amount=150000` is 150,000 đồng, exactly choso's integer đồng. The card number
never reaches choso: Stripe.js turns it into a token in the buyer's browser. The API base URL is a setting, so
the same code talks to Stripe (test or live mode), stripe-mock, or localstripe in the tests.
"""

from __future__ import annotations

from collections.abc import Mapping

import stripe
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from plugins.payment import (
    CONFIRM_CARD,
    DONE,
    FAILED,
    PENDING,
    REQUIRES_ACTION,
    SUCCEEDED,
    NextStep,
    PaymentDeclined,
    PaymentProvider,
    PaymentRequest,
    PaymentUpdate,
    RefundResult,
    WebhookRejected,
)
from plugins.sdk import MIN_SECRET_LENGTH, labelled

STATES = {"succeeded": SUCCEEDED, "requires_action": REQUIRES_ACTION, "processing": PENDING,
          "requires_confirmation": PENDING, "requires_payment_method": FAILED, "canceled": "cancelled"}


# Stripe.js is loaded into buyers' payment pages, so where it comes from is not a setting: Stripe's own host.
# Only code can point it elsewhere (the test suite's localstripe, through the app config STRIPE_JS_URL).
STRIPE_JS_URL = "https://js.stripe.com/v3/"


def _keyed(prefixes: str, what: str) -> validate.Validator:
    return validate.And(validate.Length(min=MIN_SECRET_LENGTH),
                        validate.Regexp(rf"^({prefixes})_[A-Za-z0-9_]+$", error=f"Stripe {what} starts with "
                                        + " or ".join(f"{p}_" for p in prefixes.split("|"))))


class StripeSettings(Schema):
    secret_key = fields.String(required=True, validate=_keyed("sk_test|sk_live|rk_test|rk_live", "secret key"),
                               metadata={"secret": True, **labelled("Khóa bí mật (sk_…)", "Secret key (sk_…)")})
    publishable_key = fields.String(required=True, validate=_keyed("pk_test|pk_live", "publishable key"),
                                    metadata=labelled("Khóa công khai (pk_…)", "Publishable key (pk_…)"))
    webhook_secret = fields.String(required=True, validate=_keyed("whsec", "webhook signing secret"),
                                   metadata={"secret": True, **labelled("Khóa ký webhook (whsec_…)",
                                                                        "Webhook signing secret (whsec_…)")})
    api_base = fields.Url(load_default="https://api.stripe.com", require_tld=False,
                          metadata=labelled("Địa chỉ API", "API address"))


def stripe_js_url() -> str:
    from flask import current_app

    return current_app.config.get("STRIPE_JS_URL") or STRIPE_JS_URL


def decline_code(error: stripe.StripeError) -> str | None:
    detail = getattr(error, "error", None)
    return getattr(detail, "decline_code", None) or getattr(error, "code", None)


def decline_message(code: str | None) -> str:
    """A decline in words a buyer understands, in their language; Stripe's own text is English only."""
    known = {
        "insufficient_funds": _("The card has not enough money. Use another card or pay by bank transfer."),
        "expired_card": _("The card has expired."),
        "incorrect_cvc": _("The security code (CVC) is wrong."),
        "incorrect_number": _("The card number is wrong."),
        "processing_error": _("The card could not be charged right now. Try again in a moment."),
        "payment_intent_authentication_failure": _("The card check (3-D Secure) did not succeed."),
    }
    return known.get(code or "") or _("The card was declined. Use another card or pay by bank transfer.")


class StripeProvider(PaymentProvider):
    identifier = "stripe"
    verbose_name = _l("Card (Visa, Mastercard, JCB)")
    settings_schema = StripeSettings

    def _client(self) -> stripe.StripeClient:
        return stripe.StripeClient(self.settings["secret_key"],
                                   base_addresses={"api": self.settings.get("api_base") or "https://api.stripe.com"},
                                   max_network_retries=1)

    def start(self, request: PaymentRequest, data: Mapping[str, str]) -> NextStep:
        token = (data.get("card_token") or "").strip()
        if not token.startswith("tok_"):
            raise PaymentDeclined(_("Enter the card details first (the card form needs JavaScript)."))
        client = self._client()
        try:
            # The token becomes a card on a customer; the PaymentIntent is created and confirmed with it at once.
            customer = client.v1.customers.create(params={
                "source": token, "name": request.buyer_name[:120] or None, "phone": request.buyer_phone or None,
                "metadata": {"choso_payment": str(request.payment_id)}})
            intent = client.v1.payment_intents.create(params={
                "amount": request.amount_vnd, "currency": "vnd", "customer": customer.id,
                "payment_method": customer.default_source, "confirm": True,
                "metadata": {"choso_payment": str(request.payment_id), "reference": request.reference}},
                options={"idempotency_key": f"choso-payment-{request.payment_id}"})
        except stripe.CardError as error:
            raise PaymentDeclined(decline_message(decline_code(error))) from error
        state = STATES.get(intent.status, PENDING)
        if state == FAILED:
            raise PaymentDeclined(_("The card was declined. Use another card or pay by bank transfer."))
        kind = CONFIRM_CARD if state == REQUIRES_ACTION else DONE
        return NextStep(kind, state, remote_id=intent.id, client_secret=intent.client_secret)

    def confirm(self, remote_id: str, data: Mapping[str, str]) -> PaymentUpdate:
        intent = self._client().v1.payment_intents.retrieve(remote_id)
        state = STATES.get(intent.status, PENDING)
        message = ""
        if state == FAILED:
            message = decline_message(getattr(intent.last_payment_error, "code", None))
        return PaymentUpdate(remote_id, state, amount_vnd=intent.amount, message=message)

    def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> list[PaymentUpdate]:
        try:
            # construct_event compares the signature with hmac.compare_digest and refuses stale timestamps.
            event = stripe.Webhook.construct_event(body, headers.get("Stripe-Signature", ""),
                                                   self.settings["webhook_secret"])
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise WebhookRejected(str(exc)) from exc
        intent = event.data.object
        if event.type == "payment_intent.succeeded":
            return [PaymentUpdate(intent.id, SUCCEEDED, amount_vnd=intent.amount, event_id=event.id)]
        if event.type == "payment_intent.payment_failed":
            return [PaymentUpdate(intent.id, FAILED, event_id=event.id,
                                  message=_("The card was declined. Use another card or pay by bank transfer."))]
        return []

    def cancel(self, remote_id: str) -> None:
        self._client().v1.payment_intents.cancel(remote_id)

    def refund(self, remote_id: str | None, amount_vnd: int) -> RefundResult:
        try:
            refund = self._client().v1.refunds.create(params={"payment_intent": remote_id, "amount": amount_vnd})
        except stripe.InvalidRequestError as error:
            reason = error.user_message or str(error)
            raise PaymentDeclined(_("Stripe refused the refund: %(reason)s", reason=reason)) from error
        return RefundResult(refund.id, refund.amount)
