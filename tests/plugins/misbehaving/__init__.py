"""LotusFarm: a third-party plugin that misbehaves on purpose, as real plugins will (issue 14).

Loaded into a test app through EXTRA_PLUGINS. `BEHAVIOUR` says what each call does this time: "ok", or one of
the failures below; tests set it and `reset()` puts everything back. Every failure here is one that reached
choso from a real plugin in review: an exception, a call that never returns, an answer of the wrong shape.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from datetime import UTC, datetime

from marshmallow import Schema, fields

from plugins import (
    BankNotification,
    MarketplaceAdapter,
    Metric,
    NextStep,
    PaymentProvider,
    PaymentSource,
    Problem,
    RemoteListing,
    RemoteOrder,
    RemoteOrderLine,
    Share,
    hookimpl,
    secret_field,
)

CHOSO_SDK = ">=1.0,<2"

BEHAVIOUR: dict[str, str] = {}
CALLS: list[str] = []
RELEASE = threading.Event()  # a "hang" waits on this, so the test can let the thread go at its end
LIVE: dict[str, dict] = {}


def reset() -> None:
    BEHAVIOUR.clear()
    CALLS.clear()
    LIVE.clear()
    RELEASE.set()
    RELEASE.clear()


def _act(call: str, answer):
    CALLS.append(call)
    how = BEHAVIOUR.get(call, "ok")
    if how == "raise":
        raise ZeroDivisionError("division by zero")
    if how == "hang":
        RELEASE.wait(600)
    if how == "sleep":
        time.sleep(float(BEHAVIOUR.get("sleep_seconds", "3")))
    if how == "dict":
        return {"id": "x1", "url": "https://lotus.example/x1"}
    if how == "none":
        return None
    if how == "bad_url":
        return RemoteListing(remote_id=None, url=12345)  # type: ignore[arg-type]
    return answer() if callable(answer) else answer


class Settings(Schema):
    shop_code = fields.String(required=True)
    api_key = secret_field()

    def __init__(self, *args, **kwargs):
        if BEHAVIOUR.get("schema") == "raise":
            raise KeyError("shop_code_v2")
        super().__init__(*args, **kwargs)


class LotusFarm(MarketplaceAdapter):
    name = "lotusfarm"
    display_name = "LotusFarm"
    settings_schema = Settings
    call_timeout = 1.0  # the plugin's own deadline, within the operator's maximum

    def __init__(self, settings):
        if BEHAVIOUR.get("init") == "raise":
            raise RuntimeError("LotusFarm could not read its settings")
        super().__init__(settings)

    def validate(self, product):
        return _act("validate", [] if product.price_vnd > 0 else [Problem("price_vnd", "Giá phải lớn hơn 0")])

    def publish(self, product, idempotency_key):
        def live():
            LIVE[idempotency_key] = {"name": product.name, "price": product.price_vnd}
            return RemoteListing(f"lf-{idempotency_key[:8]}", f"https://lotus.example/p/{idempotency_key[:8]}")
        return _act("publish", live)

    def update(self, remote_id, product, idempotency_key):
        return _act("update", RemoteListing(remote_id, f"https://lotus.example/p/{remote_id}"))

    def unpublish(self, remote_id):
        _act("unpublish", None)

    def parse_order_webhook(self, headers, body):
        if not hmac.compare_digest(headers.get("X-Lotus-Key", ""), self.settings["api_key"]):
            raise PermissionError("bad LotusFarm key")
        data = json.loads(body)
        order = RemoteOrder(str(data["id"]), datetime.now(UTC),
                            tuple(RemoteOrderLine(str(x["product"]), int(x["qty"]), int(x["price"]))
                                  for x in data["lines"]))
        return _act("parse_order_webhook", order)


class PaySettings(Schema):
    api_key = secret_field()


class LotusPay(PaymentSource):
    """Bank notifications: {"id": ..., "amount": ..., "text": ...} with the key in X-Lotus-Key."""

    name = "lotuspay"
    display_name = "LotusPay"
    settings_schema = PaySettings

    def verify(self, headers, body):
        _act("verify", None)
        if not hmac.compare_digest(headers.get("X-Lotus-Key", ""), self.settings["api_key"]):
            raise PermissionError("bad key")

    def parse(self, body):
        data = json.loads(body)
        note = BankNotification(str(data["id"]), int(data["amount"]), data["text"], datetime.now(UTC),
                                account_number=data.get("account"))
        return _act("parse", [note])


class LotusWallet(PaymentProvider):
    identifier = "lotuswallet"
    verbose_name = "LotusWallet"
    settings_schema = PaySettings

    def start(self, request, data):
        return _act("start", NextStep("redirect", "pending", remote_id=f"lw-{request.payment_id}",
                                      url="https://wallet.example/pay"))


class LotusShare(Metric):
    id = "lotus_share"
    label = "LotusFarm share"
    unit = "share"

    def compute(self, facts):
        return _act("compute", Share(1, 2))


@hookimpl
def register_marketplaces():
    return [LotusFarm]


@hookimpl
def register_payment_sources():
    return [LotusPay]


@hookimpl
def register_payment_providers():
    return [LotusWallet]


@hookimpl
def register_metrics():
    return [LotusShare]


@hookimpl
def product_saved(product, created):
    _act("product_saved", None)
