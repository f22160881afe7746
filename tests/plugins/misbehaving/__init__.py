"""LotusFarm: a third-party plugin that misbehaves on purpose, as real plugins will (issue 14).

Loaded into a test app through EXTRA_PLUGINS. `BEHAVIOUR` says what each call does this time: "ok", or one of
the failures below; tests set it and `reset()` puts everything back. Every failure here is one that reached
choso from a real plugin in review: an exception, a call that never returns, an answer of the wrong shape.
"""

from __future__ import annotations

import threading
import time

from marshmallow import Schema, fields

from plugins import MarketplaceAdapter, Problem, RemoteListing, hookimpl, secret_field

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


@hookimpl
def register_marketplaces():
    return [LotusFarm]


@hookimpl
def product_saved(product, created):
    _act("product_saved", None)
