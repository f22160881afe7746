"""A sandbox that behaves like Chợ Quê's seller API (see adapter.py for the client side)."""

from __future__ import annotations

from plugins.sandbox import Sandbox, json_response
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response


class ChoQueSandbox(Sandbox):
    name = "choque"
    rules = [
        Rule("/api/items", methods=["POST"], endpoint="create_item"),
        Rule("/api/items/<remote_id>", methods=["GET"], endpoint="get_item"),
        Rule("/api/items/<remote_id>", methods=["PUT"], endpoint="update_item"),
        Rule("/api/items/<remote_id>", methods=["DELETE"], endpoint="delete_item"),
    ]

    def __init__(self, *, api_key: str = "choque-sandbox-key", **kwargs) -> None:
        super().__init__(**kwargs)
        self.api_key = api_key

    def _refuse(self, request: Request) -> Response | None:
        if request.headers.get("X-Api-Key") != self.api_key:
            return json_response({"errors": {"auth": "Khoá API không đúng."}}, 401)
        return None

    def _check(self, body: dict) -> dict[str, str]:
        errors = {}
        if not 3 <= len(body.get("title") or "") <= 80:
            errors["title"] = "Tên cần từ 3 đến 80 ký tự."
        if not isinstance(body.get("price"), int) or not 1_000 <= body["price"] <= 50_000_000:
            errors["price"] = "Giá từ 1.000 đến 50.000.000 đồng."
        if not body.get("photos"):
            errors["photos"] = "Cần ít nhất một ảnh."
        return errors

    def _item(self, remote_id: str, body: dict) -> dict:
        return {"id": remote_id, "url": self.public_url(remote_id), "title": body["title"], "price": body["price"],
                "quantity": body.get("quantity", 0), "photos": body["photos"], "active": True}

    def create_item(self, request: Request) -> Response:
        if refused := self._refuse(request):
            return refused
        body = request.get_json(force=True)
        if errors := self._check(body):
            return json_response({"errors": errors}, 422)
        key = request.headers.get("Idempotency-Key")
        with self.lock:
            if key and key in self.idempotency:
                return json_response({"item": self.products[self.idempotency[key]]}, 200)
            remote_id = self.new_id("cq-")
            self.products[remote_id] = self._item(remote_id, body)
            if key:
                self.idempotency[key] = remote_id
            return json_response({"item": self.products[remote_id]}, 201)

    def update_item(self, request: Request, remote_id: str) -> Response:
        if refused := self._refuse(request):
            return refused
        body = request.get_json(force=True)
        if errors := self._check(body):
            return json_response({"errors": errors}, 422)
        with self.lock:
            if remote_id not in self.products or not self.products[remote_id]["active"]:
                return json_response({"errors": {"id": "Không có sản phẩm này."}}, 404)
            self.products[remote_id] = self._item(remote_id, body)
            return json_response({"item": self.products[remote_id]})

    def get_item(self, request: Request, remote_id: str) -> Response:
        if refused := self._refuse(request):
            return refused
        with self.lock:
            item = self.products.get(remote_id)
        if item is None:
            return json_response({"errors": {"id": "Không có sản phẩm này."}}, 404)
        return json_response({"item": item})

    def delete_item(self, request: Request, remote_id: str) -> Response:
        if refused := self._refuse(request):
            return refused
        with self.lock:
            if remote_id in self.products:
                self.products[remote_id]["active"] = False
        return Response(status=204)
