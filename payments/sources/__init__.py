"""Built-in bank-notification sources (a plugin, registered like any other): SePay, Casso and payOS styles."""

from payments.sources.casso import CassoSource
from payments.sources.payos import PayOSSource
from payments.sources.sepay import SePaySource
from plugins import hookimpl

CHOSO_SDK = ">=1.0,<2"


@hookimpl
def register_payment_sources():
    return [SePaySource, CassoSource, PayOSSource]
