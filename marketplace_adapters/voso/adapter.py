"""Voso's seller API as choso uses it: an OAuth2 client-credentials token that expires."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
from marshmallow import Schema, fields, validate

from marketplace_adapters.common import call, http_client
from marketplace_adapters.voso import mapping
from marketplace_adapters.voso.sandbox import VosoSandbox
from plugins import (
    MarketplaceAdapter,
    Problem,
    ProductSnapshot,
    RejectedError,
    RemoteListing,
    RemoteOrder,
    RemoteOrderLine,
    RemoteProduct,
    labelled,
    secret_field,
)


class VosoSettings(Schema):
    base_url = fields.Url(required=True, require_tld=False, metadata=labelled("Địa chỉ API", "API address"))
    client_id = fields.String(required=True, metadata=labelled("Mã ứng dụng (client id)", "Client id"))
    client_secret = secret_field(**labelled("Khóa bí mật ứng dụng", "Client secret"))
    webhook_secret = secret_field(**labelled("Khóa ký thông báo đơn hàng", "Webhook signing secret"))
    timeout_seconds = fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=120),
                                   metadata=labelled("Chờ tối đa (giây)", "Timeout (seconds)"))


class VosoAdapter(MarketplaceAdapter):
    name = "voso"
    display_name = "Voso"
    settings_schema = VosoSettings
    sandbox_class = VosoSandbox

    def __init__(self, settings: Mapping) -> None:
        super().__init__(settings)
        self.http = http_client(self.settings)
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def validate(self, product: ProductSnapshot) -> list[Problem]:
        return mapping.problems(product)

    def _access_token(self, *, renew: bool = False) -> str:
        with self._lock:
            if renew or not self._token or time.monotonic() > self._expires - 30:
                response = call(self.http, "POST", "/oauth/token", marketplace="Voso", problems=_problems, data={
                    "grant_type": "client_credentials", "client_id": self.settings["client_id"],
                    "client_secret": self.settings["client_secret"]})
                body = response.json()
                self._token = body["access_token"]
                self._expires = time.monotonic() + float(body.get("expires_in", 300))
            return self._token

    def _request(self, method: str, path: str, payload: dict | None = None, **headers: str) -> httpx.Response:
        for attempt in (1, 2):
            auth = {"Authorization": f"Bearer {self._access_token(renew=attempt == 2)}", **headers}
            try:
                return call(self.http, method, path, json=payload, headers=auth, marketplace="Voso",
                            problems=_problems)
            except RejectedError as refused:
                # An expired token is refused once; a fresh one settles it, anything else is a real refusal.
                if attempt == 2 or not any(p.code == "invalid_token" for p in refused.problems):
                    raise
        raise AssertionError("unreachable")

    def publish(self, product: ProductSnapshot, idempotency_key: str) -> RemoteListing:
        data = self._request("POST", "/api/v2/listings", mapping.to_voso(product),
                             **{"Idempotency-Key": idempotency_key}).json()
        return RemoteListing(data["id"], data["permalink"], raw=data)

    def update(self, remote_id: str, product: ProductSnapshot, idempotency_key: str) -> RemoteListing:
        data = self._request("PATCH", f"/api/v2/listings/{remote_id}", mapping.to_voso(product)).json()
        return RemoteListing(data["id"], data["permalink"], raw=data)

    def unpublish(self, remote_id: str) -> None:
        try:
            self._request("DELETE", f"/api/v2/listings/{remote_id}")
        except RejectedError as refused:
            if not any(p.code == "not_found" for p in refused.problems):
                raise

    def check_connection(self) -> None:
        # Reading a listing that cannot exist: "not found" means the address answers and the key is accepted.
        self.fetch_listing("choso-connection-check")

    def fetch_listing(self, remote_id: str) -> RemoteProduct | None:
        try:
            data = self._request("GET", f"/api/v2/listings/{remote_id}").json()
        except RejectedError as refused:
            if any(p.code == "not_found" for p in refused.problems):
                return None
            raise
        return RemoteProduct(data["id"], data["title"], int(data["sale_price"]), int(data.get("inventory", 0)),
                             bool(data.get("active", True)), data["permalink"])

    def parse_order_webhook(self, headers: Mapping[str, str], body: bytes) -> RemoteOrder:
        timestamp = headers.get("X-Voso-Timestamp", "")
        expected = "sha256=" + hmac.new(self.settings["webhook_secret"].encode(), timestamp.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        given = headers.get("X-Voso-Signature") or ""
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300 or not hmac.compare_digest(
                expected, given):
            raise PermissionError("bad Voso webhook signature")
        return _remote_order(json.loads(body)["data"])

    def fetch_orders(self, since: datetime) -> list[RemoteOrder]:
        """Orders created since `since`: what a lost webhook did not bring."""
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        found = self._request("GET", f"/api/v2/orders?{urlencode({'created_after': stamp})}").json()["data"]
        return [_remote_order(order) for order in found]

    def cancel_order(self, order: RemoteOrder, reason: str) -> None:
        """Voso cancels and tells the buyer; choso asks when another channel sold the last unit first."""
        self._request("POST", f"/api/v2/orders/{order.remote_id}/cancel",
                      {"reason": {"out_of_stock": "out_of_stock"}.get(reason, "out_of_stock")})


def _remote_order(data: dict) -> RemoteOrder:
    customer = data.get("customer", {})
    return RemoteOrder(
        remote_id=str(data["id"]), placed_at=datetime.fromisoformat(data["created_at"].replace("Z", "+00:00")),
        lines=tuple(RemoteOrderLine(str(line["listing_id"]), int(line["quantity"]), int(line["price"]))
                    for line in data["lines"]),
        buyer_name=customer.get("full_name", ""), buyer_phone=customer.get("phone", ""),
        address=customer.get("address", ""))


def _problems(response: httpx.Response) -> list[Problem]:
    body = response.json()
    if body.get("error") == "validation_error":
        return [Problem(mapping.FIELDS.get(field, field), "; ".join(messages), "validation_error")
                for field, messages in body.get("errors", {}).items()]
    code = body.get("error", "")
    field = "settings" if code in ("invalid_client", "invalid_token") else "marketplace"
    return [Problem(field, f"Voso: {body.get('error_description') or code}", code)]
