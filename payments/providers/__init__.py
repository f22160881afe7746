"""Built-in payment providers (a plugin, registered like any other): VietQR bank transfer, Stripe card, cash."""

from payments.providers.cash import CashProvider
from payments.providers.stripe_card import StripeProvider
from payments.providers.vietqr import VietQRProvider
from plugins import hookimpl

CHOSO_SDK = ">=1.1,<2"


@hookimpl
def register_payment_providers():
    return [VietQRProvider, StripeProvider, CashProvider]
