"""A sandbox that behaves like Postmart's seller API: signed requests, its own field names and errors."""

from __future__ import annotations

import json
import time
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from marketplace_adapters.postmart import signing
from plugins.sandbox import Sandbox, json_response

CATEGORY_IDS = {1001, 1002, 1003, 1004, 1005}


def _error(status: int, code: str, message: str, details: list[dict[str, str]] | None = None) -> Response:
    return json_response({"code": code, "message": message, "details": details or []}, status)


class PostmartSandbox(Sandbox):
    name = "postmart"
    rules = [
        Rule("/open/v1/products", methods=["POST"], endpoint="create_product"),
        Rule("/open/v1/products/<remote_id>", methods=["GET"], endpoint="get_product"),
        Rule("/open/v1/products/<remote_id>", methods=["PUT"], endpoint="update_product"),
        Rule("/open/v1/products/<remote_id>", methods=["DELETE"], endpoint="delete_product"),
        Rule("/open/v1/orders/search", methods=["POST"], endpoint="search_orders"),
        Rule("/open/v1/orders/<code>/cancel", methods=["POST"], endpoint="cancel_order"),
    ]

    def __init__(self, *, partner_id: str = "choso-sandbox", partner_key: str = "postmart-sandbox-key",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.partner_id, self.partner_key = partner_id, partner_key

    def _unauthorised(self, request: Request) -> Response | None:
        if request.headers.get("X-Partner-Id") != self.partner_id:
            return _error(401, "UNKNOWN_PARTNER", "Unknown partner id")
        timestamp = request.headers.get("X-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > signing.MAX_SKEW_SECONDS:
            return _error(401, "STALE_TIMESTAMP", "Timestamp missing or more than 5 minutes off")
        expected = signing.sign(self.partner_key, request.method, request.path, timestamp, request.get_data())
        if not signing.valid(expected, request.headers.get("X-Signature")):
            return _error(401, "BAD_SIGNATURE", "Signature does not match")
        return None

    def _check(self, body: dict[str, Any]) -> list[dict[str, str]]:
        details = []
        name = body.get("product_name") or ""
        if not name.strip() or len(name) > 120:
            details.append({"field": "product_name", "reason": "Tên sản phẩm bắt buộc, tối đa 120 ký tự."})
        if len(body.get("description") or "") > 3000:
            details.append({"field": "description", "reason": "Mô tả tối đa 3000 ký tự."})
        price = body.get("price")
        if not isinstance(price, int) or not 1_000 <= price <= 100_000_000:
            details.append({"field": "price", "reason": "Giá phải từ 1.000 đến 100.000.000 đồng."})
        if body.get("category_id") not in CATEGORY_IDS:
            details.append({"field": "category_id", "reason": "Danh mục không tồn tại trên Postmart."})
        weight = body.get("weight_gram")
        if not isinstance(weight, int) or not 1 <= weight <= 30_000:
            details.append({"field": "weight_gram", "reason": "Cần khối lượng từ 1 g đến 30 kg để tính cước."})
        images = body.get("images") or []
        if not 1 <= len(images) <= 9:
            details.append({"field": "images", "reason": "Cần từ 1 đến 9 ảnh."})
        if not isinstance(body.get("stock_qty"), int) or body["stock_qty"] < 0:
            details.append({"field": "stock_qty", "reason": "Số lượng tồn kho không hợp lệ."})
        return details

    def _product(self, remote_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"id": remote_id, "product_id": remote_id, "product_url": self.public_url(remote_id),
                "name": body["product_name"], "price": body["price"], "stock_qty": body["stock_qty"],
                "category_id": body["category_id"], "weight_gram": body["weight_gram"],
                "images": body["images"], "active": True}

    def _read(self, request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        if refused := self._unauthorised(request):
            return None, refused
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return None, _error(400, "BAD_JSON", "Body is not JSON")
        if details := self._check(body):
            return None, _error(422, "VALIDATION_FAILED", "Sản phẩm chưa hợp lệ", details)
        return body, None

    def create_product(self, request: Request) -> Response:
        body, refused = self._read(request)
        if refused:
            return refused
        key = request.headers.get("X-Idempotency-Key")
        with self.lock:
            if key and key in self.idempotency:
                return json_response({"code": "OK", "data": self.products[self.idempotency[key]]})
            remote_id = self.new_id("PM")
            self.products[remote_id] = self._product(remote_id, body)
            if key:
                self.idempotency[key] = remote_id
            return json_response({"code": "OK", "data": self.products[remote_id]}, 201)

    def update_product(self, request: Request, remote_id: str) -> Response:
        body, refused = self._read(request)
        if refused:
            return refused
        with self.lock:
            if remote_id not in self.products or not self.products[remote_id]["active"]:
                return _error(404, "NOT_FOUND", "Không có sản phẩm này")
            self.products[remote_id] = self._product(remote_id, body)
            return json_response({"code": "OK", "data": self.products[remote_id]})

    def get_product(self, request: Request, remote_id: str) -> Response:
        if refused := self._unauthorised(request):
            return refused
        with self.lock:
            product = self.products.get(remote_id)
        if product is None:
            return _error(404, "NOT_FOUND", "Không có sản phẩm này")
        return json_response({"code": "OK", "data": product})

    def delete_product(self, request: Request, remote_id: str) -> Response:
        if refused := self._unauthorised(request):
            return refused
        with self.lock:
            if remote_id not in self.products:
                return _error(404, "NOT_FOUND", "Không có sản phẩm này")
            self.products[remote_id]["active"] = False
        return json_response({"code": "OK"})

    def _order(self, order: dict[str, Any]) -> dict[str, Any]:
        product = self.products[order["product_id"]]
        return {"order_code": order["id"], "created_at": order["placed_at"], "status": order.get("state", "placed"),
                "items": [{"product_id": order["product_id"], "qty": order["quantity"],
                           "unit_price": product["price"]}],
                "buyer": {"name": order["buyer"], "phone": order["phone"], "address": order["address"]}}

    def search_orders(self, request: Request) -> Response:
        """Orders created at or after `since` (ISO 8601), oldest first: what a lost webhook did not bring."""
        body, refused = self._signed_body(request)
        if refused:
            return refused
        since = str(body.get("since", ""))
        with self.lock:
            found = [self._order(o) for o in sorted(self.orders.values(), key=lambda o: o["placed_at"])
                     if o["placed_at"] >= since]
        return json_response({"code": "OK", "data": {"orders": found}})

    def cancel_order(self, request: Request, code: str) -> Response:
        body, refused = self._signed_body(request)
        if refused:
            return refused
        with self.lock:
            order = self.orders.get(code)
            if order is None:
                return _error(404, "NOT_FOUND", "Không có đơn hàng này")
            if body.get("reason") not in ("OUT_OF_STOCK", "BUYER_REQUEST"):
                return _error(400, "BAD_REASON", "Lý do hủy không hợp lệ")
            order["state"], order["cancel_reason"] = "cancelled", body["reason"]
        return json_response({"code": "OK", "data": self._order(order)})

    def _signed_body(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        if refused := self._unauthorised(request):
            return {}, refused
        return request.get_json(force=True, silent=True) or {}, None

    def order_webhook(self, order: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        payload = {"event": "order.created", "order": self._order(order)}
        body = json.dumps(payload, ensure_ascii=False).encode()
        return body, {"Content-Type": "application/json",
                      "X-Postmart-Signature": signing.webhook_signature(self.partner_key, body)}
