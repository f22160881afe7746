"""Postmart's seller API as choso uses it."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx
from marshmallow import Schema, fields, validate

from marketplace_adapters.common import call, http_client
from marketplace_adapters.postmart import mapping, signing
from marketplace_adapters.postmart.sandbox import PostmartSandbox
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


class PostmartSettings(Schema):
    base_url = fields.Url(required=True, require_tld=False, metadata=labelled(
        "Địa chỉ API người bán", "Seller API address", help_vi="https://… do Postmart cấp",
        help_en="https://… given by Postmart"))
    partner_id = fields.String(required=True, metadata=labelled("Mã đối tác", "Partner id"))
    partner_key = secret_field(**labelled("Khóa đối tác", "Partner key"))
    timeout_seconds = fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=120),
                                   metadata=labelled("Chờ tối đa (giây)", "Timeout (seconds)"))


class PostmartAdapter(MarketplaceAdapter):
    name = "postmart"
    display_name = "Postmart"
    settings_schema = PostmartSettings
    sandbox_class = PostmartSandbox

    def __init__(self, settings: Mapping) -> None:
        super().__init__(settings)
        self.http = http_client(self.settings)

    def validate(self, product: ProductSnapshot) -> list[Problem]:
        return mapping.problems(product)

    def _request(self, method: str, path: str, payload: dict | None = None, **headers: str) -> httpx.Response:
        body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b""
        timestamp = str(int(time.time()))
        signed = {
            "X-Partner-Id": self.settings["partner_id"],
            "X-Timestamp": timestamp,
            "X-Signature": signing.sign(self.settings["partner_key"], method, path, timestamp, body),
            "Content-Type": "application/json",
            **headers,
        }
        return call(self.http, method, path, content=body, headers=signed, marketplace="Postmart",
                    problems=_problems)

    def publish(self, product: ProductSnapshot, idempotency_key: str) -> RemoteListing:
        data = self._request("POST", "/open/v1/products", mapping.to_postmart(product),
                             **{"X-Idempotency-Key": idempotency_key}).json()["data"]
        return RemoteListing(str(data["product_id"]), data["product_url"], raw=data)

    def update(self, remote_id: str, product: ProductSnapshot, idempotency_key: str) -> RemoteListing:
        data = self._request("PUT", f"/open/v1/products/{remote_id}", mapping.to_postmart(product)).json()["data"]
        return RemoteListing(str(data["product_id"]), data["product_url"], raw=data)

    def unpublish(self, remote_id: str) -> None:
        try:
            self._request("DELETE", f"/open/v1/products/{remote_id}")
        except RejectedError as refused:
            if not any(p.code == "NOT_FOUND" for p in refused.problems):  # already gone is what we wanted
                raise

    def check_connection(self) -> None:
        # Reading a listing that cannot exist: "not found" means the address answers and the key is accepted.
        self.fetch_listing("choso-connection-check")

    def fetch_listing(self, remote_id: str) -> RemoteProduct | None:
        try:
            data = self._request("GET", f"/open/v1/products/{remote_id}").json()["data"]
        except RejectedError as refused:
            if any(p.code == "NOT_FOUND" for p in refused.problems):
                return None
            raise
        return RemoteProduct(str(data["product_id"]), data["name"], int(data["price"]), int(data["stock_qty"]),
                             bool(data["active"]), data["product_url"])

    def parse_order_webhook(self, headers: Mapping[str, str], body: bytes) -> RemoteOrder:
        expected = signing.webhook_signature(self.settings["partner_key"], body)
        if not signing.valid(expected, headers.get("X-Postmart-Signature")):
            raise PermissionError("bad Postmart webhook signature")
        return _remote_order(json.loads(body)["order"])

    def fetch_orders(self, since: datetime) -> list[RemoteOrder]:
        """Orders created since `since`: what a lost webhook did not bring."""
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        found = self._request("POST", "/open/v1/orders/search", {"since": stamp}).json()["data"]["orders"]
        return [_remote_order(order) for order in found]

    def cancel_order(self, order: RemoteOrder, reason: str) -> None:
        """Postmart cancels and tells the buyer; choso asks when another channel sold the last unit first."""
        self._request("POST", f"/open/v1/orders/{order.remote_id}/cancel",
                      {"reason": {"out_of_stock": "OUT_OF_STOCK"}.get(reason, "OUT_OF_STOCK")})


def _remote_order(order: dict) -> RemoteOrder:
    return RemoteOrder(
            remote_id=str(order["order_code"]),
        placed_at=datetime.fromisoformat(order["created_at"].replace("Z", "+00:00")),
        lines=tuple(RemoteOrderLine(str(i["product_id"]), int(i["qty"]), int(i["unit_price"]))
                    for i in order["items"]),
        buyer_name=order["buyer"].get("name", ""), buyer_phone=order["buyer"].get("phone", ""),
        address=order["buyer"].get("address", ""),
    )


def _problems(response: httpx.Response) -> list[Problem]:
    body = response.json()
    details = body.get("details") or []
    if details:
        return [Problem(mapping.FIELDS.get(d.get("field"), d.get("field") or "marketplace"), d.get("reason", ""),
                        body.get("code", "")) for d in details]
    return [Problem("marketplace" if body.get("code") != "BAD_SIGNATURE" else "settings",
                    f"Postmart: {body.get('message') or body.get('code')}", body.get("code", ""))]
