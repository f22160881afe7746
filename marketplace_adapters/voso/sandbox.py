"""A sandbox that behaves like Voso's seller API: OAuth2 tokens that expire, validation errors per field."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from plugins.sandbox import Sandbox, json_response

CATEGORIES = {"thuc-pham/dac-san", "do-uong/dac-san", "suc-khoe/duoc-lieu", "nha-cua/thu-cong-my-nghe",
              "cay-canh/sinh-vat-canh", "dich-vu/du-lich"}


class VosoSandbox(Sandbox):
    name = "voso"
    rules = [
        Rule("/oauth/token", methods=["POST"], endpoint="token"),
        Rule("/api/v2/listings", methods=["POST"], endpoint="create_listing"),
        Rule("/api/v2/listings/<remote_id>", methods=["GET"], endpoint="get_listing"),
        Rule("/api/v2/listings/<remote_id>", methods=["PATCH"], endpoint="update_listing"),
        Rule("/api/v2/listings/<remote_id>", methods=["DELETE"], endpoint="delete_listing"),
        Rule("/api/v2/orders", methods=["GET"], endpoint="list_orders"),
        Rule("/api/v2/orders/<order_id>/cancel", methods=["POST"], endpoint="cancel_order"),
    ]

    def __init__(self, *, client_id: str = "choso-sandbox", client_secret: str = "voso-sandbox-secret",
                 webhook_secret: str = "voso-webhook-secret", token_ttl: float = 300, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client_id, self.client_secret, self.webhook_secret = client_id, client_secret, webhook_secret
        self.token_ttl = token_ttl
        self.tokens: dict[str, float] = {}
        self.tokens_issued = 0

    def token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return json_response({"error": "unsupported_grant_type"}, 400)
        if form.get("client_id") != self.client_id or not hmac.compare_digest(
                form.get("client_secret", ""), self.client_secret):
            return json_response({"error": "invalid_client", "error_description": "Sai client id hoặc secret"}, 401)
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_ttl
            self.tokens_issued += 1
        return json_response({"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl})

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def _unauthorised(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        with self.lock:
            expiry = self.tokens.get(token)
        if scheme != "Bearer" or expiry is None or expiry < time.monotonic():
            return json_response({"error": "invalid_token", "error_description": "Token hết hạn hoặc sai"}, 401)
        return None

    def _check(self, body: dict[str, Any], partial: bool = False) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        title = body.get("title", "")
        if not 5 <= len(title.strip()) <= 80:
            errors["title"] = ["Tên từ 5 đến 80 ký tự."]
        price = body.get("sale_price")
        if not isinstance(price, int) or not 5_000 <= price <= 50_000_000:
            errors["sale_price"] = ["Giá từ 5.000 đến 50.000.000 đồng."]
        if body.get("category_path") not in CATEGORIES:
            errors["category_path"] = ["Danh mục không hợp lệ."]
        if not 1 <= len(body.get("pictures") or []) <= 6:
            errors["pictures"] = ["Cần từ 1 đến 6 ảnh."]
        if len(body.get("content") or "") > 5000:
            errors["content"] = ["Mô tả tối đa 5000 ký tự."]
        return errors

    def _listing(self, remote_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"id": remote_id, "permalink": self.public_url(remote_id), "title": body["title"],
                "sale_price": body["sale_price"], "inventory": body.get("inventory", 0),
                "category_path": body["category_path"], "pictures": body["pictures"], "active": True}

    def _read(self, request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        if refused := self._unauthorised(request):
            return None, refused
        body = request.get_json(force=True, silent=True) or {}
        if errors := self._check(body):
            return None, json_response({"error": "validation_error", "errors": errors}, 400)
        return body, None

    def create_listing(self, request: Request) -> Response:
        body, refused = self._read(request)
        if refused:
            return refused
        key = request.headers.get("Idempotency-Key")
        with self.lock:
            if key and key in self.idempotency:
                return json_response(self.products[self.idempotency[key]])
            remote_id = self.new_id("vs-")
            self.products[remote_id] = self._listing(remote_id, body)
            if key:
                self.idempotency[key] = remote_id
            return json_response(self.products[remote_id], 201)

    def update_listing(self, request: Request, remote_id: str) -> Response:
        body, refused = self._read(request)
        if refused:
            return refused
        with self.lock:
            if remote_id not in self.products or not self.products[remote_id]["active"]:
                return json_response({"error": "not_found"}, 404)
            self.products[remote_id] = self._listing(remote_id, body)
            return json_response(self.products[remote_id])

    def get_listing(self, request: Request, remote_id: str) -> Response:
        if refused := self._unauthorised(request):
            return refused
        with self.lock:
            listing = self.products.get(remote_id)
        return json_response(listing) if listing else json_response({"error": "not_found"}, 404)

    def delete_listing(self, request: Request, remote_id: str) -> Response:
        if refused := self._unauthorised(request):
            return refused
        with self.lock:
            if remote_id not in self.products:
                return json_response({"error": "not_found"}, 404)
            self.products[remote_id]["active"] = False
        return Response(status=204)

    def _order(self, order: dict[str, Any]) -> dict[str, Any]:
        listing = self.products[order["product_id"]]
        return {"id": order["id"], "created_at": order["placed_at"], "status": order.get("state", "placed"),
                "lines": [{"listing_id": order["product_id"], "quantity": order["quantity"],
                           "price": listing["sale_price"]}],
                "customer": {"full_name": order["buyer"], "phone": order["phone"], "address": order["address"]}}

    def list_orders(self, request: Request) -> Response:
        if refused := self._unauthorised(request):
            return refused
        since = request.args.get("created_after", "")
        with self.lock:
            found = [self._order(o) for o in sorted(self.orders.values(), key=lambda o: o["placed_at"])
                     if o["placed_at"] >= since]
        return json_response({"data": found})

    def cancel_order(self, request: Request, order_id: str) -> Response:
        if refused := self._unauthorised(request):
            return refused
        reason = (request.get_json(force=True, silent=True) or {}).get("reason")
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return json_response({"error": "not_found"}, 404)
            if reason not in ("out_of_stock", "buyer_request"):
                return json_response({"error": "validation_error", "errors": {"reason": ["Lý do không hợp lệ."]}},
                                     400)
            order["state"], order["cancel_reason"] = "cancelled", reason
        return json_response(self._order(order))

    def order_webhook(self, order: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        payload = {"type": "ORDER_PLACED", "data": self._order(order)}
        body = json.dumps(payload, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        signature = hmac.new(self.webhook_secret.encode(), timestamp.encode() + b"." + body,
                             hashlib.sha256).hexdigest()
        return body, {"Content-Type": "application/json", "X-Voso-Timestamp": timestamp,
                      "X-Voso-Signature": f"sha256={signature}"}
