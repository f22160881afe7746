"""The choso plugin SDK: the one import a plugin author needs.

    from plugins import hookimpl, MarketplaceAdapter, ProductSnapshot, RemoteListing, Problem
    from plugins import TransientError, RejectedError
    from plugins import PaymentProvider, PaymentRequest, NextStep, PaymentUpdate, PaymentDeclined

See docs/plugins.md for a walk-through, plugins/hookspecs.py for every hook's contract, plugins/testing.py for
the contract kit and plugins/sandbox.py for the base of a marketplace sandbox server.
"""

import pluggy

from plugins.metric import FACTS, Fact, Metric, ProductRow, Share
from plugins.payment import (
    CONFIRM_CARD,
    DONE,
    FAILED,
    PAY_AT_OFFICE,
    PAYMENT_STATES,
    PENDING,
    REDIRECT,
    REQUIRES_ACTION,
    SHOW_QR,
    STEP_KINDS,
    SUCCEEDED,
    NextStep,
    Payee,
    PaymentDeclined,
    PaymentProvider,
    PaymentRequest,
    PaymentUpdate,
    RefundNotSupported,
    RefundResult,
    WebhookRejected,
)
from plugins.sdk import (
    MIN_SECRET_LENGTH,
    SDK_VERSION,
    AccessExpired,
    BankNotification,
    ConnectionLapsed,
    ImageRef,
    ListingSnapshot,
    MarketplaceAdapter,
    MarketplaceError,
    OrderNotice,
    PaymentSource,
    Problem,
    ProductSnapshot,
    RejectedError,
    RemoteListing,
    RemoteOrder,
    RemoteOrderLine,
    RemoteProduct,
    SellerConnection,
    SourceAuthError,
    TransientError,
    labelled,
    secret_field,
)
from plugins.values import (
    COMMON_UNITS,
    LISTING_STATES,
    PAUSED,
    PRODUCT_GROUPS,
    PRODUCT_STATUSES,
)

hookimpl = pluggy.HookimplMarker("choso")

__all__ = [
    "MIN_SECRET_LENGTH", "secret_field", "labelled",
    "SDK_VERSION", "BankNotification", "ImageRef", "MarketplaceAdapter", "MarketplaceError", "PaymentSource",
    "Problem", "ProductSnapshot", "RejectedError", "RemoteListing", "RemoteOrder", "RemoteProduct", "RemoteOrderLine",
    "SourceAuthError", "TransientError", "hookimpl", "SellerConnection", "ConnectionLapsed", "AccessExpired",
    "PAUSED", "OrderNotice",
    "PAYMENT_STATES", "STEP_KINDS", "NextStep", "Payee", "PaymentDeclined", "PaymentProvider", "PaymentRequest",
    "PaymentUpdate",
    "RefundNotSupported", "RefundResult", "WebhookRejected",
    "Metric", "Share", "Fact", "FACTS", "ProductRow",
    "ListingSnapshot", "PRODUCT_GROUPS", "PRODUCT_STATUSES", "COMMON_UNITS", "LISTING_STATES",
    "PENDING", "REQUIRES_ACTION", "SUCCEEDED", "FAILED", "SHOW_QR", "REDIRECT", "CONFIRM_CARD", "PAY_AT_OFFICE", "DONE",
]
